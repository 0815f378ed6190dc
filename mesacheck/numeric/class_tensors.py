"""Dense coefficient tensors of the exact population loss, assembled from symmetry classes.

Every QUAD / LIN coefficient is (class weight) x (moment), the class being the equality pattern
of the coordinates plus the shifts (:mod:`mesacheck.symbolic.lattice_classes`). So the tensors
are built by computing the <= 12992 + 120 exact class weights once and *indexing*: a table
V[shift bits, pattern] is gathered through the array of pattern ids of all coordinate tuples and
the axes are interleaved into the (2d)^6 layout.

Precision (stated in every result that uses these tensors):
* exchangeable laws: each class value weight * moment is formed exactly and rounded once to
  float64 (relative error <= 2^-53);
* other laws (per-coordinate scales, mixtures): the class weight and the moment are each rounded
  once and multiplied in float64 (relative error <= 2^-52).

Memory: the assembly peaks at two float64 (2d)^6 arrays and the Hessian at the limit needs a
third; :func:`memory_estimate` returns 24 (2d)^6 bytes and :func:`build_tensors` refuses (a
:class:`~mesacheck.errors.BudgetError`) when that exceeds the budget.
"""
import time
from itertools import product

import numpy as np

from mesacheck.errors import BudgetError, InputError
from mesacheck.numeric.boundary import exact_product_to_complex, exact_to_complex, to_float
from mesacheck.numeric.tensor_loss import TensorLoss
from mesacheck.symbolic import lattice_classes as lc
from mesacheck.symbolic.class_values import ClassValues

#: default memory budget of the full tensors (bytes).
MEMORY_BUDGET = 2 * 2**30
#: bytes per (2d)^6 float64 array times the number of such arrays alive at the peak.
BYTES_PER_ENTRY = 24
#: relative accuracy of the tensor entries (see module docstring).
RTOL_EXCHANGEABLE, RTOL_GENERAL = 2.0**-53, 2.0**-52


def memory_estimate(d):
    """Peak bytes of building the tensors and taking one Hessian at dimension d."""
    return BYTES_PER_ENTRY * (2 * d) ** 6


def check_budget(d, budget=MEMORY_BUDGET):
    """Raise BudgetError (one line, with the estimate) when the tensors do not fit the budget."""
    need = memory_estimate(d)
    if need > budget:
        raise BudgetError(f"the full population tensors for d={d} need about {need / 2**30:.2f} GiB "
                          f"({BYTES_PER_ENTRY} (2d)^6 bytes), over the budget of {budget / 2**30:.2f} GiB; "
                          "use a symmetry-reduced system or a smaller d")
    return need


def _partition_ids(d, npos):
    """int array of shape (d,)*npos: index (in lc.set_partitions(npos)) of each tuple's pattern."""
    parts = lc.set_partitions(npos)
    lookup = {}
    for k, rgs in enumerate(parts):
        first = [rgs.index(rgs[p]) for p in range(npos)]
        lookup[sum(f * npos**p for p, f in enumerate(first))] = k
    coords = np.indices((d,) * npos)
    code = np.zeros((d,) * npos, dtype=np.int64)
    for p in range(npos):
        first = np.full((d,) * npos, p, dtype=np.int64)
        for q in reversed(range(p)):
            first = np.where(coords[q] == coords[p], q, first)
        code += first * npos**p
    table = np.zeros(max(lookup) + 1, dtype=np.int64)
    for c, k in lookup.items():
        table[c] = k
    return table[code], parts


def _shift_sets(kind):
    if kind == "quad":
        return list(product((0, 1), repeat=6))
    return [lc.lin_shifts(*s) for s in product((0, 1), repeat=3)]


def _class_table(cv, kind, parts):
    """V[shift set, pattern]: exact weight x pattern moment rounded once (exchangeable law), or
    the rounded weight alone (the moment is applied per coordinate tuple)."""
    shifts = _shift_sets(kind)
    V = np.zeros((len(shifts), len(parts)))
    for j, rgs in enumerate(parts):
        if max(rgs) + 1 > cv.d:  # a pattern with more blocks than coordinates never occurs
            continue
        for i, sh in enumerate(shifts):
            w = cv.weight(kind, rgs, sh)
            if w == 0:
                continue
            if cv.exchangeable:
                V[i, j] = exact_product_to_complex(w, cv.moment_pattern(kind, rgs)).real
            else:
                V[i, j] = exact_to_complex(w).real
    return V


def _moment_tensor(cv, kind, d, npos):
    """Re of the moment of every coordinate tuple (shape (d,)*npos), each distinct moment (a
    multiset of plain and of conjugated coordinates) converted once."""
    positions = lc.QUAD_POSITIONS if kind == "quad" else lc.LIN_POSITIONS
    plain = [p for p, (_, conj) in enumerate(positions) if not conj]
    conj = [p for p, (_, c) in enumerate(positions) if c]
    k = len(plain)
    ids, reps = np.zeros((d,) * k, dtype=np.int64), []
    seen = {}
    for tup in product(range(d), repeat=k):
        key = tuple(sorted(tup))
        if key not in seen:
            seen[key] = len(reps)
            reps.append(key)
        ids[tup] = seen[key]
    table = np.zeros((len(reps), len(reps)))
    for i, mp in enumerate(reps):
        for j, mc in enumerate(reps):
            coords = [0] * npos
            for p, c in zip(plain, mp):
                coords[p] = c
            for p, c in zip(conj, mc):
                coords[p] = c
            table[i, j] = exact_to_complex(cv.moment_coords(kind, tuple(coords))).real
    grid = np.indices((d,) * npos)
    return table[ids[tuple(grid[p] for p in plain)], ids[tuple(grid[p] for p in conj)]]


def _assemble(V, pid, moments, d, nshift):
    """Gather V[:, pid] (times the moments), then interleave (shift, coord) axes into indices
    a = shift * d + coord. ``nshift``: positions carrying a shift axis (the last ones)."""
    npos = pid.ndim
    X = V[:, pid]
    if moments is not None:
        X *= moments[None]
    X = X.reshape((2,) * nshift + (d,) * npos)
    lead = npos - nshift  # coordinate-only positions (LIN's r)
    axes = [nshift + p for p in range(lead)]
    for p in range(nshift):
        axes += [p, nshift + lead + p]
    return np.ascontiguousarray(X.transpose(axes)).reshape((d,) * lead + (2 * d,) * nshift)


def build_tensors(dist, d, T, budget=MEMORY_BUDGET):
    """The exact population loss of ``dist`` at (d, T) as a TensorLoss, built by class.

    Returns (TensorLoss, info) with info = {'seconds', 'bytes_estimate', 'classes', 'rtol'}.
    """
    if not isinstance(T, int) or T < 3:
        raise InputError(f"T must be a concrete integer >= 3, got {T!r}")
    need = check_budget(d, budget)
    start = time.perf_counter()
    cv = ClassValues(dist, d, T)
    pid6, parts6 = _partition_ids(d, 6)
    pid4, parts4 = _partition_ids(d, 4)
    Vq, Vl = _class_table(cv, "quad", parts6), _class_table(cv, "lin", parts4)
    Mq = Ml = None
    if not cv.exchangeable:
        Mq, Ml = _moment_tensor(cv, "quad", d, 6), _moment_tensor(cv, "lin", d, 4)
    Q = _assemble(Vq, pid6, Mq, d, 6)
    L = _assemble(Vl, pid4, Ml, d, 3)
    del pid6, Mq
    n = 2 * d
    tl = TensorLoss(Q.reshape(n, n * n, n, n * n), L.reshape(d, n, n * n), to_float(cv.const(), "CONST"), d)
    info = {"seconds": time.perf_counter() - start, "bytes_estimate": need,
            "classes": {"quad": int(np.count_nonzero(Vq)), "lin": int(np.count_nonzero(Vl))},
            "rtol": RTOL_EXCHANGEABLE if cv.exchangeable else RTOL_GENERAL}
    return tl, info
