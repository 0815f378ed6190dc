"""The delta-method standard error of a converged a*b (mesacheck.numeric.sampling_error).

The per-sequence coefficients are checked against the model's own loss and gradient on diagonal
parameters (exact algebra: 1e-10 relative), and the standard error against the closed form of the
scalar case d = 1 (u_hat = mean h / mean G, Var = var(h - u G) / (m mean(G)^2)).
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mesacheck.errors import InputError
from mesacheck.numeric import sampling_error as se
from mesacheck.setting import fused, model
from mesacheck.setting.params import Params


def _batch(seed, m, T, d):
    rng = np.random.default_rng(seed)
    return rng, fused.FusedBatch(rng.standard_normal((m, d)), model.sample_W_phases(m, d, rng), T)


def _diag_params(a, b):
    p = Params.zeros(len(a))
    p.A[:] = np.diag(a)
    p.B[:] = np.diag(b)
    return p


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 6), T=st.integers(3, 9), d=st.integers(1, 3))
def test_statistics_reproduce_the_model_loss_and_gradient(seed, m, T, d):
    rng, batch = _batch(seed, m, T, d)
    a, b = rng.standard_normal(d), rng.standard_normal(d)
    stats = se.diagonal_statistics(batch)
    p = _diag_params(a, b)
    X = batch.X
    losses = se.diagonal_loss(stats, a, b)
    grads, _, _ = se._per_sequence_gradients(stats, a, b)
    for s in range(m):
        loss, grad = model.loss_and_grad(p, X[s:s + 1])
        assert losses[s] == pytest.approx(loss, rel=1e-10, abs=1e-12)
        ref = np.r_[np.diag(grad.A), np.diag(grad.B)]
        assert np.allclose(grads[s], ref, rtol=1e-10, atol=1e-10 * (1 + np.max(np.abs(ref))))


def test_scalar_case_matches_the_closed_form():
    _, batch = _batch(5, 400, 12, 1)
    stats = se.diagonal_statistics(batch)
    G, h = stats[0][:, 0, 0, 0], stats[1][:, 0, 0]
    u = h.mean() / G.mean()  # the empirical minimiser of the scalar loss
    out = se.ab_standard_error(stats, [np.sqrt(u)], [np.sqrt(u)])
    expected = np.sqrt(np.var(h - u * G, ddof=1) / len(G)) / G.mean()
    assert out["se"] == pytest.approx(expected, rel=1e-8)
    assert out["grad_norm"] < 1e-10 * (1 + abs(h.mean()))


def test_standard_error_is_invariant_under_the_scaling_symmetry():
    """At a stationary point, (a, b) and (c a, b / c) are the same model: the same SE."""
    from scipy.optimize import minimize

    _, batch = _batch(7, 300, 10, 3)
    stats = se.diagonal_statistics(batch)
    d = 3

    def f(th):
        return float(np.mean(se.diagonal_loss(stats, th[:d], th[d:])))

    def grad(th):
        return se._per_sequence_gradients(stats, th[:d], th[d:])[0].mean(0)

    res = minimize(f, np.full(2 * d, 0.45), jac=grad, method="BFGS", options={"gtol": 1e-13, "maxiter": 2000})
    a, b = res.x[:d], res.x[d:]
    out = se.ab_standard_error(stats, a, b)
    assert out["grad_norm"] < 1e-9
    s2 = se.ab_standard_error(stats, 2.0 * a, b / 2.0)["se"]
    assert out["se"] > 0 and s2 == pytest.approx(out["se"], rel=1e-6)


def test_bad_shapes():
    _, batch = _batch(0, 1, 5, 2)
    stats = se.diagonal_statistics(batch)
    with pytest.raises(InputError):
        se.ab_standard_error(stats, [1.0], [1.0, 2.0])
    with pytest.raises(InputError):
        se.ab_standard_error(stats, [1.0, 1.0], [1.0, 2.0])  # m = 1
