"""``mesacheck verify [CLAIM ...]``: run the proof checks of claims C1..C7 and print the verdicts."""
import sys
import time

from mesacheck.checks.runner import exit_code, normalise_claims, run_claims
from mesacheck.checks.verdict import Settings, format_table
from mesacheck.cli.common import int_at_least, positive_float
from mesacheck.output.jsonout import dumps


def add_parser(subparsers):
    """Register the ``verify`` subcommand."""
    parser = subparsers.add_parser(
        "verify",
        help="check the paper's claims C1..C7 (symbolic, numeric, Monte Carlo)",
        description="Run the checks of the given claims (default: all of C1..C7) and print a table "
        "of statement, method, result, tolerance and time. Exit 0 only when every check passes.",
    )
    parser.add_argument("claims", nargs="*", metavar="CLAIM", help="C1..C7 (case-insensitive); default all")
    parser.add_argument("--quick", action="store_true", help="smaller samples and fewer cases (< 30 s)")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    parser.add_argument("--dist", help="distribution spec overriding each claim's law")
    parser.add_argument("--d", type=int_at_least(1, 64), help="token dimension override")
    parser.add_argument("--T", type=int_at_least(3, 10**6), help="training length override")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the Monte Carlo checks")
    parser.add_argument("--budget", type=positive_float, help="time budget per check in seconds")
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Run the claims; print the table (or JSON); exit 0 when all pass, 1 otherwise."""
    claims = normalise_claims(args.claims)
    if args.dist is not None:
        from mesacheck.setting.distributions import parse_dist

        parse_dist(args.dist)  # a malformed spec is an input error, not a failed check
    settings = Settings(dist=args.dist, d=args.d, T=args.T, quick=args.quick, seed=args.seed,
                        budget=args.budget)
    start = time.perf_counter()
    reports = run_claims(claims, settings, progress=sys.stderr)
    total = time.perf_counter() - start
    code = exit_code(reports)
    if args.json:
        from mesacheck.checks.verdict import family_false_failure

        payload = {"claims": [r.to_json() for r in reports], "passed": code == 0, "seconds": round(total, 2),
                   "false_failure_bound": family_false_failure(reports)}
        text = dumps(payload, argv=getattr(args, "argv", None), seed=args.seed,
                     tolerances={"monte_carlo": "median of 25 group means within 3 exact sigma "
                                 "sqrt(25/n); false failure <= 5.6e-7 per check (Chebyshev + binomial)",
                                 "numeric": "as stated per check"})
    else:
        text = format_table(reports) + f"\n{'ALL PASS' if code == 0 else 'SOME CHECKS DID NOT PASS'} ({total:.1f}s)"
    sys.stdout.write(text + "\n")
    return code
