"""Every claim's quick verify passes on its default law, check by check, run in-process.

Slow-marked (about 20 s in all) and also marked ``mutation``: tools/mutation.sh selects it
(``-m "not slow or mutation"`` in [tool.mutmut]) so that mutmut maps the claim modules
(checks/c3_capability.py .. c7_beyond.py) and the routes they use (checks/routes.py) to a test;
without it their mutants were all "no tests" (only the fault-injection and seed-stability tests,
which are too slow to run per mutant, and CLI tests in subprocesses reached them). That the
checks can fail is shown by tests/test_fault_injection.py.
"""
import pytest

from mesacheck.checks.runner import run_claim
from mesacheck.checks.verdict import Settings


@pytest.mark.slow
@pytest.mark.mutation
@pytest.mark.parametrize("claim", ["C1", "C2", "C3", "C4", "C5", "C6", "C7"])
def test_quick_verify_passes_every_check(claim):
    rep = run_claim(claim, Settings(quick=True))
    assert rep.checks, claim
    assert {c.id: c.status for c in rep.checks} == {c.id: "pass" for c in rep.checks}, rep.table()
    assert rep.verdict == "PASS"
