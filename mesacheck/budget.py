"""Whole-run time budgets: a deadline that ends a command with a ``timeout`` outcome (exit code 3).

A :class:`Deadline` is a context manager used from the main thread around the whole work of a
command. When the budget runs out, :class:`Timeout` is raised in the main thread at the next
Python bytecode. ``Timeout`` derives from BaseException, not Exception, so that code which
records ordinary exceptions as failed checks (``except Exception``) cannot swallow it.

Mechanisms, in order of preference:

* SIGALRM through ``signal.setitimer`` (POSIX, main thread). Deadlines nest: the previous
  SIGALRM handler and the remaining time of a previous timer are restored on exit, and an outer
  timer that is due first still fires.
* Elsewhere (no ``setitimer``, e.g. Windows): a timer thread that calls
  ``_thread.interrupt_main(SIGINT)``; the SIGINT handler installed here turns it into Timeout
  (a real Ctrl-C stays a KeyboardInterrupt).
* A Timeout raised while the interpreter runs a gc callback or a ``__del__`` is reported as
  "unraisable" and lost; the alarm therefore fires again every REFIRE_S seconds until the
  Deadline is left, and :attr:`Deadline.fired` stays set for a final cooperative check.
* Outside the main thread nothing can be interrupted: only the cooperative :meth:`Deadline.check`
  works there.

With ``hard_exit=True`` (the console-script process only, never in-process callers such as the
tests) a watchdog thread also ends the process with exit code 3 after ``grace`` seconds past the
deadline, for work stuck in one long C call that never returns to the interpreter.

Cost estimates (``refuse_if_over``) let a command refuse *before* starting when the estimated
cost already exceeds the budget.
"""
import math
import os
import signal
import sys
import threading
import time

from mesacheck.errors import EXIT_TIMEOUT, BudgetError

#: largest accepted budget in seconds (setitimer overflows near 1e300; 1e6 s is 11.6 days).
MAX_BUDGET_S = 1e6
#: seconds between repeated Timeouts once the budget has run out. An exception raised from a signal
#: handler is lost when the signal lands in a gc callback or a __del__ (Python reports it as
#: "unraisable" and goes on), so the alarm keeps firing until the Deadline is left.
REFIRE_S = 0.05
#: default whole-run budgets in seconds (stated in each command's --help).
DEFAULT_BUDGET_S = {"derive": 300.0, "flow": 1800.0, "verify": 900.0, "latex": 900.0}


class Timeout(BaseException):
    """The whole-run budget ran out (raised in the main thread by an active Deadline)."""

    def __init__(self, seconds, what):
        super().__init__(f"the time budget of {seconds:g} s ran out during {what} "
                         "(raise it with --budget SECONDS)")
        self.seconds = seconds
        self.what = what


class Deadline:
    """A wall-clock budget of ``seconds`` for the work done inside ``with Deadline(...):``.

    Parameters
    ----------
    seconds : float or None
        The budget; None means no limit (the object still answers ``remaining()`` with inf).
    what : str
        What is running, for the message (may be updated through ``deadline.what``).
    hard_exit : bool
        Also start a watchdog thread that prints one line and calls ``os._exit(3)`` when the
        work is still running ``grace`` seconds after the deadline.
    grace : float or None
        Seconds past the deadline before the hard exit (default max(5, 10% of the budget)).
    """

    def __init__(self, seconds, what="the run", hard_exit=False, grace=None):
        if seconds is not None:
            seconds = float(seconds)
            if not (0 < seconds <= MAX_BUDGET_S):
                raise BudgetError(f"a time budget must be in (0, {MAX_BUDGET_S:g}] seconds, got {seconds!r}")
        self.seconds = seconds
        self.what = what
        self.hard_exit = hard_exit
        self.grace = max(5.0, 0.1 * seconds) if grace is None and seconds else grace
        self.start = None
        self.fired = False
        self._done = threading.Event()
        self._restore = None
        self._acknowledged = False

    # -- queries --------------------------------------------------------------------------------
    @property
    def deadline(self):
        """time.monotonic() value at which the budget runs out (inf without a budget)."""
        if self.seconds is None or self.start is None:
            return math.inf
        return self.start + self.seconds

    def remaining(self):
        """Seconds left (inf without a budget)."""
        return self.deadline - time.monotonic()

    def check(self):
        """Raise Timeout if the budget has run out or the alarm has fired (cooperative check for
        loops and threads, and for a Timeout that was swallowed where it was raised)."""
        if self.fired or self.remaining() <= 0:
            self.fired = True
            raise Timeout(self.seconds, self.what)

    def acknowledge(self):
        """Stop the repeated Timeouts: the caller caught one and is reporting what finished.

        The budget stays spent (:meth:`check` still raises); only the alarm is silenced until
        the Deadline is left.
        """
        self._acknowledged = True

    # -- context manager --------------------------------------------------------------------------
    def __enter__(self):
        self.start = time.monotonic()
        if self.seconds is None:
            return self
        if threading.current_thread() is threading.main_thread():
            if hasattr(signal, "setitimer"):
                self._restore = self._arm_sigalrm()
            else:  # pragma: no cover - platforms without setitimer
                self._restore = self._arm_interrupt_thread()
        if self.hard_exit:
            threading.Thread(target=self._watchdog, name="mesacheck-watchdog", daemon=True).start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self._done.set()
        if self._restore is not None:
            self._restore()
            self._restore = None
        return False

    # -- mechanisms -----------------------------------------------------------------------------
    def _arm_sigalrm(self):
        previous_handler = signal.getsignal(signal.SIGALRM)
        previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, 0)
        armed_at = time.monotonic()
        outer_due = armed_at + previous_delay if previous_delay > 0 else math.inf

        def on_alarm(signum, frame):
            now = time.monotonic()
            if self._acknowledged:
                return
            if now >= self.deadline - 1e-3:
                self.fired = True
                signal.setitimer(signal.ITIMER_REAL, REFIRE_S)  # in case this one is swallowed
                raise Timeout(self.seconds, self.what)
            # An outer timer was due first: hand the signal on, then re-arm for our deadline.
            if callable(previous_handler):
                previous_handler(signum, frame)
            signal.setitimer(signal.ITIMER_REAL, max(self.deadline - time.monotonic(), 1e-3))

        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(1e-3, min(self.deadline, outer_due) - armed_at))

        def restore():
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_handler)
            if outer_due < math.inf:
                signal.setitimer(signal.ITIMER_REAL, max(outer_due - time.monotonic(), 1e-3),
                                 previous_interval)
        return restore

    def _arm_interrupt_thread(self):  # pragma: no cover - platforms without setitimer
        import _thread

        previous = signal.getsignal(signal.SIGINT)
        expired = threading.Event()

        def on_int(signum, frame):
            if expired.is_set():
                self.fired = True
                raise Timeout(self.seconds, self.what)
            if callable(previous):
                return previous(signum, frame)
            raise KeyboardInterrupt

        def fire():
            if not self._done.is_set():
                expired.set()
                _thread.interrupt_main(signal.SIGINT)

        signal.signal(signal.SIGINT, on_int)
        timer = threading.Timer(self.seconds, fire)
        timer.daemon = True
        timer.start()

        def restore():
            timer.cancel()
            signal.signal(signal.SIGINT, previous)
        return restore

    def _watchdog(self):
        if self._done.wait(self.seconds + self.grace):
            return
        sys.stderr.write(f"mesacheck: timeout: {Timeout(self.seconds, self.what)}; "
                         f"stopped {self.grace:g} s later while stuck in a long computation\n")
        sys.stderr.flush()
        os._exit(EXIT_TIMEOUT)


def refuse_if_over(estimate_s, budget_s, what, basis):
    """Raise BudgetError when a cost estimate (seconds; math.inf = intractable) exceeds the budget.

    ``basis`` says how the estimate was obtained (it is part of the one-line message).
    """
    if budget_s is None or estimate_s is None or estimate_s <= budget_s:
        return
    shown = "unbounded" if math.isinf(estimate_s) else f"about {estimate_s:.3g} s"
    raise BudgetError(f"{what}: estimated time {shown} exceeds --budget {budget_s:g} s ({basis}); "
                      "refused before starting")


# -- cost model of the symbolic engine (lower bounds, for refusing early) -----------------------------
#: Seconds per unit, measured on the engine of commit b52d9e1 on the 2-core development machine and
#: divided by 3, so that they bound the cost from below there: a refusal is then certain to be
#: right, and a run the model lets through may still end in a timeout. Re-measure when the
#: symbolic engine changes (mesacheck.symbolic.reduced / diagonal).
COST_PER_D3 = 2e-4        # structured_coefficients: ~6e-4 d^3 s (d = 10..50, T = 100)
COST_PER_T = 3e-5         # structured_coefficients at a concrete T: ~9e-5 T s (d = 5, T <= 30000)
COST_DIAGONAL_PER_T2 = 4e-5   # diagonal system at a concrete T: ~1.3e-4 T^2 s (d = 3, T = 200..800)
COST_BASIS = ("lower-bound cost model of the symbolic engine measured at commit b52d9e1, "
              "mesacheck.budget.COST_*")


def structured_coefficients_seconds(d, T):
    """Lower bound of the time of structured_coefficients(dist, d, T); T an int or None (symbolic)."""
    return COST_PER_D3 * d**3 + (COST_PER_T * T if T is not None else 0.0)


def diagonal_seconds(T):
    """Lower bound of the time of the diagonal system (d <= 3) at a concrete T."""
    return COST_DIAGONAL_PER_T2 * T**2


def derive_seconds(what, dist, d, T):
    """(lower bound of the time of ``mesacheck derive WHAT``, how it was obtained).

    The time is math.inf for an intractable question and None when unknown. ``d``: an int or a
    symbol; ``T``: an int or 'oo'.
    """
    if not isinstance(d, int):
        return None, COST_BASIS
    if what in ("limit", "diagonal") and dist.is_symbolic and not dist.is_exchangeable and d >= 2:
        return math.inf, ("the diagonal system's stationary point would need sympy.solve on a polynomial "
                          "system whose coefficients are symbolic moments; give numeric parameters or d = 1")
    if what == "diagonal" or (what == "limit" and not dist.is_exchangeable):
        return (diagonal_seconds(T) if T != "oo" else None), COST_BASIS
    if what in ("limit", "ode", "recovery"):
        return structured_coefficients_seconds(d, None), COST_BASIS
    return None, COST_BASIS


def flow_seconds(d, T):
    """Lower bound of the time of any ``mesacheck flow``: the exact coefficients at concrete T."""
    return structured_coefficients_seconds(d, T)
