"""Lattice counts of the population loss coefficients, one per symmetry class.

A coefficient of the loss (:mod:`mesacheck.symbolic.population`) is a sum over t of
(t-1)^(-power) times E_W of a product of token factors x_{tau,j} (or conjugates), summed over
in-context positions i (and i2). Each factor reads coordinate j at time tau = (var - shift), var
one of i, i2, t. Since x_tau = W^(tau-1) x_1 with independent uniform phases, E_W of the product
is [every coordinate's phase exponent vanishes] times the x_1-moment, and the exponents depend
only on *which factors share a coordinate* (a set partition of the factor positions) and on the
shifts. So the lattice count is a function of (partition, shifts): a *class*. There are at most
Bell(6) * 2^6 = 12992 classes for QUAD and Bell(4) * 2^3 = 120 for LIN, whatever d is.

For each class the count is a piecewise polynomial in t: a product of interval lengths
max(0, min(highs) - max(lows) + 1) of affine forms in t with integer coefficients. Beyond the last
crossing of those forms (``t0``) it is one polynomial of degree <= 2; below, it is tabulated. The
weighted sum over t = 2..T-1 is then exact in closed form: a rational linear combination of the
basis (1, N, sum s, sum s^2, H_N, H_N^(2)) with N = T - 2 (:class:`Weight`), exact for every
T >= ``t0`` and evaluated by a direct sum below that.

Pure Python integers and Fractions; no floating point, no numpy.
"""
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import product

import sympy

#: factor positions of QUAD[(a',b',c'), (a,b,c)] = sum_t E[conj(V_a'b'c') V_abc] / (t-1)^2, in
#: tensor-index order: (summation variable, conjugated?) of a', b', c', a, b, c.
QUAD_POSITIONS = (("i2", True), ("i2", False), ("t", True), ("i", False), ("i", True), ("t", False))
#: LIN[r, (a,b,c)] = sum_t E[conj(x_{t+1,r}) V_abc] / (t-1): r reads x_{t+1} (shift -1).
LIN_POSITIONS = (("t", True), ("i", False), ("i", True), ("t", False))
QUAD_POWER, LIN_POWER = 2, 1


def set_partitions(n):
    """All set partitions of range(n) as restricted growth strings (tuples: block label per
    position, labels numbered by first appearance)."""
    out = [()]
    for _ in range(n):
        out = [s + (k,) for s in out for k in range(max(s, default=-1) + 2)]
    return out


def pattern_exponents(rgs, positions):
    """((alpha_k, beta_k), ...) per block: how many plain / conjugated factors block k holds."""
    k = max(rgs) + 1
    alpha, beta = [0] * k, [0] * k
    for blk, (_, conj) in zip(rgs, positions):
        if conj:
            beta[blk] += 1
        else:
            alpha[blk] += 1
    return tuple(zip(alpha, beta))


# -- counting -----------------------------------------------------------------------------------
# An affine form p*t + q is the pair (p, q) of ints.


def _at(form, t):
    return form[0] * t + form[1]


@dataclass(frozen=True)
class CountExpr:
    """count(t) = [t == spike if spike is set] * prod_g max(0, min(highs_g) - max(lows_g) + 1).

    ``groups``: tuple of (lows, highs), each a tuple of affine forms (p, q) in t; ``zero``: the
    count vanishes for every t.
    """

    groups: tuple
    spike: object = None
    zero: bool = False

    def at(self, t):
        """The exact count at integer t >= 2."""
        if self.zero or (self.spike is not None and t != self.spike):
            return 0
        n = 1
        for lows, highs in self.groups:
            length = min(_at(h, t) for h in highs) - max(_at(l, t) for l in lows) + 1
            if length <= 0:
                return 0
            n *= length
        return n

    def breakpoint(self):
        """An integer t0 >= 2 beyond which (t >= t0) no two forms cross and no length changes
        sign, so that count(t) is one polynomial there."""
        roots = [1]
        for lows, highs in self.groups:
            forms = lows + highs
            for f, g in product(forms, repeat=2):
                for shift in (0, 1, -1):  # f = g, and the length h - l + 1 = 0 (either order)
                    dp, dq = f[0] - g[0], f[1] - g[1] + shift
                    if dp != 0:
                        roots.append(Fraction(-dq, dp))
        t0 = max(2, int(max(roots)) + 1)
        if self.spike is not None:
            t0 = max(t0, self.spike + 1)
        return t0


def _solve(rows, variables, lows):
    """Turn the exponent equations into a :class:`CountExpr`.

    ``rows``: tuples (c_i, c_i2, c_t, c_0) for c_i i + c_i2 i2 + c_t t + c_0 = 0; ``variables``:
    the summation variables present (subset of ('i', 'i2')); ``lows``: their lower bounds
    (upper bound t). The (i, i2)-part of the rows is totally unimodular (every 2 x 2 minor is in
    {-1, 0, 1}: each of a, b, a', b' sits in one block), so elimination stays integral.
    """
    vidx = {"i": 0, "i2": 1}
    rows = [list(r) for r in rows]
    solved = {}  # var index -> (pivot row)
    for v in variables:
        k = vidx[v]
        piv = next((r for r in rows if r[k] != 0), None)
        if piv is None:
            continue
        if abs(piv[k]) != 1:
            raise ArithmeticError("non-unimodular exponent system")  # cannot happen (see docstring)
        rows.remove(piv)
        new = []
        for r in rows:
            if r[k] != 0:
                f = r[k] * piv[k]  # piv[k] = +-1, so r - (r[k]/piv[k]) piv = r - f piv
                r = [x - f * y for x, y in zip(r, piv)]
            new.append(r)
        rows = new
        for w, pr in list(solved.items()):
            if pr[k] != 0:
                f = pr[k] * piv[k]
                solved[w] = [x - f * y for x, y in zip(pr, piv)]
        solved[k] = piv
    spike = None
    for r in rows:  # what is left involves t alone
        if any(r[:2]):
            raise ArithmeticError("elimination left a summation variable")
        if r[2] == 0:
            if r[3] != 0:
                return CountExpr((), zero=True)
            continue
        if r[3] % r[2] != 0:
            return CountExpr((), zero=True)
        ts = -r[3] // r[2]
        if ts < 2 or (spike is not None and spike != ts):
            return CountExpr((), zero=True)
        spike = ts
    groups = []
    free = [vidx[v] for v in variables if vidx[v] not in solved]
    lo = {vidx[v]: lo_ for v, lo_ in zip(variables, lows)}
    bounds = {k: ([(0, lo[k])], [(1, 0)]) for k in lo}  # lo <= v <= t
    for k, piv in solved.items():
        s = piv[k]  # v_k = -s * (other var terms + c_t t + c_0)
        others = [m for m in (0, 1) if m != k and piv[m] != 0]
        if not others:
            form = (-s * piv[2], -s * piv[3])
            lows_k, highs_k = bounds[k]
            groups.append((tuple(lows_k + [form]), tuple(highs_k + [form])))
            continue
        m = others[0]  # v_k = r v_m + form with r = -s piv[m] = +-1: bounds on v_k become bounds on v_m
        r = -s * piv[m]
        form = (-s * piv[2], -s * piv[3])
        lows_m, highs_m = list(bounds[m][0]), list(bounds[m][1])
        for l in bounds[k][0]:  # v_k >= l  <=>  r v_m >= l - form
            b = (l[0] - form[0], l[1] - form[1])
            (lows_m if r == 1 else highs_m).append(b if r == 1 else (-b[0], -b[1]))
        for h in bounds[k][1]:  # v_k <= h  <=>  r v_m <= h - form
            b = (h[0] - form[0], h[1] - form[1])
            (highs_m if r == 1 else lows_m).append(b if r == 1 else (-b[0], -b[1]))
        bounds[m] = (lows_m, highs_m)
        if m in free:
            free.remove(m)
        groups.append((tuple(lows_m), tuple(highs_m)))
    for k in free:
        groups.append((tuple(bounds[k][0]), tuple(bounds[k][1])))
    return CountExpr(tuple(groups), spike)


def class_rows(rgs, shifts, positions):
    """Exponent equations (c_i, c_i2, c_t, c_0) per block of the partition ``rgs``.

    A factor at time var - shift contributes +-(var - shift - 1) to its block's exponent (+ plain,
    - conjugated).
    """
    k = max(rgs) + 1
    rows = [[0, 0, 0, 0] for _ in range(k)]
    col = {"i": 0, "i2": 1, "t": 2}
    for blk, (var, conj), s in zip(rgs, positions, shifts):
        sign = -1 if conj else 1
        rows[blk][col[var]] += sign
        rows[blk][3] -= sign * (s + 1)
    return [tuple(r) for r in rows if any(r)]


def count_expr(rgs, shifts, positions):
    """The :class:`CountExpr` of a class: W-expectation of the product, summed over i (and i2)."""
    variables = tuple(v for v in ("i", "i2") if any(p[0] == v for p in positions))
    # Every factor's time must be >= 1 (x_0 = 0): var - shift >= 1.
    lows = tuple(1 + max(s for (var, _), s in zip(positions, shifts) if var == v) for v in variables)
    return _solve(class_rows(rgs, shifts, positions), variables, lows)


# -- weighted sums over t in closed form ----------------------------------------------------------
#: basis of :class:`Weight`: with N = T - 2, (1, N, sum_{s<=N} s, sum_{s<=N} s^2, H_N, H_N^(2)).
BASIS_NAMES = ("1", "N", "S1", "S2", "H1", "H2")
_EXP_TO_BASIS = {0: 1, 1: 2, 2: 3, -1: 4, -2: 5}


@dataclass(frozen=True)
class Weight:
    """sum_{t=2}^{T-1} count(t) / (t-1)^power = sum_k coeffs[k] * basis_k(T - 2), for T >= t0.

    ``coeffs``: six Fractions on :data:`BASIS_NAMES`; ``expr``/``power``: the count and power, kept
    for T < t0, where the value is the direct sum.
    """

    coeffs: tuple
    t0: int
    expr: CountExpr
    power: int

    @property
    def is_zero(self):
        return self.expr.zero or (not any(self.coeffs) and self.t0 <= 2)

    def at(self, T, basis=None):
        """The exact value (Fraction) at a concrete integer T >= 3."""
        if T < self.t0:
            return sum((Fraction(self.expr.at(t), (t - 1) ** self.power) for t in range(2, T)), Fraction(0))
        basis = basis if basis is not None else basis_values(T)
        return sum((c * b for c, b in zip(self.coeffs, basis) if c), Fraction(0))

    def symbolic(self, T):
        """The closed form in a SymPy symbol T (exact for T >= t0)."""
        N = T - 2
        b = (sympy.Integer(1), N, N * (N + 1) / 2, N * (N + 1) * (2 * N + 1) / 6,
             sympy.harmonic(N), sympy.harmonic(N, 2))
        return sympy.Add(*(sympy.Rational(c.numerator, c.denominator) * x for c, x in zip(self.coeffs, b) if c))


def _harmonic(n, q):
    """H_n^(q) = sum_{k=1}^n k^-q exactly, by binary splitting (fast for n ~ 10^4)."""
    def split(a, b):  # sum_{k=a}^{b-1} 1/k^q as (num, den)
        if b - a == 1:
            return 1, a**q
        m = (a + b) // 2
        p1, q1 = split(a, m)
        p2, q2 = split(m, b)
        return p1 * q2 + p2 * q1, q1 * q2
    if n < 1:
        return Fraction(0)
    p, den = split(1, n + 1)
    return Fraction(p, den)


@lru_cache(maxsize=64)
def basis_values(T):
    """The basis of :class:`Weight` at concrete T (exact ints and Fractions)."""
    N = T - 2
    return (Fraction(1), Fraction(N), Fraction(N * (N + 1), 2), Fraction(N * (N + 1) * (2 * N + 1), 6),
            _harmonic(N, 1), _harmonic(N, 2))


def _poly_shift(coeffs):
    """Coefficients in s of p(s + 1), p given by coefficients in t."""
    out = [Fraction(0)] * len(coeffs)
    for k, c in enumerate(coeffs):
        binom = 1
        for j in range(k + 1):  # C(k, j) s^j
            out[j] += c * binom
            binom = binom * (k - j) // (j + 1)
    return out


def _eventual_poly(expr, t0):
    """Coefficients (in t) of count(t) for t >= t0: the product of the dominant lengths."""
    if expr.zero or expr.spike is not None:
        return [Fraction(0)]
    poly = [Fraction(1)]
    for lows, highs in expr.groups:
        lo = max(lows, key=lambda f: _at(f, t0))
        hi = min(highs, key=lambda f: _at(f, t0))
        if _at(hi, t0) - _at(lo, t0) + 1 <= 0:
            return [Fraction(0)]
        length = (hi[1] - lo[1] + 1, hi[0] - lo[0])  # (constant, slope)
        new = [Fraction(0)] * (len(poly) + 1)
        for k, c in enumerate(poly):
            new[k] += c * length[0]
            new[k + 1] += c * length[1]
        poly = new
    return poly


@lru_cache(maxsize=None)
def class_weight(rgs, shifts, positions, power):
    """The :class:`Weight` of one class (cached: each distinct class is counted once)."""
    expr = count_expr(rgs, shifts, positions)
    if expr.zero:
        return Weight((Fraction(0),) * 6, 2, expr, power)
    t0 = expr.breakpoint()
    poly = _eventual_poly(expr, t0)
    # beyond t0: sum_{s=t0-1}^{N} p(s+1)/s^power = [sum_{s=1}^{N}] - [sum_{s=1}^{t0-2}]
    coeffs = [Fraction(0)] * 6
    const = Fraction(0)
    for e, c in enumerate(_poly_shift(poly)):
        if c == 0:
            continue
        k = e - power
        coeffs[_EXP_TO_BASIS[k]] += c
        const -= c * sum((Fraction(s) ** k for s in range(1, t0 - 1)), Fraction(0))
    for t in range(2, t0):  # the tabulated head
        const += Fraction(expr.at(t), (t - 1) ** power)
    coeffs[0] += const
    return Weight(tuple(coeffs), t0, expr, power)


def weight_of(rgs, shifts, kind):
    """Class weight of a QUAD (``kind='quad'``) or LIN (``'lin'``) coefficient."""
    if kind == "quad":
        return class_weight(tuple(rgs), tuple(shifts), QUAD_POSITIONS, QUAD_POWER)
    return class_weight(tuple(rgs), tuple(shifts), LIN_POSITIONS, LIN_POWER)


def lin_shifts(sa, sb, sc):
    """Shifts of the LIN positions (r, a, b, c): r reads x_{t+1}, i.e. shift -1."""
    return (-1, sa, sb, sc)


def all_classes(kind):
    """Every class of ``kind`` as ((rgs, shifts), Weight), computed once each."""
    if kind == "quad":
        parts, shift_sets = set_partitions(6), list(product((0, 1), repeat=6))
    else:
        parts, shift_sets = set_partitions(4), [lin_shifts(*s) for s in product((0, 1), repeat=3)]
    return [((rgs, sh), weight_of(rgs, sh, kind)) for rgs in parts for sh in shift_sets]


def min_T(kind):
    """Smallest T from which every class weight of ``kind`` equals its closed form."""
    return max(w.t0 for _, w in all_classes(kind))
