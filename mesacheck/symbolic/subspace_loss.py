"""The exact population loss restricted to a span of parameter types (a symmetry-fixed subspace).

On the subspace every entry of W^PV and W^KQ is one of the type coordinates theta_k (or 0), and

    L = 1/2 sum_r sum P_ra P_ra' K_bc K_b'c' QUAD[(a',b',c'),(a,b,c)]
        - sum_r sum P_ra K_bc Re LIN[r,(a,b,c)] + CONST.

The QUAD sum runs over seven coordinate labels (a', b', c', a, b, c, r) and six shifts. Which type
each factor is, the lattice weight and the moment all depend only on the *equality pattern* of
the labels, the colour of each block (:mod:`mesacheck.symbolic.symmetry`) and the shifts. So the
sum is a sum over coloured set partitions of the labels, each weighted by the number of
coordinate assignments realising it: prod over colours of n (n-1) ... (n-k+1), n the colour's
size (a polynomial in d for an exchangeable law in symbolic d). The QUAD sum has at most
Bell(7) * 2^6 = 56128 terms per colouring, the LIN sum Bell(4) * 2^3; coefficients are exact
(class weights of :mod:`mesacheck.symbolic.lattice_classes` times exact moments).
"""
from dataclasses import dataclass
from fractions import Fraction
from itertools import product

import sympy
from sympy.polys.domains import QQ
from sympy.polys.rings import ring

from mesacheck.errors import BudgetError
from mesacheck.symbolic import lattice_classes as lc

#: (row label, column label) of the four factors P_ra, P_ra', K_bc, K_b'c' of a QUAD term; labels
#: 0..5 are the QUAD positions a', b', c', a, b, c and 6 is the output coordinate r.
QUAD_FACTORS = (("P", 6, 3), ("P", 6, 0), ("K", 4, 5), ("K", 1, 2))
#: P_ra K_bc of a LIN term; labels 0..3 are the LIN positions r, a, b, c.
LIN_FACTORS = (("P", 0, 1), ("K", 2, 3))
#: refuse an enumeration longer than this many (coloured partition, shifts) terms.
MAX_TERMS = 2_000_000


def _falling(n, k):
    out = sympy.Integer(1)
    for j in range(k):
        out *= n - j
    return out


def _colourings(nparts, group):
    """Colour assignments of ``nparts`` blocks: tuples of colour indices whose counts fit the
    colours' sizes (any count for a colour of symbolic size)."""
    sizes = [group.size(k) for k in range(group.ncolours)]
    for cols in product(range(group.ncolours), repeat=nparts):
        if all(not isinstance(sizes[k], int) or cols.count(k) <= sizes[k] for k in set(cols)):
            yield cols


def _representatives(rgs, cols, group):
    """Actual coordinates for the blocks: the m-th block of colour k takes colour k's m-th
    coordinate (coordinates of one colour are interchangeable)."""
    seen = {}
    coord = []
    for c in cols:
        m = seen.get(c, 0)
        seen[c] = m + 1
        coord.append(group.colours[c][m] if group.colours[c] is not None else m)
    return [coord[b] for b in rgs]


@dataclass
class SubspaceLoss:
    """The loss on span(types) as a sparse polynomial ``poly`` over QQ in the ring ``R`` whose
    generators are the type coordinates, then the symbols of d, T, H_{T-2}, H^(2)_{T-2} and of the
    law's parameters (``gens`` names them; ``back`` maps the harmonic generators back to
    ``sympy.harmonic``). ``expr`` is the SymPy form."""

    types: list
    symbols: list
    mults: list
    R: object
    gens: list
    poly: object
    back: dict
    quad_terms: int
    lin_terms: int

    @property
    def expr(self):
        return self.poly.as_expr().xreplace(self.back)


class _Accumulator:
    """Counts terms per (monomial, multiplicity, moment, class weight); the exact sum is formed
    once at the end: count x scale x (weight: a six-vector of Fractions on the basis of
    :class:`~mesacheck.symbolic.lattice_classes.Weight` for a symbolic T, a Fraction for an int T)."""

    def __init__(self, T, scale):
        self.T, self.scale = T, scale
        self.acc = {}
        self.weights = {}

    def add(self, monomial, mult, moment, w):
        key = (monomial, mult, moment, id(w))
        self.weights[id(w)] = w
        self.acc[key] = self.acc.get(key, 0) + 1

    def groups(self):
        """{(monomial, mult, moment): summed weight} with the scale applied."""
        out = {}
        for (mono, mult, moment, wid), count in self.acc.items():
            w = self.weights[wid]
            key = (mono, mult, moment)
            if isinstance(self.T, int):
                out[key] = out.get(key, 0) + count * self.scale * w.at(self.T)
            else:
                old = out.get(key, (0,) * 6)
                out[key] = tuple(a + count * self.scale * c for a, c in zip(old, w.coeffs))
        return out

    def into(self, R, gens_of_types, basis, to_ring):
        """The accumulated sum as an element of R."""
        total = R.zero
        for (mono, mult, moment), v in self.groups().items():
            if isinstance(self.T, int):
                weight = R(sympy.Rational(v.numerator, v.denominator)) if v else R.zero
            else:
                weight = sum((R(sympy.Rational(c.numerator, c.denominator)) * b for c, b in zip(v, basis) if c), R.zero)
            if weight == R.zero:
                continue
            term = to_ring(mult) * to_ring(moment) * weight
            for k in mono:
                term = term * gens_of_types[k]
            total += term
        return total


def _ring_for(symbols, T, extra):
    """The ring QQ[types, extra symbols, T, h1, h2] and the Weight basis in it."""
    gens = list(symbols) + sorted(extra, key=sympy.default_sort_key)
    back = {}
    if not isinstance(T, int):
        h1, h2 = sympy.Dummy("H1", positive=True), sympy.Dummy("H2", positive=True)
        gens += [T, h1, h2]
        back = {h1: sympy.harmonic(T - 2), h2: sympy.harmonic(T - 2, 2)}
    R, *g = ring(gens, QQ)
    if isinstance(T, int):
        basis = None
    else:
        Tg, H1, H2 = g[-3:]
        N = Tg - 2
        basis = [R.one, N, N * (N + 1) * QQ(1, 2), N * (N + 1) * (2 * N + 1) * QQ(1, 6), H1, H2]
    return R, g[: len(symbols)], gens, back, basis


def subspace_loss(dist, group, types, T, symbols):
    """The exact loss on span(``types``) (a subset of ``group.types()``), as a SymPy polynomial in
    ``symbols`` (one per type). ``T``: int or SymPy symbol; ``group.d``: int or SymPy symbol."""
    index = {(t.mat, t.s1, t.s2, t.c1, t.c2, t.same): k for k, t in enumerate(types)}
    real = lambda m: sympy.re(m) if not m.is_real else m  # noqa: E731 - Hermitian sums are real
    moments = {}

    def moment(kind, rgs, cols):
        key = (kind, rgs, cols)
        if key not in moments:
            positions = lc.QUAD_POSITIONS if kind == "quad" else lc.LIN_POSITIONS
            sub_rgs = rgs[: len(positions)]
            if group.ncolours == 1 and group.colours[0] is None:
                m = dist.pattern_moment(lc.pattern_exponents(_canon(sub_rgs), positions), group.d)
            else:
                coords = _representatives(sub_rgs, cols, group)
                alpha, beta = [0] * group.d, [0] * group.d
                for c, (_, conj) in zip(coords, positions):
                    (beta if conj else alpha)[c] += 1
                m = dist.moment(tuple(alpha), tuple(beta))
            moments[key] = real(sympy.expand(m))
        return key

    terms = {"quad": 0, "lin": 0}
    accs = {}
    for kind, factors, nlab, shift_sets, scale in (
            ("quad", QUAD_FACTORS, 7, list(product((0, 1), repeat=6)), Fraction(1, 2)),
            ("lin", LIN_FACTORS, 4, [lc.lin_shifts(*s) for s in product((0, 1), repeat=3)], Fraction(-1))):
        npos = 6 if kind == "quad" else 4
        acc = accs[kind] = _Accumulator(T, scale)
        all_flip = len(group.flips) == group.ncolours
        for rgs in lc.set_partitions(nlab):
            if all_flip and any(rgs[l1] != rgs[l2] for _, l1, l2 in factors):
                continue  # an entry joining two coordinates is forced to 0 when every coordinate flips
            nparts = max(rgs) + 1
            for cols in _colourings(nparts, group):
                info = []
                for mat, l1, l2 in factors:
                    same = rgs[l1] == rgs[l2]
                    info.append((mat, l1, l2, cols[rgs[l1]], cols[rgs[l2]], same))
                if any((not same) and (c1 in group.flips or c2 in group.flips) for *_, c1, c2, same in info):
                    continue
                mult = sympy.Integer(1)
                for k in set(cols):
                    mult *= _falling(group.size(k), cols.count(k))
                mult = sympy.expand(mult)
                if mult == 0:
                    continue
                rgs6 = _canon(rgs[:npos])
                mval = None
                for sh in shift_sets:
                    terms[kind] += 1
                    if terms[kind] > MAX_TERMS:
                        raise BudgetError(f"the restricted loss needs more than {MAX_TERMS} terms for this "
                                          "symmetry group; use the full tensors")
                    mono = []
                    for mat, l1, l2, c1, c2, same in info:
                        s1 = sh[l1] if (mat == "K" and l1 < npos) else 0
                        s2 = sh[l2] if l2 < npos else 0
                        k = index.get((mat, s1 if mat == "K" else 0, s2, c1, c2, same))
                        if k is None:
                            break
                        mono.append(k)
                    else:
                        w = lc.weight_of(rgs6, tuple(sh), kind)
                        if w.is_zero:
                            continue
                        if mval is None:
                            mval = moments[moment(kind, rgs, cols)]
                            if mval == 0:
                                break
                        acc.add(tuple(sorted(mono)), mult, mval, w)
    const = _const(dist, group, T)
    extra = set()
    for acc in accs.values():
        for (_, mult, mval, _) in acc.acc:
            extra |= sympy.sympify(mult).free_symbols | sympy.sympify(mval).free_symbols
    extra |= const.free_symbols
    extra -= {T} if not isinstance(T, int) else set()
    R, gt, gens, back, basis = _ring_for(symbols, T, extra)
    cache = {}

    def to_ring(e):
        if e not in cache:
            try:
                cache[e] = R(sympy.expand(e))
            except Exception as exc:  # a moment that is not a polynomial (e.g. c^2/d for sparse)
                raise _NotPolynomial(e) from exc
        return cache[e]

    try:
        poly = accs["quad"].into(R, gt, basis, to_ring) + accs["lin"].into(R, gt, basis, to_ring) + to_ring(const)
    except _NotPolynomial:
        # Multiply out the denominators in d: keep d as a generator of the fraction field instead.
        return _fraction_fallback(dist, group, types, T, symbols, accs, const, terms)
    mults = [group.mult(t) for t in types]
    return SubspaceLoss(list(types), list(symbols), mults, R, gens, poly, back, terms["quad"], terms["lin"])


class _NotPolynomial(Exception):
    pass


def _fraction_fallback(dist, group, types, T, symbols, accs, const, terms):
    """The same sum built as a SymPy expression (moments with d in a denominator), then put into a
    ring over the rational functions of the extra symbols."""
    basis = None
    if not isinstance(T, int):
        N = T - 2
        basis = [sympy.Integer(1), N, N * (N + 1) / 2, N * (N + 1) * (2 * N + 1) / 6,
                 sympy.harmonic(N), sympy.harmonic(N, 2)]
    total = sympy.Integer(0)
    for acc in accs.values():
        for (mono, mult, mval), v in acc.groups().items():
            if isinstance(T, int):
                weight = sympy.Rational(v.numerator, v.denominator)
            else:
                weight = sympy.Add(*(sympy.Rational(c.numerator, c.denominator) * b for c, b in zip(v, basis) if c))
            total += mult * mval * weight * sympy.Mul(*(symbols[k] for k in mono))
    total = sympy.expand(total + const)
    from mesacheck.symbolic.stationary import hide_harmonics

    hidden, back = hide_harmonics(total)
    others = sorted(hidden.free_symbols - set(symbols), key=sympy.default_sort_key)
    dom = QQ.frac_field(*others) if others else QQ
    R, *g = ring(list(symbols), dom)
    poly = R(hidden)
    mults = [group.mult(t) for t in types]
    return SubspaceLoss(list(types), list(symbols), mults, R, list(symbols), poly, back, terms["quad"], terms["lin"])


def _canon(rgs):
    seen = {}
    return tuple(seen.setdefault(x, len(seen)) for x in rgs)


def _const(dist, group, T):
    """CONST = (T - 2) / 2 sum_j E|x_j|^2."""
    if group.ncolours == 1 and group.colours[0] is None:
        second = group.d * dist.pattern_moment(((1, 1),), group.d)
    else:
        d = group.d
        second = sympy.Add(*(dist.moment(tuple(int(k == j) for k in range(d)), tuple(int(k == j) for k in range(d)))
                             for j in range(d)))
    return (T - 2) * second / 2
