"""Exact coefficients of the population loss, assembled from symmetry classes.

A QUAD or LIN coefficient (:mod:`mesacheck.symbolic.population`) is the class weight of its
index tuple (:mod:`mesacheck.symbolic.lattice_classes`: a function of the equality pattern of the
coordinates and of the shifts only) times the x_1-moment of its factors. For an exchangeable law
the moment is a function of the pattern too; otherwise it depends on the actual coordinates and
is cached per exponent vector. Everything is exact: Fractions / SymPy Rationals, SymPy closed
forms with harmonic numbers for a symbolic T.

Index conventions are those of :class:`mesacheck.symbolic.population.PopulationLoss`: an
embedding index a in 0..2d-1 reads coordinate a mod d of x_i (a < d) or of x_{i-1} (a >= d).
"""
from fractions import Fraction

import sympy

from mesacheck.errors import InputError
from mesacheck.symbolic import lattice_classes as lc


def canonical_rgs(labels):
    """Restricted growth string of a sequence of labels (equal labels share a block)."""
    seen = {}
    return tuple(seen.setdefault(x, len(seen)) for x in labels)


def split_index(a, d):
    """(coordinate, shift) of embedding index a."""
    shift, coord = divmod(a, d)
    return coord, shift


def to_sympy(value):
    """A Fraction (or int) as a SymPy Rational; SymPy objects pass through."""
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    return sympy.sympify(value) if isinstance(value, int) else value


class ClassValues:
    """Exact QUAD / LIN / CONST coefficients of one law at concrete d, concrete or symbolic T.

    ``weight(kind, rgs, shifts)`` is the class's lattice weight (Fraction for an int T, SymPy
    closed form for a symbolic T, valid for T >= :attr:`min_T`); ``moment_*`` the exact moments.
    """

    def __init__(self, dist, d, T):
        if not isinstance(d, int) or d < 1:
            raise InputError(f"d must be a concrete integer >= 1, got {d!r}")
        if isinstance(T, int) and T < 3:
            raise InputError(f"T must be >= 3, got {T}")
        dist.for_dim(d)
        self.dist, self.d, self.T = dist, d, T
        self.exchangeable = dist.is_exchangeable
        self._weights = {}
        self._moments = {}

    @property
    def min_T(self):
        """For a symbolic T: the closed forms hold for every integer T >= min_T."""
        return max(3, lc.min_T("quad"), lc.min_T("lin"))

    # -- class weights ---------------------------------------------------------------------------
    def weight(self, kind, rgs, shifts):
        """Exact weight of a class (cached per distinct closed form: there are few of them)."""
        w = lc.weight_of(rgs, shifts, kind)
        key = (w.coeffs, w.t0, w.power) if isinstance(self.T, int) and self.T >= w.t0 else (kind, rgs, shifts)
        if key not in self._weights:
            if isinstance(self.T, int):
                self._weights[key] = w.at(self.T)
            else:
                self._weights[key] = w.symbolic(self.T)
        return self._weights[key]

    # -- moments ---------------------------------------------------------------------------------
    def moment_pattern(self, kind, rgs):
        """Moment of the factors for an exchangeable law: a function of the pattern ``rgs``."""
        key = ("pattern", kind, rgs)
        if key not in self._moments:
            positions = lc.QUAD_POSITIONS if kind == "quad" else lc.LIN_POSITIONS
            self._moments[key] = self.dist.pattern_moment(lc.pattern_exponents(rgs, positions), self.d)
        return self._moments[key]

    def moment_coords(self, kind, coords):
        """Moment of the factors reading the actual coordinates ``coords`` (cached per exponent
        vector, so each distinct moment of the law is computed once)."""
        positions = lc.QUAD_POSITIONS if kind == "quad" else lc.LIN_POSITIONS
        alpha, beta = [0] * self.d, [0] * self.d
        for c, (_, conj) in zip(coords, positions):
            (beta if conj else alpha)[c] += 1
        key = (tuple(alpha), tuple(beta))
        if key not in self._moments:
            self._moments[key] = self.dist.moment(*key)
        return self._moments[key]

    def moment(self, kind, coords):
        """The moment of an index tuple's factors (pattern moment when exchangeable)."""
        if self.exchangeable:
            return self.moment_pattern(kind, canonical_rgs(coords))
        return self.moment_coords(kind, coords)

    # -- coefficients ----------------------------------------------------------------------------
    def _entry(self, kind, indices, shifts_fn):
        d = self.d
        coords = tuple(split_index(a, d)[0] for a in indices)
        shifts = shifts_fn(tuple(split_index(a, d)[1] for a in indices))
        rgs = canonical_rgs(coords)
        w = self.weight(kind, rgs, shifts)
        if w == 0:
            return sympy.Integer(0)
        return sympy.expand(to_sympy(w) * self.moment(kind, coords))

    def quad(self, primed, plain):
        """QUAD[(a',b',c'), (a,b,c)] exactly."""
        return self._entry("quad", tuple(primed) + tuple(plain), lambda s: s)

    def lin(self, r, plain):
        """LIN[r, (a,b,c)] exactly (r a coordinate 0..d-1)."""
        return self._entry("lin", (r,) + tuple(plain), lambda s: (-1,) + s[1:])

    def const(self):
        """CONST = sum_{t=2}^{T-1} E||x_{t+1}||^2 / 2 = (T - 2) E||x_1||^2 / 2."""
        second = sympy.Add(*(self.dist.moment(*_unit(self.d, j)) for j in range(self.d)))
        return (self.T - 2) * second / 2


def _unit(d, j):
    e = tuple(1 if k == j else 0 for k in range(d))
    return e, e
