"""Speed-up of a 2-worker local Dask sweep over a serial one, and the per-point overhead of each path.

Grid: `simulate` for gaussian:sigma=1, d = 2,3, T = 20, lr = 1e-3,1e-2,3e-2, seeds 0..8 (54 points),
m = m_test = 300, 100 epochs. Four timings of the same grid, in one run:

(a) direct   - the adapter called in a loop in this process (no fork, no Dask): pure compute;
(b) serial   - ``sweep(..., scheduler='serial')``: each point in its own budgeted process, here;
(c) dask-2   - ``sweep(..., workers=2)``: a LocalCluster of 2 worker processes started and stopped
               by the sweep (start-up included);
(d) dask-2w  - the same on a LocalCluster started beforehand (the sweep's own time only).

Overheads: per point, (b) - (a) is the cost of the budget (fork + pipe); for Dask,
(workers x wall(d) - sum of per-point compute seconds) / points is the worker time per point not
spent computing (scheduling, transfer, fork, idle tail). Two direct measurements of the Dask path's
fixed costs follow: the round trip of a trivial task on the warm workers, and the budget of a no-op
point (fork + pipe + reap) inside a worker. Timings on a shared machine are noisy:
compare the ratios of one run, and read the load average printed with them. On Linux with
autogroup scheduling (/proc/sys/kernel/sched_autogroup_enabled = 1) ``nice`` does not lower the
share of a job started from another session: each session gets an equal share of the cores, so a
"niced" background job still takes one of two cores from the workers. Lower its group instead
(``echo 19 > /proc/PID/autogroup``) or measure on an idle machine. Measured 2026-11-27, 2 cores,
--m 8000 --epochs 200: a niced job in another session left the 2-worker sweep at 1.01x serial;
with that job's autogroup at nice 19, 1.46x (cluster start-up included) and 1.70x (warm workers). BLAS is pinned to one
thread (as in Dask's workers), and so are numba's threads (the fused epoch spreads a large batch
over both cores by itself: with its threads on, a point already uses the machine and two workers
cannot be faster), so the serial baseline uses one core.

Usage: python benchmarks/bench_sweep.py [--seeds N] [--epochs N] [--m N]
"""
import argparse
import os
import sys
import tempfile
import time

# One BLAS thread everywhere, as Dask gives its workers: otherwise the serial baseline would use
# both cores through BLAS and the comparison would not be one core against two.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from mesacheck.sweep import sweep  # noqa: E402
from mesacheck.sweep.grid import build_grid  # noqa: E402
from mesacheck.sweep.tasks import TASKS, PointArgs  # noqa: E402


TRIVIAL = 400


def _noop(i):
    return i


def _fork_cost(n=20):
    """Mean seconds of one budgeted no-op point (fork, pipe, reap) in this process, simulate's
    modules loaded."""
    from mesacheck.sweep.budget import run_budgeted
    from mesacheck.sweep.tasks import prepare

    prepare("simulate")
    start = time.perf_counter()
    for _ in range(n):
        run_budgeted(_noop, 0, 60, 4096)
    return (time.perf_counter() - start) / n


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=9, help="seeds per (d, lr) (default 9: 54 points)")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--m", type=int, default=300, help="training and test sequences")
    args = parser.parse_args(argv)
    grid = dict(what="simulate", dist="gaussian:sigma=1", d="2,3", T="20", lr="1e-3,1e-2,3e-2",
                seed=f"0..{args.seeds - 1}", epochs=args.epochs, m=args.m, m_test=args.m)
    points = build_grid(grid["what"], grid["dist"], grid["d"], grid["T"], lr=grid["lr"], seed=grid["seed"],
                        settings={"epochs": args.epochs, "m": args.m, "m_test": args.m})
    n = len(points)
    print(f"grid: {n} simulate points (m = m_test = {args.m}, {args.epochs} epochs); "
          f"cores: {len(os.sched_getaffinity(0))}; load average before: {os.getloadavg()[0]:.2f}")

    start = time.perf_counter()
    run = TASKS["simulate"].run
    for p in points:
        pl = p.payload(None, None)
        run(PointArgs(pl["dist"], pl["d"], pl["T"], pl["init"], pl["lr"], pl["seed"], pl["settings"]))
    direct = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        serial = sweep(**grid, out=os.path.join(tmp, "serial"), scheduler="serial", progress=False, plot=False)
        t_serial = time.perf_counter() - start

        start = time.perf_counter()
        dask2 = sweep(**grid, out=os.path.join(tmp, "dask2"), workers=2, progress=False, plot=False)
        t_dask = time.perf_counter() - start

        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=40) as cluster, Client(cluster) as client:
            client.run(lambda: __import__("mesacheck.sweep.worker"))  # imports paid before timing
            start = time.perf_counter()
            warm = sweep(**grid, out=os.path.join(tmp, "warm"), client=client, progress=False, plot=False)
            t_warm = time.perf_counter() - start
            start = time.perf_counter()
            client.gather(client.map(_noop, range(TRIVIAL), pure=False))
            t_trivial = (time.perf_counter() - start) / TRIVIAL
            fork_costs = client.run(_fork_cost)

    for name, df in (("serial", serial), ("dask-2", dask2), ("dask-2w", warm)):
        assert (df["status"] == "ok").all(), df[df["status"] != "ok"][["status", "reason"]]
        assert list(df["ab"]) == list(serial["ab"]), f"{name} values differ from the serial sweep"
    compute = {name: float(df["seconds"].sum()) for name, df in (("serial", serial), ("dask-2", dask2),
                                                                   ("dask-2w", warm))}
    print(f"(a) direct loop in-process       {direct:8.2f} s   {direct / n * 1e3:7.1f} ms/point")
    print(f"(b) serial sweep (fork/point)    {t_serial:8.2f} s   {t_serial / n * 1e3:7.1f} ms/point   "
          f"overhead vs (a) {(t_serial - direct) / n * 1e3:6.1f} ms/point")
    print(f"(c) dask, 2 local workers        {t_dask:8.2f} s   speed-up over (b): {t_serial / t_dask:5.2f}x")
    print(f"(d) dask, 2 warm workers         {t_warm:8.2f} s   speed-up over (b): {t_serial / t_warm:5.2f}x")
    for name, wall in (("dask-2", t_dask), ("dask-2w", t_warm)):
        over = (2 * wall - compute[name]) / n
        print(f"    {name}: worker time not spent computing {over * 1e3:7.1f} ms/point "
              f"(2 x {wall:.2f} s - {compute[name]:.2f} s of point compute, over {n} points)")
    print(f"    sum of per-point compute: serial {compute['serial']:.2f} s, dask-2 {compute['dask-2']:.2f} s, "
          f"dask-2w {compute['dask-2w']:.2f} s (contention shows as a larger sum)")
    cpu = {name: float(df["cpu_seconds"].sum()) for name, df in (("serial", serial), ("dask-2", dask2),
                                                                   ("dask-2w", warm))}
    print(f"    sum of per-point CPU time: serial {cpu['serial']:.2f} s, dask-2 {cpu['dask-2']:.2f} s, "
          f"dask-2w {cpu['dask-2w']:.2f} s (the work itself; equal CPU with larger wall = waiting for a core)")
    print(f"Dask round trip of a trivial task on the 2 warm workers: {t_trivial * 1e3:.2f} ms/task "
          f"({TRIVIAL} tasks, wall / tasks)")
    print("budget (fork + pipe + reap) of a no-op point on each worker: "
          + ", ".join(f"{v * 1e3:.1f} ms" for v in fork_costs.values()))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
