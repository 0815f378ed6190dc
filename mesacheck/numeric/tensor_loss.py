"""The exact population loss for real parameters as dense float64 tensors: loss, gradient, Hessian.

For real P = W^PV (d x n) and K = W^KQ (n x n), n = 2d,

    L = 1/2 sum_r P_r G(K) P_r^T - sum P_ra K_bc Re LIN[r,a,b,c] + CONST,
    G(K)[a',a] = sum K_b'c' K_bc Re QUAD[a',b',c',a,b,c],

because QUAD is Hermitian (swapping its two index triples conjugates it), so for real parameters
its imaginary part cancels; only the real parts are stored. ``Q4`` is Re QUAD viewed as
(n, n^2, n, n^2) = (a', (b',c'), a, (b,c)), symmetric under swapping its (1,2) and (3,4) axis
pairs. Flat parameter vectors follow ``Params.flatten``: W^KQ row-major, then W^PV row-major.

Cost: one loss or gradient is one pass over Q4 (n^6 multiply-adds); the Hessian a few passes.
"""
import numpy as np


class TensorLoss:
    """Loss, gradient and Hessian from the real tensors ``q4`` (n, n^2, n, n^2), ``l3``
    (d, n, n^2) and the float ``const`` (see module docstring)."""

    def __init__(self, q4, l3, const, d):
        n = 2 * d
        self.d, self.n = d, n
        self.q4 = np.ascontiguousarray(q4, dtype=np.float64).reshape(n, n * n, n, n * n)
        self.l3 = np.ascontiguousarray(l3, dtype=np.float64).reshape(d, n, n * n)
        self.const = float(const)
        self.size = n * n + d * n
        self._q_kfirst = self.q4.reshape(n, n * n, n * n * n)  # (a', (b'c'), (a, bc))

    @property
    def nbytes(self):
        return self.q4.nbytes + self.l3.nbytes

    # -- contractions -------------------------------------------------------------------------
    def _R(self, k):
        """R[a', a, bc] = sum_{b'c'} Q4[a', b'c', a, bc] k_{b'c'}: one pass over Q4."""
        n = self.n
        return np.matmul(k, self._q_kfirst).reshape(n, n, n * n)

    def loss(self, P, K):
        """L(P, K) for real numpy P (d x 2d) and K (2d x 2d)."""
        P, K = np.asarray(P, float), np.asarray(K, float)
        k = K.ravel()
        G = self._R(k) @ k
        quad = 0.5 * np.einsum("ra,ab,rb->", P, G, P)
        lin = np.einsum("ra,j,raj->", P, k, self.l3)
        return float(quad - lin + self.const)

    def grad(self, P, K):
        """(dL/dP, dL/dK) as real numpy arrays of the shapes of P and K."""
        P, K = np.asarray(P, float), np.asarray(K, float)
        n = self.n
        k = K.ravel()
        R = self._R(k)
        G = R @ k
        gP = P @ G - self.l3 @ k
        # dL/dk_j = sum_{a'a} (P^T P)[a',a] * sum_i Q4[a',i,a,j] k_i  (Q4 symmetric in the pairs)
        gk = (P.T @ P).ravel() @ R.reshape(n * n, n * n) - np.einsum("ra,raj->j", P, self.l3)
        return gP, gk.reshape(n, n)

    def hessian(self, P, K):
        """The Hessian in flat (Params.flatten) order: W^KQ entries first, then W^PV."""
        P, K = np.asarray(P, float), np.asarray(K, float)
        d, n = self.d, self.n
        k = K.ravel()
        R = self._R(k)                              # R[x, y, m] = sum_i Q4[x,i,y,m] k_i
        G = R @ k
        R1 = self.q4 @ k                            # R1[x, m, y] = sum_j Q4[x,m,y,j] k_j
        dG = R + R1.transpose(0, 2, 1)              # dG[x, y, m] = d G[x,y] / d k_m
        PtP = P.T @ P
        Hkk = np.tensordot(PtP, self.q4.transpose(0, 2, 1, 3), axes=([0, 1], [0, 1]))
        HPk = np.einsum("ry,xym->rxm", P, dG) - self.l3  # d^2 L / dP_rx dk_m
        HPP = np.kron(np.eye(d), G)
        m = n * n
        H = np.zeros((m + d * n, m + d * n))
        H[:m, :m] = 0.5 * (Hkk + Hkk.T)
        H[m:, :m] = HPk.reshape(d * n, m)
        H[:m, m:] = H[m:, :m].T
        H[m:, m:] = 0.5 * (HPP + HPP.T)
        return H

    # -- flattened, in Params.flatten order: kq row-major, then pv row-major -----------------
    def split(self, vec):
        """(P, K) from a flat vector in Params.flatten order (kq first, then pv)."""
        n = self.n
        vec = np.asarray(vec, float)
        return vec[n * n:].reshape(self.d, n), vec[: n * n].reshape(n, n)

    def loss_flat(self, vec):
        P, K = self.split(vec)
        return self.loss(P, K)

    def grad_flat(self, vec):
        """The gradient as a flat vector in Params.flatten order."""
        P, K = self.split(vec)
        gP, gK = self.grad(P, K)
        return np.concatenate([gK.ravel(), gP.ravel()])

    def hessian_flat(self, vec):
        P, K = self.split(vec)
        return self.hessian(P, K)
