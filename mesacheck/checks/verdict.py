"""Verdicts: one ``Check`` per checked statement, one ``ClaimReport`` per claim.

A check compares TWO INDEPENDENT ROUTES to one quantity and says which: ``route1`` is the
derivation under test, ``route2`` an oracle computed another way (a different algorithm, a hand
closed form, an exact enumeration, or Monte Carlo with a derived error bound). Its function
returns an :class:`mesacheck.checks.compare.Outcome`: pass or fail, the compared values, and for
Monte Carlo the bound on the probability of a false failure. Outcomes:

* ``pass`` / ``fail``: the comparison held / did not hold;
* ``undefined``: the quantity does not exist for this input (an UndefinedError, e.g. an
  infinite moment); ``timeout``: the check exceeded its time budget; ``failed``: the check raised
  an unexpected exception (recorded with its message). None of these is ever a pass.

A claim passes only when every one of its checks has status ``pass``. Every check has a stable
``id`` (``C2.limit-anchor``); the fault-injection tests address checks by it.
"""
import signal
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Optional

from mesacheck.checks.compare import Outcome
from mesacheck.errors import UndefinedError

METHODS = ("symbolic", "numeric", "enumeration", "property", "monte-carlo")
STATUSES = ("pass", "fail", "undefined", "timeout", "failed")


@dataclass
class Settings:
    """What a claim module is run with: law override, d, T, quick flag, seed, per-check budget,
    and ``only`` (a set of check ids: the others are skipped; None runs all)."""

    dist: Optional[str] = None
    d: Optional[int] = None
    T: Optional[int] = None
    quick: bool = False
    seed: int = 0
    budget: Optional[float] = None
    only: Optional[frozenset] = None

    def to_json(self):
        return {"dist": self.dist, "d": self.d, "T": self.T, "quick": self.quick, "seed": self.seed,
                "budget": self.budget}


@dataclass
class Check:
    """One checked statement: its two routes, the compared values, and its outcome."""

    claim: str
    id: str
    statement: str
    method: str
    route1: str
    route2: str
    passed: Optional[bool] = None
    status: str = "undefined"
    detail: str = ""
    tolerance: str = "exact"
    compared: tuple = ()
    false_failure: Optional[float] = None
    seconds: float = 0.0

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    def to_json(self, timings=True):
        out = {"claim": self.claim, "id": self.id, "statement": self.statement, "method": self.method,
               "route1": self.route1, "route2": self.route2, "passed": self.passed,
               "status": self.status, "detail": self.detail, "tolerance": self.tolerance,
               "compared": [{"quantity": q, "route1": v1, "route2": v2} for q, v1, v2 in self.compared],
               "false_failure_bound": self.false_failure}
        if timings:
            out["seconds"] = round(self.seconds, 3)
        return out


class CheckTimeout(Exception):
    """Raised inside a check when its time budget is exhausted."""


def _call_with_budget(fn, budget):
    """fn() with a wall-clock budget (SIGALRM, main thread only; elsewhere no budget)."""
    usable = (budget is not None and 0 < budget < 1e7 and hasattr(signal, "setitimer")
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


def run_check(claim, id, statement, method, route1, route2, tolerance, fn, budget=None):
    """Run ``fn() -> Outcome`` (or ``(passed, detail)``) and record it as a Check."""
    start = time.perf_counter()
    compared, ff = (), None
    try:
        out = _call_with_budget(fn, budget)
        if not isinstance(out, Outcome):
            out = Outcome(*out)
        passed, detail, compared, ff = bool(out.passed), out.detail, tuple(out.compared), out.false_failure
        status = "pass" if passed else "fail"
    except CheckTimeout as exc:
        passed, status, detail = None, "timeout", str(exc)
    except UndefinedError as exc:
        passed, status, detail = None, "undefined", str(exc)
    except Exception as exc:  # noqa: BLE001 - recorded, never a pass
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}"
        passed, status, detail = None, "failed", f"{type(exc).__name__}: {exc} (at {where})"
    return Check(claim, id, statement, method, route1, route2, passed, status, str(detail), tolerance,
                 compared, ff, time.perf_counter() - start)


@dataclass
class ClaimReport:
    """The checks of one claim, the settings used, and the derivations they read."""

    claim: str
    title: str
    checks: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    derivations: list = field(default_factory=list)
    budget: Optional[float] = None
    only: Optional[frozenset] = None
    skipped: list = field(default_factory=list)

    @property
    def passed(self):
        """True when there is at least one check and every check has status 'pass'."""
        return bool(self.checks) and all(c.status == "pass" for c in self.checks)

    @property
    def verdict(self):
        """'PASS', 'FAIL', or 'N/A': the claim is not about this input (a statement was skipped as
        not applicable) and every check that did run passed."""
        if any(c.status != "pass" for c in self.checks):
            return "FAIL"
        if any(s.get("not_applicable") for s in self.skipped) or (not self.checks and self.skipped):
            return "N/A"
        return "PASS" if self.passed else "FAIL"

    @property
    def seconds(self):
        return sum(c.seconds for c in self.checks)

    @property
    def false_failure(self):
        """Sum of the checks' false-failure bounds (a union bound for the claim)."""
        return sum(c.false_failure or 0.0 for c in self.checks)

    def wants(self, id):
        """Whether check ``id`` is to run (all run unless ``only`` names some)."""
        return self.only is None or id in self.only

    def add(self, id, statement, method, route1, route2, tolerance, fn):
        """Run ``fn`` as check ``id`` of this claim (unless filtered out), append it, return it."""
        full_id = f"{self.claim}.{id}"
        if not self.wants(full_id):
            return None
        check = run_check(self.claim, full_id, statement, method, route1, route2, tolerance, fn, self.budget)
        self.checks.append(check)
        return check

    def skip(self, id, statement, reason, not_applicable=False):
        """Record a check that cannot exist for this input (e.g. Monte Carlo without the moments).

        ``not_applicable``: the claim itself is not about this input (another law, or its
        assumption fails): the claim's verdict becomes N/A unless a check that did run fails.
        """
        self.skipped.append({"id": f"{self.claim}.{id}", "statement": statement, "reason": reason,
                             "not_applicable": bool(not_applicable)})

    def derivation(self, label, build):
        """Compute a derivation once and keep it (for the LaTeX report): ``build()`` -> Derivation.

        Returns the Derivation, or None when building it raised (the error is recorded as a
        'failed' / 'undefined' check so it cannot pass silently).
        """
        from mesacheck.errors import ReductionError

        start = time.perf_counter()
        try:
            der = _call_with_budget(build, self.budget)
        except ReductionError as exc:  # the claim's reduced system does not apply to this law
            self.skip("not-applicable", f"derive {label}", f"not applicable to this law: {exc}",
                      not_applicable=True)
            return None
        except Exception as exc:  # noqa: BLE001 - recorded as a check that did not pass
            error = exc

            def again():
                raise error
            check = run_check(self.claim, f"{self.claim}.derive", f"derive {label}", "symbolic",
                              "the derivation", "-", "exact", again)
            check.seconds = time.perf_counter() - start
            self.checks.append(check)
            return None
        self.derivations.append((label, der))
        return der

    def to_json(self, timings=True):
        out = {"claim": self.claim, "title": self.title, "passed": self.passed, "verdict": self.verdict,
               "settings": dict(self.settings), "false_failure_bound": self.false_failure,
               "checks": [c.to_json(timings) for c in self.checks], "skipped": list(self.skipped)}
        if timings:
            out["seconds"] = round(self.seconds, 3)
        return out

    def table(self):
        """Plain-text table of this claim's checks (see :func:`format_table`)."""
        return format_table([self])


def _clip(text, n):
    return text if len(text) <= n else text[: n - 3] + "..."


def family_false_failure(reports):
    """Union bound on the probability that any Monte Carlo check of the run fails falsely."""
    return sum(r.false_failure for r in reports)


def format_table(reports, timings=True):
    """One plain-text table over several claim reports, with a summary line per claim; each cell is
    clipped at 44 characters, so a row is at most about 5 x 46 characters wide."""
    heads = ("check", "method", "result", "tolerance", "time")
    rows = [(c.id, c.method, c.status.upper(), c.tolerance, f"{c.seconds:.2f}s" if timings else "")
            for rep in reports for c in rep.checks]
    widths = [max([len(heads[i])] + [len(_clip(r[i], 44)) for r in rows]) for i in range(5)]

    def line(cells):
        return "  ".join(_clip(c, widths[i]).ljust(widths[i]) for i, c in enumerate(cells)).rstrip()

    out = [line(heads), line(["-" * w for w in widths])]
    for rep in reports:
        for c in rep.checks:
            out.append(line((c.id, c.method, c.status.upper(), c.tolerance,
                             f"{c.seconds:.2f}s" if timings else "")))
            out.append("      " + c.statement)
            out.append(f"      route 1: {c.route1}")
            out.append(f"      route 2: {c.route2}")
            for q, v1, v2 in c.compared[:4]:
                out.append(f"      {_clip(q, 40)}: {_clip(v1, 60)} | {_clip(v2, 60)}")
            if c.false_failure is not None:
                out.append(f"      false-failure probability <= {c.false_failure:.1e}")
            if c.detail:
                out.append("      " + _clip(c.detail.replace("\n", " "), 400))
        for s in rep.skipped:
            out.append(f"{s['id']}  (no check)  {s['statement']}: {s['reason']}")
    out.append("")
    for rep in reports:
        n_pass = sum(c.status == "pass" for c in rep.checks)
        verdict = rep.verdict
        took = f" ({rep.seconds:.1f}s)" if timings else ""
        out.append(f"{rep.claim} {verdict}: {n_pass}/{len(rep.checks)} checks pass{took} - {rep.title}")
    n_mc = sum(1 for r in reports for c in r.checks if c.false_failure is not None)
    out.append(f"Monte Carlo checks: {n_mc}; probability that any of them fails although its claim "
               f"holds <= {family_false_failure(reports):.1e} (union bound)")
    return "\n".join(out)
