"""No user parameter name can change an answer (issue 9, item 2).

The engine's symbols are Dummies; a spec parameter is a plain Symbol, so the two never collide.
Names that the engine prints for its own quantities are refused (one line, exit 2) so that a
printed formula is never ambiguous. For every engine-internal name and the usual suspects, a
law with that parameter name gives either a one-line refusal or the RIGHT answer: the limit
1/(5 sigma^2) for N(0, sigma^2 I), and at finite T the sigma = 1 value divided by sigma^2 (the
loss is homogeneous: x -> sigma x scales u* by 1/sigma^2).
"""
import json

import pytest
import sympy

from mesacheck.cli.main import main
from mesacheck.setting.distributions import parse_dist
from mesacheck.setting.spec_grammar import is_reserved
from mesacheck.symbolic.reduced import derive_reduced

ENGINE_INTERNAL = ["a", "b", "u", "tau", "a_0", "b_0", "adot", "bdot", "Q", "R", "s", "T", "d", "t", "mu",
                   "m", "a_1", "b_2", "adot_1", "bdot_2", "m_4", "m_1", "p_nz", "h", "T_p", "d_p", "x_11",
                   "w_00", "u_j", "u_k", "C", "S2", "S4", "S6", "H", "H_98", "kappa", "rho", "E", "I"]
SUSPECTS = ["m4", "lambda", "pi", "E", "I", "e", "i", "j", "oo", "x", "sigma", "c", "alpha", "beta",
            "nan", "inf", "zoo", "S", "g", "L", "D", "Pi", "Abs", "harmonic", "sqrt", "Symbol", "exp"]
NAMES = sorted(set(ENGINE_INTERNAL + SUSPECTS))


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def exact_of(out):
    import re

    text = json.loads(out)["ab_limit"]["exact"]
    return text


@pytest.mark.parametrize("name", NAMES)
def test_parameter_name_never_changes_the_answer(name, capsys):
    spec = f"gaussian:sigma={name}"
    code, out, err = run(capsys, "derive", "limit", "--dist", spec, "--d", "3", "--T", "oo", "--json")
    if code == 2:  # refused: one line, naming the problem
        assert len([x for x in err.splitlines() if x.strip()]) == 1 and "Traceback" not in err
        assert is_reserved(name) or "reserved" in err or "bad distribution spec" in err
        return
    assert code == 0, err
    law = parse_dist(spec)
    sigma = law.params["sigma"]
    assert isinstance(sigma, sympy.Symbol) and not isinstance(sigma, sympy.Dummy)
    # the answer, computed by the library, against the independent closed form 1/(5 sigma^2)
    lim = derive_reduced(law, 3, "oo").get("ab_limit")
    assert sympy.simplify(lim - sympy.Rational(1, 5) / sigma**2) == 0
    assert exact_of(out) == f"1/(5*{name}^2)"
    # finite T: homogeneity u*(sigma) = u*(1) / sigma^2
    fin = derive_reduced(law, 2, 10).get("ab_limit")
    one = derive_reduced(parse_dist("gaussian:sigma=1"), 2, 10).get("ab_limit")
    assert sympy.simplify(fin - one / sigma**2) == 0


@pytest.mark.parametrize("name", ["R", "a", "u", "T", "d", "t", "H", "S2", "m_4", "a_1", "lambda"])
def test_engine_display_names_are_refused(name, capsys):
    code, out, err = run(capsys, "derive", "limit", "--dist", f"gaussian:sigma={name}", "--d", "5", "--T", "oo")
    assert code == 2 and "reserved" in err


@pytest.mark.parametrize("name", ["sigma", "scale", "c1", "s", "theta", "v"])
def test_ordinary_names_work_in_recovery_too(name, capsys):
    code, out, err = run(capsys, "derive", "recovery", "--dist", f"gaussian:sigma={name}", "--d", "3",
                         "--T", "oo", "--json")
    assert code == 0, err
    res = json.loads(out)["derivation"]["results"]
    assert res["ratio_inf"]["exact"] == "1/5"
    assert res["u_inf"]["exact"] == f"1/(5*{name}^2)"
