"""``mesacheck sweep WHAT --dist SPEC... --d LIST --T LIST [...] --out DIR``: one WHAT over a grid."""
import argparse

from mesacheck.errors import EXIT_OK, EXIT_TIMEOUT, InputError

EXAMPLES = """lists: 2..8 (a range), 10,100,1000,oo (values), 0.1..0.9:0.1 (first..last:step, exact rationals);
  several words of one option are joined: --d 2 3 5..8. Negative starts: --init=-0.5,1.
families of laws (one --dist word each; quote them for the shell):
  gaussian:sigma=0.5,1,2                         three laws (sigma takes one value, so a list is a family)
  gaussian:sigmas=1,2                            ONE law (sigmas is list-valued, as everywhere)
  'gaussian:sigmas=1,s; s=1..3'                  three laws: bind a name to vary an item of a list
  'mixture:p*[1,0]+(1-p)*[0,1]; p=0.1..0.9:0.1'  nine mixtures; weights stay exact and must sum to 1
  A grid point whose law the grammar refuses (weight 0, sum != 1, sigma <= 0) is recorded as
  'refused' with the reason; the other points run.
output folder: points/KEY.json (one per finished point; a rerun skips them), results.jsonl,
  results.csv, results.parquet, summary.png, sweep.json.
examples:
  mesacheck sweep derive-limit --dist gaussian:sigma=1 laplace:b=1 uniform:c=1 --d 2..8 --T 10,100,1000,oo --out out/limits
  mesacheck sweep invariance --dist 'mixture:p*[1,0]+(1-p)*[0,1]; p=0.1..0.9:0.1' --d 2 --T oo --out out/inv
  mesacheck sweep simulate --dist gaussian:sigma=1 --d 3 --T 20 --lr 1e-3,1e-2 --seed 0..4 --epochs 100 --m 500 --m-test 500 --out out/sim
  mesacheck sweep flow --dist gaussian:sigma=0.5,1,2 --d 5 --T 100 --init 0.1,0.1 0.5,1.5 2,2 --out out/flow --scheduler tcp://HOST:8786"""


def add_parser(sub):
    """Register the ``sweep`` subcommand."""
    from mesacheck.sweep.tasks import TASKS

    p = sub.add_parser(
        "sweep", help="run one WHAT over a grid of laws, d, T, ... on Dask; a table and a plot",
        description="Run WHAT at every point of a grid (laws x d x T [x init x lr x seed]) on a Dask "
        "cluster (a local one sized to the cores by default), with a time and a memory budget per "
        "point; write one row per point (inputs, status, every output exact and as a float, verdicts, "
        "time) as JSON lines, CSV and Parquet, and a summary plot. Rerunning the same command skips the "
        "points already in --out. WHAT: " + "; ".join(f"{k}: {t.doc}" for k, t in TASKS.items()),
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=list(TASKS), metavar="WHAT", help="one of: " + ", ".join(TASKS))
    grid = p.add_argument_group("grid")
    grid.add_argument("--dist", nargs="+", action="extend", required=True, metavar="SPEC",
                      help="laws or families of laws (see below)")
    grid.add_argument("--d", nargs="+", action="extend", required=True, metavar="LIST", help="dimensions")
    grid.add_argument("--T", nargs="+", action="extend", required=True, metavar="LIST",
                      help="training lengths (integers >= 3, or oo where the WHAT allows it)")
    grid.add_argument("--init", nargs="+", action="extend", metavar="A0,B0",
                      help="starts A = a0 I, B = b0 I (flow, full-flow, simulate; default 0.1,0.1)")
    grid.add_argument("--lr", nargs="+", action="extend", metavar="LIST", help="step sizes (simulate)")
    grid.add_argument("--seed", nargs="+", action="extend", metavar="LIST",
                      help="seeds (simulate, verify; default 0)")
    fixed = p.add_argument_group("settings of the WHAT (the same at every point)")
    fixed.add_argument("--masked", action="store_true",
                       help="the masked flow (derive-limit, recovery, flow, full-flow, simulate)")
    fixed.add_argument("--epochs", type=_int(0), help="gradient-descent steps (simulate; required there)")
    fixed.add_argument("--m", type=_int(1), help="training sequences (simulate; default 10000)")
    fixed.add_argument("--m-test", type=_int(1), help="test sequences (simulate; default 10000)")
    fixed.add_argument("--claims", nargs="+", metavar="CLAIM", help="claims to verify (verify; default all)")
    fixed.add_argument("--quick", action="store_true", help="quick checks (verify)")
    run = p.add_argument_group("execution")
    run.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="an existing Dask scheduler")
    where.add_argument("--serial", action="store_true", help="no Dask: one point after the other here")
    run.add_argument("--workers", type=_int(1), help="local Dask worker processes (default: one per core)")
    run.add_argument("--budget", type=_positive, default=600.0, metavar="SECONDS",
                     help="time budget per point (default 600); a point over it is recorded as 'timeout'")
    run.add_argument("--memory", type=_positive, default=4096.0, metavar="MIB",
                     help="memory budget per point in MiB (default 4096); over it: 'refused'")
    run.add_argument("--max-points", type=_int(1), metavar="N",
                     help="compute at most N new points in this run (rerun to continue)")
    run.add_argument("--time-limit", type=_positive, metavar="SECONDS",
                     help="stop after this long; unfinished points stay pending for a rerun")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    pl = p.add_argument_group("summary plot")
    pl.add_argument("--plot-metric", metavar="NAME", help="output to plot (default: the WHAT's main one)")
    pl.add_argument("--plot-x", metavar="AXIS", help="x axis: family, d, T, init, lr, seed or a family parameter")
    pl.add_argument("--plot-lines", metavar="AXIS", help="one line per value of this axis")
    pl.add_argument("--heatmap", action="store_true", help="a heatmap over --plot-x and --plot-lines")
    p.set_defaults(func=run_sweep)


def _int(minimum):
    from mesacheck.cli.common import int_at_least

    return int_at_least(minimum, 10**7)


def _positive(text):
    from mesacheck.cli.common import positive_float

    return positive_float(text)


def run_sweep(args):
    """Run the sweep; print where the table and plot went and the counts per status."""
    from mesacheck.sweep import sweep
    from mesacheck.sweep.api import STATUSES

    if args.scheduler is not None and args.workers is not None:
        raise InputError("--workers applies to the local cluster, not to --scheduler")
    df = sweep(args.what, args.dist, args.d, args.T, args.init, args.lr, args.seed, args.out,
               masked=args.masked, m=args.m, m_test=args.m_test, epochs=args.epochs, claims=args.claims,
               quick=args.quick, scheduler="serial" if args.serial else args.scheduler, workers=args.workers,
               budget=args.budget, memory=args.memory, max_points=args.max_points,
               time_limit=args.time_limit, progress=not args.quiet, plot_metric=args.plot_metric,
               plot_x=args.plot_x, plot_lines=args.plot_lines, heatmap=args.heatmap,
               argv=getattr(args, "argv", None))
    a = df.attrs
    counts = ", ".join(f"{s} {int((df['status'] == s).sum())}" for s in STATUSES)
    print(f"{len(df)} of {len(df) + a['pending']} points: {counts} "
          f"({a['computed']} computed now, {a['reused']} from earlier runs)")
    for path in a["files"]:
        print(f"wrote {path}")
    if not a["complete"]:
        print(f"stopped with {a['pending']} points pending: rerun the same command to compute them")
        return EXIT_TIMEOUT
    return EXIT_OK
