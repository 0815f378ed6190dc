"""The flow on the structured set {A = aI, B = bI, all other blocks 0} (claim C2).

On that set the prediction is yhat_t = (ab/(t-1)) sum_i x_{i+1} x_i^H x_t, so the loss is a
function g(u) of u = ab alone:  g(u) = Q u^2 / 2 - R u + C  with Q, R, C exact expectations
(derived here by counting, symbolic in d and T where the law allows). The flow moves matrix
*entries*: every diagonal entry of A obeys dA_jj/dtau = -dL/dA_jj, and for an exchangeable law
these are all equal to -(1/d) dg(ab)/da. Hence

    da/dtau = -(b/d) g'(ab),   db/dtau = -(a/d) g'(ab),

which is not the gradient flow of (a, b) -> L(aI, bI) (that one lacks the 1/d).
"""
import sympy

from mesacheck.errors import InputError, MesacheckError
from mesacheck.symbolic.derivation import Derivation
from mesacheck.symbolic.expectation import I, I2, T_VAR, Expectation, prefix_ranges, real_part, x
from mesacheck.symbolic.torus import Aff

a, b = sympy.symbols("a b", real=True)
u = sympy.Symbol("u", real=True)
tau = sympy.Symbol("tau", real=True)
T_SYMBOL = sympy.Symbol("T", integer=True, positive=True)
D_SYMBOL = sympy.Symbol("d", integer=True, positive=True)

ONE = Aff({}, 1)


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
    Tp = sympy.Symbol("T_p", integer=True, nonnegative=True)
    dp = sympy.Symbol("d_p", integer=True, nonnegative=True)
    e = expr.subs({T_SYMBOL: Tp + 3, D_SYMBOL: dp + 1})
    # H_n >= 1 for n >= 1, which SymPy does not infer from n = T - 2 >= 1; hiding them first also
    # keeps simplify away from the huge rationals of H_998.
    e = e.xreplace({h: sympy.Dummy(positive=True) for h in e.atoms(sympy.harmonic)
                    if (h.args[0] - 1).is_nonnegative})
    e = sympy.simplify(e)
    for form in (e, sympy.expand(e), sympy.factor(e)):
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


Q_ABS, R_ABS = sympy.symbols("Q R", positive=True)


def ab_limit_from(Q, R):
    """The stationary value u* of g(u) = Q u^2/2 - R u + C, i.e. the root of g'(u) = Q u - R."""
    roots = sympy.solve(sympy.Eq(Q_ABS * u - R_ABS, 0), u)
    if len(roots) != 1 or Q == 0:
        raise MesacheckError("g'(u) = 0 has no unique root: the law gives Q = 0 (x_1 = 0 a.s.?)")
    return sympy.factor(roots[0].subs({Q_ABS: Q, R_ABS: R}))


def is_infinite_T(T):
    """Whether ``T`` asks for the limit T -> infinity ('oo', 'inf', sympy.oo)."""
    return T is sympy.oo or (isinstance(T, str) and T.strip().lower() in ("oo", "inf", "infinity"))


def reduced_field(Q, R, dim):
    """(da/dtau, db/dtau) of the entrywise flow on the set, for g(u) = Q u^2/2 - R u + C."""
    gprime = Q * a * b - R
    return -b * gprime / dim, -a * gprime / dim


def derive_reduced(dist, d, T):
    """Derivation of the reduced (a, b) flow: loss, ODE, conserved quantity, stationary points
    and their stability, the limit of ab, and the initialisations that do not reach it.

    The coefficients are derived once in symbolic T (closed forms with harmonic numbers) and,
    for a concrete T, evaluated there; ``T = 'oo'`` adds the limit T -> infinity. The stability
    analysis is done for abstract Q, R > 0 and the signs of the law's Q and R are then checked.
    """
    limit_T = is_infinite_T(T)
    Q, R, C, min_T = structured_coefficients(dist, d, T_SYMBOL)
    der = Derivation(
        "Reduced flow on the set A = aI, B = bI (claim C2)",
        {"dist": dist.spec, "d": d, "T": "oo" if limit_T else T},
    )
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
    der.add("Q", "Curvature Q = g''(u)", sympy.factor(Q), "Q")
    der.add("R", "Slope R = -g'(0)", sympy.factor(R), "R")
    signs = {"Q": sign_for_valid_T_d(Q), "R": sign_for_valid_T_d(R)}
    der.add("signs", "Signs of Q and R (for every valid T and d)", {k: v for k, v in signs.items()})
    adot, bdot = reduced_field(Q_ABS, R_ABS, dim)
    der.add("ode", "Entrywise gradient flow on the set, d/dtau, with g(u) = Q u^2/2 - R u + C",
            {sympy.Symbol(r"\dot{a}"): adot, sympy.Symbol(r"\dot{b}"): bdot})
    f = (Q_ABS * u**2 / 2 - R_ABS * u).subs(u, a * b)
    # f depends on (a, b) only through ab, hence a f_a = b f_b and a^2 - b^2 is conserved.
    balance = sympy.simplify(a * sympy.diff(f, a) - b * sympy.diff(f, b))
    drift = sympy.simplify(2 * a * adot - 2 * b * bdot)
    der.add("conserved", f"Conserved quantity (a f_a - b f_b = {balance}; its d/dtau = {drift})",
            a**2 - b**2, r"\kappa")
    der.add("udot", "Evolution of u = ab", sympy.factor(adot * b + a * bdot), r"\dot{u}")
    ustar = ab_limit_from(Q, R)
    der.add("ab_limit_T", "Limit of ab (stationary value u* = R/Q)", ustar, "u^*")
    if limit_T:
        lim = sympy.simplify(sympy.limit(ustar, T_SYMBOL, sympy.oo))
        der.add("ab_limit", "Limit of ab as T -> infinity", lim, r"\lim_{T\to\infty} u^*")
    else:
        der.add("ab_limit", "Limit of ab", ustar, "u^*")
    stationary, line = _stationary(dim)
    der.add("stationary", "Stationary points and linear stability (Q, R > 0)", stationary)
    der.add("non_converging", "Initialisations that do not converge to ab = u*", line)
    if signs["Q"] != 1 or signs["R"] != 1:
        der.notes.append("Q > 0 and R > 0 could not be established for this law: the stability "
                         "statements assume them.")
    return der


def _stationary(dim):
    """Stationary points with Jacobian eigenvalues; the stable manifold of the saddle.

    Returns (table, description of the non-converging set), both derived for abstract Q, R > 0:
    the stable direction is the eigenvector of the negative eigenvalue at the origin, and the
    line it spans is checked to be invariant (the flow there is parallel to it).
    """
    field = sympy.Matrix(reduced_field(Q_ABS, R_ABS, dim))
    J = field.jacobian([a, b])
    table = {}
    stable_dirs = []
    for val, _mult, vecs in J.subs({a: 0, b: 0}).eigenvects():
        sign = sympy.sign(val)
        kind = {1: "unstable", -1: "stable"}.get(sign, "neutral")
        for v in vecs:
            table[f"origin (0, 0): eigenvalue {val}"] = f"{kind} direction {tuple(v)}"
            if sign == -1:
                stable_dirs.append(v)
    a_nz = sympy.Symbol("a", real=True, nonzero=True)
    on_curve = J.subs(b, (R_ABS / Q_ABS) / a).subs(a, a_nz)
    for val in on_curve.eigenvals():
        val = sympy.factor(val)
        table[f"curve ab = R/Q: eigenvalue {val}"] = (
            "along the curve of equilibria" if val == 0 else
            {1: "repelling (transverse)", -1: "attracting (transverse)"}.get(sympy.sign(val), "undetermined")
        )
    s_ = sympy.Symbol("s", real=True)
    lines = []
    for v in stable_dirs:
        flow = field.subs({a: s_ * v[0], b: s_ * v[1]})
        parallel = sympy.simplify(flow[0] * v[1] - flow[1] * v[0]) == 0
        a0, b0 = sympy.symbols("a_0 b_0", real=True)
        line = sympy.Eq(sympy.expand(-(v[1] * a0 - v[0] * b0) * sympy.sign(v[0])), 0)
        lines.append(f"{line.lhs} = 0 (the line is invariant: {parallel}): the stable manifold of the "
                     "saddle at the origin, where ab -> 0 instead of u*")
    lines.append("every other (a0, b0): ab -> u*, since du/dtau = -(a^2 + b^2) g'(u) / d has the "
                 "sign of u* - u and a^2 + b^2 > 0 off the origin")
    return table, lines
