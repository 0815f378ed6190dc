"""The data process and the one-layer linear attention model: predictions, loss and exact gradient.

Conventions (SETTING.md): X has shape (m, T, d) with X[:, t-1] = x_t = W^{t-1} x_1,
W = diag(exp(i theta)); the embedding is e_t = (x_t; x_{t-1}) with x_0 = 0; the prediction from
the first t tokens is

    yhat_t = W^PV S_t W^KQ e_t / rho_t,   S_t = E_t E_t^H = sum_{i<=t} e_i e_i^H,   rho_t = t - 1,

and the loss is L = sum_seq w_seq sum_{t=2}^{T-1} 1/2 ||yhat_t - x_{t+1}||^2 with w_seq = 1/m
unless quadrature weights are given. Predictions are returned for t = 2..T-1, i.e. an array of
shape (m, T-2, d) whose index k holds yhat_{k+2}.

Gradient (derived in ``loss_and_grad``'s docstring) is exact; for complex parameters it follows
PyTorch's convention dL/dRe z + i dL/dIm z.

Three implementations compute the same numbers:

* generic prefix sums, for any X: S_t accumulated along t, O(m T d^2) per epoch;
* structured prefix sums for process data (``ProcessBatch``, phases known): since
  x_{t-1} = conj(lambda) * x_t for t >= 2, S_t = e_1 e_1^H + J C'_t J^H with
  J = [I; diag(conj lambda)] and C'_t = sum_{2<=i<=t} x_i x_i^H, a d x d matrix instead of
  2d x 2d; C'_t / rho_t depends on the data only, so it is computed once and reused every epoch
  (this is the simulator's engine: ~20-30x faster per epoch than the naive reference at the
  paper's m = 10000, T = 100, d = 5, see ``mesacheck bench``);
* the naive per-prefix reference (``predictions_per_prefix``, ``loss_and_grad_per_prefix``),
  recomputing E_t E_t^H for every t like the authors' program, O(m T^2 d^2); benchmark only.

The simulator's engine is now the fused epoch of :mod:`mesacheck.setting.fused` (same algebra as
the structured engine, one pass per sequence block with running sums, no per-prefix cache); the
three engines here are its references. The functions below accept a ``FusedBatch`` too.
"""
import numpy as np

from mesacheck.errors import InputError
from mesacheck.setting.params import Params
from mesacheck.setting.validate import check_int

#: bytes of temporaries one chunk of sequences may use: small chunks keep the working set in the
#: CPU cache, which matters more here than Python overhead per chunk.
CHUNK_BYTES = 8 * 2**20
#: bytes a ProcessBatch may spend on cached prefix Gram matrices (beyond: recomputed per call).
CACHE_BYTES = 768 * 2**20

_C16 = 16  # bytes per complex128


# -- data ----------------------------------------------------------------------------------------
def sample_W_phases(m, d, rng):
    """theta of shape (m, d), i.i.d. Uniform[0, 2 pi): W = diag(exp(i theta)) for each sequence."""
    m, d = check_int("m", m, 1), check_int("d", d, 1)
    return rng.uniform(0.0, 2.0 * np.pi, size=(m, d))


def _check_x1(x1):
    x1 = np.asarray(x1)
    if x1.ndim != 2 or x1.shape[0] < 1 or x1.shape[1] < 1:
        raise InputError(f"x1 must have shape (m, d) with m, d >= 1, got {x1.shape}")
    x1 = x1.astype(np.complex128)
    if not np.all(np.isfinite(x1)):
        raise InputError("x1 contains non-finite values")
    return x1


def sequences_from_phases(x1, theta, T):
    """X of shape (m, T, d) with X[:, t-1] = exp(i (t-1) theta) * x1 (complex128)."""
    x1 = _check_x1(x1)
    T = check_int("T", T, 1)
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != x1.shape:
        raise InputError(f"theta must have the shape of x1 {x1.shape}, got {theta.shape}")
    if not np.all(np.isfinite(theta)):
        raise InputError("theta contains non-finite values")
    # cos/sin of (t theta) directly rather than repeated products: no error growth along t.
    angle = np.arange(T, dtype=np.float64)[None, :, None] * theta[:, None, :]
    powers = np.empty(angle.shape, dtype=np.complex128)
    np.cos(angle, out=powers.real)
    np.sin(angle, out=powers.imag)
    powers *= x1[:, None, :]
    return powers


def sample_sequences(x1, T, rng):
    """X of shape (m, T, d): each x1[s] propagated by its own W = diag(exp(i theta)), theta ~ U[0, 2pi)^d."""
    x1 = _check_x1(x1)
    theta = sample_W_phases(x1.shape[0], x1.shape[1], rng)
    return sequences_from_phases(x1, theta, T)


def embed(X):
    """E of shape (m, T, 2d): E[:, t-1] = e_t = (x_t; x_{t-1}) with x_0 = 0."""
    X = _check_X(X, min_T=1)
    m, T, d = X.shape
    E = np.zeros((m, T, 2 * d), dtype=np.complex128)
    E[:, :, :d] = X
    E[:, 1:, d:] = X[:, :-1]
    return E


def _check_X(X, min_T=3):
    X = np.asarray(X)
    if X.ndim != 3:
        raise InputError(f"X must have shape (m, T, d), got {X.shape}")
    m, T, d = X.shape
    if m < 1 or d < 1 or T < min_T:
        raise InputError(f"X must have m >= 1, T >= {min_T}, d >= 1, got shape {X.shape}")
    return X.astype(np.complex128, copy=False)


def _check_params(params, d):
    if not isinstance(params, Params):
        raise InputError(f"params must be a Params, got {type(params).__name__}")
    if params.d != d:
        raise InputError(f"params have d={params.d} but the sequences have d={d}")


def _check_weights(weights, m):
    """Per-sequence weights (m,) float64: 1/m each by default; else nonnegative, finite, sum 1."""
    if weights is None:
        return np.full(m, 1.0 / m)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (m,):
        raise InputError(f"weights must have shape ({m},), got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InputError("weights must be finite and nonnegative")
    if abs(w.sum() - 1.0) > 1e-8:
        raise InputError(f"weights must sum to 1 (within 1e-8), got {w.sum()!r}")
    return w


def _chunk_slices(m, bytes_per_seq):
    size = max(1, min(m, CHUNK_BYTES // max(1, bytes_per_seq)))
    return [slice(s, min(m, s + size)) for s in range(0, m, size)]


def _cumulative_outer(V, first=None, out=None):
    """G[:, k] = sum_{j<=k} v_j v_j^H for V of shape (m, L, a); ``first`` (m, a) is added to every
    partial sum as a leading term v_{-1} v_{-1}^H. Written into ``out`` if given."""
    G = np.multiply(V[..., :, None], V.conj()[..., None, :], out=out)
    if first is not None:
        G[:, 0] += first[:, :, None] * first.conj()[:, None, :]
    # In-place adds along t touch each block once; np.cumsum on this axis is ~2x slower.
    for k in range(1, G.shape[1]):
        G[:, k] += G[:, k - 1]
    return G


def _matvec(M, v):
    """Batched M @ v over all leading axes (M: (..., a, b), v: (..., b))."""
    return np.matmul(M, v[..., None])[..., 0]


def _rho(T):
    return np.arange(1, T - 1, dtype=np.float64)[None, :, None]


# -- structured data -------------------------------------------------------------------------------
class ProcessBatch:
    """m sequences x_t = W^{t-1} x_1 of the process with their phases theta, prepared for many epochs.

    Holds ``X`` (m, T, d), ``lam = exp(i theta)`` and, if they fit in ``cache_bytes``, the
    data-only scaled prefix Gram matrices G_t = C'_t / rho_t, C'_t = sum_{i=2}^{t} x_i x_i^H
    (t = 2..T-1), so that each ``loss_and_grad`` call does only the parameter-dependent work.
    Beyond the budget they are recomputed chunk by chunk on every call (same numbers, slower).
    """

    def __init__(self, x1, theta, T, cache_bytes=None):
        self.x1 = _check_x1(x1)
        self.T = check_int("T", T, 3)
        self.theta = np.asarray(theta, dtype=np.float64)
        self.X = sequences_from_phases(self.x1, self.theta, self.T)
        self.lam = np.exp(1j * self.theta)
        m, d = self.x1.shape
        self.slices = _chunk_slices(m, (self.T - 2) * _C16 * (d * d + 8 * d + 8))
        budget = CACHE_BYTES if cache_bytes is None else cache_bytes
        self._gram = None
        if m * (self.T - 2) * d * d * _C16 <= budget:
            self._gram = np.empty((m, self.T - 2, d, d), dtype=np.complex128)
            # Built in large blocks: the per-t loop in _scaled_gram is cheap only on big blocks.
            step = max(1, (64 * 2**20) // ((self.T - 2) * d * d * _C16))
            for s in range(0, m, step):
                self._scaled_gram(slice(s, min(m, s + step)), out=self._gram[s : s + step])

    @classmethod
    def sample(cls, x1, T, rng, cache_bytes=None):
        """Draw the phases with ``rng`` (as ``sample_sequences`` does) and prepare the batch."""
        x1 = _check_x1(x1)
        return cls(x1, sample_W_phases(x1.shape[0], x1.shape[1], rng), T, cache_bytes)

    @property
    def m(self):
        return self.x1.shape[0]

    @property
    def d(self):
        return self.x1.shape[1]

    @property
    def cached(self):
        """True when the scaled prefix Gram matrices are held in memory."""
        return self._gram is not None

    @property
    def nbytes(self):
        """Bytes held by the arrays of this batch (sequences and cache)."""
        return self.X.nbytes + (self._gram.nbytes if self._gram is not None else 0)

    def _scaled_gram(self, sl, out=None):
        G = _cumulative_outer(self.X[sl, 1 : self.T - 1], out=out)
        G *= (1.0 / np.arange(1, self.T - 1, dtype=np.float64))[None, :, None, None]
        return G

    def gram(self, i):
        """G_t = C'_t / rho_t for chunk i: shape (m_i, T-2, d, d), index k holding G_{k+2}."""
        sl = self.slices[i]
        return self._gram[sl] if self._gram is not None else self._scaled_gram(sl)


# -- the three engines -------------------------------------------------------------------------------
def _keep(Yhat, pred):
    """The predictions a chunk hands back: all of them, the last position only, or none."""
    if pred == "all":
        return Yhat.copy()
    if pred == "last":
        return Yhat[:, -1].copy()
    return None


def _sum_sq(R):
    """Per-sequence sum of |R|^2 over all but the first axis (R contiguous complex)."""
    Rf = R.reshape(R.shape[0], -1).view(np.float64)
    return np.einsum("ij,ij->i", Rf, Rf)


def _generic_chunk(P, K, X, w, need_grad, need_pred):
    """Loss, (dL/dP, dL/dK) before taking real parts, and predictions for a chunk of any sequences."""
    m, T, d = X.shape
    E = embed(X)
    Ein = E[:, 1 : T - 1]
    S = _cumulative_outer(Ein, first=E[:, 0])  # S[:, k] = S_{k+2}
    Wv = _matvec(S, Ein @ K.T)
    Wv /= _rho(T)  # w_t = S_t K e_t / rho_t
    R = Wv @ P.T
    Yhat = _keep(R, need_pred)
    R -= X[:, 2:]
    loss = 0.5 * float(w @ _sum_sq(R))
    if not need_grad:
        return loss, None, None, Yhat
    R *= w[:, None, None]
    gP = R.reshape(-1, d).T @ Wv.reshape(-1, 2 * d).conj()
    H = _matvec(S, R @ P.conj())
    H /= _rho(T)  # h_t = S_t P^H r_t / rho_t
    gK = H.reshape(-1, 2 * d).T @ Ein.reshape(-1, 2 * d).conj()
    return loss, gP, gK, Yhat


def _structured_chunk(P, K, batch, i, w, need_grad, need_pred):
    """As ``_generic_chunk`` for chunk i of a ProcessBatch, using S_t = e_1 e_1^H + J C'_t J^H.

    With J = [I; diag(conj lam)] (so e_t = J x_t for t >= 2), e_1 = (x_1; 0), G_t = C'_t / rho_t:
      w_t = S_t K e_t / rho_t = J ca_t + e_1 s_t,  ca_t = G_t (J^H K J) x_t,
      s_t = x_1^H (K J x_t)_top / rho_t,  yhat_t = P w_t = (P J) ca_t + (P e_1) s_t;
      h_t = S_t P^H r_t / rho_t = J b_t + e_1 u_t,  b_t = G_t (P J)^H r_t,  u_t = (P e_1)^H r_t / rho_t.
    Every matrix in brackets is d x d per sequence; only G_t varies with t. The gradient sums
    over t are formed per sequence in d x d form, then mapped through J once per sequence.
    """
    sl = batch.slices[i]
    X, lam, x1 = batch.X[sl], batch.lam[sl], batch.x1[sl]
    m, T, d = X.shape
    G = batch.gram(i)
    Xin = X[:, 1 : T - 1]
    irho = 1.0 / np.arange(1, T - 1, dtype=np.float64)[None, :]
    lamc = lam.conj()

    KJ = K[None, :, :d] + K[None, :, d:] * lamc[:, None, :]  # K J, (m, 2d, d)
    A = KJ[:, :d] + lam[:, :, None] * KJ[:, d:]  # J^H K J
    c = np.einsum("sj,sjk->sk", x1.conj(), KJ[:, :d])
    PJ = P[None, :, :d] + P[None, :, d:] * lamc[:, None, :]  # P J
    pe = x1 @ P[:, :d].T  # P e_1

    ca = _matvec(G, Xin @ A.transpose(0, 2, 1))
    s = _matvec(Xin, c)
    s *= irho
    R = ca @ PJ.transpose(0, 2, 1)
    R += s[..., None] * pe[:, None, :]
    Yhat = _keep(R, need_pred)
    R -= X[:, 2:]
    loss = 0.5 * float(w @ _sum_sq(R))
    if not need_grad:
        return loss, None, None, Yhat
    R *= w[:, None, None]
    b = _matvec(G, R @ PJ.conj())
    u = _matvec(R, pe.conj())
    u *= irho

    # dL/dP = sum_t r_t (J ca_t + e_1 s_t)^H, with J^H = [I, diag(lam)] and e_1^H = [x_1^H, 0].
    Rt = R.transpose(0, 2, 1)
    MP = Rt @ ca.conj()
    mp = _matvec(Rt, s.conj())
    gP = np.empty((d, 2 * d), dtype=np.complex128)
    gP[:, :d] = MP.sum(0) + mp.T @ x1.conj()
    gP[:, d:] = np.einsum("sak,sk->ak", MP, lam)
    # dL/dK = sum_t (J b_t + e_1 u_t) x_t^H J^H.
    XinH = Xin.conj()
    MK = b.transpose(0, 2, 1) @ XinH
    mk = _matvec(XinH.transpose(0, 2, 1), u)
    JM = np.empty((m, 2 * d, d), dtype=np.complex128)
    JM[:, :d] = MK + x1[:, :, None] * mk[:, None, :]
    JM[:, d:] = lamc[:, :, None] * MK
    gK = np.empty((2 * d, 2 * d), dtype=np.complex128)
    gK[:, :d] = JM.sum(0)
    gK[:, d:] = np.einsum("sak,sk->ak", JM, lam)
    return loss, gP, gK, Yhat


def _evaluate(params, data, weights, need_grad, need_pred):
    """Run the right engine chunk by chunk; return (loss, grad Params or None, predictions or None).

    ``need_pred``: None, "all" (shape (m, T-2, d)) or "last" (yhat_{T-1} only, shape (m, d)).
    A ``mesacheck.setting.fused.FusedBatch`` goes to the fused engine (all predictions: the generic
    engine on its materialised sequences).
    """
    if getattr(data, "fused", False):
        if need_pred != "all":
            from mesacheck.setting import fused

            return fused._run(params, data, weights, need_grad, need_pred == "last")
        data = data.X
    if isinstance(data, ProcessBatch):
        m, T, d = data.m, data.T, data.d
        _check_params(params, d)
        w = _check_weights(weights, m)
        slices = data.slices
        run = lambda i, sl: _structured_chunk(params.pv, params.kq, data, i, w[sl], need_grad, need_pred)
    else:
        X = _check_X(data)
        m, T, d = X.shape
        _check_params(params, d)
        w = _check_weights(weights, m)
        n = 2 * d
        slices = _chunk_slices(m, T * _C16 * (n * n + 8 * n))
        run = lambda i, sl: _generic_chunk(params.pv, params.kq, X[sl], w[sl], need_grad, need_pred)

    loss, gP, gK = 0.0, 0.0, 0.0
    shape = {"all": (m, T - 2, d), "last": (m, d)}.get(need_pred)
    Yhat = np.empty(shape, dtype=np.complex128) if shape else None
    with np.errstate(over="ignore", invalid="ignore"):
        for i, sl in enumerate(slices):
            l_i, gP_i, gK_i, Y_i = run(i, sl)
            loss += l_i
            if need_grad:
                gP, gK = gP + gP_i, gK + gK_i
            if need_pred:
                Yhat[sl] = Y_i
    grad = None
    if need_grad:
        grad = Params(gK, gP) if params.is_complex else Params(gK.real, gP.real)
    return loss, grad, Yhat


# -- public API -------------------------------------------------------------------------------------
def predictions(params, data):
    """yhat_t for t = 2..T-1, shape (m, T-2, d), by prefix sums. ``data``: X array or ProcessBatch."""
    return _evaluate(params, data, None, need_grad=False, need_pred="all")[2]


def loss_only(params, data, weights=None):
    """L = sum_seq w_seq sum_{t=2}^{T-1} 1/2 ||yhat_t - x_{t+1}||^2 (w_seq = 1/m by default)."""
    return _evaluate(params, data, weights, need_grad=False, need_pred=None)[0]


def loss_and_last_prediction(params, data, weights=None):
    """(L, yhat_{T-1}) in one forward pass; yhat_{T-1} (shape (m, d)) predicts x_T."""
    loss, _, last = _evaluate(params, data, weights, need_grad=False, need_pred="last")
    return loss, last


def loss_and_grad(params, data, weights=None):
    """(L, grad) with grad a Params holding dL/dW^KQ in ``kq`` and dL/dW^PV in ``pv``.

    With r_t = yhat_t - x_{t+1}, w_t = S_t K e_t / rho_t (K = W^KQ, P = W^PV):
        dL = sum_t Re(r_t^H dyhat_t),  dyhat_t = dP w_t + P S_t dK e_t / rho_t,
    hence (complex convention dL/dRe + i dL/dIm; take the real part for real parameters)
        dL/dP = sum_t r_t w_t^H,   dL/dK = sum_t S_t P^H r_t e_t^H / rho_t   (S_t Hermitian),
    each weighted by w_seq and summed over sequences. ``data``: X array (generic prefix sums) or
    ProcessBatch (structured prefix sums with cached Gram matrices).
    """
    loss, grad, _ = _evaluate(params, data, weights, need_grad=True, need_pred=None)
    return loss, grad


# -- naive per-prefix reference (benchmark only) --------------------------------------------------
def _naive(params, X, weights, need_grad):
    X = _check_X(X)
    m, T, d = X.shape
    _check_params(params, d)
    w = _check_weights(weights, m)
    P, K = params.pv, params.kq
    E = embed(X)
    Yhat = np.empty((m, T - 2, d), dtype=np.complex128)
    loss, gP, gK = 0.0, 0.0, 0.0
    for t in range(2, T):
        Et = E[:, :t]
        S = Et.transpose(0, 2, 1) @ Et.conj()  # E_t E_t^H from scratch, as the reference does
        e = E[:, t - 1]
        wv = _matvec(S, e @ K.T) / (t - 1)
        y = wv @ P.T
        Yhat[:, t - 2] = y
        r = y - X[:, t]
        loss += 0.5 * float(w @ np.sum(r.real**2 + r.imag**2, axis=1))
        if need_grad:
            rw = r * w[:, None]
            gP = gP + rw.T @ wv.conj()
            h = _matvec(S, rw @ P.conj()) / (t - 1)
            gK = gK + h.T @ e.conj()
    grad = None
    if need_grad:
        grad = Params(gK, gP) if params.is_complex else Params(np.real(gK), np.real(gP))
    return loss, grad, Yhat


def predictions_per_prefix(params, X):
    """Same as ``predictions`` but recomputing E_t E_t^H for every t (O(m T^2 d^2)); reference only."""
    return _naive(params, X, None, need_grad=False)[2]


def loss_and_grad_per_prefix(params, X, weights=None):
    """Same as ``loss_and_grad`` but per prefix, recomputing E_t E_t^H for every t; reference only."""
    loss, grad, _ = _naive(params, X, weights, need_grad=True)
    return loss, grad
