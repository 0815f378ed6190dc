"""The symbolic engine (population loss, reduced flow, invariance, capability, diagonal system)
against independent oracles: hand derivations written out below, Monte Carlo estimates from the
numeric model, and the agreement of three separate computational routes.

Hand derivation used throughout (from SETTING.md, x_tau = W^(tau-1) z, W = diag(lambda)):
with A = diag(a_j), B = diag(b_j) and all other blocks 0,

    yhat_{t,j} = b_j/(t-1) sum_{i=1}^{t-1} x_{i+1,j} sum_k conj(x_{i,k}) a_k x_{t,k}
               = a_j b_j |z_j|^2 x_{t+1,j} + b_j z_j/(t-1) sum_{k != j} a_k |z_k|^2 sum_i lambda_j^i lambda_k^(t-i).

The cross sum has W-mean 0 against x_{t+1,j} (it needs i = t) and E_W|sum_i ...|^2 picks i = i',
k = k', giving (t-1) |z_k|^4. Summing 1/(t-1) over t = 2..T-1 gives H_{T-2}, so

    L = 1/2 sum_j [(T-2) E|z_j|^2 (u_j |z_j|^2 - 1)^2 + H_{T-2} b_j^2 sum_{k != j} a_k^2 E|z_j|^2 |z_k|^4],

u_j = a_j b_j. On A = aI, B = bI this is g(u) = 1/2[(T-2)(u^2 S6 - 2u S4 + S2) + u^2 H_{T-2} C].
"""
import json
import math

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesacheck.setting.distributions import parse_dist
from mesacheck.setting.model import loss_and_grad, sample_sequences
from mesacheck.setting.params import Params
from mesacheck.symbolic.capability import asymptotic_excess, derive_recovery
from mesacheck.symbolic.diagonal import derive_diagonal, diagonal_symbols
from mesacheck.symbolic.invariance import derive_invariance, law_invariant
from mesacheck.symbolic.population import PopulationLoss, diagonal_point, structured_point
from mesacheck.symbolic.reduced import (
    D_SYMBOL,
    T_SYMBOL,
    derive_reduced,
    structured_coefficients,
)

R = sympy.Rational
T_ = T_SYMBOL

# -- helpers -------------------------------------------------------------------------------------

FAMILIES = [
    "gaussian:sigma=1",
    "gaussian:sigma=1/2",
    "sparse:c=2",
    "full-one:c=1",
    "uniform:c=1",
    "rademacher:c=3/2",
    "laplace:b=1",
    "student-t:nu=10",
    "cgaussian:sigma=1",
]
MIXTURES = {
    1: "mixture:1/3*[1]+2/3*[-1/2]",
    2: "mixture:1/4*[1+2i,-1]+3/4*[-1/2i,0]",
    3: "mixture:1/2*[1,0,2]+1/4*[0,1,-1]+1/4*[1/2,1/2,1/2]",
}


def spec_for(fam, d):
    return MIXTURES[d] if fam == "mixture" else fam


def abs_moment(dist, d, powers):
    """E[prod_j |x_j|^(2 p_j)] from the law's exact moments (powers: one int per coordinate)."""
    p = tuple(powers)
    return dist.moment(p, p)


def hand_sums(dist, d):
    """(S2, S4, S6, C) of the hand formula, C = sum_{j != k} E|x_j|^2 |x_k|^4."""
    def e(j, k):
        return tuple(k if i == j else 0 for i in range(d))

    S = [sum(abs_moment(dist, d, e(j, k)) for j in range(d)) for k in (1, 2, 3)]
    C = sympy.Integer(0)
    for j in range(d):
        for k in range(d):
            if j != k:
                p = [0] * d
                p[j], p[k] = 1, 2
                C += abs_moment(dist, d, p)
    return S[0], S[1], S[2], C


def hand_g(dist, d, T, u):
    """g(u) by the hand formula, T an int or a symbol."""
    S2, S4, S6, C = hand_sums(dist, d)
    H = sympy.harmonic(T - 2)
    return sympy.Rational(1, 2) * ((T - 2) * (u**2 * S6 - 2 * u * S4 + S2) + u**2 * H * C)


def hand_ustar(dist, d, T):
    S2, S4, S6, C = hand_sums(dist, d)
    return (T - 2) * S4 / ((T - 2) * S6 + sympy.harmonic(T - 2) * C)


def eq(x, y):
    """Exact equality of two SymPy expressions (harmonic numbers at concrete T evaluate)."""
    return sympy.simplify(sympy.expand(sympy.sympify(x) - sympy.sympify(y))) == 0


def batch_stats(values):
    """Mean and standard error from 20 batch means (values: array (20, ...))."""
    values = np.asarray(values)
    return values.mean(0), values.std(0, ddof=1) / math.sqrt(values.shape[0])


def mc_loss_grad(dist, d, T, P, K, m, rng, batches=20):
    """Monte Carlo (loss, grad) of the numeric model on sequences drawn from the law's sampler.

    Returns (mean, se) pairs for the loss and for the flattened gradient (kq then pv)."""
    params = Params(np.array(K, dtype=float), np.array(P, dtype=float))
    x1 = dist.sample(m, d, rng)
    X = sample_sequences(x1, T, rng)
    losses, grads = [], []
    for Xb in np.array_split(X, batches):
        loss, g = loss_and_grad(params, Xb)
        losses.append(loss)
        grads.append(np.concatenate([g.kq.ravel(), g.pv.ravel()]))
    return batch_stats(losses), batch_stats(grads)


def to_float_matrix(M):
    return np.array([[float(v) for v in row] for row in M.tolist()], dtype=float)


# -- 1. three routes to the loss on the structured set --------------------------------------------


@pytest.mark.parametrize("fam", FAMILIES + ["mixture"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_structured_loss_three_routes_and_hand_formula(fam, d):
    dist = parse_dist(spec_for(fam, d))
    Q, Rr, C, min_T = structured_coefficients(dist, d, T_)
    assert min_T <= 3
    a, b = R(1, 2), R(-2, 3)
    u = a * b
    Ts = range(3, 13) if d < 3 else (3, 4, 7, 12)
    for T in range(3, 13):
        general = (Q * u**2 / 2 - Rr * u + C).subs(T_, T)
        q, r, c, _ = structured_coefficients(dist, d, T)
        concrete = q * u**2 / 2 - r * u + c
        hand = hand_g(dist, d, T, u)
        assert eq(general, concrete), (fam, d, T)
        assert eq(concrete, hand), (fam, d, T, concrete, hand)
        if T in Ts:
            full = PopulationLoss(dist, d, T).loss_at(*structured_point(d, a, b))
            assert eq(full, hand), (fam, d, T, full, hand)


@pytest.mark.parametrize("fam", ["gaussian:sigma=1", "sparse:c=2", "uniform:c=1", "rademacher:c=1",
                                 "laplace:b=1/2", "cgaussian:sigma=2", "full-one:c=1", "iid"])
def test_symbolic_d_matches_concrete_d(fam):
    dist = parse_dist(fam)
    sym = structured_coefficients(dist, D_SYMBOL, T_)[:3]
    for d in (1, 2, 3, 4):
        conc = structured_coefficients(dist, d, T_)[:3]
        for s, c in zip(sym, conc):
            assert eq(s.subs(D_SYMBOL, d), c), (fam, d, s, c)


def test_symbolic_d_rejects_non_exchangeable():
    from mesacheck.errors import InputError

    with pytest.raises(InputError):
        structured_coefficients(parse_dist("gaussian:sigmas=1,2"), D_SYMBOL, T_)


# -- 2. hand formulas for u* ---------------------------------------------------------------------


def test_gaussian_ustar_symbolic_sigma():
    s = sympy.Symbol("s", positive=True)
    dist = parse_dist("gaussian:sigma=s")
    for d in (1, 2, 3, 5):
        der = derive_reduced(dist, d, T_)
        hand = (T_ - 2) / (s**2 * (5 * (T_ - 2) + (d - 1) * sympy.harmonic(T_ - 2)))
        assert eq(der.get("ab_limit"), hand), d
        lim = derive_reduced(dist, d, "oo").get("ab_limit")
        assert eq(lim, 1 / (5 * s**2)), (d, lim)
        for T in (3, 7, 100):
            assert eq(derive_reduced(dist, d, T).get("ab_limit"), hand.subs(T_, T)), (d, T)


def test_gaussian_ustar_symbolic_d():
    dist = parse_dist("gaussian:sigma=1")
    der = derive_reduced(dist, D_SYMBOL, T_)
    hand = (T_ - 2) / (5 * (T_ - 2) + (D_SYMBOL - 1) * sympy.harmonic(T_ - 2))
    assert eq(der.get("ab_limit"), hand)


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_sparse_ustar_is_inverse_c_squared(d):
    c = sympy.Symbol("c", positive=True)
    for spec, cval in (("sparse:c=c", c), ("sparse:c=3", 3)):
        dist = parse_dist(spec)
        assert eq(derive_reduced(dist, d, T_).get("ab_limit"), 1 / cval**2)
        assert eq(derive_reduced(dist, d, "oo").get("ab_limit"), 1 / cval**2)
        for T in (3, 4, 10):
            assert eq(derive_reduced(dist, d, T).get("ab_limit"), 1 / cval**2)


def test_iid_ustar_and_loss_hand_formula():
    from mesacheck.setting.moment_symbol import iid_moment

    dist = parse_dist("iid-symmetric")
    m2, m4, m6 = (iid_moment(k) for k in (2, 4, 6))
    for d in (1, 2, 4, D_SYMBOL):
        Q, Rr, C, _ = structured_coefficients(dist, d, T_)
        H = sympy.harmonic(T_ - 2)
        assert eq(Q, (T_ - 2) * d * m6 + H * d * (d - 1) * m2 * m4)
        assert eq(Rr, (T_ - 2) * d * m4)
        assert eq(C, (T_ - 2) * d * m2 / 2)
        ustar = derive_reduced(dist, d, T_).get("ab_limit")
        assert eq(ustar, (T_ - 2) * m4 / ((T_ - 2) * m6 + (d - 1) * H * m2 * m4))
    assert eq(derive_reduced(dist, D_SYMBOL, "oo").get("ab_limit"), m4 / m6)


def test_general_iid_law_is_refused():
    """A general i.i.d. law (odd moments free) does NOT keep A = aI, B = bI: the engine refuses
    the scalar reduction instead of answering on a set the flow leaves."""
    from mesacheck.errors import ReductionError

    with pytest.raises(ReductionError, match="invariant"):
        derive_reduced(parse_dist("iid"), 3, "oo")


def test_reduced_ode_is_entrywise_flow():
    """da/dtau = -(1/d) b g'(ab): checked against the exact entry gradient of A_11 at the set."""
    from mesacheck.symbolic.symbols import a, adot, b, bdot

    for spec, d in (("gaussian:sigma=1", 2), ("sparse:c=1", 3), ("uniform:c=1", 2)):
        dist = parse_dist(spec)
        T = 5
        der = derive_reduced(dist, d, T)
        ode = der.get("ode")
        u = sympy.Symbol("u")
        gprime = sympy.diff(hand_g(dist, d, T, u), u)
        assert eq(ode[adot], -(b / d) * gprime.subs(u, a * b))
        assert eq(ode[bdot], -(a / d) * gprime.subs(u, a * b))
        # and against the full-tensor gradient of one diagonal entry of A and of B
        gP, gK = PopulationLoss(dist, d, T).gradient_at(*structured_point(d, a, b))
        assert eq(-gK[d, 0], ode[adot])
        assert eq(-gP[0, 0], ode[bdot])


# -- 3. exact loss and gradient vs Monte Carlo ----------------------------------------------------

MC_FAMILIES = ["gaussian:sigma=1", "sparse:c=1", "uniform:c=1", "rademacher:c=1", "full-one:c=1"]
small = st.integers(-4, 4).map(lambda n: R(n, 10))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fam=st.sampled_from(MC_FAMILIES), d=st.sampled_from([1, 2]), T=st.integers(3, 6),
       entries=st.lists(small, min_size=24, max_size=24), seed=st.integers(0, 2**31 - 1))
def test_exact_loss_and_gradient_vs_monte_carlo(fam, d, T, entries, seed):
    dist = parse_dist(fam)
    n = 2 * d
    K = sympy.Matrix(n, n, entries[: n * n])
    P = sympy.Matrix(d, n, entries[n * n : n * n + d * n])
    pop = PopulationLoss(dist, d, T)
    L = float(pop.loss_at(P, K))
    gP, gK = pop.gradient_at(P, K)
    exact_g = np.concatenate([to_float_matrix(gK).ravel(), to_float_matrix(gP).ravel()])
    rng = np.random.default_rng(seed)
    (mL, seL), (mg, seg) = mc_loss_grad(dist, d, T, to_float_matrix(P), to_float_matrix(K), 40000, rng)
    assert abs(L - mL) < 6 * seL + 1e-9, (L, mL, seL)
    bad = np.abs(exact_g - mg) >= 6 * seg + 1e-9
    assert not bad.any(), (exact_g[bad], mg[bad], seg[bad])


def test_monte_carlo_check_can_fail():
    """The MC comparison detects a wrong exact value: perturbing the loss by 10% is caught."""
    dist = parse_dist("gaussian:sigma=1")
    d, T = 2, 5
    P, K = structured_point(d, R(1, 2), R(1, 2))
    L = float(PopulationLoss(dist, d, T).loss_at(P, K))
    (mL, seL), _ = mc_loss_grad(dist, d, T, to_float_matrix(P), to_float_matrix(K), 40000,
                                np.random.default_rng(5))
    assert abs(L - mL) < 6 * seL
    assert abs(1.1 * L - mL) > 6 * seL


# -- 4. invariance verdicts, symbolic and Monte Carlo ---------------------------------------------


def test_full_one_offdiagonal_gradients_match_hand_derivation():
    a, b = sympy.symbols("a b", real=True)
    H = sympy.harmonic(T_ - 2)
    gP, gK = PopulationLoss(parse_dist("full-one:c=1"), 2, T_).gradient_at(*structured_point(2, a, b))
    for (i, j) in ((0, 1), (1, 0)):
        assert eq(gK[2 + i, j], b * (2 * a * b - 1) * H)
        assert eq(gP[i, j], a**2 * b * H)


@pytest.mark.parametrize("spec, expected", [
    ("full-one:c=1", False), ("gaussian:sigma=1", True), ("sparse:c=1", True),
    ("gaussian:sigmas=1,2", False), ("rademacher:c=1", True), ("uniform:c=2", True),
])
def test_invariance_verdicts_symbolic(spec, expected):
    dist = parse_dist(spec)
    der = derive_invariance(dist, 2)
    assert der.get("invariant") is expected
    assert law_invariant(dist, 2) is expected
    if expected:
        assert not der.get("broken")
        assert not der.get("law_gradients")
    else:
        assert der.get("broken"), "a non-invariant law must violate a listed moment equation"
    if spec == "gaussian:sigmas=1,2":
        assert der.get("diagonal_equal") is False
        assert not der.get("law_gradients")  # off-diagonal gradients still vanish
    if spec == "full-one:c=1":
        assert der.get("diagonal_equal") is True


def test_invariance_general_conditions_hold_for_symmetric_laws():
    """Every listed moment equation is satisfied by gaussian and sparse and violated by full-one."""
    for spec, ok in (("gaussian:sigma=2", True), ("sparse:c=1", True), ("full-one:c=2", False)):
        der = derive_invariance(parse_dist(spec), 2)
        assert der.get("conditions")
        assert (not der.get("broken")) is ok


MC_INV_M = 60000


def _offdiag_A_mc(spec, seed, d=2, T=6, a=0.5, b=0.5):
    dist = parse_dist(spec)
    P, K = structured_point(d, a, b)
    _, (mg, seg) = mc_loss_grad(dist, d, T, to_float_matrix(P), to_float_matrix(K), MC_INV_M,
                                np.random.default_rng(seed))
    n = 2 * d
    idx = (d + 0) * n + 1  # A(1,2) = K[d, 1]
    idx2 = (d + 1) * n + 0  # A(2,1)
    return mg, seg, idx, idx2


def test_full_one_offdiagonal_gradient_monte_carlo():
    H = sympy.harmonic(4)
    exact = float(R(1, 2) * (2 * R(1, 4) - 1) * H)  # b (2ab - 1) H_{T-2}, T = 6
    mg, seg, i1, i2 = _offdiag_A_mc("full-one:c=1", 11)
    for i in (i1, i2):
        z = mg[i] / seg[i]
        assert abs(z) > 8 and np.sign(mg[i]) == np.sign(exact), (mg[i], seg[i], exact)
        assert abs(mg[i] - exact) < 6 * seg[i]


@pytest.mark.parametrize("spec", ["gaussian:sigma=1", "sparse:c=1"])
def test_symmetric_laws_offdiagonal_gradient_monte_carlo(spec):
    mg, seg, i1, i2 = _offdiag_A_mc(spec, 12)
    for i in (i1, i2):
        # sparse: one nonzero coordinate per sequence, so the off-diagonal sample gradient is 0
        assert abs(mg[i]) <= 4 * seg[i] + 1e-12, (spec, mg[i], seg[i])


def test_unequal_sigmas_diagonal_gradients_differ_monte_carlo():
    dist = parse_dist("gaussian:sigmas=1,2")
    d, T = 2, 6
    P, K = structured_point(d, R(1, 2), R(1, 2))
    gP, gK = PopulationLoss(dist, d, T).gradient_at(P, K)
    _, (mg, seg) = mc_loss_grad(dist, d, T, to_float_matrix(P), to_float_matrix(K), MC_INV_M,
                                np.random.default_rng(13))
    n = 2 * d
    i11, i22 = d * n + 0, (d + 1) * n + 1
    diff_exact = float(gK[d, 0] - gK[d + 1, 1])
    diff_mc = mg[i11] - mg[i22]
    se = math.hypot(seg[i11], seg[i22])
    assert abs(diff_mc) > 8 * se and np.sign(diff_mc) == np.sign(diff_exact)
    assert abs(diff_mc - diff_exact) < 6 * se
    # hand formula for the diagonal gradient: dL/da_j = 1/2 [(T-2) 2 b_j (u_j E6_j - E4_j) + H 2 a_j sum_k b_k^2 ...]
    avec, bvec = diagonal_symbols(2)
    L = hand_diag_loss(dist, 2, T, avec, bvec)
    at = {avec[0]: R(1, 2), avec[1]: R(1, 2), bvec[0]: R(1, 2), bvec[1]: R(1, 2)}
    assert eq(sympy.diff(L, avec[0]).subs(at), gK[d, 0])
    assert eq(sympy.diff(L, avec[1]).subs(at), gK[d + 1, 1])


# -- 5. capability --------------------------------------------------------------------------------


@pytest.mark.parametrize("spec, d, T, fin, inf", [
    ("sparse:c=1", 3, 10, "yes", "yes"),
    ("sparse:c=2", 2, "oo", "yes", "yes"),
    ("gaussian:sigma=1", 3, 10, "no", "no"),
    ("gaussian:sigma=1", 1, "oo", "no", "no"),
    ("rademacher:c=1", 1, 10, "yes", "yes"),
    ("rademacher:c=1", 3, 10, "no", "yes"),
    ("rademacher:c=1", 3, "oo", "no", "yes"),
])
def test_recovery_verdicts(spec, d, T, fin, inf):
    der = derive_recovery(parse_dist(spec), d, T)
    assert der.get("recovers_T") == fin
    assert der.get("recovers_inf") == inf


def test_recovery_hand_excess():
    """E_inf(u) = u^2 S6 - 2u S4 + S2 and its value at the learned u (hand formulas)."""
    from mesacheck.symbolic.symbols import u
    for spec, d in (("gaussian:sigma=1", 3), ("rademacher:c=1", 3), ("sparse:c=2", 2), ("uniform:c=1", 2)):
        dist = parse_dist(spec)
        S2, S4, S6, C = hand_sums(dist, d)
        der = derive_recovery(dist, d, 10)
        assert eq(der.get("excess"), u**2 * S6 - 2 * u * S4 + S2)
        us = hand_ustar(dist, d, 10)
        assert eq(der.get("u_T"), us)
        assert eq(der.get("excess_T"), us**2 * S6 - 2 * us * S4 + S2)
    # Rademacher d = 3: u*_T = (T-2)/((T-2) + 2 H), excess at u = 1 is 0 -> finite T 'no', limit 'yes'.
    assert eq(hand_ustar(parse_dist("rademacher:c=1"), 3, T_), (T_ - 2) / ((T_ - 2) + 2 * sympy.harmonic(T_ - 2)))


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5, 6])
def test_gaussian_ratio_inf_is_one_fifth(d):
    der = derive_recovery(parse_dist("gaussian:sigma=1"), d, "oo")
    assert eq(der.get("ratio_inf"), R(1, 5))
    assert eq(der.get("u_inf"), R(1, 5))


def test_gaussian_ratio_inf_independent_of_sigma():
    der = derive_recovery(parse_dist("gaussian:sigma=3"), 2, "oo")
    assert eq(der.get("ratio_inf"), R(1, 5))
    assert eq(der.get("u_inf"), R(1, 45))


def test_asymptotic_excess_monte_carlo():
    """Mean of ||yhat_t - x_{t+1}||^2 at t = 3000 (sequences built directly) vs E_inf(0.2).

    At finite t the exact mean is E_inf(u) + u^2/(t-1) C (hand derivation in the module doc),
    a correction of ~2e-4 here, far below the sampling error."""
    dist = parse_dist("gaussian:sigma=1")
    d, t, uval, m = 3, 3000, 0.2, 12000
    rng = np.random.default_rng(2024)
    z = rng.standard_normal((m, d))
    theta = rng.uniform(0, 2 * np.pi, size=(m, d))
    errs = np.empty(m)
    step = 1000
    for s in range(0, m, step):
        zz, th = z[s : s + step], theta[s : s + step]
        # X[:, tau-1] = exp(i (tau-1) theta) z for tau = 1..t+1
        X = zz[:, None, :] * np.exp(1j * np.arange(t + 1)[None, :, None] * th[:, None, :])
        # S = sum_{i=1}^{t-1} x_{i+1} x_i^H (the last cumulative sum, as one batched product)
        S = np.matmul(X[:, 1:t, :].transpose(0, 2, 1), X[:, : t - 1, :].conj())
        yhat = (uval / (t - 1)) * np.einsum("sjk,sk->sj", S, X[:, t - 1])
        errs[s : s + step] = np.sum(np.abs(yhat - X[:, t]) ** 2, axis=1)
    mean = errs.mean()
    se = errs.std(ddof=1) / math.sqrt(m)
    exact = float(asymptotic_excess(dist, d, R(1, 5)))
    S2, S4, S6, C = hand_sums(dist, d)
    hand = float(R(1, 25) * S6 - R(2, 5) * S4 + S2)
    assert exact == pytest.approx(hand, rel=1e-12)
    assert abs(mean - exact) < 5 * se + 1e-9, (mean, exact, se)
    # and the check is sharp enough to reject a wrong u (u = 0.3 gives E_inf = 1.65, not 1.2)
    wrong = float(asymptotic_excess(dist, d, R(3, 10)))
    assert abs(mean - wrong) > 5 * se


# -- 6. diagonal system ---------------------------------------------------------------------------


def hand_diag_loss(dist, d, T, avec, bvec):
    H = sympy.harmonic(T - 2)
    total = sympy.Integer(0)
    for j in range(d):
        def pw(**kw):
            p = [0] * d
            for k, v in kw.items():
                p[int(k[1:])] = v
            return abs_moment(dist, d, p)

        uj = avec[j] * bvec[j]
        e = lambda k: tuple(k if i == j else 0 for i in range(d))
        E2, E4, E6 = (abs_moment(dist, d, e(k)) for k in (1, 2, 3))
        cross = sympy.Integer(0)
        for k in range(d):
            if k != j:
                p = [0] * d
                p[j], p[k] = 1, 2
                cross += avec[k] ** 2 * abs_moment(dist, d, p)
        total += (T - 2) * (uj**2 * E6 - 2 * uj * E4 + E2) + H * bvec[j] ** 2 * cross
    return sympy.expand(total / 2)


@pytest.mark.parametrize("T", [3, 5, 9])
def test_diagonal_loss_hand_formula(T):
    dist = parse_dist("gaussian:sigmas=1,2")
    der = derive_diagonal(dist, 2, T)
    avec, bvec = diagonal_symbols(2)
    assert eq(der.get("loss"), hand_diag_loss(dist, 2, T, avec, bvec))
    assert der.get("aI_invariant") is False


def test_diagonal_loss_symbolic_T_and_three_coordinates():
    avec, bvec = diagonal_symbols(3)
    dist = parse_dist("gaussian:sigmas=1,2,1/2")
    from mesacheck.symbolic.diagonal import diagonal_loss

    assert eq(diagonal_loss(dist, 3, T_), hand_diag_loss(dist, 3, T_, avec, bvec))


def test_diagonal_loss_monte_carlo():
    """The hand formula itself against the numeric model at one diagonal point."""
    dist = parse_dist("gaussian:sigmas=1,2")
    d, T = 2, 5
    avals, bvals = (R(1, 2), R(-1, 4)), (R(1, 3), R(1, 5))
    P, K = diagonal_point(d, avals, bvals)
    avec, bvec = diagonal_symbols(2)
    hand = hand_diag_loss(dist, d, T, avec, bvec).subs(dict(zip(avec + bvec, avals + bvals)))
    (mL, seL), _ = mc_loss_grad(dist, d, T, to_float_matrix(P), to_float_matrix(K), 40000,
                                np.random.default_rng(21))
    assert abs(float(hand) - mL) < 6 * seL


def test_diagonal_conserved_quantity():
    from mesacheck.symbolic.symbols import diagonal_rate_symbols

    dist = parse_dist("gaussian:sigmas=1,2")
    der = derive_diagonal(dist, 2, 5)
    avec, bvec = diagonal_symbols(2)
    adots, bdots = diagonal_rate_symbols(2)
    ode = der.get("ode")
    rates = {**{avec[j]: ode[adots[j]] for j in range(2)}, **{bvec[j]: ode[bdots[j]] for j in range(2)}}
    kappa = der.get("conserved")
    dk = sum(sympy.diff(kappa, s) * r for s, r in rates.items())
    assert sympy.expand(dk) == 0
    # and the ODE is minus the gradient of the hand loss
    L = hand_diag_loss(dist, 2, 5, avec, bvec)
    for s, r in rates.items():
        assert eq(r, -sympy.diff(L, s))


def test_diagonal_stationary_point_solves_hand_equations():
    """The derived u_j solve the stationarity equations of the HAND loss: with a_j dL/da_j = 0 and
    b_j dL/db_j = 0 at a point of the rescaling orbit."""
    dist = parse_dist("gaussian:sigmas=1,2")
    T = 5
    der = derive_diagonal(dist, 2, T)
    u1, u2 = der.get("u_limits")
    avec, bvec = diagonal_symbols(2)
    L = hand_diag_loss(dist, 2, T, avec, bvec)
    x1, x2 = sympy.symbols("x1 x2", positive=True)  # a_j^2
    sub = {avec[0]: sympy.sqrt(x1), avec[1]: sympy.sqrt(x2), bvec[0]: u1 / sympy.sqrt(x1),
           bvec[1]: u2 / sympy.sqrt(x2)}
    eqs = [sympy.simplify((s * sympy.diff(L, s)).subs(sub)) for s in (*avec, *bvec)]
    sol = sympy.nsolve(eqs[:1] + eqs[2:3], [x1, x2], [1, 1]) if False else sympy.solve(eqs, [x1, x2], dict=True)
    assert sol, (u1, u2, eqs)


# -- 7. the CLI ----------------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch, capsys):
    import mesacheck.cli.main as cli_main

    try:
        cli_main.build_parser()
    except ImportError:
        # Another engineer's subcommand module is missing: register `derive` only, but keep
        # main()'s own error handling.
        monkeypatch.setattr(cli_main, "SUBCOMMANDS", ["derive"])

    def run(*argv):
        code = cli_main.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def parse_exact(text):
    """A SymPy expression from the printer's plain text (test helper, our own output only):
    H_n and H_(T - 2) -> harmonic(...), ^ -> **."""
    import re

    text = re.sub(r"H_\(([^()]*)\)|H_([0-9A-Za-z]+)", lambda m: f"harmonic({m.group(1) or m.group(2)})", text)
    return sympy.sympify(text.replace("^", "**"))


def test_cli_limit_json_gaussian(cli):
    code, out, err = cli("derive", "limit", "--dist", "gaussian:sigma=1", "--d", "5", "--T", "100", "--json")
    assert code == 0, err
    data = json.loads(out)
    exact = parse_exact(data["ab_limit"]["exact"])
    hand = R(98) / (5 * 98 + 4 * sympy.harmonic(98))
    assert eq(exact, hand)
    assert data["ab_limit"]["value"] == pytest.approx(float(hand), rel=1e-12)
    assert data["system"] == "scalar" and data["T_used"] == "100"


def test_cli_limit_json_T_infinity(cli):
    code, out, err = cli("derive", "limit", "--dist", "gaussian:sigma=2", "--d", "3", "--T", "oo", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert eq(parse_exact(data["ab_limit"]["exact"]), R(1, 20))
    assert data["ab_limit"]["value"] == pytest.approx(0.05)
    code, out, err = cli("derive", "limit", "--dist", "sparse:c=2", "--d", "4", "--T", "oo", "--json")
    assert code == 0, err
    assert json.loads(out)["ab_limit"]["value"] == pytest.approx(0.25)


def test_cli_limit_json_symbolic_d(cli):
    code, out, err = cli("derive", "limit", "--dist", "gaussian:sigma=1", "--d", "d", "--T", "oo", "--json")
    assert code == 0, err
    assert eq(parse_exact(json.loads(out)["ab_limit"]["exact"]), R(1, 5))


def test_cli_limit_full_one_refused_unmasked_answered_masked(cli):
    code, out, err = cli("derive", "limit", "--dist", "full-one:c=1", "--d", "2", "--T", "6", "--json")
    assert code == 2 and "not invariant" in err.replace("neither", "not invariant") and "--masked" in err
    code, out, err = cli("derive", "limit", "--dist", "full-one:c=1", "--d", "2", "--T", "6", "--masked", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["flow"] == "masked" and data["system"] == "scalar"
    # the masked flow's limit is u* of the reduced loss (hand formula, full-one c=1, d=2)
    hand = hand_ustar(parse_dist("full-one:c=1"), 2, 6)
    assert eq(parse_exact(data["ab_limit"]["exact"]), hand)
    assert data["ab_limit"]["value"] == pytest.approx(float(hand), rel=1e-12)


@pytest.mark.parametrize("argv", [
    ("derive", "limit", "--T", "2"),
    ("derive", "limit", "--T", "abc"),
    ("derive", "limit", "--d", "0"),
    ("derive", "limit", "--dist", "nosuchlaw"),
    ("derive", "limit", "--dist", "gaussian:sigma=-1"),
    ("derive", "nosuchthing"),
    ("derive", "limit", "--dist", "gaussian:sigmas=1,2", "--d", "d"),
    ("derive", "limit", "--dist", "gaussian:sigmas=1,2", "--d", "3"),
    ("derive", "limit", "--dist", "full-one:c=1", "--d", "3", "--T", "10"),
    ("derive", "recovery", "--dist", "full-one:c=1", "--d", "3", "--T", "oo"),
    ("derive", "limit", "--dist", "iid", "--d", "3", "--T", "oo"),
    ("derive", "limit", "--dist", "mixture:1*[0,0,0]", "--d", "3", "--T", "10"),
])
def test_cli_bad_inputs_exit_2_one_line(cli, argv):
    code, out, err = cli(*argv)
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err


def test_diagonal_stationary_point_hand_solution():
    """gaussian:sigmas=1,2, T = 5: multiplying dL/da_j = 0 by a_j and dL/db_j = 0 by b_j gives
    (T-2)(E6_j u_j^2 - E4_j u_j) + p = 0 with p = H a_1^2 b_2^2 E2_1 E4_2 = H a_2^2 b_1^2 E2_2 E4_1,
    and p^2 = H^2 E2_1 E4_2 E2_2 E4_1 u_1^2 u_2^2: two linear equations in u_1, u_2."""
    dist = parse_dist("gaussian:sigmas=1,2")
    T = 5
    H = sympy.harmonic(T - 2)
    E = lambda j, k: abs_moment(dist, 2, tuple(k if i == j else 0 for i in range(2)))
    k = H * sympy.sqrt(E(0, 1) * E(1, 2) * E(1, 1) * E(0, 2))  # p = k u_1 u_2
    u1, u2 = sympy.symbols("u1 u2", positive=True)
    sol = sympy.solve([(T - 2) * (E(0, 3) * u1 - E(0, 2)) + k * u2,
                       (T - 2) * (E(1, 3) * u2 - E(1, 2)) + k * u1], [u1, u2], dict=True)
    assert len(sol) == 1
    got = derive_diagonal(dist, 2, T).get("u_limits")
    assert eq(got[0], sol[0][u1]) and eq(got[1], sol[0][u2])


@pytest.mark.parametrize("spec, d, expected", [
    ("cgaussian:sigma=1", 2, True),
    ("laplace:b=1", 3, True),
    ("mixture:1/2*[1,0]+1/2*[0,-1]", 2, True),
    ("mixture:1/4*[1,1]+1/4*[-1,-1]+1/4*[1,-1]+1/4*[-1,1]", 2, True),
    ("mixture:1/2*[1,1]+1/2*[-1,-1]", 2, False),
])
def test_invariance_verdicts_more_laws(spec, d, expected):
    dist = parse_dist(spec)
    der = derive_invariance(dist, d)
    assert der.get("invariant") is expected
    assert law_invariant(dist, d) is expected
    assert (not der.get("broken")) is expected
    assert not any("bug" in n for n in der.notes)


def test_sign_symmetric_full_one_has_full_one_gradient():
    """x = +-(1, 1): every gradient term is even in x, so it equals full-one's b(2ab-1)H_{T-2}."""
    from mesacheck.symbolic.symbols import a, b

    gP, gK = PopulationLoss(parse_dist("mixture:1/2*[1,1]+1/2*[-1,-1]"), 2, 6).gradient_at(*structured_point(2, a, b))
    assert eq(gK[2, 1], b * (2 * a * b - 1) * sympy.harmonic(4))
    assert eq(gP[0, 1], a**2 * b * sympy.harmonic(4))


def _diagonal_mean(spec, d, T):
    us = derive_diagonal(parse_dist(spec), d, T).get("u_limits")
    return sum(us) / d


def test_cli_limit_text_non_exchangeable(cli):
    code, out, err = cli("derive", "limit", "--dist", "gaussian:sigmas=1,2", "--d", "2", "--T", "5")
    assert code == 0, err
    us = derive_diagonal(parse_dist("gaussian:sigmas=1,2"), 2, 5).get("u_limits")
    line = next(l for l in out.splitlines() if l.startswith("  ab_limit: "))
    approx = float(line.rsplit("~", 1)[1].strip(" )"))
    assert abs(approx - float((us[0] + us[1]) / 2)) <= 1e-9  # printed to 9 significant digits
    used = out.split("Reduced system used")[1].splitlines()[1].strip()
    assert used == "diagonal"


def test_cli_limit_json_non_exchangeable(cli):
    code, out, err = cli("derive", "limit", "--dist", "gaussian:sigmas=1,2", "--d", "2", "--T", "5", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["system"] == "diagonal"
    # mean of (u_1, u_2) at the diagonal stationary point (see the hand solution above)
    us = derive_diagonal(parse_dist("gaussian:sigmas=1,2"), 2, 5).get("u_limits")
    assert eq(parse_exact(data["ab_limit"]["exact"]), (us[0] + us[1]) / 2)


def test_issue9_mixture_limit_is_diagonal_and_recovers(cli):
    """The audit's case: the set A = aI is not invariant (unequal diagonal gradients); the
    diagonal system gives u = (1, 1/4), mean 5/8, and the model recovers (loss 0)."""
    spec = "mixture:1/4*[1,0]+1/4*[-1,0]+1/4*[0,2]+1/4*[0,-2]"
    code, out, err = cli("derive", "limit", "--dist", spec, "--d", "2", "--T", "10", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["system"] == "diagonal"
    assert [parse_exact(x["exact"]) for x in data["u_limits"]] == [1, R(1, 4)]
    assert parse_exact(data["ab_limit"]["exact"]) == R(5, 8)
    rec = derive_recovery(parse_dist(spec), 2, 10)
    assert rec.get("recovers_T") == "yes" and rec.get("recovers_inf") == "yes"


def test_issue9_three_coordinates_do_not_crash(cli):
    code, out, err = cli("derive", "limit", "--dist", "gaussian:sigmas=1,1,2", "--d", "3", "--T", "10", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["system"] == "diagonal" and len(data["u_limits"]) == 3
    code, out, err = cli("derive", "limit", "--dist", "mixture:1/2*[1,0,2]+1/4*[0,1,-1]+1/4*[-1,0,-2]",
                         "--d", "3", "--T", "10")
    assert code in (0, 2) and "Traceback" not in err and len([x for x in err.splitlines() if x]) <= 1


def test_cli_diagonal_json(cli):
    code, out, err = cli("derive", "diagonal", "--dist", "gaussian:sigmas=1,2", "--d", "2", "--T", "5", "--json")
    assert code == 0, err
    assert "u_limits" in json.loads(out)["derivation"]["results"]


def test_cli_text_and_latex_outputs(cli):
    code, out, err = cli("derive", "ode", "--dist", "sparse:c=1", "--d", "3", "--T", "10")
    assert code == 0 and "a^2 - b^2" in out and "**" not in out
    code, out, err = cli("derive", "limit", "--dist", "sparse:c=1", "--d", "3", "--T", "10", "--latex")
    assert code == 0 and "\\begin{equation}\\label{eq:limit-limit}" in out
