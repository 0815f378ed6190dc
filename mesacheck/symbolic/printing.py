"""The one printer of mesacheck: every formula in text, LaTeX and JSON ``exact`` strings.

Two SymPy printer subclasses share one naming rule (:func:`display_name`), the way Lcapy does it,
so the three outputs always agree and no Python syntax (``**``, ``harmonic(98)``, ``Eq(...)``,
``_T``, ``True``) reaches a document:

* the engine's symbols are Dummies (:mod:`mesacheck.symbolic.symbols`); both printers show them by
  their display name (``T``, not SymPy's ``_T``), with ``adot`` shown as a dot-a;
* harmonic numbers print as ``H_98`` / ``H_{98}`` (``H^{(2)}_{n}`` for order 2);
* text powers are ``x^2``, equations ``lhs = rhs``, the imaginary unit ``i``, booleans yes / no;
* LaTeX uses amsmath commands only (``\\operatorname``), so a fragment pastes into any article.

Options are passed explicitly; there is no global printing state. Displays with equation numbers
and line breaking are in :mod:`mesacheck.symbolic.tex_display`, prose in
:mod:`mesacheck.symbolic.tex_prose`.

>>> import sympy
>>> from mesacheck.symbolic.symbols import T, a, b
>>> text(sympy.harmonic(T - 2) * a**2)
'a^2*H_(T - 2)'
>>> latex(sympy.Eq(a + b, 0))
'a + b = 0'
"""
import math
import re

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

_INDEXED = re.compile(r"([A-Za-z]+)_([0-9]+)\Z")
_PAIR = re.compile(r"([A-Za-z]+)_([0-9]+),([0-9]+)\Z")
_DOTTED = {"adot": "a", "bdot": "b"}


def display_name(symbol, latex):
    """How a symbol's name is shown: Dummies without SymPy's '_' prefix; dot-names as dots.

    In LaTeX, None means "SymPy's own rendering of the name is right" (Greek letters, x_1 -> x_{1}).
    """
    name = symbol.name
    pair = _PAIR.match(name)
    if pair:  # x_2,1: token 2, coordinate 1
        base, i, j = pair.groups()
        return r"%s_{%s,%s}" % (base, i, j) if latex else name
    match = _INDEXED.match(name)
    base, index = (match.group(1), match.group(2)) if match else (name, None)
    if latex:
        if base in _DOTTED:
            return r"\dot{%s}" % _DOTTED[base] + ("_{%s}" % index if index else "")
        if name == "p_nz":
            return r"p_{\neq 0}"
        return None
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

    def _print_BooleanTrue(self, expr):
        return r"\text{yes}"

    def _print_BooleanFalse(self, expr):
        return r"\text{no}"

    def _print_Infinity(self, expr):
        return r"\infty"


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
        return "yes"

    def _print_BooleanFalse(self, expr):
        return "no"

    def _print_Infinity(self, expr):
        return "oo"

    def _print_conjugate(self, expr):
        return f"conj({self._print(expr.args[0])})"


def latex(expr, **settings):
    """LaTeX of a SymPy expression built by mesacheck (never of user text).

    >>> import sympy
    >>> latex(sympy.harmonic(98, evaluate=False) / 2)
    '\\\\frac{H_{98}}{2}'
    """
    settings.setdefault("mul_symbol", None)
    return MesaLatexPrinter(settings).doprint(_basic(expr))


def text(expr):
    """Plain-text form of a SymPy expression, for terminals and the JSON ``exact`` strings.

    >>> import sympy
    >>> text(sympy.Rational(49, 2) * sympy.harmonic(98, evaluate=False) ** 2)
    '49*H_98^2/2'
    """
    return MesaStrPrinter({"order": None}).doprint(_basic(expr))


def _basic(expr):
    """A SymPy object for ``expr``; numbers and containers are converted, text never parsed."""
    if isinstance(expr, bool):
        return sympy.true if expr else sympy.false
    return expr if isinstance(expr, sympy.Basic) else sympy.sympify(expr, strict=True)


# -- values shown in verdict tables -----------------------------------------------------------------
#: an exact value whose text is longer than this is shown as a decimal (the exact value is in JSON)
SHORT_EXACT = 40
#: significant digits of such a decimal
DECIMAL_DIGITS = 12


class Shown(str):
    """A compared value as text (the ``str`` itself, used by the terminal table and JSON), with its
    LaTeX form in ``.latex`` (math mode, no ``$``) and, for numbers, ``.approx`` (a float)."""

    latex = None
    approx = None


def _shown(text_form, tex, approx=None):
    out = Shown(text_form)
    out.latex, out.approx = tex, approx
    return out


def decimal_latex(value, digits=DECIMAL_DIGITS):
    """A float as LaTeX: 0.191905, 5.6 \\times 10^{-7}; integers without a point.

    >>> decimal_latex(5.6e-07, 2)
    '5.6 \\\\times 10^{-7}'
    """
    if not math.isfinite(value):
        return r"\infty" if value > 0 else (r"-\infty" if value < 0 else r"\text{NaN}")
    body = f"{value:.{digits}g}"
    if "e" in body:
        mant, exp = body.split("e")
        exp = int(exp)
        return (r"10^{%d}" % exp) if mant in ("1", "1.0") else r"%s \times 10^{%d}" % (mant, exp)
    return body


def _complex_forms(z):
    """(text, LaTeX) of a complex float, never Python's ``(1+2j)``: ``1 + 2i``, ``-0.5i``, ``3``.

    >>> print(*_complex_forms(complex(1, -2)), sep="  |  ")
    1 - 2i  |  1 - 2\\,\\mathrm{i}
    """
    re_, im = float(z.real), float(z.imag)
    if im == 0:
        return f"{re_:.12g}", decimal_latex(re_)
    if re_ == 0:
        return f"{im:.12g}i", decimal_latex(im) + r"\,\mathrm{i}"
    sign = "-" if im < 0 else "+"
    return (f"{re_:.12g} {sign} {abs(im):.12g}i",
            f"{decimal_latex(re_)} {sign} {decimal_latex(abs(im))}" + r"\,\mathrm{i}")


def shown(value):
    """A value compared by a check, for display: short exact values as their closed form, long
    ones as a decimal to DECIMAL_DIGITS significant digits (marked so), floats to 12 digits,
    verdict words as text. Returns a :class:`Shown`.

    >>> shown(sympy.Rational(1, 5)).latex
    '\\\\frac{1}{5}'
    >>> str(shown(0.25))
    '0.25'
    """
    if isinstance(value, Shown):
        return value
    if isinstance(value, bool):
        return _shown("yes" if value else "no", r"\text{%s}" % ("yes" if value else "no"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _shown(f"{value:.12g}", decimal_latex(float(value)), float(value))
    if isinstance(value, complex):
        plain, tex = _complex_forms(value)
        return _shown(plain, tex, float(value.real) if value.imag == 0 else None)
    if isinstance(value, tuple) and value and all(isinstance(v, (float, complex)) for v in value):
        forms = [_complex_forms(complex(v)) for v in value]
        return _shown("(" + ", ".join(f for f, _ in forms) + ")",
                      r"\bigl(" + r",\ ".join(t for _, t in forms) + r"\bigr)")
    if isinstance(value, sympy.Basic):
        plain = text(value)
        number = not value.free_symbols and value.is_number
        approx = None
        if number:
            try:
                approx = float(sympy.N(value, 30)) if value.is_real is not False else None
            except (TypeError, ValueError):
                approx = None
        if len(plain) > SHORT_EXACT and approx is not None:
            return _shown(f"{approx:.{DECIMAL_DIGITS}g} (exact value in the JSON of `derive`)",
                          decimal_latex(approx) + r"\ldots", approx)
        return _shown(plain, latex(value), approx)
    word = str(value)
    return _shown(word, r"\text{%s}" % re.sub(r"[^A-Za-z0-9 .,:;()/-]", "", word))
