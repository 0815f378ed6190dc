"""One entry point for every derivation: ``derive(what, dist, d, T, masked)`` -> Derivation.

Used by ``mesacheck derive`` and by :func:`mesacheck.derive`. Every WHAT that uses a reduced
system first decides which one is exact for the law and the flow
(:mod:`mesacheck.symbolic.reductions`) and either uses it or refuses with a one-line
ReductionError saying what to use instead; it never answers on a set the flow leaves. The
decision is recorded in the derivation (results ``system`` and ``reduction``), with the T used.
"""
import sympy

from mesacheck.errors import InputError
from mesacheck.symbolic import printing
from mesacheck.symbolic.symbols import T as T_SYMBOL
from mesacheck.symbolic.symbols import d as D_SYMBOL

WHATS = {
    "limit": "the limit of a*b (exact, for this T or T -> oo) on the reduced system that is exact for "
             "the law (A = aI, B = bI, or diagonal A, B)",
    "ode": "the reduced (a, b) flow: loss, ODE, conserved quantity, stationary points, stability",
    "invariance": "the moment equations for invariance of A = aI, B = bI, and this law's verdict "
                  "(real and complex parameters)",
    "recovery": "the recovery condition (C3), its verdicts, and the ratio E Re(yhat/x) (C4)",
    "diagonal": "the diagonal system A = diag(a_j), B = diag(b_j) for laws with unequal coordinates",
    "symmetric": "the symmetry-reduced entrywise flow on the parameters fixed by the law's symmetry "
                 "group (exact for every law): ODE, conserved quantity, stationary point, predictor",
}
#: the general moment equations are derived for d <= 4 (d = 4 decides every d for exchangeable laws)
MAX_INVARIANCE_D = 4
#: WHATs that accept a symbolic d
SYMBOLIC_D = ("limit", "ode", "recovery")


def normalise_T(T):
    """'oo' for T -> infinity ('oo', 'inf', sympy.oo, math.inf), else an int >= 3 (InputError)."""
    if T is sympy.oo or T == float("inf") or (isinstance(T, str) and T.strip().lower() in ("oo", "inf", "infinity")):
        return "oo"
    if isinstance(T, str) and T.strip().isdigit():
        T = int(T.strip())
    if isinstance(T, bool) or not isinstance(T, int) or T < 3:
        raise InputError(f"T must be an integer >= 3 or 'oo', got {T!r}")
    return T


def dimension(d, dist, what):
    """The engine's d: an int (checked against the law) or the symbol d ('d' or the symbol)."""
    if d == "d" or d is D_SYMBOL:
        if what not in SYMBOLIC_D:
            raise InputError(f"d: symbolic d is supported for {', '.join(SYMBOLIC_D)}, not {what}")
        if not dist.is_exchangeable:
            raise InputError(f"d: symbolic d needs an exchangeable law; '{dist.spec}' is not")
        return D_SYMBOL
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise InputError(f"d must be an integer >= 1 or 'd', got {d!r}")
    dist.for_dim(d)
    return d


def derive(what, dist, d, T, masked=False):
    """Derivation of ``what`` (one of WHATS) for the Distribution ``dist``, dimension ``d`` (int or
    'd'), training length ``T`` (int >= 3 or 'oo'), unmasked or ``masked`` flow.

    The derivation's inputs record the T used; ``limit`` and ``invariance`` add the results
    ``system`` (scalar / diagonal / none) and ``reduction`` (which set is exact, and why).
    """
    if what not in WHATS:
        raise InputError(f"what must be one of {', '.join(WHATS)}, got {what!r}")
    T = normalise_T(T)
    d = dimension(d, dist, what)
    return _DERIVE[what](dist, d, T, bool(masked))


def exact_entry(expr):
    """{'exact', 'latex', 'value'} of an exact result (value only when it is a number)."""
    entry = {"exact": printing.text(expr), "latex": printing.latex(expr)}
    if not expr.free_symbols:
        entry["value"] = float(sympy.N(expr, 30))
    return entry


def _T_arg(T):
    return None if T == "oo" else T


def _limit(dist, d, T, masked):
    from mesacheck.symbolic.diagonal import derive_diagonal
    from mesacheck.symbolic.reduced import derive_reduced
    from mesacheck.symbolic.reductions import DIAGONAL, SCALAR, reduction_for, require

    red = reduction_for(dist, d, _T_arg(T), masked)
    if red.system == SCALAR:
        der = derive_reduced(dist, d, T, masked)
    elif red.system == DIAGONAL:
        der = derive_diagonal(dist, d, T, masked)
    else:
        require(dist, d, _T_arg(T), DIAGONAL, masked)  # raises, saying what to use
    der.add("system", "Reduced system used (scalar: A = aI, B = bI; diagonal: A = diag(a_j), B = diag(b_j))",
            red.system)
    return der


def _ode(dist, d, T, masked):
    from mesacheck.symbolic.reduced import derive_reduced

    return derive_reduced(dist, d, T, masked)


def _invariance(dist, d, T, masked):
    from mesacheck.symbolic.invariance import derive_invariance
    from mesacheck.symbolic.reductions import reduction_for

    if masked:
        raise InputError("masked: the invariance conditions are derived for the unmasked flow "
                         "(the masked flow keeps A and B diagonal by construction)")
    d_eq = d
    note = None
    if d > MAX_INVARIANCE_D:
        if not dist.is_exchangeable:
            raise InputError(f"d = {d}: the general invariance conditions are derived for d <= "
                             f"{MAX_INVARIANCE_D}; for a non-exchangeable law use `derive limit`, "
                             "which decides invariance for any d")
        d_eq = MAX_INVARIANCE_D
        note = (f"Derived at d = {MAX_INVARIANCE_D}: an entry's gradient involves at most four distinct "
                f"coordinates, so for an exchangeable law d = {MAX_INVARIANCE_D} decides every d >= "
                f"{MAX_INVARIANCE_D}.")
    der = derive_invariance(dist, d_eq, T_SYMBOL if T == "oo" else T)
    if note:
        der.notes.append(note)
    red = reduction_for(dist, d, _T_arg(T))
    der.add("system", "Reduced system that is exact for this law", red.system)
    der.add("reduction", "Which set the unmasked population flow keeps", red.describe())
    return der


def _recovery(dist, d, T, masked):
    from mesacheck.symbolic.capability import derive_recovery

    return derive_recovery(dist, d, T, masked)


def _diagonal(dist, d, T, masked):
    from mesacheck.symbolic.diagonal import derive_diagonal

    return derive_diagonal(dist, d, T, masked)


def _symmetric(dist, d, T, masked):
    from mesacheck.symbolic.symmetric import derive_symmetric

    if not isinstance(d, int):
        raise InputError("d: give a concrete d for `symmetric` (the reduced system itself is symbolic "
                         "in d where the law allows)")
    return derive_symmetric(dist, d, T, masked)


_DERIVE = {"symmetric": _symmetric, "limit": _limit, "ode": _ode, "invariance": _invariance, "recovery": _recovery,
           "diagonal": _diagonal}
