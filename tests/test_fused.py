"""The fused epoch (mesacheck.setting.fused) against the per-prefix reference and the older engines.

Tolerance: the engines compute the same exact algebra in different orders, and the fused one
generates x_{t+1} = lam x_t by recurrence (a few ulps per step); agreement is required to 1e-12
relative to the largest magnitude involved (loss and gradient entries; predictions).
Each distinct d compiles one kernel (cached on disk by numba), so d is drawn from a small set.
"""
import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mesacheck.errors import InputError
from mesacheck.setting import fused, model
from mesacheck.setting.params import Params

REL = 1e-12
DIMS = (1, 2, 3, 5)


def _data(seed, m, T, d, complex_x1=False):
    rng = np.random.default_rng(seed)
    x1 = rng.standard_normal((m, d))
    if complex_x1:
        x1 = x1 + 1j * rng.standard_normal((m, d))
    theta = model.sample_W_phases(m, d, rng)
    return rng, x1, theta


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b))) / max(float(np.max(np.abs(b))), 1e-300)


def _loss_grad_vector(loss, grad):
    return np.append(grad.flatten(), loss)


@settings(deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 40), T=st.integers(3, 12), d=st.sampled_from(DIMS),
       complex_params=st.booleans(), complex_x1=st.booleans(), weighted=st.booleans())
def test_fused_epoch_equals_per_prefix_reference(seed, m, T, d, complex_params, complex_x1, weighted):
    """Loss and gradient of the fused epoch == the naive per-prefix implementation (and the
    structured and generic prefix-sum engines), real and complex parameters, to 1e-12."""
    rng, x1, theta = _data(seed, m, T, d, complex_x1)
    params = Params.dense_gaussian(d, 0.6, rng, complex=complex_params)
    weights = None
    if weighted:
        weights = rng.random(m) + 0.01
        weights /= weights.sum()
    batch = fused.FusedBatch(x1, theta, T)
    loss, grad = fused.loss_and_grad(params, batch, weights)
    assert grad.is_complex == complex_params
    got = _loss_grad_vector(loss, grad)
    X = batch.X
    ref = _loss_grad_vector(*model.loss_and_grad_per_prefix(params, X, weights))
    assert _rel(got, ref) <= REL
    assert _rel(got, _loss_grad_vector(*model.loss_and_grad(params, model.ProcessBatch(x1, theta, T), weights))) <= REL
    assert _rel(got, _loss_grad_vector(*model.loss_and_grad(params, X, weights))) <= REL
    assert abs(fused.loss_only(params, batch, weights) - loss) <= REL * abs(loss)


@pytest.mark.parametrize("m,T,d", [(1, 3, 1), (17, 3, 5), (16, 4, 2), (33, 30, 5), (5, 3, 3)])
@pytest.mark.parametrize("complex_params", [False, True])
def test_fused_small_cases_and_padding(m, T, d, complex_params):
    """T = 3 (one prediction), d = 1, m not a multiple of the 16 lanes, a single sequence."""
    rng, x1, theta = _data(100 * m + T + d, m, T, d)
    params = Params.dense_gaussian(d, 0.5, rng, complex=complex_params)
    batch = fused.FusedBatch(x1, theta, T)
    got = _loss_grad_vector(*fused.loss_and_grad(params, batch))
    ref = _loss_grad_vector(*model.loss_and_grad_per_prefix(params, batch.X))
    assert _rel(got, ref) <= REL


@settings(deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 40), T=st.integers(3, 12), d=st.sampled_from(DIMS),
       complex_params=st.booleans(), sparse=st.booleans())
def test_evaluation_shortcuts_equal_the_full_computation(seed, m, T, d, complex_params, sparse):
    """The ratio's prediction from the cached C_{T-1} == the last row of the full per-prefix
    predictions == the fused forward's last prediction; the fused test loss (running sums) == the
    per-prefix loss; the ratio skips exactly the zero coordinates of x_T."""
    rng, x1, theta = _data(seed, m, T, d)
    if sparse:  # the sparse law's zeros: one nonzero coordinate per sequence
        keep = rng.integers(0, d, size=m)
        x1 = np.where(np.arange(d)[None, :] == keep[:, None], x1, 0.0)
    params = Params.dense_gaussian(d, 0.6, rng, complex=complex_params)
    batch = fused.FusedBatch(x1, theta, T)
    Y = model.predictions_per_prefix(params, batch.X)
    scale = max(float(np.max(np.abs(Y))), 1e-300)
    short = fused.last_prediction(params, batch)
    loss_full, last_full = fused.loss_and_last_prediction(params, batch)
    assert np.max(np.abs(short - Y[:, -1])) <= REL * scale
    assert np.max(np.abs(last_full - Y[:, -1])) <= REL * scale
    ref_loss = model.loss_only(params, batch.X)
    assert abs(fused.loss_only(params, batch) - ref_loss) <= REL * abs(ref_loss)
    assert abs(loss_full - ref_loss) <= REL * abs(ref_loss)
    x_T = batch.X[:, -1]
    assert np.array_equal(batch.token(T), x_T)
    pairs = [(Y[s, -1, j], x_T[s, j]) for s in range(m) for j in range(d) if x_T[s, j] != 0]
    expected = np.mean([np.real(y / x) for y, x in pairs])
    ratio = fused.last_position_ratio(short, x_T)
    assert abs(ratio - expected) <= 1e-10 * max(1.0, abs(expected))


def test_ratio_undefined_without_nonzero_coordinates():
    assert np.isnan(fused.last_position_ratio(np.ones((2, 3)), np.zeros((2, 3))))


def test_results_do_not_depend_on_the_number_of_threads():
    """Partial sums are formed per fixed group of blocks: bitwise the same with 1 or 2 threads."""
    rng, x1, theta = _data(3, 300, 9, 3)
    params = Params.dense_gaussian(3, 0.4, rng)
    batch = fused.FusedBatch(x1, theta, 9)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = fused.loss_and_grad(params, batch)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = fused.loss_and_grad(params, batch)
    finally:
        numba.set_num_threads(before)
    assert one[0] == two[0] and np.array_equal(one[1].flatten(), two[1].flatten())


def test_memory_is_independent_of_T():
    """The batch holds x_1 and the phases only (no m x T array)."""
    _, x1, theta = _data(0, 100, 5, 5)
    short, long = fused.FusedBatch(x1, theta, 5), fused.FusedBatch(x1, theta, 5000)
    assert short.nbytes == long.nbytes < 100 * 5 * 200


def test_flop_counts_are_positive_and_scale():
    f = fused.epoch_flops
    assert f(2000, 100, 5) == pytest.approx(2 * f(1000, 100, 5))
    assert f(1000, 100, 5) > fused.forward_flops(1000, 100, 5) > 0
    # Per sequence and position: 7.5 d^2 + 6.5 d complex multiply-adds, plus |r|^2.
    assert f(1, 3, 1) == 8 * (7 + 1 + 6) + 2 + 8 * 15


def test_bad_inputs():
    _, x1, theta = _data(0, 4, 5, 2)
    with pytest.raises(InputError):
        fused.FusedBatch(x1, theta[:, :1], 5)
    with pytest.raises(InputError):
        fused.FusedBatch(x1, theta, 2)
    with pytest.raises(InputError):
        fused.FusedBatch(x1, np.full_like(theta, np.nan), 5)
    batch = fused.FusedBatch(x1, theta, 5)
    with pytest.raises(InputError):
        fused.loss_and_grad(Params.zeros(3), batch)
    with pytest.raises(InputError):
        fused.loss_and_grad(Params.zeros(2), batch.X)
    with pytest.raises(InputError):
        fused.loss_only(Params.zeros(2), batch, np.array([1.0, 0.0, 0.0]))


def test_model_dispatches_fused_batches():
    """model.loss_and_grad on a FusedBatch runs the fused engine (so flows can use it)."""
    rng, x1, theta = _data(11, 20, 6, 2)
    params = Params.dense_gaussian(2, 0.5, rng)
    batch = fused.FusedBatch(x1, theta, 6)
    a = model.loss_and_grad(params, batch)
    b = fused.loss_and_grad(params, batch)
    assert a[0] == b[0] and np.array_equal(a[1].flatten(), b[1].flatten())
    assert model.loss_only(params, batch) == fused.loss_only(params, batch)
