"""Hypothesis profiles: 'ci' (default, 25 examples) and 'thorough' (500); choose with
HYPOTHESIS_PROFILE=thorough or pytest --hypothesis-profile=thorough."""
import os

from hypothesis import settings

settings.register_profile("ci", max_examples=25, deadline=None)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


import pytest


@pytest.fixture(autouse=True)
def _fresh_engine_caches_under_mutmut():
    """Under mutmut (tools/mutation.sh) empty the engine's memo caches before every test.

    mutmut forks each mutant's test run from a process that already ran the clean suite, so a
    value memoised there would hide the mutated function (a false survivor), and its per-test
    coverage map would miss tests that only hit the cache. Normal runs keep the caches.
    """
    if os.environ.get("MUTANT_UNDER_TEST"):
        from mesacheck.symbolic.cache import clear_all

        clear_all()
    yield


# -- counts reported by tests (fault injection, hostile inputs) -------------------------------------
# A test records a line with record_property("summary", line); it is printed at the end of the run.
# This goes through the test reports, so it also works under pytest-xdist (-n 2), where a
# worker's own output is not shown.
_SUMMARY_LINES = []


def pytest_runtest_logreport(report):
    if report.when == "call":
        _SUMMARY_LINES.extend(value for key, value in report.user_properties if key == "summary")


def pytest_terminal_summary(terminalreporter):
    if _SUMMARY_LINES:
        terminalreporter.section("counts reported by the tests")
        for line in _SUMMARY_LINES:
            terminalreporter.write_line(line)
