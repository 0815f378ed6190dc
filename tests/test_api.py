"""The Python API (`import mesacheck as mc`): doctests of the API and of the printer modules, one-line
errors naming the argument, dispatch through the reductions, substitution with the engine's
symbols, and the Jupyter representations."""
import doctest
import importlib

import pytest
import sympy

import mesacheck as mc
from mesacheck.errors import MesacheckError, ReductionError

DOCTESTED = ["mesacheck.api", "mesacheck.symbolic.printing", "mesacheck.symbolic.tex_prose",
             "mesacheck.symbolic.tex_display", "mesacheck.symbolic.derivation",
             "mesacheck.symbolic.derivation_tex", "mesacheck.symbolic.one_step"]


@pytest.mark.parametrize("module", DOCTESTED)
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{module} has no doctest"
    assert result.failed == 0


def test_top_level_names():
    for name in ("dist", "derive", "verify", "flow", "latex_document", "VerifyReport", "MesacheckError"):
        assert hasattr(mc, name), name


@pytest.mark.parametrize("call,argument", [
    (lambda: mc.dist(3), "spec"),
    (lambda: mc.derive("limit", 1.5), "law"),
    (lambda: mc.derive("limit", None), "law"),
    (lambda: mc.derive("nope", "gaussian:sigma=1"), "what"),
    (lambda: mc.derive("limit", "gaussian:sigma=1", d=0), "d"),
    (lambda: mc.derive("limit", "gaussian:sigma=1", d=2.5), "d"),
    (lambda: mc.derive("limit", "gaussian:sigma=1", T=2), "T"),
    (lambda: mc.derive("limit", "gaussian:sigma=1", T="ten"), "T"),
    (lambda: mc.derive("limit", "gaussian:sigma=1", masked="yes"), "masked"),
    (lambda: mc.verify(5), "claims"),
    (lambda: mc.verify("C2", d="d"), "d"),
    (lambda: mc.verify("C2", seed=-1), "seed"),
    (lambda: mc.flow("gaussian:sigma=1", init="0.5"), "init"),
    (lambda: mc.flow("gaussian:sigma=1", T="oo"), "T"),
    (lambda: mc.latex_document("C2"), "report"),
])
def test_bad_arguments_one_line_error_naming_them(call, argument):
    with pytest.raises(MesacheckError) as err:
        call()
    message = str(err.value)
    assert "\n" not in message and message.startswith(argument), message


def test_spec_string_errors_are_one_line():
    with pytest.raises(MesacheckError) as err:
        mc.derive("limit", "gaussian:sigma=-1")
    assert "\n" not in str(err.value) and "sigma" in str(err.value)


def test_derive_dispatches_through_the_reductions():
    # full-one leaves A = aI, B = bI under the unmasked flow: the reduced ODE is refused ...
    with pytest.raises(ReductionError):
        mc.derive("ode", "full-one:c=1", d=2, T=6)
    # ... and allowed for the masked flow; limit picks the diagonal set for unequal coordinates
    assert mc.derive("limit", "full-one:c=1", d=2, T=6, masked=True).value("system") == "scalar"
    mix = mc.derive("limit", "mixture:1/4*[1,0]+1/4*[-1,0]+1/4*[0,2]+1/4*[0,-2]", d=2, T="oo")
    assert mix.value("system") == "diagonal"
    # u_j = M4_j / M6_j by hand: coordinate 1 takes +-1 w.p. 1/2, coordinate 2 takes +-2 w.p. 1/2
    assert list(mix.value("u_limits")) == [1, sympy.Rational(1, 4)]
    assert mix.value("ab_limit") == sympy.Rational(5, 8)


def test_symbols_substitute_and_user_symbols_do_not_collide():
    r = mc.derive("limit", "gaussian:sigma=s", d=5, T="oo")
    R_user = sympy.Symbol("s", positive=True)
    assert sympy.simplify(r.value("ab_limit") - 1 / (5 * R_user**2)) == 0
    u_T = r.value("ab_limit_T")
    # hand: (T-2) m4 / ((T-2) m6 + (d-1) m2 m4 H_(T-2)) with m2, m4, m6 = R^2, 3R^4, 15R^6, at T = 3
    at3 = u_T.subs(r.symbols["T"], 3)
    assert sympy.simplify(at3 - 3 * R_user**4 / (15 * R_user**6 + 4 * 3 * R_user**6)) == 0
    # a user's own symbol named T does not substitute (it is not the engine's T)
    assert u_T.subs(sympy.Symbol("T"), 3) == u_T


def test_jupyter_representations():
    r = mc.derive("limit", "sparse:c=1", d=3, T=10)
    tex = r._repr_latex_()
    assert tex.startswith("$$") and "u^*" in tex and "**" not in tex
    html = r._repr_html_()
    assert "<table>" in html and "sparse:c=1" in html
    rep = mc.verify("C1", quick=True)
    assert "<table>" in rep._repr_html_() and "PASS" in rep._repr_latex_()
    assert repr(rep) == "VerifyReport(C1: PASS)"
    assert rep.to_json()["passed"] is True


def test_verify_with_a_law_reports_not_applicable_statements():
    rep = mc.verify("C5", dist="laplace:b=1", quick=True)
    skipped = [s["id"] for s in rep["C5"].skipped]
    assert "C5.loss-at-limit" in skipped
