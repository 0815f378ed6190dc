"""The compiled kernels of the fused epoch (numba); the mathematics and the data layout are described
in :mod:`mesacheck.setting.fused`, which is the interface to use.
"""
import os

import numba
import numpy as np

# GNU OpenMP (numba's first choice when present) aborts a forked child that opens a parallel region
# after its parent has ("fork() called from a process already using GNU OpenMP"), and sweep points
# run in forked children. numba's built-in workqueue layer survives the fork and is as fast here
# (0.027 vs 0.029 s per epoch at m = 10000, T = 100, d = 5). An explicit NUMBA_THREADING_LAYER wins.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"

#: sequences per SIMD block (a multiple of 8 float64 = one AVX-512 register, two AVX2 registers).
LANES = 16
#: blocks per work item of the thread pool; partial sums are formed per group, in a fixed order.
GROUP_BLOCKS = 16
#: blocks per thread below which fewer threads are used.
MIN_BLOCKS_PER_THREAD = 64

_KERNELS = {}


def jit(**options):
    """numba.njit with on-disk caching where numba can find a cache folder (beside the source, or
    the user's cache folder), without it otherwise (numba refuses ``cache=True`` when it has none)."""
    def wrap(fn):
        try:
            return numba.njit(cache=True, **options)(fn)
        except RuntimeError:
            return numba.njit(cache=False, **options)(fn)
    return wrap


def _build_kernel(d):
    """Compile the fused forward (+ backward) kernel for token dimension ``d`` (constant in the code)."""
    prange = numba.prange
    D, D2, L = d, 2 * d, LANES
    G = GROUP_BLOCKS

    @jit(parallel=True, fastmath={"contract"}, nogil=True)
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


_finish = jit(fastmath={"contract"}, nogil=True)(_finish_py)


def _kernel(d):
    """The compiled kernel for dimension d (built on first use, kept for the process)."""
    if d not in _KERNELS:
        _KERNELS[d] = _build_kernel(d)
    return _KERNELS[d]



@jit(fastmath={"contract"}, nogil=True)
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
