"""The parameters (W^KQ, W^PV) of the one-layer linear attention model, and helpers on them.

Shapes: ``kq`` is 2d x 2d, ``pv`` is d x 2d. ``A`` is the lower-left d x d block of ``kq`` (rows
d..2d-1, columns 0..d-1) and ``B`` the left d x d block of ``pv``. Entries are real float64 by
default; complex128 parameters are allowed (the reference program allows them).
"""
from dataclasses import dataclass

import numpy as np

from mesacheck.errors import InputError
from mesacheck.setting.validate import check_finite, check_int, check_positive


def _as_matrix(name, value, shape):
    """``value`` as a float64 or complex128 array of the given shape; InputError otherwise."""
    arr = np.asarray(value)
    if arr.shape != shape:
        raise InputError(f"{name} must have shape {shape}, got {arr.shape}")
    if np.iscomplexobj(arr):
        return np.array(arr, dtype=np.complex128)
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise InputError(f"{name} must be numeric, got dtype {arr.dtype}")
    return np.array(arr, dtype=np.float64)


@dataclass(eq=False)
class Params:
    """W^KQ (``kq``, 2d x 2d) and W^PV (``pv``, d x 2d) as numpy arrays (float64 or complex128)."""

    kq: np.ndarray
    pv: np.ndarray

    def __post_init__(self):
        kq = np.asarray(self.kq)
        if kq.ndim != 2 or kq.shape[0] != kq.shape[1] or kq.shape[0] % 2 or kq.shape[0] == 0:
            raise InputError(f"kq must be a square 2d x 2d matrix with d >= 1, got shape {kq.shape}")
        d = kq.shape[0] // 2
        self.kq = _as_matrix("kq", kq, (2 * d, 2 * d))
        self.pv = _as_matrix("pv", self.pv, (d, 2 * d))
        # Both matrices share one dtype so that arithmetic on Params stays in that dtype.
        if self.kq.dtype != self.pv.dtype:
            self.kq = self.kq.astype(np.complex128)
            self.pv = self.pv.astype(np.complex128)

    # -- constructors ----------------------------------------------------------------------------
    @classmethod
    def zeros(cls, d, complex=False):
        """All-zero parameters of dimension d."""
        d = check_int("d", d, 1)
        dtype = np.complex128 if complex else np.float64
        return cls(np.zeros((2 * d, 2 * d), dtype), np.zeros((d, 2 * d), dtype))

    @classmethod
    def diagonal(cls, d, a0, b0, complex=False):
        """Assumption 3.1: kq's lower-left block a0*I, pv's left block b0*I, zeros elsewhere."""
        a0, b0 = check_finite("a0", a0), check_finite("b0", b0)
        p = cls.zeros(d, complex=complex)
        idx = np.arange(p.d)
        p.kq[p.d + idx, idx] = a0
        p.pv[idx, idx] = b0
        return p

    @classmethod
    def dense_gaussian(cls, d, std, rng, complex=False):
        """Every entry i.i.d. centred Gaussian with E|entry|^2 = std^2 (kq drawn first, then pv).

        For complex parameters the real and imaginary parts are independent with variance
        std^2 / 2 each.
        """
        d = check_int("d", d, 1)
        std = check_positive("std", std)
        n = 2 * d
        if not complex:
            return cls(std * rng.standard_normal((n, n)), std * rng.standard_normal((d, n)))
        s = std / np.sqrt(2.0)
        kq = s * (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)))
        pv = s * (rng.standard_normal((d, n)) + 1j * rng.standard_normal((d, n)))
        return cls(kq, pv)

    # -- views and summaries -----------------------------------------------------------------------
    @property
    def d(self):
        """Token dimension d."""
        return self.pv.shape[0]

    @property
    def is_complex(self):
        """True when the parameters are complex128."""
        return np.iscomplexobj(self.kq)

    @property
    def A(self):
        """The lower-left d x d block of W^KQ (a view: writing to it changes ``kq``)."""
        return self.kq[self.d:, : self.d]

    @property
    def B(self):
        """The left d x d block of W^PV (a view: writing to it changes ``pv``)."""
        return self.pv[:, : self.d]

    def ab(self):
        """mean_j Re(A_jj * B_jj): the product a*b of the structured set, read off any parameters."""
        return float(np.mean(np.real(np.diag(self.A) * np.diag(self.B))))

    def off_diagonal_norm(self):
        """Frobenius norm of every entry except diag(A) and diag(B): the distance to {A, B diagonal,
        all other blocks zero}."""
        kq, pv = self.kq.copy(), self.pv.copy()
        idx = np.arange(self.d)
        kq[self.d + idx, idx] = 0
        pv[idx, idx] = 0
        return float(np.sqrt(np.sum(np.abs(kq) ** 2) + np.sum(np.abs(pv) ** 2)))

    def all_finite(self):
        """True when every entry is finite."""
        return bool(np.all(np.isfinite(self.kq)) and np.all(np.isfinite(self.pv)))

    # -- transformations ---------------------------------------------------------------------------
    def copy(self):
        """A deep copy."""
        return Params(self.kq.copy(), self.pv.copy())

    def mask_offdiag_AB(self):
        """Zero the off-diagonal entries of A and B (other blocks untouched), IN PLACE; return self.

        This is the reference program's "masked" variant, applied after every step.
        """
        d = self.d
        off = ~np.eye(d, dtype=bool)
        self.kq[d:, :d][off] = 0
        self.pv[:, :d][off] = 0
        return self

    def step(self, grad, lr):
        """Gradient-descent step: a new Params ``self - lr * grad``."""
        return Params(self.kq - lr * grad.kq, self.pv - lr * grad.pv)

    def flatten(self):
        """One real float64 vector: kq row-major then pv row-major; complex: real parts then
        imaginary parts of that same sequence."""
        z = np.concatenate([self.kq.ravel(), self.pv.ravel()])
        if self.is_complex:
            return np.concatenate([z.real, z.imag])
        return z.astype(np.float64, copy=True)

    @classmethod
    def unflatten(cls, vec, d, complex=False):
        """Inverse of :meth:`flatten` for dimension d."""
        d = check_int("d", d, 1)
        vec = np.asarray(vec, dtype=np.float64).ravel()
        size = 4 * d * d + 2 * d * d
        expected = 2 * size if complex else size
        if vec.size != expected:
            raise InputError(f"expected a vector of length {expected} for d={d}, got {vec.size}")
        z = vec[:size] + 1j * vec[size:] if complex else vec.copy()
        n = 2 * d
        return cls(z[: n * n].reshape(n, n), z[n * n:].reshape(d, n))
