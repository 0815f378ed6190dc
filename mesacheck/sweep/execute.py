"""Where a sweep's points run: on Dask (a local cluster started for the sweep, or an existing one),
or one after the other in this process (``scheduler='serial'``, for debugging and as the baseline
of the speed-up benchmark).

Scheduling, retries (a point whose worker dies is given to another worker by the scheduler, up to
``distributed.scheduler.allowed-failures`` times) and the dashboard all come from Dask. Results are
handed to ``on_result`` as they complete, in completion order, so the caller can write each point
to disk before the next one arrives.
"""
import logging
import os
import sys
import time
from contextlib import contextmanager

from mesacheck.errors import InputError
from mesacheck.sweep.budget import FAILED, one_line
from mesacheck.sweep.worker import run_point

SERIAL = "serial"
#: how long to keep trying to reach an existing scheduler
CONNECT_TIMEOUT = "15s"


def default_workers():
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _bar(total, desc, progress):
    from tqdm import tqdm

    # disable=None: shown on a terminal, silent in pipes and logs.
    return tqdm(total=total, desc=desc, unit="point", file=sys.stderr, disable=None if progress else True,
                leave=False)


def _say(progress, text):
    if progress:
        print(text, file=sys.stderr, flush=True)


def run_serial(payloads, on_result, progress=True, time_limit=None, desc="sweep"):
    """Run the points here, one after the other; returns (info, stopped)."""
    start = time.monotonic()
    stopped = False
    with _bar(len(payloads), desc, progress) as bar:
        for p in payloads:
            if time_limit is not None and time.monotonic() - start >= time_limit:
                stopped = True
                break
            on_result(run_point(p))
            bar.update(1)
    return {"executor": SERIAL, "workers": 1, "dashboard": None}, stopped


@contextmanager
def dask_client(scheduler=None, workers=None, client=None, progress=True):
    """A distributed Client: the one given, one connected to ``scheduler`` (tcp://HOST:PORT), or
    one on a LocalCluster of ``workers`` single-threaded worker processes started here and closed
    on exit. Yields (client, info)."""
    if client is not None:
        yield client, {"executor": "dask", "workers": len(client.scheduler_info()["workers"]),
                       "dashboard": client.dashboard_link}
        return
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            c = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"--scheduler {scheduler}: cannot connect: {one_line(exc)}") from None
        try:
            n = len(c.scheduler_info()["workers"])
            if n == 0:
                _say(progress, f"sweep: the scheduler at {scheduler} has no workers yet; waiting for one")
                c.wait_for_workers(1, timeout=60)
                n = len(c.scheduler_info()["workers"])
            yield c, {"executor": "dask", "workers": n, "dashboard": c.dashboard_link, "scheduler": scheduler}
        finally:
            c.close()
        return
    n = workers or default_workers()
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=logging.ERROR)
    try:
        c = Client(cluster)
        try:
            yield c, {"executor": "dask-local", "workers": n, "dashboard": c.dashboard_link}
        finally:
            c.close()
    finally:
        cluster.close()


def _failure(payload_key, exc):
    """The record of a point whose task did not return (its worker died, the task was lost)."""
    return {"key": payload_key, "status": FAILED, "retry": True, "outputs": {},
            "reason": f"the task did not complete on Dask ({type(exc).__name__}: {one_line(exc)})",
            "seconds": float("nan"), "cpu_seconds": float("nan"), "wall_seconds": float("nan"),
            "peak_rss_mb": float("nan"),
            "budget_limited": "", "worker": "", "finished_at": ""}


def run_dask(payloads, on_result, progress=True, time_limit=None, desc="sweep", scheduler=None,
             workers=None, client=None):
    """Run the points on Dask; returns (info, stopped). ``time_limit``: seconds after which the
    points not yet finished are cancelled (they stay pending for a rerun)."""
    from distributed import as_completed
    from distributed.client import FutureCancelledError

    with dask_client(scheduler, workers, client, progress) as (c, info):
        _say(progress, f"sweep: {len(payloads)} points on {info['workers']} Dask worker(s)"
             + (f"; dashboard {info['dashboard']}" if info.get("dashboard") else ""))
        if not payloads:
            return info, False
        what = payloads[0]["what"]
        futures = c.map(run_point, payloads, key=[f"{what}-{p['key']}" for p in payloads], retries=1)
        by_key = {f.key: p["key"] for f, p in zip(futures, payloads)}
        stopped = False
        try:
            with _bar(len(payloads), desc, progress) as bar:
                for fut in as_completed(futures, timeout=time_limit):
                    if fut.status == "finished":
                        on_result(fut.result())
                    elif fut.status == "error":
                        on_result(_failure(by_key[fut.key], fut.exception()))
                    else:
                        continue  # cancelled elsewhere: stays pending
                    bar.update(1)
        except (TimeoutError, FutureCancelledError):
            stopped = True
        finally:
            c.cancel([f for f in futures if not f.done()])
            del futures
        return info, stopped
