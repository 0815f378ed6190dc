"""Checks, claim reports and the verdict table of mesacheck/checks/verdict.py: statuses, budgets,
JSON and the plain-text table, against values and texts written out by hand here."""
import signal
import threading

import pytest

from mesacheck.checks.compare import Outcome
from mesacheck.checks.verdict import (METHODS, STATUSES, Check, CheckTimeout, ClaimReport, Settings,
                                      _call_with_budget, _clip, family_false_failure, format_table,
                                      run_check)
from mesacheck.errors import InfiniteMomentError, ReductionError


def _check(**kw):
    base = dict(claim="C9", id="C9.alpha", statement="s", method="symbolic", route1="r1", route2="r2")
    base.update(kw)
    return Check(**base)


# -- Settings and Check -----------------------------------------------------------------------------
def test_settings_json_names_every_field_but_only():
    assert Settings().to_json() == {"dist": None, "d": None, "T": None, "quick": False, "seed": 0,
                                    "budget": None}
    s = Settings(dist="gaussian:sigma=1", d=3, T=10, quick=True, seed=7, budget=2.5,
                 only=frozenset({"C1.x"}))
    assert s.to_json() == {"dist": "gaussian:sigma=1", "d": 3, "T": 10, "quick": True, "seed": 7,
                           "budget": 2.5}


def test_check_defaults():
    c = _check()
    assert (c.passed, c.status, c.detail, c.tolerance, c.compared, c.false_failure, c.seconds) == (
        None, "undefined", "", "exact", (), None, 0.0)


def test_check_accepts_every_method_and_status():
    assert METHODS == ("symbolic", "numeric", "enumeration", "property", "monte-carlo")
    assert STATUSES == ("pass", "fail", "undefined", "timeout", "failed")
    for m in METHODS:
        for s in STATUSES:
            assert _check(method=m, status=s).status == s


def test_check_refuses_unknown_method_and_status():
    with pytest.raises(ValueError) as e:
        _check(method="guess")
    assert str(e.value) == ("method must be one of ('symbolic', 'numeric', 'enumeration', 'property', "
                            "'monte-carlo'), got 'guess'")
    with pytest.raises(ValueError) as e:
        _check(status="PASS")
    assert str(e.value) == "status must be one of ('pass', 'fail', 'undefined', 'timeout', 'failed'), got 'PASS'"


def test_check_json():
    c = _check(passed=False, status="fail", detail="q: off", tolerance="1e-9",
               compared=(("q", "1", "2"), ("p", "a", "b")), false_failure=5e-7, seconds=1.23456)
    expected = {"claim": "C9", "id": "C9.alpha", "statement": "s", "method": "symbolic", "route1": "r1",
                "route2": "r2", "passed": False, "status": "fail", "detail": "q: off", "tolerance": "1e-9",
                "compared": [{"quantity": "q", "route1": "1", "route2": "2"},
                             {"quantity": "p", "route1": "a", "route2": "b"}],
                "false_failure_bound": 5e-7}
    assert c.to_json(timings=False) == expected
    assert c.to_json() == dict(expected, seconds=1.235)
    assert c.to_json(True)["seconds"] == 1.235


# -- time budget ------------------------------------------------------------------------------------
def _handler_during(budget):
    """(SIGALRM handler, timer remaining) seen inside fn, and the result."""
    seen = {}

    def fn():
        seen["handler"] = signal.getsignal(signal.SIGALRM)
        seen["timer"] = signal.getitimer(signal.ITIMER_REAL)[0]
        return 42

    assert _call_with_budget(fn, budget) == 42
    return seen


@pytest.mark.parametrize("budget", [None, 0, -1.0, 1e7, 2e7])
def test_no_budget_means_no_alarm(budget):
    before = signal.getsignal(signal.SIGALRM)
    seen = _handler_during(budget)
    assert seen["handler"] is before and seen["timer"] == 0.0


@pytest.mark.parametrize("budget", [1e-3 * 1000, 0.5, 9.9e6])
def test_budget_arms_an_alarm_and_restores_everything(budget):
    before = signal.getsignal(signal.SIGALRM)
    seen = _handler_during(budget)
    assert seen["handler"] is not before and callable(seen["handler"])
    assert 0 < seen["timer"] <= budget
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0.0


def test_budget_outside_the_main_thread_is_ignored():
    out = {}

    def worker():
        out["seen"] = _handler_during(0.5)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert out["seen"]["timer"] == 0.0


def test_budget_exceeded_raises_checktimeout_with_the_budget():
    import time

    before = signal.getsignal(signal.SIGALRM)
    with pytest.raises(CheckTimeout) as e:
        _call_with_budget(lambda: time.sleep(5), 0.05)
    assert str(e.value) == "exceeded the budget of 0.05 s"
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0.0


def test_budget_restored_after_an_exception():
    before = signal.getsignal(signal.SIGALRM)

    def boom():
        raise KeyError("x")

    with pytest.raises(KeyError):
        _call_with_budget(boom, 0.5)
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0.0


# -- run_check --------------------------------------------------------------------------------------
def test_run_check_records_an_outcome():
    out = Outcome(True, "fine", [("q", "1", "1")], 3e-7)
    c = run_check("C9", "C9.a", "stmt", "monte-carlo", "route one", "route two", "tol", lambda: out)
    assert (c.claim, c.id, c.statement, c.method, c.route1, c.route2, c.tolerance) == (
        "C9", "C9.a", "stmt", "monte-carlo", "route one", "route two", "tol")
    assert (c.passed, c.status, c.detail, c.compared, c.false_failure) == (
        True, "pass", "fine", (("q", "1", "1"),), 3e-7)
    assert isinstance(c.compared, tuple)
    assert 0.0 <= c.seconds < 60


def test_run_check_records_the_time_the_check_took():
    import time

    start = time.perf_counter()
    c = run_check("C9", "C9.a", "s", "numeric", "r1", "r2", "t", lambda: (time.sleep(0.01), (True, ""))[1])
    elapsed = time.perf_counter() - start
    assert 0.005 <= c.seconds <= elapsed  # the sleep is inside the check, the check inside the call


def test_run_check_accepts_a_pair_and_makes_passed_a_bool():
    c = run_check("C9", "C9.a", "s", "numeric", "r1", "r2", "t", lambda: (1, "one"))
    assert c.passed is True and c.status == "pass" and c.detail == "one"
    c = run_check("C9", "C9.a", "s", "numeric", "r1", "r2", "t", lambda: (0, "zero"))
    assert c.passed is False and c.status == "fail" and c.detail == "zero"
    assert c.compared == () and c.false_failure is None


def test_run_check_exception_records_type_message_and_place():
    def boom():
        raise ZeroDivisionError("nope")

    c = run_check("C9", "C9.a", "s", "numeric", "r1", "r2", "t", boom)
    line = boom.__code__.co_firstlineno + 1
    assert (c.passed, c.status) == (None, "failed")
    assert c.detail == f"ZeroDivisionError: nope (at test_verdict.py:{line})"
    assert c.compared == () and c.false_failure is None


def test_run_check_exception_in_a_file_without_a_folder():
    """A frame whose file name has no '/' (e.g. '<frozen ...>', '<string>') is named as it is."""
    def boom():
        raise ZeroDivisionError("nope")

    boom.__code__ = boom.__code__.replace(co_filename="bare.py")
    c = run_check("C9", "C9.a", "s", "numeric", "r1", "r2", "t", boom)
    assert c.detail == f"ZeroDivisionError: nope (at bare.py:{boom.__code__.co_firstlineno + 1})"


def test_run_check_undefined_and_timeout():
    def undefined():
        raise InfiniteMomentError("E x^12 is infinite")

    c = run_check("C9", "C9.a", "s", "numeric", "r1", "r2", "t", undefined)
    assert (c.passed, c.status, c.detail) == (None, "undefined", "E x^12 is infinite")

    def slow():
        raise CheckTimeout("exceeded the budget of 1 s")

    c = run_check("C9", "C9.a", "s", "numeric", "r1", "r2", "t", slow)
    assert (c.passed, c.status, c.detail) == (None, "timeout", "exceeded the budget of 1 s")


def test_run_check_passes_its_budget_on():
    import time

    c = run_check("C9", "C9.a", "s", "numeric", "r1", "r2", "t", lambda: (time.sleep(5), (True, ""))[1],
                  budget=0.05)
    assert (c.passed, c.status, c.detail) == (None, "timeout", "exceeded the budget of 0.05 s")


def test_run_check_detail_is_text():
    c = run_check("C9", "C9.a", "s", "numeric", "r1", "r2", "t", lambda: (True, 12))
    assert c.detail == "12"


# -- ClaimReport ------------------------------------------------------------------------------------
def _rep(statuses, skipped=(), ff=()):
    rep = ClaimReport("C9", "title")
    for i, s in enumerate(statuses):
        rep.checks.append(_check(id=f"C9.c{i}", status=s, seconds=0.25 * (i + 1),
                                 false_failure=ff[i] if i < len(ff) else None))
    rep.skipped.extend(skipped)
    return rep


NA = {"id": "C9.x", "statement": "s", "reason": "r", "not_applicable": True}
SKIP = {"id": "C9.y", "statement": "s", "reason": "r", "not_applicable": False}


def test_claim_verdicts():
    assert _rep([]).passed is False and _rep([]).verdict == "FAIL"
    assert _rep(["pass", "pass"]).passed is True and _rep(["pass", "pass"]).verdict == "PASS"
    for bad in ("fail", "undefined", "timeout", "failed"):
        assert _rep(["pass", bad]).passed is False
        assert _rep(["pass", bad]).verdict == "FAIL"
        assert _rep([bad, "pass"], [NA]).verdict == "FAIL"  # a failing check beats N/A
    assert _rep(["pass"], [NA]).verdict == "N/A"
    assert _rep([], [NA]).verdict == "N/A"
    assert _rep([], [SKIP]).verdict == "N/A"  # nothing ran, only skips: not about this input
    assert _rep(["pass"], [SKIP]).verdict == "PASS"  # a skipped Monte Carlo check is no N/A


def test_claim_seconds_and_false_failure():
    rep = _rep(["pass", "pass", "fail"], ff=(1e-7, None, 2e-7))
    assert rep.seconds == pytest.approx(0.25 + 0.5 + 0.75, rel=1e-12)
    assert rep.false_failure == pytest.approx(3e-7, rel=1e-12)
    assert _rep([]).false_failure == 0 and _rep([]).seconds == 0
    assert family_false_failure([rep, _rep(["pass"], ff=(4e-7,))]) == pytest.approx(7e-7, rel=1e-12)
    assert family_false_failure([]) == 0


def test_wants_and_add_with_only():
    rep = ClaimReport("C9", "t", only=frozenset({"C9.b"}))
    assert rep.wants("C9.b") and not rep.wants("C9.a") and not rep.wants("b")
    assert rep.add("a", "s", "symbolic", "r1", "r2", "exact", lambda: (True, "")) is None
    c = rep.add("b", "s", "symbolic", "r1", "r2", "exact", lambda: (True, ""))
    assert c.id == "C9.b" and c.claim == "C9" and rep.checks == [c]
    assert ClaimReport("C9", "t").wants("anything")


def test_add_uses_the_report_budget():
    import time

    rep = ClaimReport("C9", "t", budget=0.05)
    c = rep.add("slow", "st", "numeric", "r1", "r2", "tol", lambda: (time.sleep(5), (True, ""))[1])
    assert (c.status, c.statement, c.method, c.route1, c.route2, c.tolerance) == (
        "timeout", "st", "numeric", "r1", "r2", "tol")


def test_skip_records_the_check_id_and_applicability():
    rep = ClaimReport("C9", "t")
    rep.skip("mc", "E x", "no moments")
    rep.skip("law", "all", "another law", not_applicable=1)
    assert rep.skipped == [
        {"id": "C9.mc", "statement": "E x", "reason": "no moments", "not_applicable": False},
        {"id": "C9.law", "statement": "all", "reason": "another law", "not_applicable": True}]


def test_derivation_kept_or_recorded():
    rep = ClaimReport("C9", "t")
    assert rep.derivation("limit", lambda: "DER") == "DER"
    assert rep.derivations == [("limit", "DER")]

    def refused():
        raise ReductionError("scalar set not invariant")

    assert rep.derivation("limit2", refused) is None
    assert rep.skipped == [{"id": "C9.not-applicable", "statement": "derive limit2",
                            "reason": "not applicable to this law: scalar set not invariant",
                            "not_applicable": True}]
    assert rep.checks == [] and rep.verdict == "N/A"

    def broken():
        raise KeyError("stationary")

    assert rep.derivation("limit3", broken) is None
    [c] = rep.checks
    assert (c.claim, c.id, c.statement, c.method, c.route1, c.route2, c.tolerance, c.status, c.passed) == (
        "C9", "C9.derive", "derive limit3", "symbolic", "the derivation", "-", "exact", "failed", None)
    assert c.detail.startswith("KeyError: 'stationary' (at ")
    assert c.seconds >= 0 and rep.derivations == [("limit", "DER")] and rep.verdict == "FAIL"


def test_derivation_failure_records_the_time_it_took():
    import time

    def broken():
        raise KeyError("x")

    rep = ClaimReport("C9", "t")
    start = time.perf_counter()
    rep.derivation("limit", broken)
    elapsed = time.perf_counter() - start
    # the check's seconds are those of this call (not a clock reading), whatever the machine's speed
    assert 0 <= rep.checks[0].seconds <= elapsed


def test_derivation_uses_the_report_budget():
    import time

    rep = ClaimReport("C9", "t", budget=0.05)
    assert rep.derivation("slow", lambda: time.sleep(5)) is None
    [c] = rep.checks
    # the budget's CheckTimeout is re-raised inside a check: recorded as a timeout, never a pass
    assert (c.id, c.status, c.detail) == ("C9.derive", "timeout", "exceeded the budget of 0.05 s")


def test_report_json():
    rep = ClaimReport("C9", "title", settings={"d": 2})
    rep.checks.append(_check(status="pass", passed=True, seconds=0.5, false_failure=1e-7))
    rep.checks.append(_check(id="C9.b", status="pass", passed=True, seconds=0.25))
    rep.skip("mc", "E x", "no moments")
    j = rep.to_json(timings=False)
    assert j == {"claim": "C9", "title": "title", "passed": True, "verdict": "PASS", "settings": {"d": 2},
                 "false_failure_bound": 1e-7, "checks": [c.to_json(False) for c in rep.checks],
                 "skipped": [{"id": "C9.mc", "statement": "E x", "reason": "no moments",
                              "not_applicable": False}]}
    assert "seconds" not in j["checks"][0]
    jt = rep.to_json()
    assert jt["seconds"] == 0.75 and jt["checks"][0]["seconds"] == 0.5
    assert ClaimReport("C8", "t").to_json(False)["verdict"] == "FAIL"
    # seconds are rounded to milliseconds, for the claim as for each check
    rep = ClaimReport("C9", "t")
    rep.checks.append(_check(status="pass", seconds=0.12345))
    assert rep.to_json()["seconds"] == 0.123 and rep.to_json()["checks"][0]["seconds"] == 0.123


# -- the table --------------------------------------------------------------------------------------
def test_clip():
    assert _clip("abcdef", 6) == "abcdef"
    assert _clip("abcdefg", 6) == "abc..."
    assert _clip("", 3) == ""


def _table_reports():
    rep = ClaimReport("C9", "a title")
    rep.checks.append(_check(id="C9.alpha", status="pass", passed=True, seconds=1.234,
                             statement="stmt A", route1="derivation", route2="oracle"))
    rep.checks.append(_check(id="C9.beta-check", method="monte-carlo", status="fail", passed=False,
                             tolerance="3 sigma", seconds=0.5, statement="stmt B", route1="r1",
                             route2="r2", compared=(("m", "1.5 (Monte Carlo)", "1.25"),),
                             false_failure=5.6e-7, detail="m: off\nby a lot"))
    rep.skip("gamma", "stmt C", "no moments")
    rep2 = ClaimReport("C8", "other")
    rep2.checks.append(_check(claim="C8", id="C8.x", status="pass", passed=True, seconds=2.0,
                              statement="S", route1="p", route2="q"))
    return [rep, rep2]


def test_format_table_without_timings():
    expected = "\n".join([
        "check          method       result  tolerance  time",
        "-------------  -----------  ------  ---------  ----",
        "C9.alpha       symbolic     PASS    exact",
        "      stmt A",
        "      route 1: derivation",
        "      route 2: oracle",
        "C9.beta-check  monte-carlo  FAIL    3 sigma",
        "      stmt B",
        "      route 1: r1",
        "      route 2: r2",
        "      m: 1.5 (Monte Carlo) | 1.25",
        "      false-failure probability <= 5.6e-07",
        "      m: off by a lot",
        "C9.gamma  (no check)  stmt C: no moments",
        "C8.x           symbolic     PASS    exact",
        "      S",
        "      route 1: p",
        "      route 2: q",
        "",
        "C9 FAIL: 1/2 checks pass - a title",
        "C8 PASS: 1/1 checks pass - other",
        "Monte Carlo checks: 1; probability that any of them fails although its claim holds <= 5.6e-07 "
        "(union bound)",
    ])
    assert format_table(_table_reports(), timings=False) == expected


def test_format_table_with_timings():
    expected = "\n".join([
        "check          method       result  tolerance  time",
        "-------------  -----------  ------  ---------  -----",
        "C9.alpha       symbolic     PASS    exact      1.23s",
        "      stmt A",
        "      route 1: derivation",
        "      route 2: oracle",
        "C9.beta-check  monte-carlo  FAIL    3 sigma    0.50s",
        "      stmt B",
        "      route 1: r1",
        "      route 2: r2",
        "      m: 1.5 (Monte Carlo) | 1.25",
        "      false-failure probability <= 5.6e-07",
        "      m: off by a lot",
        "C9.gamma  (no check)  stmt C: no moments",
        "C8.x           symbolic     PASS    exact      2.00s",
        "      S",
        "      route 1: p",
        "      route 2: q",
        "",
        "C9 FAIL: 1/2 checks pass (1.7s) - a title",
        "C8 PASS: 1/1 checks pass (2.0s) - other",
        "Monte Carlo checks: 1; probability that any of them fails although its claim holds <= 5.6e-07 "
        "(union bound)",
    ])
    reps = _table_reports()
    assert format_table(reps) == expected
    assert reps[0].table() == format_table([reps[0]])


def test_format_table_clips_long_cells():
    long_id = "C9." + "x" * 60  # 63 characters: clipped to 44 in the table
    long_q, long_v = "q" * 45, "v" * 70
    rep = ClaimReport("C9", "t")
    rep.checks.append(_check(id=long_id, status="pass", passed=True, detail="d" * 450,
                             compared=tuple((long_q, long_v, "w") for _ in range(6))))
    lines = format_table([rep], timings=False).split("\n")
    assert lines[0] == "check".ljust(44) + "  method    result  tolerance  time"
    assert lines[1] == "-" * 44 + "  --------  ------  ---------  ----"
    assert lines[2] == "C9." + "x" * 38 + "...  symbolic  PASS    exact"
    cmp_lines = [ln for ln in lines if ln.startswith("      q")]
    assert len(cmp_lines) == 4  # only the first four compared values
    assert cmp_lines[0] == "      " + "q" * 37 + "...: " + "v" * 57 + "... | w"
    [detail] = [ln for ln in lines if ln.startswith("      d")]
    assert detail == "      " + "d" * 397 + "..."
    assert lines[-1] == ("Monte Carlo checks: 0; probability that any of them fails although its claim holds "
                         "<= 0.0e+00 (union bound)")


def test_format_table_clips_compared_values_at_sixty_characters():
    rep = ClaimReport("C9", "t")
    rep.checks.append(_check(status="pass", passed=True, compared=(
        ("q", "v" * 60, "w" * 60), ("p", "v" * 61, "w" * 61))))
    lines = [ln for ln in format_table([rep], timings=False).split("\n") if ln.startswith("      q")
             or ln.startswith("      p")]
    assert lines == ["      q: " + "v" * 60 + " | " + "w" * 60,
                     "      p: " + "v" * 57 + "... | " + "w" * 57 + "..."]


def test_format_table_of_no_checks():
    rep = ClaimReport("C9", "t")
    rep.skip("law", "all", "another law", not_applicable=True)
    assert format_table([rep], timings=False) == "\n".join([
        "check  method  result  tolerance  time",
        "-----  ------  ------  ---------  ----",
        "C9.law  (no check)  all: another law",
        "",
        "C9 N/A: 0/0 checks pass - t",
        "Monte Carlo checks: 0; probability that any of them fails although its claim holds <= 0.0e+00 "
        "(union bound)"])
