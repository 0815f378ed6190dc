"""The one LaTeX printer of mesacheck: SymPy's, with the project's names (H_n for harmonic
numbers, tau for flow time), options passed explicitly, no global state."""
import sympy
from sympy.printing.latex import LatexPrinter


class MesaLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer; harmonic numbers print as H_{n} / H^{(k)}_{n}."""

    def _print_harmonic(self, expr, exp=None):
        n = self._print(expr.args[0])
        if len(expr.args) > 1 and expr.args[1] != 1:
            tex = r"H^{(%s)}_{%s}" % (self._print(expr.args[1]), n)
        else:
            tex = r"H_{%s}" % n
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


def latex(expr, **settings):
    """LaTeX of a SymPy expression (or anything sympify-able built by mesacheck itself)."""
    settings.setdefault("mul_symbol", None)
    return MesaLatexPrinter(settings).doprint(expr)


def text(expr):
    """Plain-text form that SymPy can parse back (``sympy.sympify``-able by the *user*)."""
    return sympy.sstr(expr)
