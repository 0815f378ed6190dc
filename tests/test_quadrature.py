"""The exact-enumeration oracle (mesacheck.numeric.quadrature) against independent routes: the
laws' exact moments, the definition of the phase rule, the symbolic counting engine, closed forms
derived by hand below, and one Monte Carlo estimate.

Hand derivation (A = aI, B = bI, all other blocks 0, u = ab, z = x_1, x_tau = W^(tau-1) z):

    yhat_{t,j} = (u/(t-1)) sum_{i=1}^{t-1} x_{i+1,j} x_i^H x_t = x_{t+1,j} q_j,
    q_j = u |z_j|^2 + (u/(t-1)) sum_{k != j} |z_k|^2 S_jk,  S_jk = sum_{m=1}^{t-1} (lambda_k/lambda_j)^m,

since x_i^H x_t = sum_k |z_k|^2 lambda_k^(t-i) and x_{i+1,j} / x_{t+1,j} = lambda_j^(i-t): the term
k = j gives u |z_j|^2 for every i, the others (lambda_k/lambda_j)^m with m = t - i in 1..t-1. E_W S_jk = 0 (every power m >= 1), E_W S_jk conj(S_jl) = [k = l] (t-1)
(the pairs m = m'), so

    E_W ||yhat_t - x_{t+1}||^2 = sum_r |z_r|^2 [(u|z_r|^2 - 1)^2 + (u^2/(t-1)) sum_{k != r} |z_k|^4],
    E_W q_j = u |z_j|^2   (ratio: u sum_j E|z_j|^2 / sum_j P(z_j != 0)).

Per-sequence ratio rho = (1/d) sum_j Re q_j for a law without zero coordinates. Re S_jk = Re S_kj,
so sum_j sum_{k != j} |z_k|^2 Re S_jk = sum_{j<k} (|z_j|^2 + |z_k|^2) Re S_jk; distinct pairs are
W-uncorrelated and E_W (Re S_jk)^2 = (t-1)/2. For i.i.d. N(0,1) coordinates (E(sum z^2)^2 = d^2 + 2d,
E(z_j^2 + z_k^2)^2 = 8):  E rho^2 = u^2 (d+2)/d + 2 u^2 (d-1) / (d (t-1)).
"""
import itertools
import math
import random
from fractions import Fraction

import numpy as np
import pytest
import sympy

from mesacheck.errors import BudgetError, InfiniteMomentError, InputError
from mesacheck.numeric import quadrature as quad
from mesacheck.numeric.quadrature_rules import gauss_points, phase_rule, x1_rule
from mesacheck.setting.distributions import parse_dist
from mesacheck.setting.model import ProcessBatch, predictions, sample_sequences
from mesacheck.setting.params import Params
from mesacheck.symbolic.population import PopulationLoss
from mesacheck.symbolic.reduced import structured_coefficients

MIX2 = "mixture:1/4*[1+2i,-1]+3/4*[-1/2i,0]"
MIX3 = "mixture:1/2*[1,0,2]+1/4*[0,1,-1]+1/4*[1/2,1/2,1/2]"
CONTINUOUS = ["gaussian:sigma=1", "uniform:c=1", "laplace:b=1", "student-t:nu=10", "cgaussian:sigma=1"]


def _cnum(e):
    return complex(sympy.N(e, 30))


# -- the x_1 rules -------------------------------------------------------------------------------------
def _monomial(nodes, alpha, beta):
    return np.prod(nodes ** np.array(alpha) * nodes.conj() ** np.array(beta), axis=1)


def _check_moment(dist, nodes, w, alpha, beta):
    """|rule - exact| <= 1e-13 * sum_s w_s |monomial| (the rounding bound of the weighted sum)."""
    vals = _monomial(nodes, alpha, beta)
    got = np.sum(w * vals)
    exact = _cnum(dist.moment(alpha, beta))
    return abs(got - exact), 1e-13 * max(1e-300, float(np.sum(w * np.abs(vals)))), exact, got


@pytest.mark.parametrize("spec", ["gaussian:sigma=1/2", "uniform:c=2", "laplace:b=1", "student-t:nu=10,scale=2"])
@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("degree", [3, 5, 7])
def test_real_rule_reproduces_every_moment_up_to_its_degree(spec, d, degree):
    dist = parse_dist(spec)
    nodes, w = x1_rule(dist, d, degree)
    assert nodes.shape == (gauss_points(degree) ** d, d) and w.shape == (len(nodes),)
    assert abs(w.sum() - 1) < 1e-14 and np.all(w > 0)
    zero = (0,) * d
    for alpha in itertools.product(range(degree + 1), repeat=d):  # real law: x = conj x
        err, tol, _, _ = _check_moment(dist, nodes, w, alpha, zero)
        assert err <= tol, (alpha, err, tol)
    # just beyond: the degree 2n = degree + 1 in one coordinate is not reproduced
    beyond = (degree + 1,) + (0,) * (d - 1)
    err, _, exact, _ = _check_moment(dist, nodes, w, beyond, zero)
    assert err > 1e-3 * abs(exact)


@pytest.mark.parametrize("d", [1, 2])
def test_complex_gaussian_rule_reproduces_mixed_moments(d):
    dist = parse_dist("cgaussian:sigma=3/2")
    degree = 5
    nodes, w = x1_rule(dist, d, degree)
    pairs = [(p, q) for p in range(degree + 1) for q in range(degree + 1 - p)]
    for combo in itertools.product(pairs, repeat=d):
        alpha, beta = tuple(c[0] for c in combo), tuple(c[1] for c in combo)
        err, tol, _, _ = _check_moment(dist, nodes, w, alpha, beta)
        assert err <= tol, (alpha, beta, err, tol)
    beyond_a, beyond_b = (3,) + (0,) * (d - 1), (3,) + (0,) * (d - 1)  # |z|^6: degree 6 > 5
    err, _, exact, _ = _check_moment(dist, nodes, w, beyond_a, beyond_b)
    assert err > 1e-3 * abs(exact)


@pytest.mark.parametrize("spec,d", [("sparse:c=2", 3), ("full-one:c=3/2", 2), ("rademacher:c=1/2", 3),
                                    (MIX2, 2), (MIX3, 3)])
def test_finite_support_rule_reproduces_moments_of_any_degree(spec, d):
    dist = parse_dist(spec)
    nodes, w = x1_rule(dist, d, 0)
    assert abs(w.sum() - 1) < 1e-15
    for alpha in itertools.product(range(4), repeat=d):
        for beta in [(0,) * d, alpha, tuple(reversed(alpha))]:
            err, tol, _, _ = _check_moment(dist, nodes, w, alpha, beta)
            assert err <= tol, (alpha, beta, err, tol)


def test_classical_families_match_numpy():
    """The moment-built rules equal the classical Hermite and Legendre rules (numpy)."""
    x, w = np.polynomial.hermite_e.hermegauss(5)
    nodes, weights = x1_rule(parse_dist("gaussian:sigma=1"), 1, 9)
    assert np.allclose(nodes[:, 0].real, x, rtol=0, atol=1e-14)
    assert np.allclose(weights, w / math.sqrt(2 * math.pi), rtol=1e-13, atol=0)
    x, w = np.polynomial.legendre.leggauss(4)
    nodes, weights = x1_rule(parse_dist("uniform:c=1"), 1, 7)
    assert np.allclose(nodes[:, 0].real, x, rtol=0, atol=1e-14)
    assert np.allclose(weights, w / 2, rtol=1e-13, atol=0)


def test_rule_refusals():
    with pytest.raises(InputError):
        x1_rule(parse_dist("iid"), 2, 4)
    with pytest.raises(InputError):
        x1_rule(parse_dist("generic"), 2, 4)
    with pytest.raises(InputError):
        x1_rule(parse_dist("gaussian:sigma=s"), 2, 4)
    # student-t nu = 7: the order-6 moment exists (symmetric law: 4 nodes need even moments <= 6)
    x1_rule(parse_dist("student-t:nu=7"), 1, 6)
    with pytest.raises(InfiniteMomentError, match="order-7"):
        x1_rule(parse_dist("student-t:nu=7"), 1, 7)
    with pytest.raises(InfiniteMomentError, match="order-12"):
        quad.exact_loss("student-t:nu=10", 1, 3, Params.diagonal(1, 1, 1), moments=(1, 2))


# -- the phase rule ------------------------------------------------------------------------------------
@pytest.mark.parametrize("d,N", [(1, 5), (2, 4), (3, 3)])
def test_phase_rule_is_exact_below_N_and_fails_at_N(d, N):
    theta, w = phase_rule(d, N)
    assert theta.shape == (N**d, d) and abs(w.sum() - 1) < 1e-15
    lam = np.exp(1j * theta)
    for k in itertools.product(range(-(N - 1), N), repeat=d):
        got = np.sum(w * np.prod(lam ** np.array(k), axis=1))
        assert abs(got - (1.0 if not any(k) else 0.0)) < 1e-13, k
    for j in range(d):
        k = np.zeros(d, dtype=int)
        k[j] = N
        assert abs(np.sum(w * np.prod(lam**k, axis=1)) - 1.0) < 1e-13  # the truth is 0


# -- against the symbolic engine --------------------------------------------------------------------
def _structured_cases():
    laws = ["gaussian:sigma=1", "uniform:c=1", "laplace:b=1", "rademacher:c=1", "sparse:c=1",
            "full-one:c=1", "cgaussian:sigma=1", "student-t:nu=7"]
    for spec in laws:
        for d in (1, 2, 3):
            Ts = range(3, 9) if d < 3 else (3, 5, 8)
            if spec.startswith("cgaussian") and d == 3:
                Ts = (3,)
            for T in Ts:
                heavy = d == 3 and (T >= 5 or spec.startswith("cgaussian"))
                yield pytest.param(spec, d, T, marks=[pytest.mark.slow] if heavy else [])
    for T in range(3, 9):
        yield pytest.param(MIX2, 2, T)


@pytest.mark.parametrize("spec,d,T", list(_structured_cases()))
def test_exact_loss_equals_symbolic_on_structured_set(spec, d, T):
    dist = parse_dist(spec)
    Q, R, C, _ = structured_coefficients(dist, d, T)
    points = ((1.0, 0.7), (0.5, -0.6), (2.0, 0.05))
    heavy = d == 3 and (T >= 5 or spec.startswith("cgaussian"))
    for a, b in points[:1] if heavy else points:  # one point where the enumeration is large
        u = Fraction(a) * Fraction(b)
        exact = _cnum(Q * sympy.Rational(u) ** 2 / 2 - R * sympy.Rational(u) + C).real
        got = quad.exact_loss(dist, d, T, Params.diagonal(d, a, b)).value
        assert abs(got - exact) <= 1e-12 * abs(exact), (a, b, got, exact)


@pytest.mark.parametrize("spec,d,T", [("gaussian:sigma=1", 1, 5), ("laplace:b=1/2", 1, 4),
                                      ("gaussian:sigma=1", 2, 3), ("cgaussian:sigma=1", 2, 3),
                                      ("sparse:c=2", 2, 4), (MIX2, 2, 4), ("uniform:c=1", 2, 4)])
def test_exact_loss_and_grad_equal_population_loss_at_dense_points(spec, d, T):
    dist = parse_dist(spec)
    rnd = random.Random(hash((spec, d, T)) % 1000)
    P = sympy.Matrix(d, 2 * d, lambda i, j: sympy.Rational(rnd.randint(-9, 9), 10))
    K = sympy.Matrix(2 * d, 2 * d, lambda i, j: sympy.Rational(rnd.randint(-9, 9), 10))
    pop = PopulationLoss(dist, d, T)
    L = _cnum(pop.loss_at(P, K)).real
    gP, gK = (np.array(g.tolist(), dtype=float) for g in pop.gradient_at(P, K))
    params = Params(np.array(K.tolist(), dtype=float), np.array(P.tolist(), dtype=float))
    res = quad.exact_loss_and_grad(dist, d, T, params, chunk_bytes=20_000)  # several chunks
    assert res.rule.n_sequences > quad._chunk_size(T, d, 20_000)
    assert abs(res.value - L) <= 1e-11 * abs(L)
    scale = max(np.abs(gP).max(), np.abs(gK).max())  # relative to the largest gradient entry
    assert np.abs(res.grad.pv - gP).max() <= 1e-11 * scale
    assert np.abs(res.grad.kq - gK).max() <= 1e-11 * scale
    assert abs(quad.exact_loss(dist, d, T, params).value - L) <= 1e-11 * abs(L)


def test_the_stated_degrees_are_needed():
    """One fewer phase point, or a lower x-degree, gives a wrong loss: the bounds are not slack."""
    dist, d, T = parse_dist(MIX3), 3, 6
    rng = np.random.default_rng(5)
    params = Params.dense_gaussian(d, 0.5, rng)
    f = quad._loss_per_sequence(params)
    right = quad.expectation(dist, d, T, f, 6, 3 * (T - 2)).value
    aliased = quad.expectation(dist, d, T, f, 6, 3 * (T - 2) - 1).value
    assert abs(aliased - right) > 1e-6 * abs(right)
    assert abs(quad.exact_loss(dist, d, T, params).value - right) <= 1e-13 * abs(right)
    gauss = parse_dist("gaussian:sigma=1")
    f1 = quad._loss_per_sequence(Params.dense_gaussian(2, 0.5, rng))
    good = quad.expectation(gauss, 2, 4, f1, 6, 6).value
    low = quad.expectation(gauss, 2, 4, f1, 4, 6).value
    assert abs(low - good) > 1e-3 * abs(good)


# -- against hand closed forms ---------------------------------------------------------------------
def _iid_moments(spec):
    """(E|z|^2, E|z|^4, E|z|^6) of one coordinate, written out by hand."""
    return {
        "gaussian:sigma=1": (1, 3, 15),
        "uniform:c=1": (Fraction(1, 3), Fraction(1, 5), Fraction(1, 7)),
        "laplace:b=1": (2, 24, 720),
        "rademacher:c=1": (1, 1, 1),
        "cgaussian:sigma=1": (1, 2, 6),
    }[spec]


def _hand_test_error(spec, d, u, t):
    if spec == "sparse:c=2":  # one nonzero coordinate: no cross term
        c2 = 4
        return float(c2 * (u * c2 - 1) ** 2)
    if spec == MIX2:
        atoms = [(Fraction(1, 4), [1 + 2j, -1]), (Fraction(3, 4), [-0.5j, 0])]
        total = 0.0
        for p, z in atoms:
            s = [abs(v) ** 2 for v in z]
            total += float(p) * sum(s[r] * ((u * s[r] - 1) ** 2 + u**2 / (t - 1) * sum(
                s[k] ** 2 for k in range(d) if k != r)) for r in range(d))
        return total
    m2, m4, m6 = (float(v) for v in _iid_moments(spec))
    return d * (u**2 * m6 - 2 * u * m4 + m2) + u**2 / (t - 1) * d * (d - 1) * m2 * m4


@pytest.mark.parametrize("spec,d", [("gaussian:sigma=1", 2), ("uniform:c=1", 3), ("laplace:b=1", 2),
                                    ("rademacher:c=1", 3), ("cgaussian:sigma=1", 2), ("sparse:c=2", 3),
                                    (MIX2, 2), ("gaussian:sigma=1", 1)])
@pytest.mark.parametrize("t", [2, 4, 7])
def test_exact_test_error_equals_hand_closed_form(spec, d, t):
    a, b = 0.8, 0.35
    got = quad.exact_test_error(spec, d, Params.diagonal(d, a, b), t)
    exact = _hand_test_error(spec, d, a * b, t)
    assert abs(got.value - exact) <= 1e-12 * exact
    assert got.rule.phase_degree == 3 * (t - 1)


@pytest.mark.parametrize("t", [2, 3, 6])
def test_exact_ratio_equals_hand_closed_form(t):
    a, b = 0.9, 0.4
    u = a * b
    # continuous, i.i.d.: u E|z|^2
    for spec, m2 in (("gaussian:sigma=1", 1.0), ("laplace:b=1", 2.0), ("cgaussian:sigma=1", 1.0)):
        got = quad.exact_ratio(spec, 2, Params.diagonal(2, a, b), t).value
        assert abs(got - u * m2) <= 1e-12 * u * m2
    # sparse: zero coordinates left out -> u c^2 (not u c^2 / d)
    got = quad.exact_ratio("sparse:c=2", 3, Params.diagonal(3, a, b), t).value
    assert abs(got - 4 * u) <= 1e-12 * 4 * u
    # a mixture with a zero coordinate: u sum_j E|z_j|^2 / sum_j P(z_j != 0)
    num = 0.25 * (5 + 1) + 0.75 * (0.25 + 0)
    den = (0.25 + 0.75) + 0.25
    got = quad.exact_ratio(MIX2, 2, Params.diagonal(2, a, b), t).value
    assert abs(got - u * num / den) <= 1e-12 * u * num / den
    # per-coordinate u_j, sigma_j: E ratio = sum_j u_j sigma_j^2 / d
    p = Params.diagonal(2, 1.0, 1.0)
    p.kq[2, 0], p.kq[3, 1], p.pv[0, 0], p.pv[1, 1] = 0.5, 1.5, 0.4, 0.2
    got = quad.exact_ratio("gaussian:sigmas=1,2", 2, p, t).value
    exact = (0.5 * 0.4 * 1 + 1.5 * 0.2 * 4) / 2
    assert abs(got - exact) <= 1e-12 * exact


@pytest.mark.parametrize("d,t", [(1, 3), (2, 2), (2, 5), (3, 4)])
def test_exact_ratio_second_moment_equals_hand_closed_form(d, t):
    a, b = 0.7, 0.5
    u = a * b
    res = quad.exact_ratio("gaussian:sigma=1", d, Params.diagonal(d, a, b), t, moments=(1, 2))
    second = u**2 * (d + 2) / d + 2 * u**2 * (d - 1) / (d * (t - 1))
    assert abs(res.second_moment - second) <= 1e-12 * second
    assert abs(res.variance - (second - u**2)) <= 1e-11 * second
    assert res.rule.phase_degree == 2 * (2 * t - 1) and res.rule.x_degree == 4
    # sparse: every sequence has the same ratio u c^2, so the variance is exactly 0
    sp = quad.exact_ratio("sparse:c=1", 3, Params.diagonal(3, a, b), t, moments=(1, 2))
    assert abs(sp.variance) <= 1e-14


def test_ratio_quotient_equals_direct_division():
    """The polynomial form of yhat_{t,j} / x_{t+1,j} equals the division where x_{t+1,j} != 0."""
    rng = np.random.default_rng(3)
    d, t = 3, 5
    p = Params.dense_gaussian(d, 1.0, rng, complex=True)
    keep = np.zeros((d, 2 * d), dtype=bool)
    keep[np.arange(d), np.arange(d)] = keep[np.arange(d), d + np.arange(d)] = True
    p.pv[~keep] = 0
    x1 = rng.standard_normal((50, d)) + 1j * rng.standard_normal((50, d))
    batch = ProcessBatch(x1, rng.uniform(0, 2 * np.pi, (50, d)), t + 1)
    direct = predictions(p, batch)[:, -1] / batch.X[:, t]
    assert np.allclose(quad._ratio_quotient(p, batch, t), direct, rtol=1e-12, atol=1e-12)


def test_ratio_with_unstructured_pv():
    rng = np.random.default_rng(4)
    p = Params.dense_gaussian(2, 0.5, rng)
    with pytest.raises(InputError, match="not a polynomial"):
        quad.exact_ratio("gaussian:sigma=1", 2, p, 3)
    # finite support: direct division, checked against a hand enumeration of the support
    got = quad.exact_ratio("sparse:c=1", 2, p, 3).value
    nodes, w = x1_rule(parse_dist("sparse:c=1"), 2, 0)
    theta, wt = phase_rule(2, 2 * 3)  # |k_j| <= 2t - 1 = 5
    x1 = np.repeat(nodes, len(theta), axis=0)
    batch = ProcessBatch(x1, np.tile(theta, (len(nodes), 1)), 4)
    q = predictions(p, batch)[:, -1] / np.where(batch.X[:, 3] != 0, batch.X[:, 3], 1)
    per = np.where(x1 != 0, q.real, 0).sum(axis=1) / 1.0  # sum_j P(x_j != 0) = 1 for sparse
    assert abs(got - np.sum(np.repeat(w, len(theta)) * np.tile(wt, len(nodes)) * per)) <= 1e-13 * abs(got)


# -- budget, second moments, Monte Carlo -----------------------------------------------------------
def test_budget_guard_refuses_before_work():
    with pytest.raises(BudgetError, match="sequences"):
        quad.exact_loss("gaussian:sigma=1", 5, 10, Params.diagonal(5, 1, 1))
    with pytest.raises(BudgetError):
        quad.exact_loss("gaussian:sigma=1", 2, 4, Params.diagonal(2, 1, 1), max_sequences=100)


def test_chunking_does_not_change_the_result():
    params = Params.dense_gaussian(2, 0.5, np.random.default_rng(6))
    whole = quad.exact_loss("laplace:b=1", 2, 5, params, moments=(1, 2))
    tiny = quad.exact_loss("laplace:b=1", 2, 5, params, moments=(1, 2), chunk_bytes=100_000)  # ~28 per chunk
    assert abs(whole.value - tiny.value) <= 1e-13 * whole.value
    assert abs(whole.second_moment - tiny.second_moment) <= 1e-13 * whole.second_moment


def test_monte_carlo_agrees_with_exact_loss_mean_and_variance():
    """Chebyshev with the exact variance: P(|mean_m - L| >= k sd/sqrt(m)) <= 1/k^2 = 1/100 (k = 10;
    the seed is fixed, so the test is deterministic). The variance is checked to 5 % (sampling
    error of the sample variance here ~ 1 %)."""
    dist, d, T = parse_dist("uniform:c=1"), 2, 5
    params = Params.dense_gaussian(d, 0.5, np.random.default_rng(7))
    ex = quad.exact_loss(dist, d, T, params, moments=(1, 2))
    m = 200_000
    rng = np.random.default_rng(8)
    X = sample_sequences(dist.sample(m, d, rng), T, rng)
    r = predictions(params, X) - X[:, 2:]
    per = 0.5 * (np.abs(r) ** 2).sum(axis=(1, 2))
    sd = math.sqrt(ex.variance)
    assert abs(per.mean() - ex.value) <= 10 * sd / math.sqrt(m)
    assert abs(per.var() / ex.variance - 1) <= 0.05
