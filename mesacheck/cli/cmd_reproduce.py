"""``mesacheck reproduce``: rerun the paper's simulations with the exact theory beside them."""
import sys
import time

from mesacheck import fileio, resources
from mesacheck.cli.common import add_memory_option, int_at_least
from mesacheck.output.jsonout import dumps
from mesacheck.output.reproduce_report import DEFAULT_OUT

MAX_REPLICATES = 50


def add_parser(subparsers):
    """Register the ``reproduce`` subcommand."""
    parser = subparsers.add_parser(
        "reproduce",
        help="rerun the paper's simulations (all, or one configuration) with the exact theory beside them",
        description="Run the simulator at the paper's settings (EXPERIMENTS.md: m = 10000 training and "
        "10000 test sequences, d = 5, T = 100, the paper's lr and epochs) from the starts (0.1,0.1), "
        "(0.5,1.5), (2,2); put beside each the reduced population flow at tau = epoch*lr, the exact "
        "finite-T limit u*(T) and (once it exists) population gradient descent; write every figure, "
        "one JSON per configuration and a summary table (CSV, JSON, printed): final a*b, exact u*(T), "
        "deviation in sampling standard errors. NAME: 'all', one configuration, or 'list'. "
        "Sampling SE: with one replicate (default), the delta-method (sandwich) SE of the converged a*b "
        "from the run's own training sample, valid to first order in 1/sqrt(m) for converged gaussian "
        "and sparse runs (masked or not) and masked full-one runs (n/a for unmasked full-one); with "
        "--replicates R >= 2, the across-replicate standard deviation. The full-one lr (not in the "
        "paper) is 5e-4 for 400 epochs: the reference program's default step, inside the stability "
        "bound 2/lambda_max = 8.6e-4 at the (2,2) start. Ratio = mean of Re(yhat_{T-1,j} / x_{T,j}) over "
        "the test (sequence, coordinate) pairs with x_{T,j} != 0.",
    )
    parser.add_argument("name", metavar="NAME", help="'all', a configuration name, or 'list'")
    parser.add_argument("--quick", action="store_true",
                        help="reduced size for tests and smoke runs: m = m_test = 400, T = 20, at most 30 "
                        "epochs (not the paper's settings)")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help=f"folder for the figures, JSON and summary (default: ./{DEFAULT_OUT}); created "
                        "at the end, complete, or left untouched on failure")
    parser.add_argument("--replicates", type=int_at_least(1, MAX_REPLICATES), default=1, metavar="R",
                        help="independent seeds per configuration (seed, seed+1, ...); R >= 2 gives "
                        "per-epoch across-replicate standard errors (default 1)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="simulator seed (default 0)")
    add_memory_option(parser)
    parser.set_defaults(func=run)
    return parser


def format_list():
    from mesacheck.numeric.reproduce import EXPERIMENTS

    lines = []
    for e in EXPERIMENTS.values():
        lines.append(f"{e.name:<16} {e.spec:<20} lr={e.lr:g} epochs={e.epochs}"
                     f"{' masked' if e.masked else ''}  (lr: {e.lr_source})")
    return "\n".join(lines)


def _se_note(replicates):
    from mesacheck.numeric.reproduce import POPGD_WITHIN_SE, SE_DEFAULT, SE_REPLICATES

    method = SE_REPLICATES if replicates >= 2 else SE_DEFAULT
    return (f"SE: {method}; dev/SE = (a*b final - u*(T)) / (SE / sqrt(R)), R = {replicates}; "
            "'vs flow': the same against the reduced population flow at the final tau, given only where the "
            "SE measures the trajectory's spread (R >= 2, or a converged run); popGD: the final a*b against "
            "population gradient descent in units of the runs' first-order trajectory SE / sqrt(R); worst: "
            f"the largest |a*b - population GD| over every logged epoch and run, in units of that run's "
            f"trajectory SE at that epoch (criterion {POPGD_WITHIN_SE:g}); conv: the flow is within 0.1 SE of u*(T) at the final tau and the "
            "run's last step moved a*b by at most 0.01 SE "
            "(a run that is not converged deviates from u*(T) by design); SE floor 1e-10 max(1, |ab|) "
            "(sparse laws have no sampling noise at their limit)")


def run(args):
    """Run the reproduction(s) (or list the names); exit code 0."""
    from mesacheck.numeric.reproduce import EXPERIMENTS, TOLERANCES, get_experiment, run_all
    from mesacheck.output.reproduce_report import check_output_dir, summary_text, write_report

    argv = getattr(args, "argv", None)
    if args.name == "list":
        if args.json:
            payload = {"experiments": [dict(vars(e)) for e in EXPERIMENTS.values()]}
            sys.stdout.write(dumps(payload, argv=argv) + "\n")
        else:
            print(format_list())
        return 0
    names = list(EXPERIMENTS) if args.name == "all" else [get_experiment(args.name).name]
    check_output_dir(args.out, "--out")
    for name in names:
        resources.check_memory(resources.reproduce_peak_bytes(name, args.quick), args.max_memory,
                               f"reproduce {name}")
    start = time.perf_counter()
    result = run_all(names, quick=args.quick, seed=args.seed, replicates=args.replicates, progress=True)
    result["se_note"] = _se_note(args.replicates)
    files = write_report(args.out, result, argv=argv, seed=args.seed, tolerances=TOLERANCES)
    seconds = time.perf_counter() - start
    # Wall time goes to stderr only: the JSON of a command is the same bytes every run.
    print(f"reproduce: {len(names)} configuration(s), {args.replicates} replicate(s), "
          f"{seconds:.1f} s wall time", file=sys.stderr)
    if args.json:
        sys.stdout.write(dumps({"summary": result["summary"], "se_note": result["se_note"], "files": files},
                               argv=argv, seed=args.seed, tolerances=TOLERANCES) + "\n")
    else:
        print(summary_text(result["summary"], result["se_note"]))
        print(f"wrote {len(files)} files into {files[0].rsplit('/', 1)[0] if files else args.out}")
    return 0
