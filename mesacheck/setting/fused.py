"""The fused epoch: loss and exact gradient in one pass over each sequence, with running prefix sums.

Same mathematics as the structured engine of :mod:`mesacheck.setting.model` (see its docstring):
for t >= 2, e_t = J x_t with J = [I; diag(conj lam)], S_t = e_1 e_1^H + J C_t J^H with
C_t = sum_{i=2}^{t} x_i x_i^H, so that with M = J^H K J, c = (K J)_top^T conj(x_1), P J and
P e_1 (all d x d or d, one set per sequence and epoch)

    yhat_t = [ (P J) C_t M x_t + (P e_1) (c . x_t) ] / rho_t,
    dL/dP, dL/dK  from  MP = sum_t r_t ca_t^H,  MK = sum_t b_t x_t^H  (d x d per sequence),
    ca_t = C_t M x_t / rho_t,  b_t = C_t (P J)^H r_t / rho_t.

What is new is the order of the work. The reference engines materialise C_t / rho_t for every
prefix (m (T-2) d^2 numbers: 392 MB at the paper's m = 10000, T = 100, d = 5) and stream it through
memory twice per epoch. Here one pass over t keeps C_t, MP, MK of a block of ``LANES`` sequences in
the CPU cache and updates them in place; x_{t+1} = lam * x_t is generated on the fly (relative
difference from the cos/sin of ``sequences_from_phases``: a few ulps times t, about 1e-14 at
T = 100). Nothing of size m T is stored: memory is O(m d) for the data plus the small per-block
state, whatever T.

Layout: sequences are the innermost (SIMD-lane) axis of every array, real and imaginary parts in
separate float64 arrays, so the innermost loop runs over ``LANES`` independent sequences with unit
stride; d is a compile-time constant of each compiled kernel (one kernel per d, compiled on first
use and cached on disk by numba), so the loops over coordinates unroll and the per-output sums
stay in registers. Blocks of sequences are distributed over the cores (numba ``prange``);
partial sums are kept per group of ``GROUP_BLOCKS`` blocks and added in a fixed order, so the
numbers do not depend on the number of threads.
"""
import math

import numba
import numpy as np

from mesacheck.errors import InputError
from mesacheck.setting.fused_kernel import GROUP_BLOCKS, LANES, MIN_BLOCKS_PER_THREAD, _kernel, _last_kernel
from mesacheck.setting.params import Params
from mesacheck.setting.validate import check_int


# -- data ---------------------------------------------------------------------------------------------
def _to_blocks(a, nb, fill):
    """(m, d) -> (nb, d, LANES) with sequences on the last axis, padded with ``fill``."""
    m, d = a.shape
    out = np.full((nb * LANES, d), fill, dtype=np.float64)
    out[:m] = a
    return np.ascontiguousarray(out.reshape(nb, LANES, d).transpose(0, 2, 1))


class FusedBatch:
    """m process sequences x_t = W^{t-1} x_1, held as x_1 and the phases only (O(m d) memory).

    The sequences are never materialised: the fused kernel generates x_{t+1} = lam x_t as it goes.
    Sequences are padded to a multiple of ``LANES`` with x_1 = 0 and weight 0 (they add nothing).
    ``final_gram()`` (C_{T-1}, the data-only sum the last-position prediction needs) is built on
    first use and kept (m d^2 numbers).
    """

    fused = True  # recognised by mesacheck.setting.model's dispatcher

    def __init__(self, x1, theta, T):
        from mesacheck.setting.model import _check_x1

        self.x1 = _check_x1(x1)
        self.T = check_int("T", T, 3)
        self.theta = np.asarray(theta, dtype=np.float64)
        if self.theta.shape != self.x1.shape:
            raise InputError(f"theta must have the shape of x1 {self.x1.shape}, got {self.theta.shape}")
        if not np.all(np.isfinite(self.theta)):
            raise InputError("theta contains non-finite values")
        self.lam = np.exp(1j * self.theta)
        m, d = self.x1.shape
        self.nblocks = -(-m // LANES)
        nb = self.nblocks
        self._x1r, self._x1i = _to_blocks(self.x1.real, nb, 0.0), _to_blocks(self.x1.imag, nb, 0.0)
        self._lamr, self._lami = _to_blocks(self.lam.real, nb, 1.0), _to_blocks(self.lam.imag, nb, 0.0)
        self._default_w = self._weight_blocks(np.full(m, 1.0 / m))
        self._gram_last = None

    @classmethod
    def sample(cls, x1, T, rng):
        """Draw the phases with ``rng`` (as ``model.sample_sequences`` does) and prepare the batch."""
        from mesacheck.setting.model import _check_x1, sample_W_phases

        x1 = _check_x1(x1)
        return cls(x1, sample_W_phases(x1.shape[0], x1.shape[1], rng), T)

    @property
    def m(self):
        return self.x1.shape[0]

    @property
    def d(self):
        return self.x1.shape[1]

    @property
    def nbytes(self):
        """Bytes held by this batch's arrays."""
        arrays = [self.x1, self.theta, self.lam, self._x1r, self._x1i, self._lamr, self._lami, self._default_w]
        if self._gram_last is not None:
            arrays.append(self._gram_last)
        return sum(a.nbytes for a in arrays)

    @property
    def X(self):
        """The sequences (m, T, d), built on request (m T d numbers: for tests and small batches)."""
        from mesacheck.setting.model import sequences_from_phases

        return sequences_from_phases(self.x1, self.theta, self.T)

    def token(self, t):
        """x_t for every sequence, shape (m, d), computed as ``sequences_from_phases`` does."""
        t = check_int("t", t, 1, self.T)
        angle = float(t - 1) * self.theta
        powers = np.empty(angle.shape, dtype=np.complex128)
        np.cos(angle, out=powers.real)
        np.sin(angle, out=powers.imag)
        powers *= self.x1
        return powers

    def final_gram(self):
        """C_{T-1} = sum_{i=2}^{T-1} x_i x_i^H per sequence, shape (m, d, d) (data only; cached)."""
        if self._gram_last is None:
            from mesacheck.setting.model import sequences_from_phases

            m, d = self.x1.shape
            out = np.empty((m, d, d), dtype=np.complex128)
            step = max(1, (8 * 2**20) // (16 * self.T * d))
            for s in range(0, m, step):
                X = sequences_from_phases(self.x1[s:s + step], self.theta[s:s + step], self.T)[:, 1:self.T - 1]
                out[s:s + step] = np.matmul(X.transpose(0, 2, 1), X.conj())
            self._gram_last = out
        return self._gram_last

    def _weight_blocks(self, w):
        out = np.zeros(self.nblocks * LANES)
        out[: self.m] = w
        return out.reshape(self.nblocks, LANES)

    def weights(self, weights):
        """Per-sequence weights in block layout (1/m each by default)."""
        if weights is None:
            return self._default_w
        from mesacheck.setting.model import _check_weights

        return self._weight_blocks(_check_weights(weights, self.m))


# -- the engine -----------------------------------------------------------------------------------------
def _run(params, batch, weights, grad, keep_last):
    from mesacheck.setting.model import _check_params

    if not isinstance(batch, FusedBatch):
        raise InputError(f"expected a FusedBatch, got {type(batch).__name__}")
    d, T = batch.d, batch.T
    _check_params(params, d)
    kern = _kernel(d)
    nb = batch.nblocks
    ng = -(-nb // GROUP_BLOCKS)
    P = params.pv.astype(np.complex128)
    K = params.kq.astype(np.complex128)
    loss = np.zeros(ng)
    gP = np.zeros((ng, d, 2 * d), dtype=np.complex128)
    gK = np.zeros((ng, 2 * d, 2 * d), dtype=np.complex128)
    shape_last = (nb, d, LANES) if keep_last else (1, d, LANES)
    last_r, last_i = np.zeros(shape_last), np.zeros(shape_last)
    # Few blocks: one thread (a parallel region's fork/join costs more than it saves, and much more
    # when other processes compete for the cores). The numbers do not depend on the thread count.
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(before, nb // MIN_BLOCKS_PER_THREAD)))
    try:
        with np.errstate(all="ignore"):
            kern(batch._x1r, batch._x1i, batch._lamr, batch._lami, batch.weights(weights),
                 np.ascontiguousarray(P.real), np.ascontiguousarray(P.imag),
                 np.ascontiguousarray(K.real), np.ascontiguousarray(K.imag), T, grad, keep_last,
                 loss, gP, gK, last_r, last_i)
    finally:
        numba.set_num_threads(before)
    total = float(np.sum(loss))
    g = None
    if grad:
        gPs, gKs = gP.sum(axis=0), gK.sum(axis=0)
        g = Params(gKs, gPs) if params.is_complex else Params(gKs.real, gPs.real)
    last = None
    if keep_last:
        last = (last_r + 1j * last_i).transpose(0, 2, 1).reshape(nb * LANES, d)[: batch.m]
    return total, g, last


def loss_and_grad(params, batch, weights=None):
    """(L, grad) by the fused epoch; same quantities as :func:`mesacheck.setting.model.loss_and_grad`."""
    loss, g, _ = _run(params, batch, weights, True, False)
    return loss, g


def loss_only(params, batch, weights=None):
    """L = sum_seq w_seq sum_{t=2}^{T-1} 1/2 ||yhat_t - x_{t+1}||^2 by the fused forward pass (running sums only)."""
    return _run(params, batch, weights, False, False)[0]


def loss_and_last_prediction(params, batch, weights=None):
    """(L, yhat_{T-1}) from one full fused forward pass (the reference for :func:`last_prediction`)."""
    loss, _, last = _run(params, batch, weights, False, True)
    return loss, last


def last_prediction(params, batch):
    """yhat_{T-1} (shape (m, d)), the prediction of x_T, from the cached C_{T-1} alone: O(m d^2).

    yhat_{T-1} = [ (P J) C_{T-1} M x_{T-1} + (P e_1) (c . x_{T-1}) ] / (T - 2), notation of the
    module docstring; no other prefix is visited.
    """
    from mesacheck.setting.model import _check_params

    d, T = batch.d, batch.T
    _check_params(params, d)
    P = params.pv.astype(np.complex128)
    K = params.kq.astype(np.complex128)
    y = np.empty((batch.m, d), dtype=np.complex128)
    with np.errstate(all="ignore"):
        _last_kernel(batch.x1, batch.lam, batch.token(T - 1), batch.final_gram(), P, K, y)
    return y / (T - 2)


def last_position_ratio(last, x_T):
    """mean of Re(yhat_{T-1,j} / x_{T,j}) over the (sequence, coordinate) pairs with x_{T,j} != 0
    (NaN when there is none): the paper's "ratio", one definition everywhere."""
    valid = x_T != 0
    if not np.any(valid):
        return math.nan
    with np.errstate(all="ignore"):
        return float(np.mean(np.real(last[valid] / x_T[valid])))


def epoch_flops(m, T, d):
    """Real floating-point operations of one fused epoch (loss + gradient), counted as the algorithm needs them.

    Per sequence and prediction position t = 2..T-1, in complex multiply-adds (8 real flops each):
    C_t update d(d+1)/2 (Hermitian), M x_t d^2, C_t v d^2, (P J) ca d^2, (P J)^H r d^2, C_t q d^2,
    MP update d^2, MK update d^2, plus 6 d for s, u, mp, mk, x_{t+1} and 2 d flops for |r|^2; per
    sequence and epoch the O(d^2) set-up (K J, M, c, P J, P e_1: 4 d^2 + d^2 + d^2 + 2 d^2 + d^2) and
    the map through J (6 d^2). The implementation updates the full C_t (d^2 instead of d(d+1)/2)
    because that keeps every loop the same shape; the count does not charge for that.
    """
    per_t = 8 * (7 * d * d + d * (d + 1) / 2 + 6 * d) + 2 * d
    per_seq = 8 * (9 * d * d + 6 * d * d)
    return float(m * ((T - 2) * per_t + per_seq))


def forward_flops(m, T, d):
    """Real flops of the fused forward pass alone (loss only): C_t update, M x_t, C_t v, (P J) ca, s."""
    per_t = 8 * (3 * d * d + d * (d + 1) / 2 + 2 * d) + 2 * d
    return float(m * ((T - 2) * per_t + 8 * 9 * d * d))
