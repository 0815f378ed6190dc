"""Tests of mesacheck.setting.params and mesacheck.setting.model.

Tolerances: identities that are exact algebra (C1, engine agreement) are checked to relative
1e-10 of the magnitudes involved; finite differences (central, step 1e-6) to 1e-6 relative to the
loss and gradient scale, which is far above their O(h^2) + O(eps/h) error.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mesacheck.errors import InputError
from mesacheck.setting import model
from mesacheck.setting.params import Params

REL = 1e-10


def _complex_gaussian(rng, shape, is_complex):
    z = rng.standard_normal(shape)
    return z + 1j * rng.standard_normal(shape) if is_complex else z.astype(np.complex128)


def _process(seed, m, T, d, complex_x1=False):
    """(X, ProcessBatch) for m process sequences with Gaussian x_1."""
    rng = np.random.default_rng(seed)
    x1 = _complex_gaussian(rng, (m, d), complex_x1)
    batch = model.ProcessBatch.sample(x1, T, rng)
    return batch.X, batch


# -- independent reference: explicit E_t per sequence and per prefix -------------------------------
def reference_loss_grad(params, X, weights=None):
    """Loss, dL/dW^KQ, dL/dW^PV and predictions by explicit loops over sequences and prefixes.

    E_t = [e_1 .. e_t] is built column by column; the gradient uses dL/dP = r w^H and
    dL/dK = S P^H r e^H / rho (complex convention), real part for real parameters.
    """
    m, T, d = X.shape
    P, K = params.pv, params.kq
    w = np.full(m, 1.0 / m) if weights is None else weights
    loss, gP, gK = 0.0, np.zeros((d, 2 * d), complex), np.zeros((2 * d, 2 * d), complex)
    Yhat = np.zeros((m, T - 2, d), complex)
    for s in range(m):
        cols = []
        for t in range(1, T):  # prefix length t, tokens x_1..x_t
            prev = X[s, t - 2] if t >= 2 else np.zeros(d)
            cols.append(np.concatenate([X[s, t - 1], prev]))
            if t < 2:
                continue
            Et = np.stack(cols, axis=1)  # 2d x t
            S = Et @ Et.conj().T
            e = cols[-1]
            wv = S @ K @ e / (t - 1)
            y = P @ wv
            Yhat[s, t - 2] = y
            r = y - X[s, t]
            loss += w[s] * 0.5 * np.sum(np.abs(r) ** 2)
            gP += w[s] * np.outer(r, wv.conj())
            gK += w[s] * np.outer(S @ P.conj().T @ r, e.conj()) / (t - 1)
    if not params.is_complex:
        gP, gK = gP.real, gK.real
    return loss, gK, gP, Yhat


def _close(a, b, scale, rel=REL):
    return np.max(np.abs(np.asarray(a) - np.asarray(b))) <= rel * scale


# -- C1: one step of GD on in-context least squares -------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(d=st.integers(1, 4), T=st.integers(3, 8), data=st.data(),
       a=st.floats(-3, 3), b=st.floats(-3, 3), seed=st.integers(0, 2**32 - 1),
       process=st.booleans(), complex_x1=st.booleans())
def test_C1_prediction_is_one_gd_step(d, T, data, a, b, seed, process, complex_x1):
    """yhat_t with A = aI, B = bI equals What_t x_t, What_t = (ab/(t-1)) sum_{i<t} x_{i+1} x_i^H.

    Holds for any sequence (checked on arbitrary random ones and on process sequences, through
    both prefix-sum engines). Tolerance: 1e-10 * (1 + |ab|/(t-1) sum_i |x_{i+1}| |x_i| |x_t|).
    """
    t = data.draw(st.integers(2, T - 1), label="t")
    rng = np.random.default_rng(seed)
    m = 3
    if process:
        X, batch = _process(seed, m, T, d, complex_x1)
        engines = [X, batch]
    else:
        X = _complex_gaussian(rng, (m, T, d), complex_x1)
        engines = [X]
    p = Params.diagonal(d, a, b)
    for s in range(m):
        xs = [X[s, i] for i in range(T)]  # xs[i] = x_{i+1}
        eta = a * b / (t - 1)
        What = eta * sum(np.outer(xs[i], xs[i - 1].conj()) for i in range(1, t))
        expected = What @ xs[t - 1]
        scale = 1 + abs(eta) * sum(np.linalg.norm(xs[i]) * np.linalg.norm(xs[i - 1]) for i in range(1, t)) \
            * np.linalg.norm(xs[t - 1])
        for data_ in engines:
            got = model.predictions(p, data_)[s, t - 2]
            assert _close(got, expected, scale)
        assert _close(model.predictions_per_prefix(p, X)[s, t - 2], expected, scale)


# -- gradient vs central finite differences --------------------------------------------------------
def _fd_grad(params, data, weights, h=1e-6):
    vec = params.flatten()
    out = np.empty_like(vec)
    for k in range(vec.size):
        up, dn = vec.copy(), vec.copy()
        up[k] += h
        dn[k] -= h
        f = lambda v: model.loss_only(Params.unflatten(v, params.d, complex=params.is_complex), data, weights)
        out[k] = (f(up) - f(dn)) / (2 * h)
    return out


@settings(max_examples=12, deadline=None)
@given(d=st.integers(1, 3), T=st.integers(3, 6), seed=st.integers(0, 2**32 - 1),
       complex_params=st.booleans(), use_batch=st.booleans(), weighted=st.booleans())
def test_gradient_matches_central_differences(d, T, seed, complex_params, use_batch, weighted):
    """Analytic gradient (real, or complex with dL/dRe + i dL/dIm) == central differences, to
    1e-6 * (1 + |L| + max|grad|)."""
    rng = np.random.default_rng(seed)
    m = 4
    X, batch = _process(seed, m, T, d, complex_x1=bool(seed % 2))
    params = Params.dense_gaussian(d, 0.7, rng, complex=complex_params)
    weights = None
    if weighted:
        weights = rng.random(m)
        weights /= weights.sum()
    data = batch if use_batch else X
    loss, grad = model.loss_and_grad(params, data, weights)
    assert grad.is_complex == complex_params
    fd = _fd_grad(params, data, weights)
    g = grad.flatten()  # complex: real parts (dL/dRe) then imaginary parts (dL/dIm)
    assert _close(g, fd, 1 + abs(loss) + np.max(np.abs(g)), rel=1e-6)


# -- all engines against the independent loop implementation --------------------------------------
@pytest.mark.parametrize("complex_params", [False, True])
@pytest.mark.parametrize("m,T,d", [(1, 3, 1), (5, 4, 2), (7, 9, 3), (6, 12, 5)])
def test_engines_match_explicit_reference(m, T, d, complex_params):
    rng = np.random.default_rng(100 * m + T + d)
    X, batch = _process(rng.integers(2**32), m, T, d, complex_x1=complex_params)
    params = Params.dense_gaussian(d, 0.5, rng, complex=complex_params)
    weights = rng.random(m)
    weights /= weights.sum()
    loss_ref, gK_ref, gP_ref, Y_ref = reference_loss_grad(params, X, weights)
    scale = 1 + abs(loss_ref) + np.max(np.abs(gK_ref)) + np.max(np.abs(gP_ref))
    for name, fn, data in [("generic", model.loss_and_grad, X), ("structured", model.loss_and_grad, batch),
                           ("naive", model.loss_and_grad_per_prefix, X)]:
        loss, grad = fn(params, data, weights)
        assert abs(loss - loss_ref) <= REL * scale, name
        assert _close(grad.kq, gK_ref, scale), name
        assert _close(grad.pv, gP_ref, scale), name
    yscale = 1 + np.max(np.abs(Y_ref))
    for Y in (model.predictions(params, X), model.predictions(params, batch),
              model.predictions_per_prefix(params, X)):
        assert Y.shape == (m, T - 2, d)
        assert _close(Y, Y_ref, yscale)
    loss, last = model.loss_and_last_prediction(params, batch)
    assert _close(last, Y_ref[:, -1], yscale)


def test_generic_engine_on_arbitrary_sequences():
    """The generic engine needs no process structure: arbitrary complex sequences."""
    rng = np.random.default_rng(5)
    X = _complex_gaussian(rng, (4, 7, 3), True)
    params = Params.dense_gaussian(3, 0.5, rng)
    loss_ref, gK_ref, gP_ref, _ = reference_loss_grad(params, X)
    loss, grad = model.loss_and_grad(params, X)
    scale = 1 + abs(loss_ref) + np.max(np.abs(gK_ref))
    assert abs(loss - loss_ref) <= REL * scale
    assert _close(grad.kq, gK_ref, scale) and _close(grad.pv, gP_ref, scale)


def test_chunking_and_cache_do_not_change_results(monkeypatch):
    rng = np.random.default_rng(9)
    x1 = rng.standard_normal((37, 3))
    theta = model.sample_W_phases(37, 3, rng)
    params = Params.dense_gaussian(3, 0.3, rng)
    cached = model.ProcessBatch(x1, theta, 11)
    loss0, g0 = model.loss_and_grad(params, cached)
    lossX, gX = model.loss_and_grad(params, cached.X)
    monkeypatch.setattr(model, "CHUNK_BYTES", 1)  # one sequence per chunk
    uncached = model.ProcessBatch(x1, theta, 11, cache_bytes=0)
    assert cached.cached and not uncached.cached and len(uncached.slices) == 37
    for data, (l_ref, g_ref) in [(uncached, (loss0, g0)), (cached.X, (lossX, gX))]:
        loss, g = model.loss_and_grad(params, data)
        assert abs(loss - l_ref) <= REL * abs(l_ref)
        assert _close(g.flatten(), g_ref.flatten(), np.max(np.abs(g_ref.flatten())))


# -- data ---------------------------------------------------------------------------------------------
def test_sequences_follow_the_process():
    rng = np.random.default_rng(1)
    x1 = rng.standard_normal((6, 4))
    theta = model.sample_W_phases(6, 4, rng)
    assert theta.shape == (6, 4) and np.all((theta >= 0) & (theta < 2 * np.pi))
    X = model.sequences_from_phases(x1, theta, 9)
    assert X.shape == (6, 9, 4) and X.dtype == np.complex128
    lam = np.exp(1j * theta)
    assert np.allclose(X[:, 1:], lam[:, None, :] * X[:, :-1], rtol=0, atol=1e-12)
    assert np.allclose(np.abs(X), np.abs(x1)[:, None, :], rtol=0, atol=1e-12)
    assert np.array_equal(X[:, 0], x1.astype(complex))
    X1 = model.sample_sequences(x1, 9, np.random.default_rng(3))
    X2 = model.sample_sequences(x1, 9, np.random.default_rng(3))
    assert np.array_equal(X1, X2)


def test_embed():
    X = np.arange(1, 13, dtype=float).reshape(1, 4, 3) * (1 + 0j)
    E = model.embed(X)
    assert E.shape == (1, 4, 6)
    assert np.array_equal(E[0, 0], np.r_[X[0, 0], 0, 0, 0])
    assert np.array_equal(E[0, 2], np.r_[X[0, 2], X[0, 1]])


@pytest.mark.parametrize("bad", [np.zeros((2, 2, 3)), np.zeros((2, 5)), np.zeros((0, 5, 2))])
def test_bad_sequence_arrays(bad):
    with pytest.raises(InputError):
        model.loss_and_grad(Params.zeros(bad.shape[-1] if bad.ndim == 3 else 1), bad)


def test_bad_weights_and_dimension_mismatch():
    X, _ = _process(0, 3, 5, 2)
    p = Params.zeros(2)
    for w in ([0.5, 0.5], [1.0, 1.0, -1.0], [np.nan, 0.5, 0.5], [0.2, 0.2, 0.2]):
        with pytest.raises(InputError):
            model.loss_only(p, X, np.array(w))
    with pytest.raises(InputError):
        model.loss_only(Params.zeros(3), X)
    with pytest.raises(InputError):
        model.loss_only("not params", X)


# -- Params ------------------------------------------------------------------------------------------
def test_params_diagonal_blocks_and_ab():
    p = Params.diagonal(3, 0.5, 1.5)
    assert p.kq.shape == (6, 6) and p.pv.shape == (3, 6) and p.kq.dtype == np.float64
    assert np.array_equal(p.A, 0.5 * np.eye(3)) and np.array_equal(p.B, 1.5 * np.eye(3))
    assert np.count_nonzero(p.kq) == 3 and np.count_nonzero(p.pv) == 3
    assert p.ab() == pytest.approx(0.75)
    assert p.off_diagonal_norm() == 0.0
    pc = Params.diagonal(2, 2, 2, complex=True)
    assert pc.is_complex and pc.ab() == pytest.approx(4.0)


@pytest.mark.parametrize("is_complex", [False, True])
def test_params_flatten_roundtrip_and_order(is_complex):
    rng = np.random.default_rng(2)
    p = Params.dense_gaussian(3, 1.0, rng, complex=is_complex)
    v = p.flatten()
    assert v.dtype == np.float64 and v.size == (2 if is_complex else 1) * (36 + 18)
    q = Params.unflatten(v, 3, complex=is_complex)
    assert np.array_equal(q.kq, p.kq) and np.array_equal(q.pv, p.pv)
    assert v[0] == np.real(p.kq[0, 0]) and v[1] == np.real(p.kq[0, 1]) and v[36] == np.real(p.pv[0, 0])
    if is_complex:
        assert v[54] == p.kq[0, 0].imag
    with pytest.raises(InputError):
        Params.unflatten(v[:-1], 3, complex=is_complex)


def test_params_mask_offdiag_norm_copy_step():
    rng = np.random.default_rng(4)
    p = Params.dense_gaussian(3, 1.0, rng)
    q = p.copy()
    assert q.mask_offdiag_AB() is q
    off = ~np.eye(3, dtype=bool)
    assert np.all(q.A[off] == 0) and np.all(q.B[off] == 0)
    assert np.array_equal(q.kq[:3], p.kq[:3]) and np.array_equal(q.pv[:, 3:], p.pv[:, 3:])
    assert np.array_equal(np.diag(q.A), np.diag(p.A))
    expected = np.sqrt(np.sum(p.kq**2) + np.sum(p.pv**2) - np.sum(np.diag(p.A) ** 2) - np.sum(np.diag(p.B) ** 2))
    assert p.off_diagonal_norm() == pytest.approx(expected)
    s = p.step(q, 0.5)
    assert np.allclose(s.kq, p.kq - 0.5 * q.kq) and s.all_finite()


def test_params_validation():
    with pytest.raises(InputError):
        Params(np.zeros((4, 4)), np.zeros((3, 4)))
    with pytest.raises(InputError):
        Params(np.zeros((3, 3)), np.zeros((1, 3)))
    with pytest.raises(InputError):
        Params.diagonal(0, 1, 1)
    with pytest.raises(InputError):
        Params.diagonal(2, float("nan"), 1)
    with pytest.raises(InputError):
        Params.dense_gaussian(2, 0, np.random.default_rng())
    mixed = Params(np.zeros((2, 2)), np.zeros((1, 2), complex))
    assert mixed.is_complex and mixed.pv.dtype == np.complex128
