"""Verdicts: one ``Check`` per checked statement, one ``ClaimReport`` per claim.

A check runs a function returning ``(passed, detail)``; the function holds no mathematics of
its own beyond comparing a library result with an independent oracle. Outcomes:

* ``pass`` / ``fail``: the comparison held / did not hold (``passed`` True / False);
* ``undefined``: the quantity does not exist for this input (an UndefinedError, e.g. an
  infinite moment), ``passed`` None;
* ``timeout``: the check exceeded its time budget, ``passed`` None;
* ``failed``: the check raised an unexpected exception (recorded with its message), ``passed``
  None. An exception is never a pass.

A claim passes only when every one of its checks has status ``pass``.
"""
import signal
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Optional

from mesacheck.errors import UndefinedError

METHODS = ("symbolic", "numeric", "property", "monte-carlo")
STATUSES = ("pass", "fail", "undefined", "timeout", "failed")


@dataclass
class Settings:
    """What a claim module is run with: law override, d, T, quick flag, seed, per-check budget."""

    dist: Optional[str] = None
    d: Optional[int] = None
    T: Optional[int] = None
    quick: bool = False
    seed: int = 0
    budget: Optional[float] = None

    def to_json(self):
        return {"dist": self.dist, "d": self.d, "T": self.T, "quick": self.quick, "seed": self.seed,
                "budget": self.budget}


@dataclass
class Check:
    """One checked statement and its outcome."""

    claim: str
    statement: str
    method: str
    passed: Optional[bool] = None
    status: str = "undefined"
    detail: str = ""
    tolerance: str = "exact"
    seconds: float = 0.0

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    def to_json(self):
        return {"claim": self.claim, "statement": self.statement, "method": self.method,
                "passed": self.passed, "status": self.status, "detail": self.detail,
                "tolerance": self.tolerance, "seconds": round(self.seconds, 3)}


class CheckTimeout(Exception):
    """Raised inside a check when its time budget is exhausted."""


def _call_with_budget(fn, budget):
    """fn() with a wall-clock budget (SIGALRM, main thread only; elsewhere no budget)."""
    usable = (budget is not None and budget > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        return fn()

    def _alarm(signum, frame):
        raise CheckTimeout(f"exceeded the budget of {budget:g} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_check(claim, statement, method, tolerance, fn, budget=None):
    """Run ``fn() -> (passed: bool, detail: str)`` and record it as a Check (see module doc)."""
    start = time.perf_counter()
    try:
        passed, detail = _call_with_budget(fn, budget)
        passed = bool(passed)
        status = "pass" if passed else "fail"
    except CheckTimeout as exc:
        passed, status, detail = None, "timeout", str(exc)
    except UndefinedError as exc:
        passed, status, detail = None, "undefined", str(exc)
    except Exception as exc:  # noqa: BLE001 - recorded, never a pass
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}"
        passed, status, detail = None, "failed", f"{type(exc).__name__}: {exc} (at {where})"
    return Check(claim, statement, method, passed, status, str(detail), tolerance,
                 time.perf_counter() - start)


@dataclass
class ClaimReport:
    """The checks of one claim, the settings used, and the derivations they read."""

    claim: str
    title: str
    checks: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    derivations: list = field(default_factory=list)
    budget: Optional[float] = None

    @property
    def passed(self):
        """True when there is at least one check and every check has status 'pass'."""
        return bool(self.checks) and all(c.status == "pass" for c in self.checks)

    @property
    def seconds(self):
        return sum(c.seconds for c in self.checks)

    def add(self, statement, method, tolerance, fn):
        """Run ``fn`` as a check of this claim, append it and return it."""
        check = run_check(self.claim, statement, method, tolerance, fn, self.budget)
        self.checks.append(check)
        return check

    def derivation(self, label, build):
        """Compute a derivation once and keep it (for the LaTeX report): ``build()`` -> Derivation.

        Returns the Derivation, or None when building it raised (the error is recorded as a
        'failed' / 'undefined' check so it cannot pass silently).
        """
        holder = {}

        def go():
            holder["der"] = build()
            return True, "derived"

        check = run_check(self.claim, f"derive {label}", "symbolic", "exact", go, self.budget)
        if check.status != "pass":
            self.checks.append(check)
            return None
        self.derivations.append((label, holder["der"]))
        return holder["der"]

    def to_json(self):
        return {"claim": self.claim, "title": self.title, "passed": self.passed,
                "seconds": round(self.seconds, 3), "settings": dict(self.settings),
                "checks": [c.to_json() for c in self.checks]}

    def table(self, width=None):
        """Plain-text table: statement, method, result, tolerance, time (and details of non-passes)."""
        return format_table([self], width)


def _clip(text, n):
    return text if len(text) <= n else text[: n - 3] + "..."


def format_table(reports, width=None):
    """One plain-text table over several claim reports, with a summary line per claim."""
    rows = []
    for rep in reports:
        for c in rep.checks:
            rows.append((c.claim, c.statement, c.method, c.status.upper(), c.tolerance, f"{c.seconds:.2f}s"))
    heads = ("claim", "statement", "method", "result", "tolerance", "time")
    stmt_w = min(70, max([len(heads[1])] + [len(r[1]) for r in rows]))
    widths = [max([len(heads[i])] + [len(_clip(r[i], stmt_w if i == 1 else 40)) for r in rows]) for i in range(6)]
    widths[1] = stmt_w

    def line(cells):
        return "  ".join(_clip(c, widths[i]).ljust(widths[i]) for i, c in enumerate(cells)).rstrip()

    out = [line(heads), line(["-" * w for w in widths])]
    for rep in reports:
        for c in rep.checks:
            out.append(line((c.claim, c.statement, c.method, c.status.upper(), c.tolerance, f"{c.seconds:.2f}s")))
            if c.status != "pass" or len(c.statement) > stmt_w:
                if len(c.statement) > stmt_w:
                    out.append("      statement: " + c.statement)
            out.append("      " + _clip(c.detail.replace("\n", " "), 400))
    out.append("")
    for rep in reports:
        n_pass = sum(c.status == "pass" for c in rep.checks)
        verdict = "PASS" if rep.passed else "FAIL"
        out.append(f"{rep.claim} {verdict}: {n_pass}/{len(rep.checks)} checks pass ({rep.seconds:.1f}s) - {rep.title}")
    return "\n".join(out)
