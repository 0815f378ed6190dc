"""What runs on a worker for one grid point: the adapter under the point's budgets, and the
conversion of its answer to table columns (exact text via the project's one printer, and float).

:func:`run_point` takes and returns plain data only, so it can travel to any Dask worker that has
mesacheck installed.
"""
import datetime
import math
import os
import socket
import time

from mesacheck.sweep.budget import OK, run_budgeted

#: digits of the numerical evaluation of an exact value before it is rounded to a float
FLOAT_DIGITS = 30


def to_float(value):
    """The float of an output value: exact numbers evaluated to FLOAT_DIGITS digits first; NaN
    for symbolic or non-real values."""
    import sympy

    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, sympy.Basic):
        if value.free_symbols:
            return math.nan
        try:
            z = complex(sympy.N(value, FLOAT_DIGITS))
        except (TypeError, ValueError):
            return math.nan
        return z.real if z.imag == 0 else math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def to_exact(value):
    """Exact text of an output value (the project's printer), or None for a float result."""
    import sympy

    from mesacheck.symbolic import printing

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, sympy.Basic):
        return printing.text(value)
    return None


def verdict_text(value):
    """A verdict as text: bools as true/false, everything else as printed."""
    if isinstance(value, bool) or type(value).__name__ in ("BooleanTrue", "BooleanFalse"):
        return "true" if bool(value) else "false"
    return str(value)


def columns(values, verdicts):
    """Flat columns of an adapter's answer: ``name`` (float) and ``name_exact`` (text) per value,
    tuples as ``name_1``, ``name_2``, ...; ``name`` (text) per verdict."""
    out = {}
    for name, value in values.items():
        if isinstance(value, tuple):
            items = [(f"{name}_{k + 1}", v) for k, v in enumerate(value)]
        else:
            items = [(name, value)]
        for col, v in items:
            out[col] = to_float(v)
            out[col + "_exact"] = to_exact(v)
    for name, value in verdicts.items():
        out[name] = verdict_text(value)
    return out


def compute(payload):
    """Run the WHAT's adapter on one point and return its columns (in the point's process)."""
    from mesacheck.sweep.tasks import TASKS, PointArgs

    init = tuple(float(x) for x in payload["init"]) if payload.get("init") is not None else None
    args = PointArgs(dist=payload["dist"], d=int(payload["d"]), T=payload["T"], init=init,
                     lr=None if payload.get("lr") is None else float(payload["lr"]),
                     seed=payload.get("seed"), settings=dict(payload.get("settings") or {}))
    values, verdicts = TASKS[payload["what"]].run(args)
    return columns(values, verdicts)


def run_point(payload):
    """One grid point: the adapter under ``payload['budget_s']`` seconds and
    ``payload['memory_mb']`` MiB, as a result record (status, reason, columns, timings, worker)."""
    from mesacheck.sweep.tasks import prepare, warm

    prepare(payload["what"])  # imports paid once per worker, not once per point
    warm(payload["what"], int(payload["d"]))  # compiled kernels too, once per d
    start = time.perf_counter()
    outcome = run_budgeted(compute, payload, payload.get("budget_s"), payload.get("memory_mb"))
    return {
        "key": payload["key"],
        "status": outcome.status,
        "reason": outcome.reason,
        "outputs": outcome.result if outcome.status == OK else {},
        "seconds": outcome.seconds,
        "cpu_seconds": outcome.cpu_seconds,
        "wall_seconds": time.perf_counter() - start,
        "peak_rss_mb": outcome.peak_rss_mb,
        "budget_limited": outcome.budget_limited,
        "budget_s": payload.get("budget_s"),
        "memory_mb": payload.get("memory_mb"),
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
