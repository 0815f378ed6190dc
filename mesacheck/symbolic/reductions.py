"""Which reduced system is exact for a law: the scalar set, the diagonal set, or neither.

The population gradient flow moves every entry of W^KQ and W^PV. A reduced system is exact only
when the flow started on its set stays there:

* scalar set {A = aI, B = bI, all other blocks 0}: every entry off the set has zero gradient at
  every point of the set, and the diagonal entries of A (and of B) receive equal gradients;
* diagonal set {A = diag(a_j), B = diag(b_j), all other blocks 0}: every entry off the set has
  zero gradient at every point of the set (each diagonal entry is then its own coordinate).

The "masked" flow of the reference program zeroes the off-diagonal gradient of A and B after
every step, so for it only the other blocks must vanish. Both conditions are decided here
exactly, from the law's own population gradient (:class:`PopulationLoss`) at a symbolic point of
the set (a, b, or a_1..a_d, b_1..b_d symbolic), for one concrete T or for every T >= 3 (symbolic
T). For an exchangeable law an entry's gradient involves at most four distinct coordinates, so
d = min(d, 4) decides every d; for an exchangeable law the diagonal set is invariant only if the
scalar set is (the scalar set lies inside it and its diagonal gradients are equal by symmetry),
so only the scalar set is tested.

Every engine entry point that uses a reduction calls :func:`require` (or :func:`reduction_for`)
first: a law for which the reduction is not exact is refused with :class:`ReductionError`, never
answered on the wrong set.
"""
from dataclasses import dataclass, field
from itertools import product

import sympy

from mesacheck.errors import InputError, ReductionError
from mesacheck.symbolic import printing
from mesacheck.symbolic.cache import register
from mesacheck.symbolic.population import PopulationLoss, diagonal_point, structured_point
from mesacheck.symbolic.symbols import T as T_SYMBOL
from mesacheck.symbolic.symbols import a, b, diagonal_symbols

SCALAR, DIAGONAL, NONE = "scalar", "diagonal", "none"
SYSTEM_TEXT = {
    SCALAR: "the scalar set A = aI, B = bI (other blocks 0)",
    DIAGONAL: "the diagonal set A = diag(a_j), B = diag(b_j) (other blocks 0)",
    NONE: "no reduced set (only the full flow is exact)",
}
#: blocks of the parameters, as (matrix, row block, column block) in units of d
BLOCKS = {"W^KQ_11": ("K", 0, 0), "W^KQ_12": ("K", 0, 1), "A": ("K", 1, 0),
          "W^KQ_22": ("K", 1, 1), "B": ("P", 0, 0), "W^PV_2": ("P", 0, 1)}
#: exchangeable laws: d = 4 decides every d >= 4 (at most four distinct coordinates per entry)
EXCHANGEABLE_DECIDING_D = 4


@dataclass(frozen=True)
class Reduction:
    """The exact reduced system of one law, dimension, horizon and flow (see module docstring).

    ``system``: SCALAR, DIAGONAL or NONE; ``masked``: for the masked flow; ``T``: the concrete T
    decided, or None for every T >= 3; ``evidence``: (entry, gradient) pairs that break the larger
    sets, as exact SymPy expressions on the set (empty when the scalar set is exact);
    ``evidence_d``: the dimension those gradients were computed at when it is not ``d`` (an
    exchangeable law is decided at d = min(d, 4), which decides every d), else None.
    """

    system: str
    masked: bool
    d: object
    T: object
    evidence: tuple = field(default=())
    unequal_diagonal: bool = False
    evidence_d: object = None

    @property
    def flow(self):
        """'masked' or 'unmasked'."""
        return "masked" if self.masked else "unmasked"

    def describe(self):
        """One sentence: which set is exact for which flow, and why not a larger one."""
        when = f"T = {self.T}" if self.T is not None else "every T >= 3"
        text = f"{SYSTEM_TEXT[self.system]} is exact for the {self.flow} flow ({when})"
        if self.system != SCALAR:
            why = []
            if self.evidence:
                name, _ = self.evidence[0]
                why.append(f"the gradient of {name} is not zero on the smaller set")
            if self.unequal_diagonal:
                why.append("the diagonal entries of A and B receive unequal gradients on A = aI, B = bI")
            text += "; the scalar set is not, because " + " and ".join(why)
        return text


def _T_key(T):
    """None for 'every T' (symbolic T, 'oo', None), else the concrete int."""
    if T is None or T is sympy.oo or T is T_SYMBOL or (isinstance(T, str) and T.strip().lower() in ("oo", "inf")):
        return None
    if isinstance(T, bool) or not isinstance(T, int) or T < 3:
        raise InputError(f"T must be an integer >= 3 or 'oo', got {T!r}")
    return T


def _entries(gP, gK, d):
    """(block, row, col, gradient) for every entry, rows/cols 0-based within the block."""
    for name, (mat, rb, cb) in BLOCKS.items():
        G = gK if mat == "K" else gP
        for i, j in product(range(d), repeat=2):
            yield name, i, j, G[rb * d + i, cb * d + j]


def _off_set(gP, gK, d, masked):
    """Nonzero gradients of the entries that must stay 0: (label, expr) pairs."""
    out = []
    for name, i, j, g in _entries(gP, gK, d):
        on_set = name in ("A", "B") and i == j
        if on_set or (masked and name in ("A", "B")):
            continue
        g = sympy.expand(g)
        if g != 0:
            out.append((f"{name}[{i + 1},{j + 1}]", sympy.factor(g)))
    return tuple(out)


_CACHE = register({})


def _deciding_d(dist, d):
    """The dimension the scalar set is decided at: min(d, 4) for an exchangeable law, else d."""
    return min(d, EXCHANGEABLE_DECIDING_D) if dist.is_exchangeable else d


def _scalar_test(dist, d, T, masked):
    """(exact?, off-set evidence, unequal diagonal?) on the scalar set."""
    dd = _deciding_d(dist, d)
    P, K = structured_point(dd, a, b)
    gP, gK = PopulationLoss(dist, dd, T).gradient_at(P, K)
    evidence = _off_set(gP, gK, dd, masked)
    diag_a = {sympy.expand(gK[dd + j, j]) for j in range(dd)}
    diag_b = {sympy.expand(gP[j, j]) for j in range(dd)}
    unequal = len(diag_a) > 1 or len(diag_b) > 1
    return not evidence and not unequal, evidence, unequal


def _diagonal_test(dist, d, T, masked):
    """(exact?, off-set evidence) on the diagonal set."""
    avec, bvec = diagonal_symbols(d)
    P, K = diagonal_point(d, avec, bvec)
    gP, gK = PopulationLoss(dist, d, T).gradient_at(P, K)
    evidence = _off_set(gP, gK, d, masked)
    return not evidence, evidence


def reduction_for(dist, d, T=None, masked=False):
    """The smallest exact reduced system for ``dist`` in dimension ``d`` (int, or a symbol for an
    exchangeable law), at training length ``T`` (int >= 3; None or 'oo' for every T >= 3).

    Returns a :class:`Reduction`. Decided exactly (module docstring) and cached per
    (law, d, T, masked).
    """
    Tk = _T_key(T)
    symbolic_d = not isinstance(d, int)
    if symbolic_d and not dist.is_exchangeable:
        raise InputError(f"'{dist.spec}' is not exchangeable: give a concrete d")
    if not symbolic_d:
        dist.for_dim(d)
    d_eff = EXCHANGEABLE_DECIDING_D if symbolic_d else d
    key = (dist.spec, "d" if symbolic_d else d, Tk, bool(masked))
    if key in _CACHE:
        return _CACHE[key]
    T_arg = T_SYMBOL if Tk is None else Tk
    ok, evidence, unequal = _scalar_test(dist, d_eff, T_arg, masked)
    if ok:
        red = Reduction(SCALAR, bool(masked), d, Tk)
    elif dist.is_exchangeable:
        dd = _deciding_d(dist, d_eff)
        red = Reduction(NONE, bool(masked), d, Tk, evidence, unequal, None if dd == d else dd)
    else:
        ok_diag, diag_evidence = _diagonal_test(dist, d, T_arg, masked)
        red = Reduction(DIAGONAL if ok_diag else NONE, bool(masked), d, Tk,
                        evidence if ok_diag else diag_evidence, unequal)
    _CACHE[key] = red
    return red


def require(dist, d, T, system, masked=False):
    """Return the law's :class:`Reduction` if ``system`` (SCALAR or DIAGONAL) is exact for it.

    Raises ReductionError (one line, saying what to use instead) otherwise. The scalar set is
    accepted only when it is exact; the diagonal set when it is exact (it always contains the
    scalar set, so a law with an exact scalar set may also use the diagonal system).
    """
    red = reduction_for(dist, d, T, masked)
    if system == red.system or (system == DIAGONAL and red.system == SCALAR):
        return red
    instead = {
        DIAGONAL: "use the diagonal system (`mesacheck derive diagonal`)",
        NONE: ("use the full flow (`mesacheck flow --full`)" + ("" if masked else
               " or the masked flow (--masked)")),
    }[red.system]
    # the gradient shown is the one computed, at the deciding dimension of an exchangeable law
    at = (f" (at d = {red.evidence_d}, which decides every d for an exchangeable law)"
          if red.evidence_d is not None else "")
    first = f": e.g. dL/d{red.evidence[0][0]} = {printing.text(red.evidence[0][1])}{at}" if red.evidence else ""
    what = (SYSTEM_TEXT[system] + " is not" if red.system == DIAGONAL else
            "neither the scalar set A = aI, B = bI nor the diagonal set is")
    raise ReductionError(
        f"{what} invariant under the {red.flow} population flow for '{dist.spec}'{first}; a reduced "
        f"system would give a wrong answer - {instead}")
