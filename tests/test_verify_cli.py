"""``mesacheck verify``: claim selection, table, JSON, errors."""
import argparse
import json

import pytest

from mesacheck.checks.runner import normalise_claims
from mesacheck.checks.verdict import ClaimReport, run_check
from mesacheck.cli import cmd_verify
from mesacheck.errors import InputError, InfiniteMomentError


def cli(argv):
    """Run through the real main() when every subcommand module imports, else through a parser
    holding only ``verify`` (other subcommands are written in parallel)."""
    try:
        from mesacheck.cli.main import build_parser, main
        build_parser()
    except ImportError:
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        cmd_verify.add_parser(sub)
        args = parser.parse_args(argv[1:])
        args.argv = argv
        try:
            return args.func(args)
        except InputError:
            return 2
    return main(argv)


def test_verify_one_claim_table(capsys):
    assert cli(["verify", "c1", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "C1" in out and "PASS" in out and "ALL PASS" in out


def test_verify_json(capsys):
    assert cli(["verify", "C1", "--quick", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["passed"] is True
    assert doc["claims"][0]["claim"] == "C1"
    assert all(c["status"] == "pass" for c in doc["claims"][0]["checks"])


def test_claim_about_another_law_is_not_applicable(capsys):
    """C5 is Example 4.1 (the sparse law): for the Gaussian its zero-loss statement does not apply,
    and says so, instead of stamping FAIL on a right result."""
    assert cli(["verify", "C5", "--quick", "--dist", "gaussian:sigma=1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    skipped = doc["claims"][0]["skipped"]
    assert any(s["id"] == "C5.loss-at-limit" and "sparse" in s["reason"] for s in skipped)


def test_wrong_derivation_exits_1(capsys, monkeypatch):
    """A derivation that is wrong (the limit off by 1e-6) fails its check and verify exits 1."""
    import sympy

    from mesacheck.checks import c2_emergence

    real = c2_emergence.derive_reduced

    def wrong(*args, **kwargs):
        der = real(*args, **kwargs)
        for r in der.results:
            if r.name == "ab_limit":
                r.value = r.value * (1 + sympy.Rational(1, 10**6))
        return der
    monkeypatch.setattr(c2_emergence, "derive_reduced", wrong)
    from mesacheck.symbolic.cache import clear_all

    clear_all()
    assert cli(["verify", "C2", "--quick"]) == 1
    assert "C2.limit-anchor" in capsys.readouterr().out


def test_unknown_claim_names_it():
    with pytest.raises(InputError, match="C9"):
        normalise_claims(["C9"])
    assert normalise_claims(["c2", "C2", "3"]) == ["C2", "C3"]
    assert normalise_claims([]) == [f"C{k}" for k in range(1, 8)]


def test_unknown_claim_exit_2(capsys):
    assert cli(["verify", "C9", "--quick"]) == 2


def test_exception_is_failed_not_pass():
    def boom():
        raise ZeroDivisionError("nope")
    c = run_check("C0", "C0.x", "s", "numeric", "r1", "r2", "exact", boom)
    assert c.status == "failed" and c.passed is None and "ZeroDivisionError" in c.detail

    def undefined():
        raise InfiniteMomentError("infinite")
    assert run_check("C0", "C0.y", "s", "symbolic", "r1", "r2", "exact", undefined).status == "undefined"
    rep = ClaimReport("C0", "t")
    assert not rep.passed  # no checks: not a pass
    rep.add("ok", "s", "symbolic", "r1", "r2", "exact", lambda: (True, ""))
    assert rep.passed
    rep.add("bad", "s", "symbolic", "r1", "r2", "exact", boom)
    assert not rep.passed


def test_timeout():
    import time
    rep = ClaimReport("C0", "t", budget=0.2)
    c = rep.add("slow", "s", "numeric", "r1", "r2", "-", lambda: (time.sleep(2), (True, ""))[1])
    assert c.status == "timeout" and c.passed is None
