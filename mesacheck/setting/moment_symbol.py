"""A SymPy symbol standing for an unnamed mixed moment E[prod_j x_j^alpha_j conj(x_j)^beta_j].

Used when the user names no law (the ``generic`` and ``iid`` distributions): derivations then
come out in terms of these symbols, and print as E[...] in plain text and LaTeX.
"""
import sympy


def _factor_text(j, a, b, latex):
    """One coordinate's factor x_j^a conj(x_j)^b, written with |x_j|^2k where a and b pair up."""
    k = min(a, b)
    parts = []
    x = f"x_{{{j + 1}}}" if latex else f"x{j + 1}"
    xbar = f"\\bar{{x}}_{{{j + 1}}}" if latex else f"conj(x{j + 1})"
    absx = f"|x_{{{j + 1}}}|" if latex else f"|x{j + 1}|"
    if k:
        parts.append(absx + (f"^{{{2 * k}}}" if latex else f"^{2 * k}"))
    rest_a, rest_b = a - k, b - k
    if rest_a:
        parts.append(x + ((f"^{{{rest_a}}}" if latex else f"^{rest_a}") if rest_a > 1 else ""))
    if rest_b:
        parts.append(xbar + ((f"^{{{rest_b}}}" if latex else f"^{rest_b}") if rest_b > 1 else ""))
    return parts


class MomentSymbol(sympy.Symbol):
    """Symbol for E[prod_j x_j^alpha_j conj(x_j)^beta_j]; ``alpha``/``beta`` are tuples of ints.

    Two MomentSymbols with the same (alpha, beta), up to trailing zero exponents, are the same
    SymPy symbol.
    """

    def __new__(cls, alpha, beta, real=None):
        alpha = tuple(int(a) for a in alpha)
        beta = tuple(int(b) for b in beta)
        if len(alpha) != len(beta) or any(a < 0 for a in alpha + beta):
            raise ValueError("alpha and beta must be equal-length tuples of non-negative ints")
        # Trailing coordinates with exponent 0 do not change the quantity: trim them so the
        # symbol (which SymPy caches by name) is the same for every dimension d.
        while alpha and alpha[-1] == 0 and beta[-1] == 0:
            alpha, beta = alpha[:-1], beta[:-1]
        name = "E[" + " ".join(
            p for j in range(len(alpha)) for p in _factor_text(j, alpha[j], beta[j], latex=False)
        ) + "]"
        if real is None:
            # E[prod |x_j|^(2 alpha_j)] is real and non-negative; other mixed moments are complex.
            real = alpha == beta
        assumptions = {"nonnegative": True} if alpha == beta else {"real": True} if real else {}
        obj = super().__new__(cls, name, **assumptions)
        obj.alpha, obj.beta = alpha, beta
        return obj

    def __getnewargs_ex__(self):
        return ((self.alpha, self.beta), {"real": bool(self.is_real) or None})

    def _latex(self, printer):
        body = " ".join(
            p
            for j in range(len(self.alpha))
            for p in _factor_text(j, self.alpha[j], self.beta[j], latex=True)
        )
        return r"\operatorname{E}\left[" + body + r"\right]"


_IID_MOMENTS = {}


def iid_moment(n):
    """m_n = E[x^n] of the symbolic i.i.d. law: a Dummy (even n positive, odd n real), one per n.

    A Dummy, so that no user parameter named ``m_4`` could ever stand for it.
    """
    n = int(n)
    if n not in _IID_MOMENTS:
        _IID_MOMENTS[n] = sympy.Dummy(f"m_{n}", positive=True) if n % 2 == 0 else sympy.Dummy(f"m_{n}", real=True)
    return _IID_MOMENTS[n]


def iid_moment_order(symbol):
    """n when ``symbol`` is the m_n of :func:`iid_moment`, else None."""
    for n, sym in _IID_MOMENTS.items():
        if sym == symbol:
            return n
    return None


#: P(x_j != 0) of a law known only through symbolic moments (iid, generic): a positive Dummy.
P_NONZERO = sympy.Dummy("p_nz", positive=True)
