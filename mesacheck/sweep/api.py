"""``sweep(...)``: a grid of laws, dimensions and lengths, run on Dask, as one table and one plot."""
import datetime
import math
import sys
import time
import uuid

from mesacheck import __version__
from mesacheck.errors import InputError
from mesacheck.sweep import execute
from mesacheck.sweep.budget import REFUSED
from mesacheck.sweep.grid import build_grid, task_for
from mesacheck.sweep.store import PLOT, Store, reusable

META = ("seconds", "cpu_seconds", "wall_seconds", "peak_rss_mb", "worker", "finished_at", "run_id", "key",
        "mesacheck_version")
STATUSES = ("ok", "refused", "failed", "timeout")
SCHEMES = ("tcp://", "tls://", "inproc://", "ucx://")


def _metric(task, name):
    """The plot metric: ``name`` if the WHAT produces it (v or v_k for a tuple output v), else
    InputError; the WHAT's default when ``name`` is None."""
    metric = name or task.metric
    known = set(task.outputs)
    indexed = any(metric.startswith(f"{o}_") and metric[len(o) + 1:].isdigit() for o in known)
    if metric not in known and not indexed:
        raise InputError(f"--plot-metric: {task.name} has no output {metric!r}; its outputs: "
                         + ", ".join(task.outputs))
    return metric


def _settings(task, masked, m, m_test, epochs, claims, quick):
    given = {"masked": True if masked else None, "m": m, "m_test": m_test, "epochs": epochs,
             "quick": True if quick else None}
    if claims:
        from mesacheck.checks.runner import normalise_claims

        given["claims"] = ",".join(normalise_claims([claims] if isinstance(claims, str) else list(claims)))
    out = {k: v for k, v in given.items() if v is not None}
    for name in ("m", "m_test", "epochs"):
        if name in out:
            v = out[name]
            if isinstance(v, bool) or not isinstance(v, int) or v < (0 if name == "epochs" else 1) or v > 10**7:
                raise InputError(f"--{name.replace('_', '-')}: expected an integer in "
                                 f"[{0 if name == 'epochs' else 1}, 10000000], got {v!r}")
    return out


def _positive(name, value, integer=False):
    if value is None:
        return None
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and value > 0
    if not ok or (integer and int(value) != value):
        kind = "an integer >= 1" if integer else "a number > 0"
        raise InputError(f"{name}: expected {kind}, got {value!r}")
    return int(value) if integer else float(value)


def _refusal(point):
    return {"key": point.key, "status": REFUSED, "reason": point.refused, "outputs": {}, "seconds": 0.0,
            "cpu_seconds": 0.0, "wall_seconds": 0.0, "peak_rss_mb": math.nan, "budget_limited": "", "worker": "",
            "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def _plan(points, existing, budget, memory):
    """({key: stored record} to reuse, [(kind, point)] to do, kind 'run' or 'refused'), each key
    once (two families can reach the same law)."""
    records, todo, seen = {}, [], set()
    for p in points:
        key = p.key
        if key in seen:
            continue
        seen.add(key)
        if key in existing and reusable(existing[key], budget, memory):
            records[key] = existing[key]
        else:
            todo.append(("refused" if p.refused is not None else "run", p))
    return records, todo


def table(points, records):
    """The table (a pandas DataFrame) of the points that have a record, in grid order."""
    import pandas as pd

    rows, inputs, outputs = [], {}, {}
    for p in points:
        rec = records.get(p.key)
        if rec is None:
            continue
        cols = p.input_columns()
        inputs.update(dict.fromkeys(cols))
        outputs.update(dict.fromkeys(rec.get("outputs") or {}))
        rows.append({**cols, "status": rec["status"], "reason": rec.get("reason") or "",
                     **(rec.get("outputs") or {}), **{k: rec.get(k) for k in META}})
    columns = list(inputs) + ["status", "reason"] + list(outputs) + list(META)
    df = pd.DataFrame(rows, columns=columns)
    for col in ("seconds", "cpu_seconds", "wall_seconds", "peak_rss_mb"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    for col in outputs:
        if not col.endswith("_exact") and f"{col}_exact" in outputs:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    if "seed" in df.columns:
        df["seed"] = df["seed"].astype("Int64")
    return df


def sweep(what, dist, d, T, init=None, lr=None, seed=None, out=None, *, masked=False, m=None, m_test=None,
          epochs=None, claims=None, quick=False, scheduler=None, workers=None, client=None, budget=600.0,
          memory=4096, max_points=None, time_limit=None, progress=True, plot=True, plot_metric=None,
          plot_x=None, plot_lines=None, heatmap=False, argv=None):
    """Run ``what`` over a grid and return one row per grid point as a pandas DataFrame.

    Parameters
    ----------
    what : str
        derive-limit, invariance, recovery, flow, full-flow, simulate or verify.
    dist : str or list of str
        Laws or families of laws (:mod:`mesacheck.sweep.families`): ``'gaussian:sigma=0.5,1,2'``,
        ``'mixture:p*[1,0]+(1-p)*[0,1]; p=0.1..0.9:0.1'``.
    d, T, init, lr, seed : LIST text or Python values
        Grid axes (:mod:`mesacheck.sweep.lists`): ``d='2..8'``, ``T=[10, 100, 'oo']``,
        ``init=['0.1,0.1', (2, 2)]``, ``lr='1e-4,1e-3'``, ``seed='0..4'``. init, lr and seed only
        for the WHATs that take them (flow, full-flow: init; simulate: all three; verify: seed).
    out : str, optional
        Output folder: per-point records, results.{jsonl,csv,parquet}, summary.png, sweep.json.
        Without it nothing is written and nothing is resumed.
    masked, m, m_test, epochs, claims, quick
        Fixed settings of the WHATs that take them (masked flow; simulate's m, m_test, epochs;
        verify's claims and quick).
    scheduler : None, 'serial' or 'tcp://HOST:PORT'
        None: a local Dask cluster of ``workers`` processes (default: one per core), started and
        stopped here; an address: an existing Dask cluster; 'serial': one point after the other
        in this process. ``client``: an existing ``distributed.Client`` to use instead.
    budget, memory : float, optional
        Per-point wall-clock budget in seconds and memory budget in MiB, enforced where the point
        runs (:mod:`mesacheck.sweep.budget`); None for none.
    max_points, time_limit : optional
        Stop after computing this many new points, or after this many seconds; the rest stays
        pending for a rerun (``df.attrs['complete']`` is False).

    Returns
    -------
    pandas.DataFrame
        Inputs, status and reason, every output (float ``name`` and exact ``name_exact``), the
        verdicts, and seconds / peak memory / worker / run id / key per point. ``df.attrs`` holds
        counts (computed, reused, pending), ``complete``, the executor and the files written.
    """
    task = task_for(what)
    settings = _settings(task, masked, m, m_test, epochs, claims, quick)
    points = build_grid(what, dist, d, T, init, lr, seed, settings)
    budget = _positive("--budget", budget)
    memory = _positive("--memory", memory)
    workers = _positive("--workers", workers, integer=True)
    max_points = _positive("--max-points", max_points, integer=True)
    time_limit = _positive("--time-limit", time_limit)
    metric = _metric(task, plot_metric)
    if scheduler not in (None, execute.SERIAL) and not str(scheduler).startswith(SCHEMES):
        raise InputError(f"--scheduler: expected tcp://HOST:PORT (or 'serial'), got {scheduler!r}")

    if plot_x is not None or plot_lines is not None:  # checked before anything is computed
        import pandas as pd

        from mesacheck.sweep.plot import resolve_axis

        inputs = pd.DataFrame([p.input_columns() for p in points])
        resolve_axis(inputs, plot_x, "--plot-x")
        resolve_axis(inputs, plot_lines, "--plot-lines")
    store = Store(out) if out is not None else None
    records, todo = _plan(points, store.load() if store is not None else {}, budget, memory)
    reused = len(records)
    run_id = uuid.uuid4().hex[:12]
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    computed = 0

    def on_result(record):
        nonlocal computed
        record = {**record, "run_id": run_id, "mesacheck_version": __version__}
        if store is not None:
            store.save(record)
        records[record["key"]] = record
        computed += 1

    if max_points is not None:
        todo = todo[:max_points] if len(todo) > max_points else todo
    for kind, p in todo:
        if kind == "refused":
            on_result(_refusal(p))
    payloads = [p.payload(budget, memory) for kind, p in todo if kind == "run"]
    start = time.monotonic()
    desc = f"sweep {what}"
    info, stopped, interrupted = {"executor": "none (nothing to compute)", "workers": 0}, False, False
    try:
        if payloads and scheduler == execute.SERIAL:
            info, stopped = execute.run_serial(payloads, on_result, progress, time_limit, desc)
        elif payloads:
            info, stopped = execute.run_dask(payloads, on_result, progress, time_limit, desc, scheduler,
                                             workers, client)
    except KeyboardInterrupt:  # every finished point is on disk; write the tables, then stop
        interrupted = stopped = True
    elapsed = time.monotonic() - start
    df = table(points, records)
    pending = len(points) - len(df)
    files = []
    if store is not None:
        files = store.write_tables(df)
        if plot and len(df):
            from mesacheck.sweep.plot import resolve_axis, summary_plot

            files.append(summary_plot(df, store.path(PLOT), metric, resolve_axis(df, plot_x, "--plot-x"),
                                      resolve_axis(df, plot_lines, "--plot-lines"), heatmap,
                                      title=f"mesacheck sweep {what}: {metric}"))
        files.append(store.write_manifest({
            "what": what, "mesacheck_version": __version__, "command": argv,
            "grid": {"dist": [dist] if isinstance(dist, str) else list(dist), "d": _text(d), "T": _text(T),
                     "init": _text(init), "lr": _text(lr), "seed": _text(seed), "settings": settings},
            "points": len(points), "counts": {s: int((df["status"] == s).sum()) for s in STATUSES},
            "complete": pending == 0, "budgets": {"seconds": budget, "memory_mib": memory},
            "run": {"run_id": run_id, "started": started, "seconds": round(elapsed, 3), "computed": computed,
                    "reused": reused, "pending": pending, "executor": info.get("executor"),
                    "workers": info.get("workers")},
        }))
    df.attrs.update({"computed": computed, "reused": reused, "pending": pending, "complete": pending == 0,
                     "stopped": bool(stopped) or pending > 0, "executor": info, "seconds": elapsed,
                     "files": files, "run_id": run_id})
    if progress:
        print(f"sweep {what}: {len(df)}/{len(points)} points "
              f"({computed} computed, {reused} reused) in {elapsed:.1f} s", file=sys.stderr, flush=True)
    if interrupted:
        raise KeyboardInterrupt
    return df


def _text(value):
    if value is None or isinstance(value, str):
        return value
    try:
        return [str(v) for v in value]
    except TypeError:
        return str(value)
