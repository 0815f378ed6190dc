"""``mesacheck simulate``: rerun the paper's gradient-descent experiment on sampled sequences."""
import math
import os

from mesacheck import fileio, resources
from mesacheck.cli.common import (add_memory_option, bounded_positive_float, int_at_least, pair_of_floats,
                                  positive_float)
from mesacheck.errors import EXIT_NUMERIC, InputError
from mesacheck.output.jsonout import dumps

MAX_TABLE_ROWS = 21


def add_parser(subparsers):
    """Register the ``simulate`` subcommand."""
    parser = subparsers.add_parser(
        "simulate",
        help="run full-batch gradient descent on sampled sequences (the paper's experiment)",
        description="Sample m training and m-test test sequences x_t = W^(t-1) x_1 with x_1 ~ DIST, "
        "initialise W^KQ, W^PV, run EPOCHS steps of full-batch gradient descent with step LR and report "
        "a*b, the last-position ratio and the test loss. Ratio = mean of Re(yhat_{T-1,j} / x_{T,j}) over the "
        "test (sequence, coordinate) pairs with x_{T,j} != 0. Engine: the fused epoch (running prefix sums, "
        "both cores; the first call for a new d compiles a kernel, cached on disk). Negative values need '=', "
        "e.g. --init=-0.5,1. Exit code 4 when the run diverges.",
    )
    parser.add_argument("--dist", required=True, metavar="SPEC",
                        help="initial-token distribution spec, e.g. gaussian:sigma=1 (see 'mesacheck dists')")
    parser.add_argument("--d", type=int_at_least(1), default=5, help="token dimension (default 5)")
    parser.add_argument("--T", type=int_at_least(3), default=100, help="sequence length (default 100)")
    parser.add_argument("--m", type=int_at_least(1), default=10000, help="training sequences (default 10000)")
    parser.add_argument("--lr", type=positive_float, required=True, help="gradient-descent step size")
    parser.add_argument("--epochs", type=int_at_least(0, 10**7), required=True, help="number of steps")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--init", type=pair_of_floats, metavar="A0,B0",
                       help="Assumption 3.1 start A = a0 I, B = b0 I (default 0.1,0.1)")
    start.add_argument("--dense-init", type=bounded_positive_float, metavar="STD",
                       help="dense Gaussian start: every entry with standard deviation STD")
    parser.add_argument("--masked", action="store_true",
                        help="zero the off-diagonal entries of A and B after every step")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="random seed (default 0)")
    parser.add_argument("--eval-every", type=int_at_least(1), default=1,
                        help="record metrics every K epochs (default 1; epoch 0 and the last always)")
    parser.add_argument("--m-test", type=int_at_least(1), default=10000, help="test sequences (default 10000)")
    parser.add_argument("--complex-params", action="store_true", help="complex W^KQ, W^PV")
    parser.add_argument("--engine", choices=("fused", "structured"), default="fused",
                        help="fused (default) or structured (the previous engine, cached prefix Gram "
                        "matrices; same numbers to round-off, for cross-checks)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument("--out", metavar="FILE.npz", help="also write the metrics and final matrices to FILE.npz")
    add_memory_option(parser)
    parser.set_defaults(func=run)
    return parser


def _fmt(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.6g}"


def format_table(result):
    """Plain-text table of the metrics (at most MAX_TABLE_ROWS rows, first and last included)."""
    n = len(result.epochs)
    rows = range(n)
    if n > MAX_TABLE_ROWS:
        rows = sorted({round(i * (n - 1) / (MAX_TABLE_ROWS - 1)) for i in range(MAX_TABLE_ROWS)})
    header = f"{'epoch':>7} {'tau':>10} {'a*b':>12} {'ratio':>12} {'test loss':>12} {'train loss':>12}"
    lines = [header]
    for i in rows:
        lines.append(f"{int(result.epochs[i]):>7} {_fmt(float(result.tau[i])):>10} {_fmt(float(result.ab[i])):>12} "
                     f"{_fmt(float(result.ratio[i])):>12} {_fmt(float(result.test_loss[i])):>12} "
                     f"{_fmt(float(result.train_loss[i])):>12}")
    return "\n".join(lines)


def format_text(result):
    """Settings line, metrics table and status."""
    s = result.settings
    start = f"init {s['init'][0]:g},{s['init'][1]:g}" if s["init"] is not None else f"dense-init {s['dense_std']:g}"
    lines = [
        f"simulate {s['dist']}  d={s['d']} T={s['T']} m={s['m']} m_test={s['m_test']} lr={s['lr']:g} "
        f"epochs={s['epochs']} {start}{' masked' if s['masked'] else ''}"
        f"{' complex-params' if s['complex_params'] else ''} seed={s['seed']}",
        format_table(result) if len(result.epochs) else "(no finite metrics to report)",
        s.get("ratio_definition", ""),
    ]
    if result.status == "ok":
        lines.append("status: ok")
    else:
        lines.append(f"status: diverged at epoch {result.diverged_epoch} (metrics shown up to the last finite epoch)")
    return "\n".join(lines)


def run(args):
    """Run the simulation and print text or JSON; write --out if asked. Exit 4 when it diverged."""
    from mesacheck.numeric.simulator import DIVERGENCE_FACTOR, simulate

    if args.out is not None:
        args.out = fileio.check_output_path(args.out, "--out", suffixes=(".npz",))
    resources.check_memory(resources.simulate_peak_bytes(args.m, args.m_test, args.T, args.d, args.epochs,
                                                         args.eval_every, args.complex_params),
                           args.max_memory, f"simulate (m={args.m}, m_test={args.m_test}, T={args.T}, d={args.d})")
    result = simulate(
        args.dist, args.d, args.T, args.m, args.lr, args.epochs, init=args.init, dense_std=args.dense_init,
        masked=args.masked, seed=args.seed, eval_every=args.eval_every, m_test=args.m_test, progress=True,
        complex_params=args.complex_params, engine=args.engine,
    )
    if args.out is not None:
        with fileio.atomic_path(args.out) as tmp:
            result.save_npz(tmp)
    if args.json:
        print(dumps(result.to_json_dict(), argv=args.argv, seed=args.seed,
                    tolerances={"divergence_loss_factor": DIVERGENCE_FACTOR}))
    else:
        print(format_text(result))
        if args.out is not None:
            print(f"wrote {args.out}")
    return EXIT_NUMERIC if result.status == "diverged" else 0
