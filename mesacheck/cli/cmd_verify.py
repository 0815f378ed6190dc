"""``mesacheck verify [CLAIM ...]``: run the proof checks of claims C1..C7 and print the verdicts."""
import sys
import time

from mesacheck.budget import Timeout
from mesacheck.checks.runner import exit_code, normalise_claims, run_claims
from mesacheck.checks.verdict import Settings, format_table
from mesacheck.cli.common import add_budget_option, check_dist_fits, int_at_least
from mesacheck.errors import EXIT_TIMEOUT
from mesacheck.output.jsonout import dumps, split_timings


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
    add_budget_option(parser, "verify")
    parser.add_argument("--timings", action="store_true",
                        help="with --json: add the wall-clock times under one key, 'timings' (left out by "
                        "default so that the same command and seed give the same bytes)")
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Run the claims under the whole-run budget; print the table (or JSON). Exit 0 when all pass,
    1 otherwise, 3 when the budget ran out (the claims finished so far are still reported)."""
    claims = normalise_claims(args.claims)
    if args.dist is not None:
        check_dist_fits(args.dist, args.d)  # an input error is exit 2, not a failed check
    settings = Settings(dist=args.dist, d=args.d, T=args.T, quick=args.quick, seed=args.seed)
    deadline = getattr(args, "deadline", None)
    start = time.perf_counter()
    reports, timeout = [], None
    try:
        for claim in claims:
            if deadline is not None:
                deadline.check()  # also catches a Timeout lost in a gc callback or __del__
                deadline.what = f"verify {claim}"
            reports += run_claims([claim], settings, progress=sys.stderr)
        if deadline is not None:
            deadline.check()
    except Timeout as exc:
        timeout = exc
        if deadline is not None:
            deadline.acknowledge()  # the report below must not be interrupted
    total = time.perf_counter() - start
    code = EXIT_TIMEOUT if timeout else exit_code(reports)
    outcome = "timeout" if timeout else "pass" if code == 0 else "fail"
    if args.json:
        from mesacheck.checks.verdict import family_false_failure

        payload, timings = split_timings({"claims": [r.to_json() for r in reports]})
        payload.update(passed=code == 0, outcome=outcome, budget_s=args.budget,
                       false_failure_bound=family_false_failure(reports))
        if timeout:
            payload["timeout"] = str(timeout)
        if args.timings:
            payload["timings"] = dict(timings, total_s=round(total, 2))
        text = dumps(payload, argv=getattr(args, "argv", None), seed=args.seed,
                     tolerances={"monte_carlo": "median of 25 group means within 3 exact sigma "
                                 "sqrt(25/n); false failure <= 5.6e-7 per check (Chebyshev + binomial)",
                                 "numeric": "as stated per check"})
    else:
        verdict = {"pass": "ALL PASS", "fail": "SOME CHECKS DID NOT PASS",
                   "timeout": f"TIMEOUT: {timeout}"}[outcome]
        text = (format_table(reports) + "\n" if reports else "") + f"{verdict} ({total:.1f}s)"
    sys.stdout.write(text + "\n")
    if timeout:
        print(f"mesacheck: timeout: {timeout}", file=sys.stderr)
    return code
