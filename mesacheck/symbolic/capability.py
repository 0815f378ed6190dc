"""Capability of the learned one-step-GD predictor (claims C3, C4, C5).

With A = aI, B = bI and u = ab, coordinate j of the error at test position t is

    yhat_{t,j} - x_{t+1,j} = x_{t+1,j} [ u|x_j|^2 - 1 + (u/(t-1)) sum_{k != j} |x_k|^2 S_jk(t) ],
    S_jk(t) = sum_{m=1}^{t-1} (lambda_k/lambda_j)^m = mu (1 - mu^(t-1)) / (1 - mu),  mu = lambda_k/lambda_j,

(x the first token). For almost every W, mu != 1 and |S_jk(t)| <= 2/|1 - mu|, so the last
term vanishes as t -> infinity and ||yhat_t - x_{t+1}||^2 -> sum_j |x_j|^2 (u|x_j|^2 - 1)^2.
That limit is >= 0, so it is 0 for almost every x_1 iff its expectation

    E_inf(u) = u^2 S6 - 2 u S4 + S2,  S_k = sum_j E|x_j|^k,

is 0 at the learned u: the necessary and sufficient condition for recovery (at finite T with
u = u*_T, and as T -> infinity with u = lim u*_T).
"""
import sympy

from mesacheck.symbolic.derivation import Derivation
from mesacheck.symbolic.expectation import I, T_VAR, Expectation, prefix_ranges, x
from mesacheck.symbolic.reduced import (
    D_SYMBOL,
    T_SYMBOL,
    derive_reduced,
    is_infinite_T,
    sign_for_valid_T_d,
    tidy,
    u,
)
from mesacheck.symbolic.torus import Aff, Term, count_term

ONE = Aff({}, 1)


def error_identity():
    """Check the closed form of S_jk(t) and its bound symbolically; returns (identity, ok)."""
    mu, t, m = sympy.symbols("mu t m")
    geometric = sympy.summation(mu**m, (m, 1, t - 1))
    closed = mu * (1 - mu ** (t - 1)) / (1 - mu)
    ok = sympy.simplify(sympy.piecewise_fold(geometric).args[-1][0] - closed) == 0 if isinstance(
        geometric, sympy.Piecewise) else sympy.simplify(geometric - closed) == 0
    return sympy.Eq(sympy.Sum(mu**m, (m, 1, t - 1)), closed), ok


def coordinate_sums(dist, d):
    """(S2, S4, S6): sum_j E|x_j|^k, exact (symbolic d for exchangeable laws)."""
    out = []
    for k in (1, 2, 3):
        if isinstance(d, int):
            total = sympy.Integer(0)
            for j in range(d):
                alpha = tuple(k if i == j else 0 for i in range(d))
                total += dist.moment(alpha, alpha)
        else:
            total = d * dist.pattern_moment(((k, k),), d)
        out.append(sympy.simplify(total))
    return tuple(out)


def ratio_counts():
    """W-expectation of conj(x_{t+1,j}) x_{i+1,j} conj(x_{i,k}) x_{t,k} summed over i, for k = j
    and k != j, as polynomials in t: the in-context term averages to (t-1)|x_j|^4 and the
    cross terms to 0, so E_W[yhat_{t,j}/x_{t+1,j}] = u |x_j|^2."""
    i = Aff.var(I)
    out = {}
    for label, k in (("k = j", 0), ("k != j", 1)):
        term = Term([x(T_VAR + ONE, 0, True), x(i, 0), x(i - ONE, k, True), x(T_VAR, k)], prefix_ranges(I))
        out[label] = count_term(term).expr()
    return out


def asymptotic_excess(dist, d, uval):
    """E_inf(u) = E sum_j |x_j|^2 (u |x_j|^2 - 1)^2 at u = uval."""
    S2, S4, S6 = coordinate_sums(dist, d)
    return sympy.simplify(uval**2 * S6 - 2 * uval * S4 + S2)


def derive_recovery(dist, d, T):
    """Derivation of C3/C4: the limit of the test error, the condition for recovery, its
    verdict at the learned u (finite T and T -> infinity), and the ratio E[Re yhat/x]."""
    limit_T = is_infinite_T(T)
    der = Derivation("Capability: recovery of x_{t+1} as the test position grows (claims C3-C5)",
                     {"dist": dist.spec, "d": d, "T": "oo" if limit_T else T})
    identity, ok = error_identity()
    der.add("geometric", f"In-context cross term in closed form (checked: {ok}); bounded by 2/|1-mu|",
            identity)
    S2, S4, S6 = coordinate_sums(dist, d)
    E_inf = u**2 * S6 - 2 * u * S4 + S2
    der.add("excess", "Limit of E||yhat_t - x_{t+1}||^2 as t -> infinity, at u = ab", sympy.expand(E_inf),
            r"E_\infty(u)")
    der.add("condition", "Recovery for a.e. x_1 iff E_inf(u) = 0 at the learned u, i.e. "
            "|x_j|^2 in {0, 1/u} a.s. for every j", sympy.Eq(E_inf, 0))
    reduced_T = derive_reduced(dist, d, T_SYMBOL if limit_T else T)
    u_T = reduced_T.get("ab_limit")
    der.add("u_T", "Learned u at training length T" + (" (symbolic T)" if limit_T else ""), u_T, "u^*_T")
    excess_T = tidy(E_inf.subs(u, u_T))
    der.add("excess_T", "E_inf at the learned u (finite T)", excess_T)
    u_inf = sympy.simplify(sympy.limit(u_T, T_SYMBOL, sympy.oo)) if limit_T else sympy.simplify(
        derive_reduced(dist, d, "oo").get("ab_limit"))
    der.add("u_inf", "Learned u as T -> infinity", u_inf, r"u^*_\infty")
    excess_inf = tidy(E_inf.subs(u, u_inf))
    der.add("excess_inf", "E_inf at the T -> infinity limit of u", excess_inf)
    der.add("recovers_T", "Recovery at finite T", _verdict(excess_T))
    der.add("recovers_inf", "Recovery as T -> infinity", _verdict(excess_inf))
    counts = ratio_counts()
    der.add("ratio_counts", "W-expectation of the in-context sums (k = j vs k != j)", counts)
    dim = d if isinstance(d, int) else D_SYMBOL
    ratio_T = tidy(u_T * S2 / dim)
    der.add("ratio_T", "Mean over coordinates of E[Re yhat_t / x_{t+1}] = u*_T S2 / d (a coordinate with x_j = 0 counts as 0)", ratio_T, r"\rho_T")
    der.add("ratio_inf", "Its limit as T -> infinity", tidy(u_inf * S2 / dim), r"\rho_\infty")
    return der


def _verdict(excess):
    """'yes' / 'no' / 'undecided' for E_inf == 0 (E_inf >= 0 always; T >= 3, d >= 1)."""
    sign = sign_for_valid_T_d(tidy(excess))
    return {0: "yes", 1: "no", -1: "no"}.get(sign, "undecided")
