"""`mesacheck derive WHAT --dist SPEC --d D --T T [--json] [--latex]`: exact derivations."""
import sympy

from mesacheck import budget
from mesacheck.cli.common import add_budget_option, int_at_least
from mesacheck.errors import InputError
from mesacheck.output.jsonout import dumps
from mesacheck.setting.distributions import parse_dist
from mesacheck.symbolic import printing

WHATS = {
    "limit": "the limit of a*b (exact, for this T and as T -> oo) and whether the set is invariant",
    "ode": "the reduced (a, b) flow: loss, ODE, conserved quantity, stationary points, stability",
    "invariance": "the moment equations for invariance of A = aI, B = bI, and this law's verdict",
    "recovery": "the recovery condition (C3), its verdicts, and the Gaussian ratio (C4)",
    "diagonal": "the diagonal system for laws with unequal coordinates (d <= 3)",
}
MAX_SYMBOLIC_D = 6


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
    p = sub.add_parser("derive", help="exact symbolic derivations (C2-C4)",
                       description="Derive exactly, with SymPy: " + "; ".join(f"{k}: {v}" for k, v in WHATS.items()))
    p.add_argument("what", choices=list(WHATS), metavar="WHAT", help="one of: " + ", ".join(WHATS))
    p.add_argument("--dist", default="gaussian:sigma=1", help="initial-token law (see `mesacheck dists`)")
    p.add_argument("--d", type=parse_d, default=5, help="dimension (integer, or 'd' for symbolic d)")
    p.add_argument("--T", type=parse_T, default=100, help="training length (integer >= 3, or 'oo')")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--latex", action="store_true", help="print a LaTeX fragment")
    add_budget_option(p, "derive")
    p.set_defaults(func=run)


def _dimension(d, dist, what):
    from mesacheck.symbolic.reduced import D_SYMBOL

    if d == "d":
        if what not in ("limit", "ode", "recovery"):
            raise InputError(f"--d: symbolic d is supported for limit, ode and recovery, not {what}")
        if not dist.is_exchangeable:
            raise InputError(f"--d: symbolic d needs an exchangeable law; '{dist.spec}' is not")
        return D_SYMBOL
    return d


def run(args):
    dist = parse_dist(args.dist)
    d = _dimension(args.d, dist, args.what)
    if isinstance(d, int):
        dist.for_dim(d)
    T = args.T
    seconds, basis = budget.derive_seconds(args.what, dist, d, T)
    budget.refuse_if_over(seconds, args.budget, f"derive {args.what} --d {args.d} --T {T}", basis)
    der, extra = DERIVE[args.what](dist, d, T)
    if args.json:
        payload = {"derivation": der.to_json(), **extra}
        print(dumps(payload, argv=args.argv, tolerances={"arithmetic": "exact (SymPy rationals)"}))
    elif args.latex:
        print(der.latex())
    else:
        print(der.text())
        for k, v in extra.items():
            if k != "derivation":
                print(f"  {k}: {v}")
    return 0


def _limit(dist, d, T):
    from mesacheck.symbolic.diagonal import derive_diagonal
    from mesacheck.symbolic.invariance import law_invariant
    from mesacheck.symbolic.reduced import derive_reduced

    d_check = d if isinstance(d, int) else 4
    if not isinstance(d, int) and not dist.is_exchangeable:
        raise InputError("symbolic d needs an exchangeable law")
    if not dist.is_exchangeable and d_check > 3:
        raise InputError(f"'{dist.spec}' is not exchangeable: its invariance is derived for d <= 3")
    invariant = law_invariant(dist, d_check)
    if dist.is_exchangeable:
        der = derive_reduced(dist, d, T)
        exact = der.get("ab_limit")
        masked_note = None if invariant else (
            "the set A = aI, B = bI is NOT invariant for this law: ab_limit is the limit of the masked "
            "flow (off-diagonal entries of A and B held at 0)")
    else:
        if T == "oo":
            raise InputError("--T oo: the diagonal system of a non-exchangeable law needs a concrete T")
        der = derive_diagonal(dist, d, T)
        points = der.get("stationary")
        if len(points) != 1:
            raise InputError("the diagonal system has no unique stationary point with u_j > 0 here")
        exact = sympy.Add(*points[0]) / len(points[0])
        masked_note = ("A = aI is not invariant (unequal coordinates): ab_limit is the mean over j of "
                       "a_j b_j at the diagonal system's stationary point"
                       + ("" if invariant else " (the masked flow keeps A and B diagonal)"))
    if masked_note:
        der.notes.append(masked_note)
    ab = {"exact": printing.text(exact), "latex": printing.latex(exact)}
    if not exact.free_symbols:
        ab["value"] = float(sympy.N(exact, 30))
    extra = {"ab_limit": ab, "invariant": bool(invariant), "masked": not invariant}
    if masked_note:
        extra["note"] = masked_note
    return der, extra


def _ode(dist, d, T):
    from mesacheck.symbolic.reduced import derive_reduced

    if not dist.is_exchangeable:
        raise InputError(f"'{dist.spec}' is not exchangeable: use `mesacheck derive diagonal`")
    return derive_reduced(dist, d, T), {}


def _invariance(dist, d, T):
    from mesacheck.symbolic.invariance import derive_invariance
    from mesacheck.symbolic.reduced import T_SYMBOL

    if d > 4:
        raise InputError(f"--d {d}: the general invariance conditions are derived for d <= 4 "
                         "(an exchangeable law's verdict at d = 4 holds for every d)")
    return derive_invariance(dist, d, T_SYMBOL if T == "oo" else T), {}


def _recovery(dist, d, T):
    from mesacheck.symbolic.capability import derive_recovery

    if not dist.is_exchangeable:
        raise InputError(f"'{dist.spec}' is not exchangeable: recovery is derived on A = aI, B = bI")
    return derive_recovery(dist, d, T), {}


def _diagonal(dist, d, T):
    from mesacheck.symbolic.diagonal import derive_diagonal

    if T == "oo":
        raise InputError("--T oo is not supported for the diagonal system: give an integer T")
    return derive_diagonal(dist, d, T), {}


DERIVE = {"limit": _limit, "ode": _ode, "invariance": _invariance, "recovery": _recovery, "diagonal": _diagonal}
