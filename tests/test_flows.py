"""The flows: reduced flow vs the symbolic limit, tensor gradient vs two oracles, invariance of the
structured set under the exact full flow, and simulated gradient descent vs the flow."""
import numpy as np
import pytest
import sympy
from hypothesis import given, strategies as st

from mesacheck.errors import InputError
from mesacheck.numeric import boundary, flows
from mesacheck.setting.distributions import parse_dist
from mesacheck.setting.model import ProcessBatch, loss_and_grad
from mesacheck.setting.params import Params
from mesacheck.symbolic.population import PopulationLoss
from mesacheck.symbolic.reduced import derive_reduced

#: relative accuracy demanded of the integrated limit of ab against the exact u* = R/Q.
AB_RTOL = 1e-6
#: allowed drift of the conserved quantity a^2 - b^2 along the reduced flow.
KAPPA_DRIFT = 1e-8

laws = st.one_of(
    st.sampled_from(["1/2", "1", "3/2", "2"]).map(lambda s: f"gaussian:sigma={s}"),
    st.sampled_from(["1/2", "1", "2", "3"]).map(lambda c: f"sparse:c={c}"),
    st.sampled_from(["1/2", "1", "2"]).map(lambda c: f"uniform:c={c}"),
)
starts = st.tuples(st.floats(-2, 2), st.floats(-2, 2)).filter(lambda p: abs(p[0] + p[1]) > 0.05)


# -- reduced flow ----------------------------------------------------------------------------
@given(spec=laws, d=st.integers(1, 5), T=st.integers(3, 50), start=starts)
def test_reduced_flow_reaches_exact_limit_and_conserves(spec, d, T, start):
    dist = parse_dist(spec)
    exact = derive_reduced(dist, d, T).get("ab_limit")
    res = flows.reduced_flow(dist, d, T, *start)
    assert res.status == "ok" and res.converged, res.message
    assert res.ab_limit == pytest.approx(boundary.to_float(exact), rel=AB_RTOL)
    assert res.kappa_drift < KAPPA_DRIFT


@given(spec=laws, d=st.integers(1, 5), T=st.integers(3, 30), a0=st.floats(0.05, 2))
def test_reduced_flow_on_stable_manifold_goes_to_zero(spec, d, T, a0):
    res = flows.reduced_flow(spec, d, T, a0, -a0)
    assert res.converged and res.extra["on_stable_manifold"]
    assert abs(res.ab_limit) < 1e-12


def test_reduced_flow_paper_size_is_fast():
    res = flows.reduced_flow("gaussian:sigma=1", 5, 100, 0.1, 0.1)
    assert res.converged  # speed is measured in benchmarks/bench_flows.py, never asserted


def test_reduced_flow_fixed_tau_and_refusals():
    res = flows.reduced_flow("sparse:c=1", 3, 10, 0.1, 0.1, tau_max=1e-3)
    assert res.times[-1] == pytest.approx(1e-3) and not res.converged and res.status == "not converged"
    with pytest.raises(InputError, match="symbolic"):
        flows.reduced_flow("gaussian:sigma=s", 2, 5, 0.1, 0.1)
    from mesacheck.errors import ReductionError

    with pytest.raises(ReductionError, match="is not invariant.*diagonal system"):
        flows.reduced_flow("gaussian:sigmas=1,2", 2, 5, 0.1, 0.1)
    with pytest.raises(ReductionError, match="masked"):
        flows.reduced_flow("full-one:c=1", 2, 5, 0.1, 0.1)
    assert flows.reduced_flow("full-one:c=1", 2, 5, 0.5, 1.5, masked=True).converged


def test_boundary_refuses_undeclared_symbols():
    s = sympy.Symbol("s")
    with pytest.raises(boundary.UndeclaredSymbolError, match="s"):
        boundary.reduced_rhs(3 * s, 2, 2)
    with pytest.raises(boundary.UndeclaredSymbolError, match="s"):
        boundary.to_float(s + 1)
    assert boundary.to_float(sympy.Rational(1, 3)) == 1 / 3


# -- the numeric tensors against two independent oracles ----------------------------------------
@pytest.fixture(scope="module")
def gaussian_d2_T5():
    dist = parse_dist("gaussian:sigma=1")
    pl = PopulationLoss(dist, 2, 5)
    tl, _ = flows.population_tensors(dist, 2, 5)
    return dist, pl, tl


def _rational_point(rng, d):
    n = 2 * d
    rat = lambda: sympy.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 8)))
    P = sympy.Matrix(d, n, lambda i, j: rat())
    K = sympy.Matrix(n, n, lambda i, j: rat())
    return P, K, np.array(P.evalf(), float), np.array(K.evalf(), float)


def test_tensor_gradient_equals_exact_sympy_gradient(gaussian_d2_T5):
    _, pl, tl = gaussian_d2_T5
    P, K, Pn, Kn = _rational_point(np.random.default_rng(3), 2)
    gP, gK = pl.gradient_at(P, K)
    nP, nK = tl.grad(Pn, Kn)
    scale = max(np.abs(nP).max(), np.abs(nK).max(), 1.0)
    assert np.abs(nP - np.array(gP.evalf(), float)).max() <= 1e-10 * scale
    assert np.abs(nK - np.array(gK.evalf(), float)).max() <= 1e-10 * scale
    assert tl.loss(Pn, Kn) == pytest.approx(float(pl.loss_at(P, K)), rel=1e-12)


def test_tensor_gradient_agrees_with_monte_carlo(gaussian_d2_T5):
    """Independent oracle: the sampled-sequence gradient of model.py, averaged over 20 independent
    batches; every component within 5 standard errors (+1e-9) of the tensor gradient."""
    dist, _, tl = gaussian_d2_T5
    rng = np.random.default_rng(11)
    p = Params(0.3 * rng.standard_normal((4, 4)), 0.3 * rng.standard_normal((2, 4)))
    grads = []
    for _ in range(20):
        batch = ProcessBatch.sample(dist.sample(5000, 2, rng), 5, rng)
        grads.append(loss_and_grad(p, batch)[1].flatten())
    grads = np.array(grads)
    mean, se = grads.mean(0), grads.std(0, ddof=1) / np.sqrt(len(grads))
    exact = tl.grad_flat(p.flatten())
    assert np.all(np.abs(mean - exact) <= 5 * se + 1e-9)


# -- invariance of the structured set under the exact full flow --------------------------------------
@pytest.mark.parametrize("spec", ["gaussian:sigma=1", "sparse:c=1"])
def test_full_flow_stays_on_set_for_paper_laws(spec):
    res = flows.full_population_flow(spec, 2, 5, (0.5, 1.5))
    assert res.converged
    assert res.offdiag.max() < 1e-10
    assert res.ab_limit == pytest.approx(res.u_star, rel=1e-6)
    assert res.kappa_drift < 1e-8


def test_full_flow_leaves_set_for_full_one_and_masked_flow_does_not():
    res = flows.full_population_flow("full-one:c=1", 2, 5, (0.5, 1.5))
    assert res.converged and res.offdiag.max() > 1e-3
    assert res.kappa_drift < 1e-8
    masked = flows.full_population_flow("full-one:c=1", 2, 5, (0.5, 1.5), masked=True)
    assert masked.offdiag.max() < 1e-10
    assert masked.ab_limit == pytest.approx(masked.u_star, rel=1e-6)


def test_full_flow_memory_budget():
    """Above the budget the tensors are refused before any work, with the estimate in the message."""
    from mesacheck.errors import BudgetError
    from mesacheck.numeric.class_tensors import memory_estimate

    assert memory_estimate(5) == 24 * 10**6
    with pytest.raises(BudgetError, match=r"d=12 need about 4\.\d+ GiB"):
        flows.population_tensors("gaussian:sigma=1", 12, 100)
    with pytest.raises(BudgetError, match="budget"):
        flows.population_tensors("gaussian:sigma=1", 4, 5, budget=10**6)


def test_empirical_flow_reports_sampling_error():
    res = flows.empirical_flow("sparse:c=1", 2, 6, 500, (0.5, 1.5), seed=0)
    assert res.status == "ok" and res.extra["m"] == 500
    se = res.extra["ab_sampling_se"]
    assert np.isfinite(se) and abs(res.ab_limit - res.u_star) < 10 * se + 0.05


# -- simulated gradient descent against the flow -----------------------------------------------------
@pytest.mark.slow
def test_simulation_matches_population_flow():
    """GD (lr = 2e-3, 200 epochs, m = 20000) against the reduced flow at tau = epoch * lr.

    Tolerance = (step-size gap, measured exactly: GD on the population loss of the set with the same
    lr, vs the flow) + 4 x (sampling spread: max_tau |ab_seed0 - ab_seed1| / sqrt 2)."""
    from mesacheck.numeric.simulator import simulate

    spec, d, T, lr, epochs, init = "gaussian:sigma=1", 2, 8, 2e-3, 200, (0.1, 0.1)
    sims = [simulate(spec, d, T, 20000, lr, epochs, init=init, seed=s, eval_every=10, m_test=10,
                     progress=False) for s in (0, 1)]
    flow = flows.reduced_flow(spec, d, T, *init, tau_max=lr * epochs)
    rhs = flows._Scales(parse_dist(spec), d, T).rhs
    y, gd = np.array(init, float), [init[0] * init[1]]
    for _ in range(epochs):
        y = y + lr * rhs.fun(0.0, y)
        gd.append(y[0] * y[1])
    gd = np.array(gd)[sims[0].epochs]
    step_gap = np.max(np.abs(gd - flow.ab_at(sims[0].tau)))
    spread = np.max(np.abs(sims[0].ab - sims[1].ab)) / np.sqrt(2)
    tol = step_gap + 4 * spread
    assert tol < 0.25 * flow.u_star  # the comparison is informative (ab moves from 0.01 to u*)
    assert np.max(np.abs(sims[0].ab - flow.ab_at(sims[0].tau))) <= tol
