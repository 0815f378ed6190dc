"""The symmetry group of an initial-token law and the parameters it fixes.

A unitary monomial map U (a coordinate permutation times per-coordinate phases) sends the data
process to itself in law when x_1 -> U x_1 does (the law of W = diag(lambda) is invariant under
permuting and rotating the lambdas), and then L(P, K) = L(U^H P Ut, Ut^H K Ut) with
Ut = diag(U, U): the loss is invariant. The loss only sees the moments E[x^alpha conj(x)^beta]
with |alpha| = |beta| <= 3 (three plain and three conjugated tokens at most), so a map is a
symmetry of the loss exactly when it preserves those moments.

Generators considered (found from the law's definition, then checked on every such moment):
coordinate transpositions (they generate a Young subgroup: the coordinates split into *colours*
permuted freely), sign flips x_j -> -x_j, and phase rotations x_j -> e^{i phi} x_j.

The gradient flow preserves the subspace of (real) parameters fixed by the group. An entry (row
coordinate j, column coordinate k, shifts) is fixed only if it is constant on its orbit and,
when j != k, neither coordinate can be flipped (a flip or phase on j alone multiplies it by -1 or
e^{i phi}). So the fixed subspace is spanned by *types*: one coordinate per (matrix, shifts,
colour of j, colour of k, j == k?) that is not forced to zero; a type stands for ``mult`` entries.
"""
from dataclasses import dataclass, field
from itertools import product

import sympy

from mesacheck.errors import InputError

KQ_NAMES = {(0, 0): "K11", (0, 1): "K12", (1, 0): "A", (1, 1): "K22"}
PV_NAMES = {0: "B", 1: "P2"}
BLOCK_TITLES = {"K11": "W^KQ_11", "K12": "W^KQ_12", "A": "A = W^KQ_21", "K22": "W^KQ_22",
                "B": "B = W^PV_1", "P2": "W^PV_2"}


@dataclass(frozen=True)
class ParamType:
    """A coordinate of the fixed subspace: all entries of block ``block`` whose row coordinate has
    colour ``c1`` and column coordinate colour ``c2``, equal (``same``) or not."""

    mat: str  # "K" (W^KQ) or "P" (W^PV)
    s1: int  # shift of the row index (K: key half; P: 0, rows are outputs)
    s2: int  # shift of the column index
    c1: int
    c2: int
    same: bool

    @property
    def block(self):
        return KQ_NAMES[(self.s1, self.s2)] if self.mat == "K" else PV_NAMES[self.s2]

    def name(self, ncolours):
        kind = "diag" if self.same else "off"
        if ncolours == 1:
            return f"{self.block}_{kind}"
        return f"{self.block}_{kind}_{self.c1 + 1}" + ("" if self.same else f"{self.c2 + 1}")


@dataclass
class SymmetryGroup:
    """Colours (lists of coordinates permuted freely; one colour of symbolic size for an
    exchangeable law in symbolic d), and the colours that can be sign-flipped / phase-rotated."""

    d: object
    colours: list
    flips: set = field(default_factory=set)
    phases: set = field(default_factory=set)
    source: dict = field(default_factory=dict)

    def size(self, colour):
        c = self.colours[colour]
        return self.d if c is None else len(c)

    @property
    def ncolours(self):
        return len(self.colours)

    def describe(self):
        """Plain-text description of the group."""
        parts = []
        if self.ncolours == 1:
            parts.append("all coordinate permutations (S_d)")
        else:
            cs = ["{" + ",".join(str(j + 1) for j in c) + "}" for c in self.colours if len(c) > 1]
            parts.append("permutations within " + ", ".join(cs) if cs else "no coordinate permutation")
        if self.phases:
            parts.append("per-coordinate phase rotations" + _which(self, self.phases))
        elif self.flips:
            parts.append("per-coordinate sign flips" + _which(self, self.flips))
        else:
            parts.append("no sign flip")
        return "; ".join(parts)

    def types(self):
        """The fixed subspace's coordinates (list of ParamType), K types first."""
        out = []
        nc = self.ncolours
        for mat, shifts in (("K", list(product((0, 1), repeat=2))), ("P", [(0, 0), (0, 1)])):
            for (s1, s2), c1, c2, same in product(shifts, range(nc), range(nc), (True, False)):
                if same and c1 != c2:
                    continue
                if not same and (c1 in self.flips or c2 in self.flips):
                    continue  # a flip of one coordinate alone changes the entry's sign
                if not same and c1 == c2 and self.size(c1) == 1:
                    continue  # a colour with one coordinate has no off-diagonal pairs
                out.append(ParamType(mat, s1, s2, c1, c2, same))
        return out

    def mult(self, t):
        """Number of matrix entries a type stands for."""
        n1, n2 = self.size(t.c1), self.size(t.c2)
        if t.same:
            return n1
        return n1 * (n1 - 1) if t.c1 == t.c2 else n1 * n2

    def colour_of(self, j):
        for k, c in enumerate(self.colours):
            if c is None or j in c:
                return k
        raise InputError(f"coordinate {j} has no colour")


def _which(g, cols):
    if g.ncolours == 1:
        return ""
    return " of coordinates " + ",".join(str(j + 1) for c in sorted(cols) for j in g.colours[c])


# -- detection ---------------------------------------------------------------------------------
def balanced_moments(d, max_order=3):
    """Exponent pairs (alpha, beta) with |alpha| = |beta| <= max_order over d coordinates."""
    def vectors(total):
        if total == 0:
            return [tuple([0] * d)]
        out = []
        for combo in product(range(d), repeat=total):
            v = [0] * d
            for j in combo:
                v[j] += 1
            out.append(tuple(v))
        return sorted(set(out))
    return [(a, b) for k in range(1, max_order + 1) for a in vectors(k) for b in vectors(k)]


def _definition_generators(dist, d):
    """Transpositions, flips and phases the law's definition grants (before the moment check)."""
    name = dist.name
    coords = list(range(d))
    if name == "generic":
        return [], set(), set()
    if name == "mixture":
        atoms = sorted(zip(dist.params["weights"], dist.params["vectors"]), key=str)
        key = lambda at: sorted(((w, tuple(v)) for w, v in at), key=str)
        swaps = [(i, j) for i in coords for j in coords if i < j
                 and key(atoms) == key([(w, _swap(v, i, j)) for w, v in atoms])]
        flips = {j for j in coords if key(atoms) == key([(w, _neg(v, j)) for w, v in atoms])}
        zero = {j for j in coords if all(v[j] == 0 for _, v in atoms)}
        return swaps, flips, zero
    if name == "gaussian" and "sigmas" in dist.params:
        s = dist.params["sigmas"]
        swaps = [(i, j) for i in coords for j in coords if i < j and s[i] == s[j]]
        return swaps, set(coords), set()
    swaps = [(i, j) for i in coords for j in coords if i < j]
    if name == "full-one":
        return swaps, set(), set()
    if name == "cgaussian":
        return swaps, set(coords), set(coords)
    if name == "iid":  # symbolic odd moments m_3, m_5 need not vanish
        return swaps, set(), set()
    return swaps, set(coords), set()  # the symmetric i.i.d. families


def _swap(v, i, j):
    v = list(v)
    v[i], v[j] = v[j], v[i]
    return tuple(v)


def _neg(v, j):
    v = list(v)
    v[j] = -v[j]
    return tuple(v)


def _star(swaps, d):
    """A generating set of the group the transpositions ``swaps`` generate: (first, j) per orbit."""
    star = []
    for c in _colours(d, swaps):
        star += [(c[0], j) for j in c[1:]]
    return star


def _moment_checks(dist, d, swaps, flips, phases):
    """Keep the generators that preserve every balanced moment of order <= 3 (exact comparison of
    expanded values). Transpositions are checked on a generating set of the group they generate."""
    moments = {ab: sympy.expand(dist.moment(*ab)) for ab in balanced_moments(d)}
    star = _star(swaps, d)
    bad = [(i, j) for i, j in star
           if any(moments[(_swap(a, i, j), _swap(b, i, j))] != m for (a, b), m in moments.items())]
    ok_swaps = [s for s in swaps if not bad]
    ok_flips = {j for j in flips if all(m == 0 for (a, b), m in moments.items() if (a[j] + b[j]) % 2)}
    ok_phases = {j for j in phases if all(m == 0 for (a, b), m in moments.items() if a[j] != b[j])}
    return ok_swaps, ok_flips, ok_phases


def _colours(d, swaps):
    parent = list(range(d))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for i, j in swaps:
        parent[find(i)] = find(j)
    groups = {}
    for j in range(d):
        groups.setdefault(find(j), []).append(j)
    return sorted(groups.values())


def detect_symmetry(dist, d):
    """The law's symmetry group (see module docstring). ``d``: an int, or a SymPy symbol for an
    exchangeable law (then the moment check runs at d = 6, enough for six factors)."""
    symbolic = not isinstance(d, int)
    if symbolic and not dist.is_exchangeable:
        raise InputError(f"'{dist.spec}' is not exchangeable: give a concrete d")
    dc = 6 if symbolic else d
    if not symbolic:
        dist.for_dim(d)
    swaps, flips, phases = _definition_generators(dist, dc)
    ok_swaps, ok_flips, ok_phases = _moment_checks(dist, dc, swaps, flips, phases)
    lost = {"transpositions": sorted(set(swaps) - set(ok_swaps)), "flips": sorted(flips - ok_flips),
            "phases": sorted(phases - ok_phases)}
    if any(lost.values()):
        raise InputError(f"'{dist.spec}': generators from the definition fail the moment check: {lost}")
    colours = _colours(dc, ok_swaps)
    col = {j: k for k, c in enumerate(colours) for j in c}
    flip_cols = {col[j] for j in ok_flips | ok_phases}
    phase_cols = {col[j] for j in ok_phases}
    for k in flip_cols:  # flips of one colour come with the permutations: all or none
        if not set(colours[k]) <= (ok_flips | ok_phases):
            raise InputError(f"'{dist.spec}': sign symmetry differs inside a colour")
    source = {"definition": {"transpositions": len(swaps), "flips": sorted(j + 1 for j in flips),
                             "phases": sorted(j + 1 for j in phases)},
              "moment_check": f"every E[x^alpha conj(x)^beta] with |alpha| = |beta| <= 3 in d = {dc} "
                              "is invariant under each generator (exact)"}
    if symbolic:
        return SymmetryGroup(d, [None], {0} if flip_cols else set(), {0} if phase_cols else set(), source)
    return SymmetryGroup(d, colours, flip_cols, phase_cols, source)


def entry_type(group, mat, row, col):
    """The ParamType of an entry of W^KQ (``mat='K'``, row, col in 0..2d-1) or W^PV (``'P'``, row
    in 0..d-1), concrete d; None when the group forces the entry to zero."""
    d = group.d
    if mat == "K":
        (s1, j), (s2, k) = divmod(row, d), divmod(col, d)
    else:
        s1, j = 0, row
        s2, k = divmod(col, d)
    c1, c2 = group.colour_of(j), group.colour_of(k)
    t = ParamType(mat, s1, s2, c1, c2, j == k)
    return t if t in set(group.types()) else None


def lift(group, values):
    """(W^KQ, W^PV) as nested lists from type values (a dict ParamType -> value; absent types 0)."""
    d = group.d
    kq = [[values.get(entry_type(group, "K", i, j), 0) for j in range(2 * d)] for i in range(2 * d)]
    pv = [[values.get(entry_type(group, "P", i, j), 0) for j in range(2 * d)] for i in range(d)]
    return kq, pv
