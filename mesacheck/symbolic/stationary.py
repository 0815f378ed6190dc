"""Stationary points of a reduced loss L(x, y): exact elimination, certified numbers.

On a reduced system the coordinates split into W^KQ ones (x) and W^PV ones (y); L has a part of
degree (2, 2) in (x, y) and one of degree (1, 1), plus a constant. So for fixed y, grad_x L = 0
is *linear* in x, and L is invariant under the rescaling (x, y) -> (x / c, c y). Fixing the gauge
y = (1, s) (two W^PV coordinates) and eliminating x = M(s)^{-1} b(s) leaves one equation
dL/dy_2 = 0, whose numerator is a univariate polynomial p(s): the stationary points are exactly
its real roots (sympy ``real_roots``: exact algebraic numbers, CRootOf). The remaining scale c is
fixed by the conserved quantity kappa = sum_x m x^2 - sum_y m y^2 of the entrywise flow.

Numbers leave the exact world only as mpmath values with ``DIGITS`` digits; a reported point
carries a *certificate*: the exact entrywise gradient (1/m_k) dL/dtheta_k evaluated with mpmath
at the rounded point, which must be below ``CERT_TOL``.
"""
import mpmath
import sympy
from sympy.polys.domains import QQ
from sympy.polys.rings import ring

from mesacheck.errors import MesacheckError

#: digits of the reported points; working precision of mpmath evaluations.
DIGITS, WORK_DPS = 30, 60
#: bound on the entrywise gradient at a reported (rounded) stationary point.
CERT_TOL = mpmath.mpf("1e-25")


def hide_harmonics(expr):
    """(expr with harmonic numbers replaced by real Dummies, back-substitution dict)."""
    hs = sorted(expr.atoms(sympy.harmonic), key=sympy.default_sort_key)
    holders = [sympy.Dummy(f"H{k}", positive=True) for k in range(len(hs))]
    return expr.xreplace(dict(zip(hs, holders))), dict(zip(holders, hs))


def eliminate(L, xs, ys):
    """Eliminate the W^KQ coordinates ``xs`` in the gauge y = (1, s) (``len(ys) == 2``).

    Returns an :class:`Elimination`: ``p`` a SymPy Poly in the Dummy ``s`` whose real roots are the
    stationary points with y_1 != 0, and ``x_of_s`` the eliminated coordinates as (uncancelled)
    quotients of polynomials in s (harmonic numbers of a symbolic T restored in both). The algebra
    runs in a sparse polynomial ring over QQ in every remaining symbol (d, T, H_{T-2}, ... as
    generators).
    """
    if len(ys) != 2:
        raise MesacheckError("univariate elimination needs exactly two W^PV coordinates")
    s = sympy.Dummy("s", real=True)
    Lh, back = hide_harmonics(sympy.expand(L))
    params = sorted(Lh.free_symbols - set(xs) - set(ys), key=sympy.default_sort_key)
    R, *g = ring([*xs, *ys, s, *params], QQ)
    n = len(xs)
    X, (Y1, Y2), S = g[:n], g[n:n + 2], g[n + 2]
    Lr = R(Lh)
    gauge = lambda f: f.compose([(Y1, R.one), (Y2, S)])  # noqa: E731
    grads = [gauge(Lr.diff(v)) for v in X]
    M = [[gr.diff(v) for v in X] for gr in grads]
    b = [-gr.compose([(v, R.zero) for v in X]) for gr in grads]
    if n == 1:
        D, N = M[0][0], [b[0]]
    elif n == 2:
        D = M[0][0] * M[1][1] - M[0][1] * M[1][0]
        N = [M[1][1] * b[0] - M[0][1] * b[1], M[0][0] * b[1] - M[1][0] * b[0]]
    else:
        raise MesacheckError("univariate elimination is implemented for one or two W^KQ coordinates")
    gy = gauge(Lr.diff(Y2))
    # gy has degree <= 2 in x: D^2 gy(N/D) is a polynomial.
    num = R.zero
    for monom, coeff in gy.terms():
        deg = sum(monom[:n])
        term = R({(0,) * n + tuple(monom[n:]): coeff}) * D ** (2 - deg)
        for v, e in zip(N, monom[:n]):
            term = term * v**e
        num += term
    # Divide out the content: the gcd of the coefficients of s^k (polynomials in the parameters).
    coeffs = {}
    k = n + 2
    for monom, c in num.terms():
        key = monom[k]
        rest = monom[:k] + (0,) + monom[k + 1:]
        coeffs[key] = coeffs.get(key, R.zero) + R({rest: c})
    cont = R.zero
    for c in coeffs.values():
        cont = c if cont == R.zero else cont.gcd(c)
    num = num.exquo(cont) if cont != R.zero else num
    num = num.quo_ground(num.content())
    return Elimination(R, S, num, D, N, back, params, s)


class Elimination:
    """Result of :func:`eliminate`: ``p`` (SymPy Poly in ``s``), ``x_of_s`` (N_i / D), and the
    ring objects for fast exact or mpmath evaluation at given parameter values."""

    def __init__(self, R, S, num, D, N, back, params, s):
        self.R, self.S, self.num, self.D, self.N, self.back, self.params, self.s = R, S, num, D, N, back, params, s

    @property
    def p(self):
        if not hasattr(self, "_p"):
            self._p = sympy.Poly(self.num.as_expr().xreplace(self.back), self.s)
        return self._p

    def coefficients(self):
        """{k: coefficient of s^k as a ring polynomial (s set to 1)}."""
        k = self.R.gens.index(self.S)
        out = {}
        for monom, c in self.num.terms():
            rest = monom[:k] + (0,) + monom[k + 1:]
            out[monom[k]] = out.get(monom[k], self.R.zero) + self.R({rest: c})
        return out

    @property
    def x_of_s(self):
        Dx = self.D.as_expr().xreplace(self.back)
        return [v.as_expr().xreplace(self.back) / Dx for v in self.N]

    def _point(self, values):
        """mpf values of the ring generators from {param symbol or harmonic-holder: value}."""
        gens = self.R.symbols
        return {g: mpmath.mpf(values[sym]) for g, sym in zip(self.R.gens, gens) if sym in values}

    def numeric(self, values):
        """(coefficients of p, highest power first, as mpf; x(s) as a function) at the parameter
        ``values`` (symbol -> number; harmonic numbers given for their holders in ``back``)."""
        from mesacheck.symbolic.reduced_system import mp_eval

        pt = self._point(values)
        by_power = self.coefficients()
        deg = max(by_power)
        coeffs = [mp_eval(by_power.get(j, self.R.zero), self.R.gens, pt) for j in range(deg, -1, -1)]

        def x(sv):
            q = dict(pt)
            q[self.S] = mpmath.mpf(sv)
            den = mp_eval(self.D, self.R.gens, q)
            return [mp_eval(v, self.R.gens, q) / den for v in self.N]
        return coeffs, x


def real_roots(p):
    """Exact real roots of a Poly with rational coefficients (CRootOf or rationals)."""
    return sympy.Poly(p.as_expr(), p.gens[0], domain="QQ").real_roots()


def scale_for_kappa(xv, yv, mx, my, kappa0):
    """c > 0 with sum mx (x/c)^2 - sum my (c y)^2 = kappa0 (mpmath): c^2 solves a quadratic."""
    X = sum(m * v**2 for m, v in zip(mx, xv))
    Y = sum(m * v**2 for m, v in zip(my, yv))
    c2 = (-kappa0 + mpmath.sqrt(kappa0**2 + 4 * X * Y)) / (2 * Y)
    return mpmath.sqrt(c2)


def mp_value(expr, subs):
    """A SymPy expression evaluated with mpmath at ``subs`` (symbol -> mpf), WORK_DPS digits."""
    with mpmath.workdps(WORK_DPS):
        v = sympy.N(expr.xreplace({k: sympy.Float(v, WORK_DPS) for k, v in subs.items()}), WORK_DPS)
        return mpmath.mpf(sympy.re(v)) if v.is_real is not False else mpmath.mpc(complex(v))


def certificate(system, point):
    """max_k |(1/m_k) dL/dtheta_k| at ``point`` (symbol -> mpf) rounded to DIGITS digits, with the
    exact polynomial gradient of the concrete ``system`` evaluated in mpmath (WORK_DPS digits).
    Returns (bound, rounded point)."""
    with mpmath.workdps(WORK_DPS):
        rounded = {k: mpmath.mpf(mpmath.nstr(v, DIGITS)) for k, v in point.items()}
        grads = system.mp_gradient(rounded)
        worst = max(abs(g) / mpmath.mpf(str(sympy.N(m, WORK_DPS))) for g, m in zip(grads, system.mults))
    return worst, rounded


def newton(system, start, kappa0, iterations=80):
    """Gauss-Newton in mpmath (WORK_DPS digits) for {(1/m_k) dL/dtheta_k = 0 for all k,
    kappa(theta) = kappa0} on a concrete ReducedSystem, from ``start`` (symbol -> number). The
    system is consistent and the kappa equation removes the rescaling direction, so the normal
    equations are regular at a nondegenerate orbit. Returns the point (symbol -> mpf)."""
    from mesacheck.symbolic.reduced_system import mp_eval

    R, gens = system.R, system.gens
    grads = system.grad_polys()
    sign = [1 if t.mat == "K" else -1 for t in system.types]
    with mpmath.workdps(WORK_DPS):
        mults = [mpmath.mpf(str(sympy.N(m, WORK_DPS))) for m in system.mults]
        eqs = list(grads)
        jac = [[g.diff(v) for v in gens] for g in grads]
        x = [mpmath.mpf(start.get(s, 0)) for s in system.symbols]
        n = len(x)
        for _ in range(iterations):
            pt = dict(zip(gens, x))
            F = [mp_eval(e, R.gens, pt) / m for e, m in zip(eqs, mults)]
            F.append(sum(sg * m * v**2 for sg, m, v in zip(sign, mults, x)) - kappa0)
            J = [[mp_eval(jac[i][j], R.gens, pt) / mults[i] for j in range(n)] for i in range(n)]
            J.append([2 * sg * m * v for sg, m, v in zip(sign, mults, x)])
            Jm, Fm = mpmath.matrix(J), mpmath.matrix(F)
            step = mpmath.lu_solve(Jm.T * Jm, Jm.T * Fm)
            x = [v - step[k] for k, v in enumerate(x)]
            if mpmath.norm(step) < mpmath.mpf(10) ** (-WORK_DPS + 15):
                break
        return dict(zip(system.symbols, x))
