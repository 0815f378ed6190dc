"""`mesacheck derive WHAT --dist SPEC --d D --T T [--masked] [--json | --latex [--label P]]`.

Exact derivations through :func:`mesacheck.symbolic.dispatch.derive` (the same entry point as
the Python API :func:`mesacheck.derive`): every WHAT that uses a reduced system first decides
which one is exact for the law and the flow and either uses it or refuses with one line saying
what to use instead. The output always states the T (and d, and flow) it used.
"""
import argparse

from mesacheck import budget
from mesacheck.cli.common import add_budget_option, int_at_least
from mesacheck.output.jsonout import dumps
from mesacheck.setting.distributions import parse_dist
from mesacheck.symbolic import dispatch
from mesacheck.symbolic.derivation_tex import slug

WHATS = dispatch.WHATS
EXAMPLES = """examples:
  mesacheck derive limit                                   # defaults: gaussian:sigma=1, d = 5, T = 100
  mesacheck derive limit --dist gaussian:sigma=sigma --d d --T oo
  mesacheck derive limit --dist full-one:c=1 --d 3 --T 10 --masked
  mesacheck derive invariance --dist iid --d 2 --T oo      # the moment conditions for any i.i.d. law
  mesacheck derive recovery --dist sparse:c=1 --d 5 --T oo --json
  mesacheck derive diagonal --dist gaussian:sigmas=1,1,2 --d 3 --T 10 --latex --label diag3

--latex prints a fragment for any article that loads amsmath: numbered displays labelled
eq:LABEL-NAME (LABEL defaults to WHAT), long formulas broken over lines."""
DEFAULT_DIST, DEFAULT_D, DEFAULT_T = "gaussian:sigma=1", 5, 100


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


def parse_label(text):
    """--label: letters, digits and '-' (it becomes part of \\label{eq:LABEL-...})."""
    if not text or slug(text) != text.lower() or len(text) > 40:
        raise argparse.ArgumentTypeError(f"use letters, digits and '-' (at most 40), got {text!r}")
    return text


def add_parser(sub):
    p = sub.add_parser("derive", help="exact symbolic derivations (C2-C4, C7)",
                       description="Derive exactly, with SymPy: " + "; ".join(f"{k}: {v}" for k, v in WHATS.items())
                       + ". The output states the law, d, T and flow it used.",
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
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument("--latex", action="store_true", help="print a LaTeX fragment (amsmath only)")
    p.add_argument("--label", type=parse_label, metavar="LABEL",
                   help="prefix of the equation labels of --latex (default: WHAT)")
    add_budget_option(p, "derive")
    p.set_defaults(func=run)


def run(args):
    dist = parse_dist(args.dist)
    d = dispatch.dimension(args.d, dist, args.what)
    seconds, basis = budget.derive_seconds(args.what, dist, d, args.T)
    budget.refuse_if_over(seconds, args.budget, f"derive {args.what} --d {args.d} --T {args.T}", basis)
    der = dispatch.derive(args.what, dist, args.d, args.T, args.masked)
    flow = "masked" if args.masked else "unmasked"
    extra = {"T_used": str(args.T), "d_used": str(args.d), "flow": flow}
    if der.has("ab_limit"):
        extra["ab_limit"] = dispatch.exact_entry(der.get("ab_limit"))
    if der.has("u_limits"):
        extra["u_limits"] = [dispatch.exact_entry(x) for x in der.get("u_limits")]
    for key in ("system", "reduction"):
        if der.has(key):
            extra[key] = der.get(key)
    if args.json:
        payload = {"derivation": der.to_json(), **extra}
        print(dumps(payload, argv=args.argv, tolerances={"arithmetic": "exact (SymPy rationals)"}))
    elif args.latex:
        print(der.latex(args.label or args.what))
    else:
        print(der.text())
        print(f"  used: d = {args.d}, T = {args.T}{' (T -> infinity)' if args.T == 'oo' else ''}, {flow} flow")
        if "ab_limit" in extra:
            print(f"  ab_limit: {_exact_text(extra['ab_limit'])}")
    return 0


def _exact_text(entry):
    approx = f" (~ {entry['value']:.10g})" if isinstance(entry.get("value"), float) else ""
    return entry["exact"] + approx
