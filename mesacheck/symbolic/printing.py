"""The one printer of mesacheck: every formula in text, LaTeX and JSON ``exact`` strings.

Two SymPy printer subclasses share one naming rule (:func:`display_name`), the way Lcapy does it,
so the three outputs always agree and no Python syntax (``**``, ``harmonic(98)``, ``Eq(...)``,
``_T``) reaches a document:

* the engine's symbols are Dummies (:mod:`mesacheck.symbolic.symbols`); both printers show them by
  their display name (``T``, not SymPy's ``_T``), with ``adot`` shown as a dot-a;
* harmonic numbers print as ``H_98`` / ``H_{98}`` (``H^{(2)}_{n}`` for order 2);
* text powers are ``x^2``, equations ``lhs = rhs``, the imaginary unit ``i``.

Options are passed explicitly; there is no global printing state.
"""
import re

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

_INDEXED = re.compile(r"([A-Za-z]+)_([0-9]+)\Z")
_DOTTED = {"adot": "a", "bdot": "b"}


def display_name(symbol, latex):
    """How a symbol's name is shown: Dummies without SymPy's '_' prefix; dot-names as dots."""
    name = symbol.name
    if latex:
        match = _INDEXED.match(name)
        base, index = (match.group(1), match.group(2)) if match else (name, None)
        if base in _DOTTED:
            base = r"\dot{%s}" % _DOTTED[base]
        elif name == "p_nz":
            return r"p_{\neq 0}"
        else:
            return None  # SymPy's own rendering (Greek letters, subscripts) is right
        return base + ("_{%s}" % index if index else "")
    match = _INDEXED.match(name)
    base, index = (match.group(1), match.group(2)) if match else (name, None)
    if base in _DOTTED:
        return f"d{_DOTTED[base]}" + (f"_{index}" if index else "") + "/dtau"
    return name


class MesaLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with H_{n} for harmonic numbers and the engine's display names."""

    def _print_harmonic(self, expr, exp=None):
        n = self._print(expr.args[0])
        if len(expr.args) > 1 and expr.args[1] != 1:
            tex = r"H^{(%s)}_{%s}" % (self._print(expr.args[1]), n)
        else:
            tex = r"H_{%s}" % n
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)

    def _print_Dummy(self, expr):
        name = display_name(expr, latex=True)
        return name if name is not None else self._print_Symbol(expr)


class MesaStrPrinter(StrPrinter):
    """Plain-text printer: x^2 for powers, H_98, 'lhs = rhs', i, display names for Dummies."""

    def _print_Dummy(self, expr):
        return display_name(expr, latex=False)

    def _print_Pow(self, expr, rational=False):
        # Sub-expressions are printed by this printer already, so the only '**' is this level's.
        return super()._print_Pow(expr, rational).replace("**", "^")

    def _print_harmonic(self, expr):
        n = self._print(expr.args[0])
        n = n if re.fullmatch(r"[A-Za-z0-9_]+", n) else f"({n})"
        if len(expr.args) > 1 and expr.args[1] != 1:
            return f"H^({self._print(expr.args[1])})_{n}"
        return f"H_{n}"

    def _print_Equality(self, expr):
        return f"{self._print(expr.lhs)} = {self._print(expr.rhs)}"

    def _print_ImaginaryUnit(self, expr):
        return "i"

    def _print_BooleanTrue(self, expr):
        return "true"

    def _print_BooleanFalse(self, expr):
        return "false"

    def _print_Infinity(self, expr):
        return "oo"


def latex(expr, **settings):
    """LaTeX of a SymPy expression built by mesacheck (never of user text)."""
    settings.setdefault("mul_symbol", None)
    return MesaLatexPrinter(settings).doprint(_basic(expr))


def text(expr):
    """Plain-text form of a SymPy expression, for terminals and the JSON ``exact`` strings."""
    return MesaStrPrinter({"order": None}).doprint(_basic(expr))


def _basic(expr):
    """A SymPy object for ``expr``; numbers and containers are converted, text never parsed."""
    return expr if isinstance(expr, sympy.Basic) else sympy.sympify(expr, strict=True)
