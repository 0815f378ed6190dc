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


# -- the first-order trajectory SE ---------------------------------------------------------------------------
def _diagonal_gd(stats, init, lr, epochs):
    """Plain GD on the mean diagonal loss, its gradient by central differences (route independent of
    the engine's analytic gradient)."""
    d = stats[1].shape[1]
    theta = np.concatenate([np.full(d, init[0]), np.full(d, init[1])])
    path = [theta.copy()]
    for _ in range(epochs):
        theta = theta - lr * _fd_grad(stats, theta).mean(0)
        path.append(theta.copy())
    return path


def _fd_grad(stats, theta, h=1e-5):
    """Per-sequence gradients (m, 2d) of the diagonal loss by central differences (the loss is a
    polynomial of degree 4 in theta: the error is O(h^2) times its third derivatives)."""
    d = len(theta) // 2
    cols = []
    for i in range(2 * d):
        e = np.zeros(2 * d)
        e[i] = h
        up, dn = theta + e, theta - e
        cols.append((se.diagonal_loss(stats, up[:d], up[d:]) - se.diagonal_loss(stats, dn[:d], dn[d:])) / (2 * h))
    return np.stack(cols, axis=1)


def test_trajectory_path_and_first_step_match_finite_differences():
    """Epoch 1 by hand: D_s,1 = -lr (g_s(theta_0) - gbar), so SE_1 = lr sd_s(w_1 . g_s) / sqrt(m)."""
    _, batch = _batch(11, 300, 8, 2)
    stats = se.diagonal_statistics(batch)
    init, lr = (0.4, 0.9), 3e-3
    out = se.trajectory_standard_error(stats, init, lr, 6)
    path = _diagonal_gd(stats, init, lr, 6)
    ab = [float(t[:2] @ t[2:]) / 2 for t in path]
    np.testing.assert_allclose(out["ab"], ab, rtol=1e-7)  # central differences, h = 1e-5
    g0 = _fd_grad(stats, path[0])
    w1 = np.concatenate([path[1][2:], path[1][:2]]) / 2
    se1 = lr * np.std(g0 @ w1, ddof=1) / np.sqrt(300)
    assert out["se"][0] == 0.0
    assert out["se"][1] == pytest.approx(se1, rel=1e-6)


def test_trajectory_se_at_convergence_is_the_sandwich_se():
    """Route 1: the recursion run to convergence; route 2: the M-estimation sandwich at the limit."""
    _, batch = _batch(5, 400, 8, 2)
    stats = se.diagonal_statistics(batch)
    out = se.trajectory_standard_error(stats, (0.5, 1.5), 2e-2, 4000)
    theta = np.array([0.5, 0.5, 1.5, 1.5])
    for _ in range(4000):
        theta = theta - 2e-2 * se._per_sequence_gradients(stats, theta[:2], theta[2:])[0].mean(0)
    a, b = theta[:2], theta[2:]
    sandwich = se.ab_standard_error(stats, a, b)
    assert sandwich["grad_norm"] < 1e-10  # converged
    assert out["se"][-1] == pytest.approx(sandwich["se"], rel=1e-6)


def test_trajectory_se_is_the_spread_over_independent_samples():
    """Monte Carlo over 40 independent training samples (fixed seeds; d = 5, T = 30, m = 1000, the
    regime of the sandwich check in the module docstring): the spread of a*b after 100 steps from
    (0.1, 0.1), mid-trajectory (a*b about 0.11 of its limit 0.18), and after 200, against the root
    mean square predicted SE. 40 samples give the sample SD to about 11 % (one SD): the band
    [0.7, 1.4] is about 3 SD wide on each side, and a factor-2 error in the SE fails it. (At small
    m and short T the first-order SE is too small: ratio 1.3 at d = 2, T = 6, m = 3000.)"""
    lr, m, d, T = 2e-4, 1000, 5, 30
    at = {100: ([], []), 200: ([], [])}
    for seed in range(40):
        rng = np.random.default_rng(2000 + seed)
        batch = fused.FusedBatch(rng.standard_normal((m, d)), model.sample_W_phases(m, d, rng), T)
        out = se.trajectory_standard_error(se.diagonal_statistics(batch), (0.1, 0.1), lr, 200)
        for epoch, (values, ses) in at.items():
            values.append(out["ab"][epoch])
            ses.append(out["se"][epoch])
    assert 0.08 < np.mean(at[100][0]) < 0.15  # mid-trajectory (limit about 0.18, start 0.01)
    for epoch, (values, ses) in at.items():
        ratio = np.std(values, ddof=1) / np.sqrt(np.mean(np.square(ses)))
        assert 0.7 < ratio < 1.4, (epoch, ratio)
