"""`mesacheck derive WHAT --dist SPEC --d D --T T [--masked] [--json] [--latex]`: exact derivations.

Every WHAT that uses a reduced system first decides which one is exact for the law and the flow
(:mod:`mesacheck.symbolic.reductions`) and either uses it or refuses with one line saying what to
use instead; it never answers on a set the flow leaves.
"""
import sympy

from mesacheck.cli.common import int_at_least
from mesacheck.errors import InputError
from mesacheck.output.jsonout import dumps
from mesacheck.setting.distributions import parse_dist
from mesacheck.symbolic import printing

WHATS = {
    "limit": "the limit of a*b (exact, for this T or T -> oo) on the reduced system that is exact for "
             "the law (A = aI, B = bI, or diagonal A, B)",
    "ode": "the reduced (a, b) flow: loss, ODE, conserved quantity, stationary points, stability",
    "invariance": "the moment equations for invariance of A = aI, B = bI, and this law's verdict "
                  "(real and complex parameters)",
    "recovery": "the recovery condition (C3), its verdicts, and the ratio E Re(yhat/x) (C4)",
    "diagonal": "the diagonal system A = diag(a_j), B = diag(b_j) for laws with unequal coordinates",
}
EXAMPLES = """examples:
  mesacheck derive limit --dist gaussian:sigma=1 --d 5 --T 100
  mesacheck derive limit --dist gaussian:sigma=sigma --d d --T oo
  mesacheck derive limit --dist full-one:c=1 --d 3 --T 10 --masked
  mesacheck derive recovery --dist sparse:c=1 --d 5 --T oo --json
  mesacheck derive diagonal --dist gaussian:sigmas=1,1,2 --d 3 --T 10 --latex"""
MAX_SYMBOLIC_D = 6
DEFAULT_DIST, DEFAULT_D, DEFAULT_T = "gaussian:sigma=1", 5, 100
#: the general moment equations are derived for d <= 4 (d = 4 decides every d for exchangeable laws)
MAX_INVARIANCE_D = 4


def parse_T(text):
    """--T: an integer >= 3 or 'oo' for T -> infinity."""
    if text.strip().lower() in ("oo", "inf", "infinity"):
        return "oo"
    return int_at_least(3, 10**6)(text)


def parse_d(text):
    """--d: an integer >= 1, or the letter d for symbolic d (exchangeable laws)."""
    if text.strip() == "d":
        return "d"
    return int_at_least(1, 64)(text)


def add_parser(sub):
    import argparse

    p = sub.add_parser("derive", help="exact symbolic derivations (C2-C4, C7)",
                       description="Derive exactly, with SymPy: " + "; ".join(f"{k}: {v}" for k, v in WHATS.items()),
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=list(WHATS), metavar="WHAT", help="one of: " + ", ".join(WHATS))
    p.add_argument("--dist", default=DEFAULT_DIST,
                   help=f"initial-token law (see `mesacheck dists`; default {DEFAULT_DIST})")
    p.add_argument("--d", type=parse_d, default=DEFAULT_D,
                   help=f"dimension: an integer, or 'd' for symbolic d (default {DEFAULT_D})")
    p.add_argument("--T", type=parse_T, default=DEFAULT_T,
                   help=f"training length: an integer >= 3, or 'oo' (default {DEFAULT_T})")
    p.add_argument("--masked", action="store_true",
                   help="the masked flow (off-diagonal entries of A and B held at 0, the reference "
                        "program's --clip)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--latex", action="store_true", help="print a LaTeX fragment")
    p.set_defaults(func=run)


def _dimension(d, dist, what):
    from mesacheck.symbolic.symbols import d as D_SYMBOL

    if d == "d":
        if what not in ("limit", "ode", "recovery"):
            raise InputError(f"--d: symbolic d is supported for limit, ode and recovery, not {what}")
        if not dist.is_exchangeable:
            raise InputError(f"--d: symbolic d needs an exchangeable law; '{dist.spec}' is not")
        return D_SYMBOL
    dist.for_dim(d)
    return d


def run(args):
    dist = parse_dist(args.dist)
    d = _dimension(args.d, dist, args.what)
    der, extra = DERIVE[args.what](dist, d, args.T, args.masked)
    extra = {"T_used": str(args.T), "flow": "masked" if args.masked else "unmasked", **extra}
    if args.json:
        payload = {"derivation": der.to_json(), **extra}
        print(dumps(payload, argv=args.argv, tolerances={"arithmetic": "exact (SymPy rationals)"}))
    elif args.latex:
        print(der.latex())
    else:
        print(der.text())
        for k, v in extra.items():
            print(f"  {k}: {_extra_text(v)}")
    return 0


def _extra_text(v):
    if isinstance(v, list):
        return "(" + ", ".join(_extra_text(x) for x in v) + ")"
    if isinstance(v, dict) and "exact" in v:
        approx = f" (~ {v['value']:.10g})" if isinstance(v.get("value"), float) else ""
        return v["exact"] + approx
    return str(v)


def _exact_entry(expr):
    """{'exact', 'latex', 'value'} of an exact result (value only when it is a number)."""
    entry = {"exact": printing.text(expr), "latex": printing.latex(expr)}
    if not expr.free_symbols:
        entry["value"] = float(sympy.N(expr, 30))
    return entry


def _limit(dist, d, T, masked):
    from mesacheck.symbolic.diagonal import derive_diagonal
    from mesacheck.symbolic.reduced import derive_reduced
    from mesacheck.symbolic.reductions import DIAGONAL, SCALAR, reduction_for, require

    red = reduction_for(dist, d, None if T == "oo" else T, masked)
    if red.system == SCALAR:
        der = derive_reduced(dist, d, T, masked)
        extra = {"ab_limit": _exact_entry(der.get("ab_limit"))}
    elif red.system == DIAGONAL:
        der = derive_diagonal(dist, d, T, masked)
        extra = {"ab_limit": _exact_entry(der.get("ab_limit")),
                 "u_limits": [_exact_entry(x) for x in der.get("u_limits")]}
    else:
        require(dist, d, None if T == "oo" else T, DIAGONAL, masked)  # raises, saying what to use
    extra.update({"system": red.system, "reduction": red.describe()})
    return der, extra


def _ode(dist, d, T, masked):
    from mesacheck.symbolic.reduced import derive_reduced

    return derive_reduced(dist, d, T, masked), {}


def _invariance(dist, d, T, masked):
    from mesacheck.symbolic.invariance import derive_invariance
    from mesacheck.symbolic.reductions import reduction_for
    from mesacheck.symbolic.symbols import T as T_SYMBOL

    if masked:
        raise InputError("--masked: the invariance conditions are derived for the unmasked flow "
                         "(the masked flow keeps A and B diagonal by construction)")
    d_eq = d
    note = None
    if d > MAX_INVARIANCE_D:
        if not dist.is_exchangeable:
            raise InputError(f"--d {d}: the general invariance conditions are derived for d <= "
                             f"{MAX_INVARIANCE_D}; for a non-exchangeable law use `derive limit`, "
                             "which decides invariance for any d")
        d_eq = MAX_INVARIANCE_D
        note = (f"derived at d = {MAX_INVARIANCE_D}: an entry's gradient involves at most four distinct "
                f"coordinates, so for an exchangeable law d = {MAX_INVARIANCE_D} decides every d >= "
                f"{MAX_INVARIANCE_D}")
    der = derive_invariance(dist, d_eq, T_SYMBOL if T == "oo" else T)
    if note:
        der.notes.append(note)
    red = reduction_for(dist, d, None if T == "oo" else T)
    return der, {"system": red.system, "reduction": red.describe()}


def _recovery(dist, d, T, masked):
    from mesacheck.symbolic.capability import derive_recovery

    return derive_recovery(dist, d, T, masked), {}


def _diagonal(dist, d, T, masked):
    from mesacheck.symbolic.diagonal import derive_diagonal

    return derive_diagonal(dist, d, T, masked), {}


DERIVE = {"limit": _limit, "ode": _ode, "invariance": _invariance, "recovery": _recovery, "diagonal": _diagonal}
