"""The paper-size C6 checks (mesacheck.checks.c6_paper_scale): they pass for full-one at d = 5,
T = 100 and they can fail (a law whose flow stays on the set fails the 'leaves the set' check)."""
from mesacheck.checks import c6_paper_scale as c6
from mesacheck.checks.verdict import ClaimReport


def test_paper_size_checks_pass_for_full_one():
    rep = ClaimReport("C6", "paper scale")
    c6.add_full_flow_leaves_set(rep)
    c6.add_full_flow_leaves_set(rep, masked=True)
    c6.add_two_routes(rep)
    c6.add_learned_predictor(rep)
    assert rep.passed, rep.table()
    assert len(rep.checks) == 5 and len(rep.derivations) == 1


def test_checks_can_fail():
    rep = ClaimReport("C6", "gaussian stays on the set")
    c6.add_full_flow_leaves_set(rep, law="gaussian:sigma=1", d=3, T=20)
    assert [c.status for c in rep.checks] == ["fail"]
