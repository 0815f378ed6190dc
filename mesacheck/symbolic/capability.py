"""Capability of the learned one-step-GD predictor (claims C3, C4, C5).

With A = diag(a_j), B = diag(b_j) and u_j = a_j b_j, coordinate j of the error at test position t
is (x the first token)

    yhat_{t,j} - x_{t+1,j} = x_{t+1,j} [ u_j|x_j|^2 - 1 + (b_j/(t-1)) sum_{k != j} a_k |x_k|^2 S_jk(t) ],
    S_jk(t) = sum_{m=1}^{t-1} (lambda_k/lambda_j)^m = mu (1 - mu^(t-1)) / (1 - mu),  mu = lambda_k/lambda_j.

For almost every W, mu != 1 and |S_jk(t)| <= 2/|1 - mu|, so the last term vanishes as t -> infinity
and ||yhat_t - x_{t+1}||^2 -> sum_j |x_j|^2 (u_j|x_j|^2 - 1)^2. That limit is >= 0, so it is 0 for
almost every x_1 iff its expectation

    E_inf(u) = sum_j (u_j^2 M6_j - 2 u_j M4_j + M2_j),  M_n_j = E|x_j|^n,

is 0 at the learned u: the necessary and sufficient condition for recovery (at finite T with the
learned u, and as T -> infinity with its limit). On A = aI, B = bI all u_j = u and this is
u^2 S6 - 2 u S4 + S2 with S_n = sum_j M_n_j.

Which u is learned depends on which reduced system is exact for the law and the flow
(:mod:`mesacheck.symbolic.reductions`): the scalar one (:mod:`reduced`) or the diagonal one
(:mod:`diagonal`); a law for which neither is exact is refused.

The ratio of the paper's figures, Re(yhat_{t,j} / x_{t+1,j}), is defined only where x_{t+1,j} != 0:
mesacheck averages it over the (sequence, coordinate) pairs with x_{t+1,j} != 0, so its population
value is sum_j E[1{x_j != 0} Re(yhat_{t,j}/x_{t+1,j})] / sum_j P(x_j != 0) = sum_j u_j M2_j / sum_j
P(x_j != 0) (the cross term has W-mean 0: :func:`ratio_counts`).
"""
import sympy

from mesacheck.symbolic.derivation import Derivation
from mesacheck.symbolic.expectation import I, T_VAR, prefix_ranges, x
from mesacheck.symbolic.reduced import derive_reduced, is_infinite_T, sign_for_valid_T_d, tidy
from mesacheck.symbolic.reductions import DIAGONAL, NONE, SCALAR, reduction_for, require
from mesacheck.symbolic.symbols import T as T_SYMBOL
from mesacheck.symbolic.symbols import d as D_SYMBOL
from mesacheck.symbolic.symbols import m as M_INDEX
from mesacheck.symbolic.symbols import mu as MU
from mesacheck.symbolic.symbols import t as T_PREFIX
from mesacheck.symbolic.symbols import u
from mesacheck.symbolic.torus import Aff, Term, count_term

ONE = Aff({}, 1)


def error_identity():
    """Check the closed form of S_jk(t) symbolically; returns (identity, ok)."""
    geometric = sympy.summation(MU**M_INDEX, (M_INDEX, 1, T_PREFIX - 1))
    closed = MU * (1 - MU ** (T_PREFIX - 1)) / (1 - MU)
    if isinstance(geometric, sympy.Piecewise):
        geometric = geometric.args[-1][0]  # the branch mu != 1
    ok = sympy.simplify(geometric - closed) == 0
    return sympy.Eq(sympy.Sum(MU**M_INDEX, (M_INDEX, 1, T_PREFIX - 1)), closed), ok


def coordinate_moments(dist, d):
    """{n: (M_n_1, ..., M_n_d)} for n = 2, 4, 6, M_n_j = E|x_j|^n exactly (concrete d)."""
    out = {}
    for k in (1, 2, 3):
        row = []
        for j in range(d):
            alpha = tuple(k if i == j else 0 for i in range(d))
            row.append(dist.moment(alpha, alpha))
        out[2 * k] = tuple(row)
    return out


def coordinate_sums(dist, d):
    """(S2, S4, S6): sum_j E|x_j|^k, exact (symbolic d for exchangeable laws)."""
    if isinstance(d, int):
        M = coordinate_moments(dist, d)
        return tuple(sympy.simplify(sum(M[n])) for n in (2, 4, 6))
    return tuple(sympy.simplify(d * dist.pattern_moment(((k, k),), d)) for k in (1, 2, 3))


def nonzero_total(dist, d):
    """sum_j P(x_j != 0): the number of coordinates the ratio averages over, per sequence."""
    if isinstance(d, int):
        return sympy.simplify(sum(dist.prob_nonzero(j, d) for j in range(d)))
    return sympy.simplify(d * dist.prob_nonzero(0, d))


def ratio_counts():
    """W-expectation of conj(x_{t+1,j}) x_{i+1,j} conj(x_{i,k}) x_{t,k} summed over i, for k = j
    and k != j, as polynomials in t: the in-context term averages to (t-1)|x_j|^4 and the
    cross terms to 0, so E_W[yhat_{t,j}/x_{t+1,j}] = u_j |x_j|^2."""
    i = Aff.var(I)
    out = {}
    for label, k in (("k = j", 0), ("k != j", 1)):
        term = Term([x(T_VAR + ONE, 0, True), x(i, 0), x(i - ONE, k, True), x(T_VAR, k)], prefix_ranges(I))
        out[label] = count_term(term).expr()
    return out


def excess(dist, d, u_values):
    """E_inf(u) = sum_j (u_j^2 M6_j - 2 u_j M4_j + M2_j); ``u_values`` a scalar or one per coordinate."""
    if not isinstance(d, int):
        S2, S4, S6 = coordinate_sums(dist, d)
        return u_values**2 * S6 - 2 * u_values * S4 + S2
    M = coordinate_moments(dist, d)
    us = u_values if isinstance(u_values, (tuple, list, sympy.Tuple)) else [u_values] * d
    return sum(us[j] ** 2 * M[6][j] - 2 * us[j] * M[4][j] + M[2][j] for j in range(d))


def asymptotic_excess(dist, d, uval):
    """E_inf(u) at u = uval (scalar u on A = aI, B = bI)."""
    return sympy.simplify(excess(dist, d, uval))


def ratio_value(dist, d, u_values):
    """sum_j u_j M2_j / sum_j P(x_j != 0): the population ratio (module docstring)."""
    if not isinstance(d, int):
        S2, _, _ = coordinate_sums(dist, d)
        return tidy(u_values * S2 / nonzero_total(dist, d))
    M = coordinate_moments(dist, d)
    us = u_values if isinstance(u_values, (tuple, list, sympy.Tuple)) else [u_values] * d
    return tidy(sum(us[j] * M[2][j] for j in range(d)) / nonzero_total(dist, d))


def test_error_scalar(dist, d):
    """E ||yhat_t - x_{t+1}||^2 at A = aI, B = bI as a function of u and the test position t,
    derived from the exact loss closed form: the loss at training length T is the sum over
    prefixes t = 2..T-1 of half this error, so error_t = 2 (g_{T=t+1}(u) - g_{T=t}(u))
    (valid for every t at which both closed forms are exact)."""
    from mesacheck.symbolic.reduced import structured_coefficients

    Q, R, C, _ = structured_coefficients(dist, d, T_SYMBOL)
    g = Q * u**2 / 2 - R * u + C

    def at(shift):  # g at T = t + shift, harmonic numbers rewritten in H_{t-2}
        e = g.subs(T_SYMBOL, T_PREFIX + shift)
        reps = {}
        for h in e.atoms(sympy.harmonic):
            n, order = h.args[0], (h.args[1] if len(h.args) > 1 else 1)
            k = sympy.simplify(n - (T_PREFIX - 2))
            if k.is_integer and k >= 0:
                reps[h] = sympy.harmonic(T_PREFIX - 2, order) + sum(
                    1 / (T_PREFIX - 2 + i) ** order for i in range(1, int(k) + 1))
        return e.xreplace(reps)
    return sympy.collect(sympy.simplify(sympy.expand(2 * (at(1) - at(0)))), u)


def _learned(dist, d, T, masked, system):
    """(u at this T, u as T -> oo, exact?) for the exact reduced system."""
    limit_T = is_infinite_T(T)
    if system == SCALAR:
        r = derive_reduced(dist, d, T_SYMBOL if limit_T else T, masked)
        u_T = r.get("ab_limit_T") if limit_T else r.get("ab_limit")
        u_inf = sympy.simplify(sympy.limit(r.get("ab_limit_T"), T_SYMBOL, sympy.oo)) if limit_T else \
            derive_reduced(dist, d, "oo", masked).get("ab_limit")
        return u_T, u_inf, True
    from mesacheck.symbolic.diagonal import derive_diagonal

    inf = derive_diagonal(dist, d, "oo", masked).get("u_limits")
    if limit_T:
        return None, inf, True
    fin = derive_diagonal(dist, d, T, masked)
    return fin.get("u_limits"), inf, fin.get("stationary_method").startswith("exact")


def derive_recovery(dist, d, T, masked=False):
    """Derivation of C3/C4: the limit of the test error, the condition for recovery, its verdict
    at the learned u (finite T and T -> infinity), and the ratio E[Re yhat/x].

    Uses the exact reduced system of the law (scalar or diagonal) for the (masked, if ``masked``)
    flow; refuses (ReductionError) when neither is exact.
    """
    limit_T = is_infinite_T(T)
    red = reduction_for(dist, d, None if limit_T else T, masked)
    if red.system == NONE:
        require(dist, d, None if limit_T else T, DIAGONAL, masked)  # raises, saying what to use
    flow = " of the masked flow" if masked else ""
    der = Derivation(f"Capability{flow}: recovery of x_(t+1) as the test position grows (claims C3-C5)",
                     {"dist": dist.spec, "d": d, "T": "oo" if limit_T else T, "flow": red.flow},
                     kind="recovery")
    der.add("reduction", "Exact reduced system (decided from the law's own population gradient)",
            red.describe())
    identity, ok = error_identity()
    der.add("geometric", "In-context cross term in closed form; bounded by 2/|1 - mu| for mu != 1",
            identity)
    der.add("geometric_checked", "The closed form equals the sum (SymPy summation)", ok)
    scalar = red.system == SCALAR
    E_inf = excess(dist, d, u) if scalar else None
    if scalar:
        der.add("excess", "Limit of E||yhat_t - x_(t+1)||^2 as t -> infinity, at u = ab", sympy.expand(E_inf),
                r"E_\infty(u)")
        der.add("condition", "Recovery for a.e. x_1 iff E_inf(u) = 0 at the learned u, i.e. "
                "|x_j|^2 in {0, 1/u} almost surely for every j", sympy.Eq(E_inf, 0))
        if not limit_T or isinstance(d, int):
            der.add("test_error_t", "E||yhat_t - x_(t+1)||^2 at test position t, as a function of u",
                    test_error_scalar(dist, d), r"e_t(u)")
    u_T, u_inf, exact = _learned(dist, d, T, masked, red.system)
    if u_T is not None:
        der.add("u_T", "Learned u at training length T" + ("" if scalar else " (one per coordinate)"),
                u_T, "u^*_T")
        ex_T = tidy(excess(dist, d, u_T))
        der.add("excess_T", "E_inf at the learned u (finite T)", ex_T)
        der.add("recovers_T", "Recovery at finite T", _verdict(ex_T, exact))
    der.add("u_inf", "Learned u as T -> infinity" + ("" if scalar else " (one per coordinate)"), u_inf,
            r"u^*_\infty")
    ex_inf = tidy(excess(dist, d, u_inf))
    der.add("excess_inf", "E_inf at the T -> infinity limit of u", ex_inf)
    der.add("recovers_inf", "Recovery as T -> infinity", _verdict(ex_inf, True))
    der.add("ratio_counts", "W-expectation of the in-context sums (k = j vs k != j)", ratio_counts())
    der.add("nonzero_total", "sum_j P(x_j != 0): coordinates the ratio averages over", nonzero_total(dist, d))
    if u_T is not None:
        der.add("ratio_T", "Ratio: mean of Re(yhat_t / x_(t+1)) over the coordinates with x_(t+1) != 0 "
                "= sum_j u_j E|x_j|^2 / sum_j P(x_j != 0)", ratio_value(dist, d, u_T), r"r_T")
    der.add("ratio_inf", "Its limit as T -> infinity", ratio_value(dist, d, u_inf), r"r_\infty")
    der.symbols.update({"u": u, "T": T_SYMBOL, "d": D_SYMBOL, "t": T_PREFIX})
    return der


def _verdict(value, exact):
    """'yes' / 'no' / 'undecided' for E_inf == 0 (E_inf >= 0 always; T >= 3, d >= 1).

    For a certified numeric u (30 digits, gradient below 1e-25) an E_inf above 1e-15 is 'no'
    (the error of u moves E_inf by far less).
    """
    if not exact:
        v = sympy.N(value, 40)
        return "no" if not v.free_symbols and v > sympy.Float("1e-15") else "undecided"
    sign = sign_for_valid_T_d(tidy(value))
    if sign is None and not value.free_symbols:
        # a closed number SymPy cannot sign (radicals of H_n): 60 digits decide a nonzero value
        v = sympy.N(value, 60)
        if abs(v) > sympy.Float("1e-40"):
            sign = 1 if v > 0 else -1
    return {0: "yes", 1: "no", -1: "no"}.get(sign, "undecided")
