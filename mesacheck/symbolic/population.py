"""The exact population loss and its gradient with respect to every entry of W^KQ and W^PV.

With V_abc(t) = sum_{i<=t} e_{i,a} conj(e_{i,b}) e_{t,c} the loss is the quartic

    L(P, K) = 1/2 sum_r sum P_ra P_ra' K_bc K_b'c' QUAD[(a',b',c'), (a,b,c)]
              - Re sum_r P_ra K_bc LIN[r, (a,b,c)] + CONST

for real parameters P = W^PV (d x 2d) and K = W^KQ (2d x 2d), where
QUAD = sum_t E[conj(V_a'b'c') V_abc] / (t-1)^2, LIN = sum_t E[conj(x_{t+1,r}) V_abc] / (t-1) and
CONST = sum_t E|x_{t+1}|^2 / 2, sums over t = 2..T-1. Every coefficient is exact: a lattice
count times an exact moment of the law (see :mod:`mesacheck.symbolic.expectation`).
"""
from itertools import product

import sympy

from mesacheck.errors import InputError
from mesacheck.symbolic.expectation import (
    LIN_RANGES,
    QUAD_RANGES,
    Expectation,
    T_VAR,
    lin_factors,
    prefix_ranges,
    quad_factors,
    real_part,
    x,
)
from mesacheck.symbolic.torus import Aff


class PopulationLoss:
    """Exact coefficients of the population loss for one law, concrete d and T (int or Symbol)."""

    def __init__(self, dist, d, T):
        if not isinstance(d, int) or d < 1:
            raise InputError(f"d must be a concrete integer >= 1 for the full population loss, got {d!r}")
        if isinstance(T, int) and T < 3:
            raise InputError(f"T must be >= 3, got {T}")
        self.dist, self.d, self.T = dist, d, T
        self.E = Expectation(dist, d, T)
        self._quad, self._lin = {}, {}
        self._const = None

    @property
    def n(self):
        """Size 2d of the embedding."""
        return 2 * self.d

    def quad(self, primed, plain):
        """QUAD[(a',b',c'), (a,b,c)] exactly (Hermitian: swapping the triples conjugates it)."""
        key = (tuple(primed), tuple(plain))
        if key not in self._quad:
            swapped = (key[1], key[0])
            if swapped in self._quad:
                self._quad[key] = sympy.conjugate(self._quad[swapped])
            else:
                self._quad[key] = self.E.term(quad_factors(primed, plain, self.d), QUAD_RANGES, 2)
        return self._quad[key]

    def lin(self, r, plain):
        """LIN[r, (a,b,c)] exactly."""
        key = (r, tuple(plain))
        if key not in self._lin:
            self._lin[key] = self.E.term(lin_factors(r, plain, self.d), LIN_RANGES, 1)
        return self._lin[key]

    def const(self):
        """CONST = sum_t E|x_{t+1}|^2 / 2."""
        if self._const is None:
            total = sympy.Integer(0)
            for j in range(self.d):
                f = [x(T_VAR + Aff({}, 1), j), x(T_VAR + Aff({}, 1), j, conj=True)]
                total += self.E.term(f, prefix_ranges(), 0)
            self._const = total / 2
        return self._const

    @property
    def min_T(self):
        """Smallest T for which closed forms in symbolic T are exact."""
        return self.E.min_T

    # -- evaluation at a parameter point ------------------------------------------------------
    def _check(self, P, K):
        P, K = sympy.Matrix(P), sympy.Matrix(K)
        if P.shape != (self.d, self.n) or K.shape != (self.n, self.n):
            raise InputError(f"expected W^PV {self.d}x{self.n} and W^KQ {self.n}x{self.n}")
        return P, K

    @staticmethod
    def _nonzero(M):
        return [(idx, M[idx]) for idx in product(range(M.rows), range(M.cols)) if M[idx] != 0]

    def loss_at(self, P, K):
        """L(P, K) exactly (real parameters)."""
        P, K = self._check(P, K)
        nzK, nzP = self._nonzero(K), self._nonzero(P)
        total = self.const()
        for (r, a), p in nzP:
            for (r2, a2), p2 in nzP:
                if r2 != r:
                    continue
                for (b, c), k in nzK:
                    for (b2, c2), k2 in nzK:
                        total += sympy.Rational(1, 2) * p * p2 * k * k2 * self.quad((a2, b2, c2), (a, b, c))
            for (b, c), k in nzK:
                total -= real_part(p * k * self.lin(r, (a, b, c)))
        return sympy.expand(total)

    def _gradient_P(self, nzP, nzK, lin, finish):
        """The W^PV block of the gradient, shared by the real and the complex (Wirtinger) form:
        sum P_ry K_bc K_b'c' QUAD[(x,b',c'),(y,b,c)] - sum K_bc lin(r, (x,b,c)), then ``finish``."""
        gP = sympy.zeros(self.d, self.n)
        for r in range(self.d):
            row = [(a, p) for (rr, a), p in nzP if rr == r]
            for xx in range(self.n):
                acc = sympy.Integer(0)
                for y, p in row:
                    for (b, c), k in nzK:
                        for (b2, c2), k2 in nzK:
                            acc += p * k * k2 * self.quad((xx, b2, c2), (y, b, c))
                for (b, c), k in nzK:
                    acc -= k * lin(r, (xx, b, c))
                gP[r, xx] = finish(acc)
        return gP

    def gradient_at(self, P, K):
        """(dL/dW^PV, dL/dW^KQ) exactly at real parameters (P, K): two SymPy matrices.

        dL/dP_rx = sum_y P_ry Re M_xy - Re sum_bc K_bc LIN[r,(x,b,c)] with
        M_xy = sum K_bc K_b'c' QUAD[(x,b',c'),(y,b,c)]; dL/dK_bc likewise with the roles swapped.
        Only nonzero parameters are visited, so sparse points (the structured set) are cheap.
        """
        P, K = self._check(P, K)
        nzK, nzP = self._nonzero(K), self._nonzero(P)
        gP = self._gradient_P(nzP, nzK, self.lin, real_part)
        gK = sympy.zeros(self.n, self.n)
        for b, c in product(range(self.n), repeat=2):
            acc = sympy.Integer(0)
            for (b2, c2), k2 in nzK:
                for (r, a), p in nzP:
                    for (r2, a2), p2 in nzP:
                        if r2 == r:
                            acc += p * p2 * k2 * self.quad((a2, b2, c2), (a, b, c))
            for (r, a), p in nzP:
                acc -= p * self.lin(r, (a, b, c))
            gK[b, c] = real_part(acc)
        return gP, gK

    def complex_gradient_at(self, P, K):
        """g = dL/dRe + i dL/dIm (PyTorch's convention for complex parameters) at REAL (P, K).

        With the Hermitian form L = 1/2 sum_r sum P_ra conj(P_ra') K_bc conj(K_b'c') QUAD[(a'b'c'),
        (abc)] - Re sum P_ra K_bc LIN[r,(abc)] + CONST, g = 2 dL/dconj(z) (Wirtinger), so at a real
        point
            g_K[beta, gamma] = sum_r sum P_ra P_ra' K_bc QUAD[(a', beta, gamma), (a, b, c)]
                               - sum_{r,a} P_ra conj(LIN[r, (a, beta, gamma)]),
            g_P[rho, alpha]  = sum P_rho,a K_bc K_b'c' QUAD[(alpha, b', c'), (a, b, c)]
                               - sum_{b,c} K_bc conj(LIN[rho, (alpha, b, c)]).
        Its real part is :meth:`gradient_at`; its imaginary part is the gradient of the imaginary
        parts, which the real parametrisation never sees.
        """
        P, K = self._check(P, K)
        nzK, nzP = self._nonzero(K), self._nonzero(P)
        gP = self._gradient_P(nzP, nzK, lambda r, idx: sympy.conjugate(self.lin(r, idx)), sympy.expand)
        gK = sympy.zeros(self.n, self.n)
        for beta, gamma in product(range(self.n), repeat=2):
            acc = sympy.Integer(0)
            for (r, a), p in nzP:
                for (r2, a2), p2 in nzP:
                    if r2 == r:
                        for (b, c), k in nzK:
                            acc += p * p2 * k * self.quad((a2, beta, gamma), (a, b, c))
            for (r, a), p in nzP:
                acc -= p * sympy.conjugate(self.lin(r, (a, beta, gamma)))
            gK[beta, gamma] = sympy.expand(acc)
        return gP, gK

    # -- all coefficients (for the numeric boundary) -----------------------------------------
    def all_entries(self, progress=None):
        """Every nonzero (QUAD, LIN) coefficient: two dicts keyed by index tuples, plus CONST.

        QUAD keys are ((a',b',c'), (a,b,c)); LIN keys are (r, (a,b,c)). Needs concrete T.
        """
        if not isinstance(self.T, int):
            raise InputError("the full coefficient tensors need a concrete T")
        triples = list(product(range(self.n), repeat=3))
        quad = {}
        for k, primed in enumerate(triples):
            for plain in triples:
                v = self.quad(primed, plain)
                if v != 0:
                    quad[(primed, plain)] = v
            if progress is not None:
                progress(k + 1, len(triples))
        lin = {}
        for r in range(self.d):
            for plain in triples:
                v = self.lin(r, plain)
                if v != 0:
                    lin[(r, plain)] = v
        return quad, lin, self.const()


def structured_point(d, a, b):
    """(W^PV, W^KQ) with A = a I (lower-left block of W^KQ), B = b I (left block of W^PV)."""
    P = sympy.zeros(d, 2 * d)
    K = sympy.zeros(2 * d, 2 * d)
    for j in range(d):
        P[j, j] = b
        K[d + j, j] = a
    return P, K


def diagonal_point(d, avec, bvec):
    """(W^PV, W^KQ) with A = diag(avec), B = diag(bvec), everything else 0."""
    P = sympy.zeros(d, 2 * d)
    K = sympy.zeros(2 * d, 2 * d)
    for j in range(d):
        P[j, j] = bvec[j]
        K[d + j, j] = avec[j]
    return P, K
