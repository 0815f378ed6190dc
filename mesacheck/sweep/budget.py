"""Per-point time and memory budgets, enforced where the point runs (a Dask worker, or this process).

A point runs in a child process forked for it: the child lowers its address-space limit
(``RLIMIT_AS``) to its size at the fork plus the memory budget, so an allocation beyond the budget
fails inside the point (MemoryError: the point is 'refused' with that reason) and nowhere else;
the parent waits for the answer on a pipe and kills the child when the time budget runs out
('timeout'). Neither outcome touches the worker, so the sweep goes on. A thread cannot be stopped
and a Dask worker cannot limit one task's memory, which is why a process per point is used.

The fork is the plain ``os.fork``: Dask runs its workers as daemonic processes, which
``multiprocessing`` forbids to have children. Where ``os.fork`` does not exist the point runs in
the calling thread with no budget (stated in the result's reason column).
"""
import os
import pickle
import select
import signal
import time
import warnings
from dataclasses import dataclass
from typing import Any

from mesacheck.errors import MesacheckError

OK, FAILED, TIMEOUT, REFUSED = "ok", "failed", "timeout", "refused"
MIB = 2**20


@dataclass
class Outcome:
    """How a budgeted call ended: status, reason (empty when ok), the result (ok only), the
    wall-clock time spent computing (s), the peak resident memory of the point's process (MiB),
    which budget stopped it ('time', 'memory' or ''), and the CPU time of the computation (s)."""

    status: str
    reason: str
    result: Any = None
    seconds: float = 0.0
    peak_rss_mb: float = float("nan")
    budget_limited: str = ""
    cpu_seconds: float = float("nan")


def one_line(exc):
    """An exception's message on one line (its type name when it has none)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


#: glibc mallopt parameters, and the values a point's short-lived process uses
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD, _TRIM_THRESHOLD = 32 * MIB, 64 * MIB


def _tune_malloc():
    """Let this short-lived process keep freed memory for reuse. Dask starts its workers with
    MALLOC_TRIM_THRESHOLD_=65536, which makes glibc map and unmap every array of 128 KiB or more
    (the simulator then runs 4x slower); a point's process exits soon, so it gives the memory back
    anyway. No-op where glibc's mallopt is missing."""
    import ctypes

    try:
        libc = ctypes.CDLL(None)  # the running program's symbols, glibc's among them
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    except (OSError, AttributeError):
        pass


def _call(fn, arg, memory_mb):
    """Run ``fn(arg)`` in this (child) process; the pickled (status, reason, result, s, MiB)."""
    import resource

    _tune_malloc()

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if memory_mb:
        import psutil

        limit = psutil.Process().memory_info().vms + int(memory_mb * MIB)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    start, cpu0 = time.perf_counter(), time.process_time()
    result, limited = None, ""
    try:
        result = fn(arg)
        status, reason = OK, ""
    except MemoryError:
        status, reason, limited = REFUSED, f"exceeded the memory budget of {memory_mb:g} MiB", "memory"
    except MesacheckError as exc:
        status, reason = REFUSED, one_line(exc)
    except Exception as exc:  # noqa: BLE001 - any other failure is recorded, never raised
        status, reason = FAILED, f"{type(exc).__name__}: {one_line(exc)}"
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu0
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))  # room to send the answer
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    try:
        return pickle.dumps((status, reason, result, seconds, peak, limited, cpu))
    except Exception as exc:  # noqa: BLE001
        reason = f"the result could not be sent: {one_line(exc)}"
        return pickle.dumps((FAILED, reason, None, seconds, peak, "", cpu))


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _reap(pid, kill):
    if kill:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return os.waitpid(pid, 0)[1]


def run_budgeted(fn, arg, seconds=None, memory_mb=None):
    """``fn(arg)`` under a wall-clock budget of ``seconds`` and a memory budget of ``memory_mb``
    MiB (None: no budget); returns an :class:`Outcome`. ``fn`` and its result must be picklable
    plain data for the trip back; exceptions become 'refused' (mesacheck's own, deliberate
    refusals, and MemoryError) or 'failed' (anything else)."""
    if not hasattr(os, "fork"):
        start = time.perf_counter()
        try:
            return Outcome(OK, "no budget (os.fork unavailable)", fn(arg), time.perf_counter() - start)
        except MesacheckError as exc:
            return Outcome(REFUSED, one_line(exc), None, time.perf_counter() - start)
        except Exception as exc:  # noqa: BLE001
            return Outcome(FAILED, f"{type(exc).__name__}: {one_line(exc)}", None, time.perf_counter() - start)
    r, w = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork in a multi-threaded worker
        pid = os.fork()
    if pid == 0:  # the child: compute, answer, and leave without running the parent's cleanup
        code = 0
        try:
            os.close(r)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt means
            _write_all(w, _call(fn, arg, memory_mb))
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    start = time.monotonic()
    chunks, timed_out = [], False
    try:
        while True:
            remaining = None if seconds is None else seconds - (time.monotonic() - start)
            if remaining is not None and remaining <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([r], [], [], remaining)
            if not ready:
                timed_out = True
                break
            chunk = os.read(r, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except BaseException:
        _reap(pid, kill=True)
        raise
    finally:
        os.close(r)
    wall = time.monotonic() - start
    status = _reap(pid, kill=timed_out)
    if timed_out:
        return Outcome(TIMEOUT, f"exceeded the time budget of {seconds:g} s", None, wall,
                       budget_limited="time")
    if chunks:
        try:
            st, reason, result, secs, peak, limited, cpu = pickle.loads(b"".join(chunks))
            return Outcome(st, reason, result, secs, peak, limited, cpu)
        except Exception as exc:  # noqa: BLE001 - a truncated answer
            return Outcome(FAILED, f"the point's answer was unreadable: {one_line(exc)}", None, wall)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        hint = f" (possibly the memory budget of {memory_mb:g} MiB)" if memory_mb else ""
        return Outcome(FAILED, f"the point's process was killed by signal {sig}{hint}", None, wall,
                       budget_limited="memory" if memory_mb else "")
    return Outcome(FAILED, f"the point's process exited with code {os.WEXITSTATUS(status)} without an answer",
                   None, wall)
