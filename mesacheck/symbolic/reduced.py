"""The flow on the scalar set {A = aI, B = bI, all other blocks 0} (claim C2).

On that set the prediction is yhat_t = (ab/(t-1)) sum_i x_{i+1} x_i^H x_t, so the loss is a
function g(u) of u = ab alone:  g(u) = Q u^2 / 2 - R u + C  with Q, R, C exact expectations
(derived here by counting, symbolic in d and T where the law allows). The flow moves matrix
*entries*: every diagonal entry of A obeys dA_jj/dtau = -dL/dA_jj, and for an exchangeable law
these are all equal to -(1/d) dg(ab)/da. Hence

    da/dtau = -(b/d) g'(ab),   db/dtau = -(a/d) g'(ab),

which is not the gradient flow of (a, b) -> L(aI, bI) (that one lacks the 1/d).

This reduction is exact only when the set is invariant under the flow; :func:`derive_reduced`
checks that first (:mod:`mesacheck.symbolic.reductions`) and refuses otherwise.
"""
import sympy

from mesacheck.errors import InputError, MesacheckError
from mesacheck.symbolic.cache import memoize
from mesacheck.symbolic.derivation import Derivation
from mesacheck.symbolic.expectation import I, I2, T_VAR, Expectation, prefix_ranges, real_part, x
from mesacheck.symbolic.symbols import Q as Q_ABS
from mesacheck.symbolic.symbols import R as R_ABS
from mesacheck.symbolic.symbols import T as T_SYMBOL
from mesacheck.symbolic.symbols import a, a0, adot, b, b0, bdot, tau, u  # noqa: F401 (re-exported)
from mesacheck.symbolic.symbols import d as D_SYMBOL
from mesacheck.symbolic.symbols import s as S_LINE
from mesacheck.symbolic.torus import Aff

ONE = Aff({}, 1)



#: integers above this size make SymPy's polynomial factorisation (Wang's algorithm, prime
#: searches near the coefficient bound) take minutes: such expressions only get their content
#: pulled out (a law's scale of 1e300 gives 600-digit moments)
_FACTOR_MAX_DIGITS = 40


def _factor(e):
    """``sympy.factor`` for display, or ``sympy.factor_terms`` when a coefficient is huge."""
    e = sympy.sympify(e, strict=True)  # engine expressions and numbers only
    big = any(max(abs(r.p), abs(r.q)) >= 10**_FACTOR_MAX_DIGITS for r in e.atoms(sympy.Rational))
    return sympy.factor_terms(e) if big else sympy.factor(e)


def _quad_build(s):
    """Factors of conj(yhat-part at i2) * (yhat-part at i) for coordinates r (output), k, k'."""
    i, i2 = Aff.var(I), Aff.var(I2)
    return [
        x(i, s["r"]), x(i - ONE, s["k"], True), x(T_VAR, s["k"]),
        x(i2, s["r"], True), x(i2 - ONE, s["kp"]), x(T_VAR, s["kp"], True),
    ]


def _lin_build(s):
    """Factors of conj(x_{t+1,r}) x_{i,r} conj(x_{i-1,k}) x_{t,k}."""
    i = Aff.var(I)
    return [x(T_VAR + ONE, s["r"], True), x(i, s["r"]), x(i - ONE, s["k"], True), x(T_VAR, s["k"])]


def _const_build(s):
    return [x(T_VAR + ONE, s["r"]), x(T_VAR + ONE, s["r"], True)]


def sign_for_valid_T_d(expr):
    """Sign (+1, -1, 0) of ``expr`` for every integer T >= 3 and d >= 1, or None if undecided."""
    Tp = sympy.Dummy("T_p", integer=True, nonnegative=True)
    dp = sympy.Dummy("d_p", integer=True, nonnegative=True)
    e = expr.subs({T_SYMBOL: Tp + 3, D_SYMBOL: dp + 1})
    # H_n >= 1 for n >= 1, which SymPy does not infer from n = T - 2 >= 1; hiding them first also
    # keeps simplify away from the huge rationals of H_998.
    e = e.xreplace({h: sympy.Dummy(positive=True) for h in e.atoms(sympy.harmonic)
                    if (h.args[0] - 1).is_nonnegative})
    e = sympy.simplify(e)
    for form in (e, sympy.expand(e), _factor(e)):
        if form.is_zero:
            return 0
        if form.is_positive:
            return 1
        if form.is_negative:
            return -1
    return None


def at_T(expr, T):
    """``expr`` at a concrete T, harmonic numbers kept as H_n (exact, and readable for T = 1000)."""
    held = {h: sympy.harmonic(h.args[0].subs(T_SYMBOL, T), *h.args[1:], evaluate=False)
            for h in expr.atoms(sympy.harmonic)}
    return sympy.expand(expr.xreplace(held).subs(T_SYMBOL, T))


def tidy(expr):
    """simplify() that keeps harmonic numbers H_n as symbols (so H_998 is not expanded)."""
    hs = sorted(expr.atoms(sympy.harmonic), key=sympy.default_sort_key)
    holders = [sympy.Dummy(positive=True) for _ in hs]
    out = sympy.simplify(expr.xreplace(dict(zip(hs, holders))))
    return out.xreplace(dict(zip(holders, hs)))


def _coefficients_key(dist, d, T):
    return (dist.spec, str(d), str(T))


@memoize(_coefficients_key)
def structured_coefficients(dist, d, T):
    """(Q, R, C, min_T): the loss on the structured set is Q (ab)^2 / 2 - R ab + C exactly.

    d: int or SymPy symbol (symbolic d needs an exchangeable law); T: int or SymPy symbol.
    """
    if not isinstance(d, int) and not dist.is_exchangeable:
        raise InputError(f"'{dist.spec}' is not exchangeable: give a concrete d")
    E = Expectation(dist, d, T)
    Q = E.index_sum(["r", "k", "kp"], _quad_build, prefix_ranges(I, I2), 2)
    R = E.index_sum(["r", "k"], _lin_build, prefix_ranges(I), 1)
    C = E.index_sum(["r"], _const_build, prefix_ranges(), 0) / 2
    return real_part(Q), real_part(R), real_part(C), E.min_T


def ab_limit_from(Q, R):
    """The stationary value u* of g(u) = Q u^2/2 - R u + C, i.e. the root of g'(u) = Q u - R."""
    if Q == 0:
        raise MesacheckError("the loss on the set does not depend on ab (Q = 0: is x_1 = 0 almost "
                             "surely?), so there is no limit of ab to derive")
    roots = sympy.solve(sympy.Eq(Q_ABS * u - R_ABS, 0), u)
    return _factor(roots[0].xreplace({Q_ABS: Q, R_ABS: R}))


def is_infinite_T(T):
    """Whether ``T`` asks for the limit T -> infinity ('oo', 'inf', sympy.oo)."""
    return T is sympy.oo or (isinstance(T, str) and T.strip().lower() in ("oo", "inf", "infinity"))


def reduced_field(Q, R, dim):
    """(da/dtau, db/dtau) of the entrywise flow on the set, for g(u) = Q u^2/2 - R u + C."""
    gprime = Q * a * b - R
    return -b * gprime / dim, -a * gprime / dim




def _title(masked):
    flow = "masked flow (off-diagonal entries of A and B held at 0)" if masked else "flow"
    return f"Reduced {flow} on the set A = aI, B = bI (claim C2)"


def derive_reduced(dist, d, T, masked=False):
    """Derivation of the reduced (a, b) flow: loss, ODE, conserved quantity, stationary points
    and their stability, the limit of ab, and the initialisations that do not reach it.

    Refuses (ReductionError) when the set A = aI, B = bI is not invariant under the (masked, if
    ``masked``) population flow of this law: its reduced system would then answer a question the
    flow does not ask (:func:`mesacheck.symbolic.reductions.require`).

    The coefficients are derived once in symbolic T (closed forms with harmonic numbers) and,
    for a concrete T, evaluated there; ``T = 'oo'`` adds the limit T -> infinity. The stability
    analysis is done for abstract Q, R > 0, and the signs of the law's Q and R are checked.
    """
    from mesacheck.symbolic.reductions import SCALAR, require

    limit_T = is_infinite_T(T)
    symbolic_T = limit_T or T is T_SYMBOL
    red = require(dist, d, None if symbolic_T else T, SCALAR, masked)
    Q, R, C, min_T = structured_coefficients(dist, d, T_SYMBOL)
    der = Derivation(_title(masked), kind="reduced", inputs={"dist": dist.spec, "d": d, "T": "oo" if limit_T else T,
                                      "flow": red.flow})
    der.add("reduction", "Exact reduced system (decided from the law's own population gradient)",
            red.describe())
    concrete = isinstance(T, int)
    if concrete and T < min_T:
        Q, R, C, _ = structured_coefficients(dist, d, T)
    elif concrete:
        Q, R, C = (at_T(e, T) for e in (Q, R, C))
    else:
        der.notes.append(f"Closed forms in T hold for every integer T >= {max(min_T, 3)}.")
    dim = D_SYMBOL if not isinstance(d, int) else sympy.Integer(d)
    g = Q * u**2 / 2 - R * u + C
    der.add("loss_u", "Population loss on the set, as a function of u = ab", g, "g(u)")
    der.add("Q", "Curvature Q = g''(u)", _factor(Q), "Q")
    der.add("R", "Slope R = -g'(0)", _factor(R), "R")
    der.add("C", "Constant C = g(0)", _factor(C), "C")
    signs = {"Q": sign_for_valid_T_d(Q), "R": sign_for_valid_T_d(R)}
    der.add("Q_positive", "Q > 0 for every valid T and d", signs["Q"] == 1)
    der.add("R_positive", "R > 0 for every valid T and d", signs["R"] == 1)
    a_rate, b_rate = reduced_field(Q_ABS, R_ABS, dim)
    der.add("ode_general", "Entrywise gradient flow on the set (each of the d diagonal entries of A "
            "moves by -dL/dA_jj = -(1/d) dg/da), with g(u) = Q u^2/2 - R u + C", {adot: a_rate, bdot: b_rate})
    der.add("ode", "The same flow with this law's Q and R", {
        k: _factor(v.xreplace({Q_ABS: Q, R_ABS: R})) for k, v in ((adot, a_rate), (bdot, b_rate))})
    f = (Q_ABS * u**2 / 2 - R_ABS * u).subs(u, a * b)
    # f depends on (a, b) only through ab, hence a f_a = b f_b and a^2 - b^2 is conserved.
    drift = sympy.simplify(2 * a * a_rate - 2 * b * b_rate)
    der.add("conserved", "Conserved quantity kappa = a^2 - b^2 (its derivative along the flow is "
            "2a da/dtau - 2b db/dtau = 0 since a dg/da = b dg/db)", a**2 - b**2, r"\kappa")
    der.add("conserved_drift", "d kappa / d tau along the flow", drift)
    der.add("udot", "Evolution of u = ab", _factor(a_rate * b + a * b_rate), r"\dot{u}")
    ustar = ab_limit_from(Q, R)
    der.add("ab_limit_T", "Limit of ab: the stationary value u* = R/Q", ustar, "u^*")
    if limit_T:
        lim = sympy.simplify(sympy.limit(ustar, T_SYMBOL, sympy.oo))
        der.add("ab_limit", "Limit of ab as T -> infinity", lim, r"\lim_{T\to\infty} u^*")
    else:
        der.add("ab_limit", "Limit of ab at this T", ustar, "u^*")
    der.add("loss_at_limit", "Population loss at the limit, g(u*) = C - R^2/(2Q)", tidy(g.subs(u, ustar)),
            "g(u^*)")
    _stationary(der, dim)
    if signs["Q"] != 1 or signs["R"] != 1:
        der.notes.append("Q > 0 and R > 0 could not be established for this law: the stability "
                         "statements assume them.")
    der.symbols.update({"a": a, "b": b, "u": u, "tau": tau, "T": T_SYMBOL, "d": D_SYMBOL,
                        "a_0": a0, "b_0": b0})
    return der


def _stationary(der, dim):
    """Add the stationary points with their Jacobian eigenvalues, and the stable manifold of the
    saddle (the initialisations that do not reach u*), all derived for abstract Q, R > 0.

    The stable direction is the eigenvector of the negative eigenvalue at the origin; the line it
    spans is checked to be invariant (the field is parallel to it there).
    """
    field = sympy.Matrix(reduced_field(Q_ABS, R_ABS, dim))
    J = field.jacobian([a, b])
    origin = J.subs({a: 0, b: 0})
    eig_origin = []
    stable_dirs = []
    for val, _mult, vecs in origin.eigenvects():
        eig_origin.extend([_factor(val)] * _mult)
        if sympy.sign(val) == -1:
            stable_dirs.extend(vecs)
    der.add("eig_origin", "Eigenvalues of the Jacobian at the origin (a, b) = (0, 0): one positive, "
            "one negative, so the origin is a saddle", sympy.Tuple(*eig_origin))
    a_nz = sympy.Dummy("a", real=True, nonzero=True)
    on_curve = J.subs(b, (R_ABS / Q_ABS) / a).subs(a, a_nz)
    eig_curve = [_factor(v.subs(a_nz, a)) for v in on_curve.eigenvals(multiple=True)]
    der.add("eig_curve", "Eigenvalues at a point of the curve of equilibria ab = u*: zero along the "
            "curve, negative across it (every equilibrium on the curve attracts transversally)",
            sympy.Tuple(*eig_curve))
    for v in stable_dirs[:1]:
        flow = field.subs({a: S_LINE * v[0], b: S_LINE * v[1]})
        parallel = sympy.simplify(flow[0] * v[1] - flow[1] * v[0]) == 0
        line = sympy.Eq(sympy.expand((v[1] * a0 - v[0] * b0) * sympy.sign(v[1])), 0)
        der.add("stable_manifold", "Initialisations that do not converge to u*: the stable manifold "
                "of the saddle (the line spanned by the stable eigenvector), on which ab -> 0",
                line)
        der.add("stable_manifold_invariant", "The flow is parallel to that line on it (the line is "
                "invariant)", parallel)
    der.add("converging", "Every other initialisation converges to ab = u*: du/dtau = -(a^2 + b^2) "
            "g'(u)/d has the sign of u* - u, and a^2 + b^2 > 0 off the origin", True)
