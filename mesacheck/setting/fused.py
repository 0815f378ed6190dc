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
from mesacheck.setting.params import Params
from mesacheck.setting.validate import check_int

#: sequences per SIMD block (a multiple of 8 float64 = one AVX-512 register, two AVX2 registers).
LANES = 16
#: blocks per work item of the thread pool; partial sums are formed per group, in a fixed order.
GROUP_BLOCKS = 16
#: blocks per thread below which fewer threads are used.
MIN_BLOCKS_PER_THREAD = 64

_KERNELS = {}


def _build_kernel(d):
    """Compile the fused forward (+ backward) kernel for token dimension ``d`` (constant in the code)."""
    njit, prange = numba.njit, numba.prange
    D, D2, L = d, 2 * d, LANES
    G = GROUP_BLOCKS

    @njit(parallel=True, fastmath={"contract"}, nogil=True, cache=True)
    def kernel(x1r, x1i, lamr, lami, w, Pr, Pi, Kr, Ki, T, grad, keep_last,
               loss_out, gP_out, gK_out, last_r, last_i):
        nb = x1r.shape[0]
        ngroups = (nb + G - 1) // G
        for g in prange(ngroups):
            # Scratch allocated here with compile-time shapes: LLVM then knows every offset and
            # vectorises the lane loops without run-time alias checks (arguments have run-time shapes).
            ar, ai, lr, li = np.empty((D, L)), np.empty((D, L)), np.empty((D, L)), np.empty((D, L))
            xr, xi, nr, ni = np.empty((D, L)), np.empty((D, L)), np.empty((D, L)), np.empty((D, L))
            cr, ci, per, pei = np.empty((D, L)), np.empty((D, L)), np.empty((D, L)), np.empty((D, L))
            vr, vi, car, cai = np.empty((D, L)), np.empty((D, L)), np.empty((D, L)), np.empty((D, L))
            rr, ri, qr, qi = np.empty((D, L)), np.empty((D, L)), np.empty((D, L)), np.empty((D, L))
            mpr, mpi, mkr, mki = np.empty((D, L)), np.empty((D, L)), np.empty((D, L)), np.empty((D, L))
            yr, yi = np.empty((D, L)), np.empty((D, L))
            sv = np.empty((6, L))  # rows: s_r, s_i, -, -, sum |r|^2, weight
            Mr, Mi, PJr, PJi = np.empty((D, D, L)), np.empty((D, D, L)), np.empty((D, D, L)), np.empty((D, D, L))
            Cr, Ci, MPr, MPi = np.empty((D, D, L)), np.empty((D, D, L)), np.empty((D, D, L)), np.empty((D, D, L))
            MKr, MKi = np.empty((D, D, L)), np.empty((D, D, L))
            KJr, KJi, KBr, KBi = np.empty((D, D, L)), np.empty((D, D, L)), np.empty((D, D, L)), np.empty((D, D, L))
            lossg = 0.0
            gP = np.zeros((D, D2), dtype=np.complex128)
            gK = np.zeros((D2, D2), dtype=np.complex128)
            for blk in range(g * G, min(nb, (g + 1) * G)):
                for j in range(D):
                    for l in range(L):
                        ar[j, l] = x1r[blk, j, l]
                        ai[j, l] = x1i[blk, j, l]
                        lr[j, l] = lamr[blk, j, l]
                        li[j, l] = lami[blk, j, l]
                for l in range(L):
                    sv[5, l] = w[blk, l]
                    sv[4, l] = 0.0
                # K J (2D x D): (K J)[a, k] = K[a, k] + K[a, D + k] conj(lam_k).
                for a in range(D):
                    for k in range(D):
                        t1r, t1i, t2r, t2i = Kr[a, k], Ki[a, k], Kr[a, D + k], Ki[a, D + k]
                        b1r, b1i, b2r, b2i = Kr[D + a, k], Ki[D + a, k], Kr[D + a, D + k], Ki[D + a, D + k]
                        for l in range(L):
                            KJr[a, k, l] = t1r + t2r * lr[k, l] + t2i * li[k, l]
                            KJi[a, k, l] = t1i + t2i * lr[k, l] - t2r * li[k, l]
                            KBr[a, k, l] = b1r + b2r * lr[k, l] + b2i * li[k, l]
                            KBi[a, k, l] = b1i + b2i * lr[k, l] - b2r * li[k, l]
                # M = J^H K J = (K J)_top + diag(lam) (K J)_bottom.
                for j in range(D):
                    for k in range(D):
                        for l in range(L):
                            Mr[j, k, l] = KJr[j, k, l] + lr[j, l] * KBr[j, k, l] - li[j, l] * KBi[j, k, l]
                            Mi[j, k, l] = KJi[j, k, l] + lr[j, l] * KBi[j, k, l] + li[j, l] * KBr[j, k, l]
                # c_k = sum_j conj(x1_j) (K J)_top[j, k].
                for k in range(D):
                    for l in range(L):
                        sr_, si_ = 0.0, 0.0
                        for j in range(D):
                            sr_ += ar[j, l] * KJr[j, k, l] + ai[j, l] * KJi[j, k, l]
                            si_ += ar[j, l] * KJi[j, k, l] - ai[j, l] * KJr[j, k, l]
                        cr[k, l] = sr_
                        ci[k, l] = si_
                # P J and P e_1 = P_left x_1.
                for r in range(D):
                    for k in range(D):
                        p1r, p1i, p2r, p2i = Pr[r, k], Pi[r, k], Pr[r, D + k], Pi[r, D + k]
                        for l in range(L):
                            PJr[r, k, l] = p1r + p2r * lr[k, l] + p2i * li[k, l]
                            PJi[r, k, l] = p1i + p2i * lr[k, l] - p2r * li[k, l]
                    for l in range(L):
                        sr_, si_ = 0.0, 0.0
                        for k in range(D):
                            sr_ += Pr[r, k] * ar[k, l] - Pi[r, k] * ai[k, l]
                            si_ += Pr[r, k] * ai[k, l] + Pi[r, k] * ar[k, l]
                        per[r, l] = sr_
                        pei[r, l] = si_
                # State at t = 2: x = x_2 = lam x_1; C = MP = MK = 0.
                for j in range(D):
                    for k in range(D):
                        for l in range(L):
                            Cr[j, k, l] = 0.0
                            Ci[j, k, l] = 0.0
                            MPr[j, k, l] = 0.0
                            MPi[j, k, l] = 0.0
                            MKr[j, k, l] = 0.0
                            MKi[j, k, l] = 0.0
                    for l in range(L):
                        xr[j, l] = lr[j, l] * ar[j, l] - li[j, l] * ai[j, l]
                        xi[j, l] = lr[j, l] * ai[j, l] + li[j, l] * ar[j, l]
                        mpr[j, l] = 0.0
                        mpi[j, l] = 0.0
                        mkr[j, l] = 0.0
                        mki[j, l] = 0.0
                for t in range(2, T):
                    irho = 1.0 / (t - 1)
                    # x_{t+1} = lam x_t, and v = M x_t.
                    for j in range(D):
                        for l in range(L):
                            nr[j, l] = lr[j, l] * xr[j, l] - li[j, l] * xi[j, l]
                            ni[j, l] = lr[j, l] * xi[j, l] + li[j, l] * xr[j, l]
                            sr_, si_ = 0.0, 0.0
                            for k in range(D):
                                sr_ += Mr[j, k, l] * xr[k, l] - Mi[j, k, l] * xi[k, l]
                                si_ += Mr[j, k, l] * xi[k, l] + Mi[j, k, l] * xr[k, l]
                            vr[j, l] = sr_
                            vi[j, l] = si_
                    # C_t = C_{t-1} + x_t x_t^H, and ca = C_t v / rho_t (one pass over C).
                    for j in range(D):
                        for l in range(L):
                            xjr, xji = xr[j, l], xi[j, l]
                            sr_, si_ = 0.0, 0.0
                            for k in range(D):
                                c_r = Cr[j, k, l] + (xjr * xr[k, l] + xji * xi[k, l])
                                c_i = Ci[j, k, l] + (xji * xr[k, l] - xjr * xi[k, l])
                                Cr[j, k, l] = c_r
                                Ci[j, k, l] = c_i
                                sr_ += c_r * vr[k, l] - c_i * vi[k, l]
                                si_ += c_r * vi[k, l] + c_i * vr[k, l]
                            car[j, l] = sr_ * irho
                            cai[j, l] = si_ * irho
                    # s = (c . x_t) / rho_t.
                    for l in range(L):
                        sr_, si_ = 0.0, 0.0
                        for k in range(D):
                            sr_ += cr[k, l] * xr[k, l] - ci[k, l] * xi[k, l]
                            si_ += cr[k, l] * xi[k, l] + ci[k, l] * xr[k, l]
                        sv[0, l] = sr_ * irho
                        sv[1, l] = si_ * irho
                    # yhat = (P J) ca + (P e_1) s; r = yhat - x_{t+1}; loss.
                    for j in range(D):
                        for l in range(L):
                            yr_ = per[j, l] * sv[0, l] - pei[j, l] * sv[1, l]
                            yi_ = per[j, l] * sv[1, l] + pei[j, l] * sv[0, l]
                            for k in range(D):
                                yr_ += PJr[j, k, l] * car[k, l] - PJi[j, k, l] * cai[k, l]
                                yi_ += PJr[j, k, l] * cai[k, l] + PJi[j, k, l] * car[k, l]
                            yr[j, l] = yr_
                            yi[j, l] = yi_
                            r_r = yr_ - nr[j, l]
                            r_i = yi_ - ni[j, l]
                            sv[4, l] += r_r * r_r + r_i * r_i
                            # Weighted residual for the backward pass.
                            rr[j, l] = r_r * sv[5, l]
                            ri[j, l] = r_i * sv[5, l]
                    if grad:
                        # q = (P J)^H r.
                        for k in range(D):
                            for l in range(L):
                                sr_, si_ = 0.0, 0.0
                                for j in range(D):
                                    sr_ += PJr[j, k, l] * rr[j, l] + PJi[j, k, l] * ri[j, l]
                                    si_ += PJr[j, k, l] * ri[j, l] - PJi[j, k, l] * rr[j, l]
                                qr[k, l] = sr_
                                qi[k, l] = si_
                        # b = C_t q / rho_t; MK += b x_t^H; MP += r ca^H.
                        for j in range(D):
                            for l in range(L):
                                sr_, si_ = 0.0, 0.0
                                for k in range(D):
                                    sr_ += Cr[j, k, l] * qr[k, l] - Ci[j, k, l] * qi[k, l]
                                    si_ += Cr[j, k, l] * qi[k, l] + Ci[j, k, l] * qr[k, l]
                                b_r = sr_ * irho
                                b_i = si_ * irho
                                r_r = rr[j, l]
                                r_i = ri[j, l]
                                for k in range(D):
                                    MKr[j, k, l] += b_r * xr[k, l] + b_i * xi[k, l]
                                    MKi[j, k, l] += b_i * xr[k, l] - b_r * xi[k, l]
                                    MPr[j, k, l] += r_r * car[k, l] + r_i * cai[k, l]
                                    MPi[j, k, l] += r_i * car[k, l] - r_r * cai[k, l]
                        # u = (P e_1)^H r / rho_t; mp += r conj(s); mk += u conj(x_t).
                        for l in range(L):
                            sr_, si_ = 0.0, 0.0
                            for j in range(D):
                                sr_ += per[j, l] * rr[j, l] + pei[j, l] * ri[j, l]
                                si_ += per[j, l] * ri[j, l] - pei[j, l] * rr[j, l]
                            u_r = sr_ * irho
                            u_i = si_ * irho
                            s_r = sv[0, l]
                            s_i = sv[1, l]
                            for j in range(D):
                                mpr[j, l] += rr[j, l] * s_r + ri[j, l] * s_i
                                mpi[j, l] += ri[j, l] * s_r - rr[j, l] * s_i
                                mkr[j, l] += u_r * xr[j, l] + u_i * xi[j, l]
                                mki[j, l] += u_i * xr[j, l] - u_r * xi[j, l]
                    for j in range(D):
                        for l in range(L):
                            xr[j, l] = nr[j, l]
                            xi[j, l] = ni[j, l]
                for l in range(L):
                    lossg += 0.5 * sv[5, l] * sv[4, l]
                if keep_last:
                    for j in range(D):
                        for l in range(L):
                            last_r[blk, j, l] = yr[j, l]
                            last_i[blk, j, l] = yi[j, l]
                if grad:
                    _finish(D, L, ar, ai, lr, li, MPr, MPi, MKr, MKi, mpr, mpi, mkr, mki, gP, gK)
            loss_out[g] = lossg
            for r in range(D):
                for c in range(D2):
                    gP_out[g, r, c] = gP[r, c]
            for r in range(D2):
                for c in range(D2):
                    gK_out[g, r, c] = gK[r, c]

    return kernel


def _finish_py(D, L, ar, ai, lr, li, MPr, MPi, MKr, MKi, mpr, mpi, mkr, mki, gP, gK):
    """Map one block's d x d sums through J and add them (summed over lanes) to gP, gK.

    gP = [MP + mp x_1^H, MP diag(lam)];  JM = [MK + x_1 mk^T; diag(conj lam) MK];  gK = [JM, JM diag(lam)].
    """
    for r in range(D):
        for k in range(D):
            a1r = 0.0
            a1i = 0.0
            a2r = 0.0
            a2i = 0.0
            for l in range(L):
                a1r += MPr[r, k, l] + (mpr[r, l] * ar[k, l] + mpi[r, l] * ai[k, l])
                a1i += MPi[r, k, l] + (mpi[r, l] * ar[k, l] - mpr[r, l] * ai[k, l])
                a2r += MPr[r, k, l] * lr[k, l] - MPi[r, k, l] * li[k, l]
                a2i += MPr[r, k, l] * li[k, l] + MPi[r, k, l] * lr[k, l]
            gP[r, k] += complex(a1r, a1i)
            gP[r, D + k] += complex(a2r, a2i)
    for j in range(D):
        for k in range(D):
            t1r = 0.0
            t1i = 0.0
            t2r = 0.0
            t2i = 0.0
            b1r = 0.0
            b1i = 0.0
            b2r = 0.0
            b2i = 0.0
            for l in range(L):
                jr = MKr[j, k, l] + (ar[j, l] * mkr[k, l] - ai[j, l] * mki[k, l])
                ji = MKi[j, k, l] + (ar[j, l] * mki[k, l] + ai[j, l] * mkr[k, l])
                t1r += jr
                t1i += ji
                t2r += jr * lr[k, l] - ji * li[k, l]
                t2i += jr * li[k, l] + ji * lr[k, l]
                hr = lr[j, l] * MKr[j, k, l] + li[j, l] * MKi[j, k, l]
                hi = lr[j, l] * MKi[j, k, l] - li[j, l] * MKr[j, k, l]
                b1r += hr
                b1i += hi
                b2r += hr * lr[k, l] - hi * li[k, l]
                b2i += hr * li[k, l] + hi * lr[k, l]
            gK[j, k] += complex(t1r, t1i)
            gK[j, D + k] += complex(t2r, t2i)
            gK[D + j, k] += complex(b1r, b1i)
            gK[D + j, D + k] += complex(b2r, b2i)


_finish = numba.njit(fastmath={"contract"}, nogil=True, cache=True)(_finish_py)


def _kernel(d):
    """The compiled kernel for dimension d (built on first use, kept for the process)."""
    if d not in _KERNELS:
        _KERNELS[d] = _build_kernel(d)
    return _KERNELS[d]


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


@numba.njit(fastmath={"contract"}, nogil=True, cache=True)
def _last_kernel(x1, lam, x, C, P, K, out):
    """out[s] = (P J) C (M x) + (P e_1) (c . x) for each sequence s (unscaled yhat_{T-1})."""
    m, d = x1.shape
    KJx = np.empty((2 * d, d), dtype=np.complex128)
    v = np.empty(d, dtype=np.complex128)
    ca = np.empty(d, dtype=np.complex128)
    for s in range(m):
        for a in range(2 * d):
            for k in range(d):
                KJx[a, k] = (K[a, k] + K[a, d + k] * lam[s, k].conjugate()) * x[s, k]
        sc = 0.0j
        for j in range(d):
            top = 0.0j
            bot = 0.0j
            for k in range(d):
                top += KJx[j, k]
                bot += KJx[d + j, k]
            v[j] = top + lam[s, j] * bot
            sc += x1[s, j].conjugate() * top
        for j in range(d):
            acc = 0.0j
            for k in range(d):
                acc += C[s, j, k] * v[k]
            ca[j] = acc
        for r in range(d):
            acc = 0.0j
            pe = 0.0j
            for k in range(d):
                acc += (P[r, k] + P[r, d + k] * lam[s, k].conjugate()) * ca[k]
                pe += P[r, k] * x1[s, k]
            out[s, r] = acc + pe * sc


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
