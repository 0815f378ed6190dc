"""Which reduced system is exact for a law (mesacheck/symbolic/reductions.py).

The engine decides exactly from the law's symbolic population gradient; the oracle here is the
numeric model's gradient, summed exactly over a quadrature rule (mesacheck.numeric.quadrature),
read at concrete points of the sets. Expected texts are the user-visible contract of the module.
"""
import re

import numpy as np
import pytest
import sympy

from mesacheck.checks.common import diagonal_params, on_set
from mesacheck.errors import InputError, ReductionError
from mesacheck.numeric import quadrature
from mesacheck.setting.distributions import parse_dist
from mesacheck.symbolic import reductions as R
from mesacheck.symbolic.symbols import T as T_SYMBOL
from mesacheck.symbolic.symbols import d as D_SYMBOL
from mesacheck.symbolic.symbols import diagonal_symbols

# the audit's law (issue 9): the scalar set is not invariant, the diagonal one is
ISSUE_MIX = "mixture:1/4*[1,0]+1/4*[-1,0]+1/4*[0,2]+1/4*[0,-2]"
# x = +-(1, 1): coordinates perfectly correlated, the off-diagonal gradient of A is not 0
CORRELATED = "mixture:1/2*[1,1]+1/2*[-1,-1]"
# x = +-(1, 2): correlated and of unequal scales
UNEQUAL = "mixture:1/2*[1,2]+1/2*[-1,-2]"

# (law, d, T, masked) -> (system, unequal diagonal gradients on A = aI, B = bI)
CASES = [
    ("gaussian:sigma=1", 2, 5, False, R.SCALAR, False),
    ("gaussian:sigma=1", 2, 5, True, R.SCALAR, False),
    (ISSUE_MIX, 2, 5, False, R.DIAGONAL, True),
    (ISSUE_MIX, 2, 5, True, R.DIAGONAL, True),
    (CORRELATED, 2, 5, False, R.NONE, False),
    (CORRELATED, 2, 5, True, R.SCALAR, False),  # the mask removes the off-diagonal gradient
    (UNEQUAL, 2, 5, False, R.NONE, True),
    (UNEQUAL, 2, 5, True, R.DIAGONAL, True),
]


def _enumerated_entry(grad, d, label):
    """The enumerated gradient of the entry named like 'A[1,2]' or 'W^KQ_12[2,1]' (1-based).

    Layout (SETTING.md): W^KQ is 2d x 2d with blocks [[W^KQ_11, W^KQ_12], [A, W^KQ_22]];
    W^PV is d x 2d with blocks [B, W^PV_2]."""
    name, i, j = re.fullmatch(r"(.+)\[(\d+),(\d+)\]", label).groups()
    i, j = int(i) - 1, int(j) - 1
    where = {"W^KQ_11": (grad.kq, 0, 0), "W^KQ_12": (grad.kq, 0, d), "A": (grad.kq, d, 0),
             "W^KQ_22": (grad.kq, d, d), "B": (grad.pv, 0, 0), "W^PV_2": (grad.pv, 0, d)}[name]
    M, r0, c0 = where
    return M[r0 + i, c0 + j]


def _label(name, i, j):
    return f"{name}[{i + 1},{j + 1}]"


def _nonzero_off_set_labels(grad, d, masked, tol):
    """Labels of entries that must stay 0 on the diagonal set but have |gradient| > tol."""
    out = set()
    for name in ("W^KQ_11", "W^KQ_12", "A", "W^KQ_22", "B", "W^PV_2"):
        for i in range(d):
            for j in range(d):
                if name in ("A", "B") and (masked or i == j):
                    continue
                if abs(_enumerated_entry(grad, d, _label(name, i, j))) > tol:
                    out.add(_label(name, i, j))
    return out


@pytest.mark.parametrize("spec,d,T,masked,system,unequal", CASES)
def test_reduction_matches_hand_analysis(spec, d, T, masked, system, unequal):
    red = R.reduction_for(parse_dist(spec), d, T, masked)
    assert red.system == system
    assert red.unequal_diagonal is unequal
    assert red.masked is masked and red.flow == ("masked" if masked else "unmasked")
    assert red.d == d and red.T == T


@pytest.mark.parametrize("spec,d,T,masked,system,unequal", CASES)
def test_unequal_diagonal_gradients_agree_with_enumeration(spec, d, T, masked, system, unequal):
    law = parse_dist(spec)
    g = quadrature.exact_loss_and_grad(law, d, T, on_set(d, a=0.5, b=1.5)).grad
    diag_a, diag_b = np.diag(g.kq[d:, :d]), np.diag(g.pv[:, :d])
    spread = max(np.ptp(diag_a.real), np.ptp(diag_b.real))
    assert bool(spread > 1e-9 * np.abs(g.kq).max()) is unequal


@pytest.mark.parametrize("spec,masked", [(CORRELATED, False), (UNEQUAL, False), (ISSUE_MIX, False),
                                         (ISSUE_MIX, True)])
def test_evidence_is_every_nonzero_off_set_gradient_and_its_value(spec, masked):
    """The evidence of a law with no exact reduced set lists exactly the entries whose enumerated
    gradient is nonzero at a generic diagonal point, with the exact value there."""
    d, T = 2, 5
    law = parse_dist(spec)
    red = R.reduction_for(law, d, T, masked)
    avals, bvals = [sympy.Rational(1, 2), sympy.Rational(4, 5)], [sympy.Rational(3, 2), sympy.Rational(6, 5)]
    g = quadrature.exact_loss_and_grad(law, d, T, diagonal_params([float(v) for v in avals],
                                                                  [float(v) for v in bvals])).grad
    scale = max(np.abs(g.kq).max(), np.abs(g.pv).max())
    expected = _nonzero_off_set_labels(g, d, masked, 1e-9 * scale)
    if red.system == R.NONE:
        assert {lab for lab, _ in red.evidence} == expected and expected
        avec, bvec = diagonal_symbols(d)
        at = {**dict(zip(avec, avals)), **dict(zip(bvec, bvals))}
        for lab, expr in red.evidence:
            assert complex(expr.xreplace(at)) == pytest.approx(complex(_enumerated_entry(g, d, lab)),
                                                               rel=1e-9, abs=1e-12 * scale)
    else:  # diagonal set exact: nothing off it moves, and the scalar set has no off-set gradient
        assert expected == set()
        assert red.evidence == ()


def test_masked_evidence_never_names_a_or_b():
    red = R.reduction_for(parse_dist(UNEQUAL), 2, 5, False)
    assert any(lab.startswith(("A[", "B[")) for lab, _ in red.evidence)
    for spec in (CORRELATED, UNEQUAL, ISSUE_MIX):
        red = R.reduction_for(parse_dist(spec), 2, 5, True)
        assert not any(lab.startswith(("A[", "B[")) for lab, _ in red.evidence)


def test_evidence_entries_are_factored_and_nonzero():
    red = R.reduction_for(parse_dist(CORRELATED), 2, 5, False)
    assert red.evidence
    for lab, expr in red.evidence:
        assert expr != 0
        assert expr == sympy.factor(expr)


# -- T and d --------------------------------------------------------------------------------------
@pytest.mark.parametrize("T", [None, sympy.oo, T_SYMBOL, "oo", "inf", " OO ", "Inf"])
def test_T_meaning_every_T(T):
    assert R._T_key(T) is None


@pytest.mark.parametrize("T", [3, 4, 1000])
def test_T_concrete(T):
    assert R._T_key(T) == T


@pytest.mark.parametrize("T", [2, 0, -5, True, False, 3.0, "5", "infinity", sympy.Integer(4)])
def test_T_refused(T):
    with pytest.raises(InputError, match=r"T must be an integer >= 3 or 'oo', got "):
        R._T_key(T)


def test_every_T_decision_is_recorded_as_none():
    law = parse_dist("gaussian:sigma=1")
    assert R.reduction_for(law, 2, "oo").T is None
    assert R.reduction_for(law, 2, None).T is None
    assert R.reduction_for(law, 2, 7).T == 7
    # and every T is decided on the symbolic T: a law invariant at T = 5 only would be wrong here
    assert R.reduction_for(parse_dist(ISSUE_MIX), 2, None).system == R.DIAGONAL


def test_symbolic_d():
    red = R.reduction_for(parse_dist("gaussian:sigma=1"), D_SYMBOL, 5)
    assert red.system == R.SCALAR and red.d is D_SYMBOL
    assert R.reduction_for(parse_dist("iid"), D_SYMBOL, None).system == R.NONE
    with pytest.raises(InputError, match=re.escape(f"'{ISSUE_MIX}' is not exchangeable: give a concrete d")):
        R.reduction_for(parse_dist(ISSUE_MIX), D_SYMBOL, 5)


def test_exchangeable_law_decided_at_every_d():
    # a general i.i.d. law (odd moments free) is refused at every d >= 2, also past the deciding
    # d = 4 (at d = 1 there is no off-diagonal entry and the scalar set is the diagonal set)
    assert R.reduction_for(parse_dist("iid"), 1, None).system == R.SCALAR
    for d in (2, 3, 5):
        red = R.reduction_for(parse_dist("iid"), d, None)
        assert red.system == R.NONE, d
        assert red.d == d
    assert R.reduction_for(parse_dist("gaussian:sigma=2"), 6, 5).system == R.SCALAR
    # the refusal of an exchangeable law records its flow, T and evidence like any other
    red = R.reduction_for(parse_dist("iid"), 3, 5)
    assert (red.system, red.masked, red.T) == (R.NONE, False, 5)
    assert isinstance(red.evidence, tuple) and red.evidence
    assert red.describe().startswith("no reduced set (only the full flow is exact) is exact for the "
                                     "unmasked flow (T = 5); the scalar set is not, because the gradient of ")


def test_law_of_another_dimension_is_refused():
    with pytest.raises(Exception, match="2"):
        R.reduction_for(parse_dist(ISSUE_MIX), 3, 5)


def test_cache_tells_masked_from_unmasked_and_T_apart():
    law = parse_dist(UNEQUAL)
    assert R.reduction_for(law, 2, 5, False).system == R.NONE
    assert R.reduction_for(law, 2, 5, True).system == R.DIAGONAL
    assert R.reduction_for(law, 2, 5, False).system == R.NONE
    r5, r6 = R.reduction_for(law, 2, 5), R.reduction_for(law, 2, 6)
    assert (r5.T, r6.T) == (5, 6)


# -- the texts ------------------------------------------------------------------------------------
def test_describe_texts():
    scalar = "the scalar set A = aI, B = bI (other blocks 0)"
    diagonal = "the diagonal set A = diag(a_j), B = diag(b_j) (other blocks 0)"
    none = "no reduced set (only the full flow is exact)"
    assert R.SYSTEM_TEXT == {R.SCALAR: scalar, R.DIAGONAL: diagonal, R.NONE: none}
    g = parse_dist("gaussian:sigma=1")
    assert R.reduction_for(g, 2, 5).describe() == f"{scalar} is exact for the unmasked flow (T = 5)"
    assert R.reduction_for(g, 2, None, True).describe() == f"{scalar} is exact for the masked flow (every T >= 3)"
    unequal = "the diagonal entries of A and B receive unequal gradients on A = aI, B = bI"
    assert R.reduction_for(parse_dist(ISSUE_MIX), 2, 5).describe() == (
        f"{diagonal} is exact for the unmasked flow (T = 5); the scalar set is not, because {unequal}")
    assert R.reduction_for(parse_dist(CORRELATED), 2, 5).describe() == (
        f"{none} is exact for the unmasked flow (T = 5); the scalar set is not, because the gradient "
        "of A[1,2] is not zero on the smaller set")
    assert R.reduction_for(parse_dist(UNEQUAL), 2, 5).describe() == (
        f"{none} is exact for the unmasked flow (T = 5); the scalar set is not, because the gradient "
        f"of A[1,2] is not zero on the smaller set and {unequal}")


def test_require_accepts():
    g = parse_dist("gaussian:sigma=1")
    assert R.require(g, 2, 5, R.SCALAR).system == R.SCALAR
    # decided for the T asked (the derivation prints "(T = 5)"), not for every T
    assert R.require(g, 2, 5, R.SCALAR).T == 5
    assert R.require(g, 2, "oo", R.SCALAR).T is None
    # the diagonal set contains the scalar one: a scalar law may use the diagonal system
    assert R.require(g, 2, 5, R.DIAGONAL).system == R.SCALAR
    assert R.require(parse_dist(ISSUE_MIX), 2, 5, R.DIAGONAL).system == R.DIAGONAL
    assert R.require(parse_dist(UNEQUAL), 2, 5, R.DIAGONAL, masked=True).masked is True


def test_require_refuses_the_scalar_set_of_a_diagonal_law_with_a_true_sentence():
    with pytest.raises(ReductionError) as exc:
        R.require(parse_dist(ISSUE_MIX), 2, 5, R.SCALAR)
    assert str(exc.value) == (
        "the scalar set A = aI, B = bI (other blocks 0) is not invariant under the unmasked population "
        f"flow for '{ISSUE_MIX}'; a reduced system would give a wrong answer - use the diagonal system "
        "(`mesacheck derive diagonal`)")


def test_require_refuses_a_law_with_no_reduced_set():
    with pytest.raises(ReductionError) as exc:
        R.require(parse_dist(CORRELATED), 2, 5, R.DIAGONAL)
    msg = str(exc.value)
    assert msg.startswith("neither the scalar set A = aI, B = bI nor the diagonal set is invariant under "
                          f"the unmasked population flow for '{CORRELATED}': e.g. dL/dA[1,2] = ")
    assert msg.endswith("; a reduced system would give a wrong answer - use the full flow "
                        "(`mesacheck flow --full`) or the masked flow (--masked)")
    assert "_a_2" not in msg  # the evidence is printed by the engine's printer (display names)
    # the value shown is that of the entry named (checked against enumeration above), not another's
    from mesacheck.symbolic import printing

    evidence = dict(R.reduction_for(parse_dist(CORRELATED), 2, 5).evidence)
    values = list(evidence.values())
    assert len(values) > 1 and printing.text(values[1]) != printing.text(values[0])
    assert f"e.g. dL/dA[1,2] = {printing.text(evidence['A[1,2]'])};" in msg
    # the masked flow of the same law keeps the scalar set: accepted
    assert R.require(parse_dist(CORRELATED), 2, 5, R.SCALAR, masked=True).system == R.SCALAR
    with pytest.raises(ReductionError) as exc:
        R.require(parse_dist(UNEQUAL), 2, 5, R.SCALAR, masked=True)
    assert str(exc.value) == (
        "the scalar set A = aI, B = bI (other blocks 0) is not invariant under the masked population "
        f"flow for '{UNEQUAL}'; a reduced system would give a wrong answer - use the diagonal system "
        "(`mesacheck derive diagonal`)")


def test_require_for_the_masked_flow_does_not_suggest_the_masked_flow(monkeypatch):
    # no law found here has no exact set under the masked flow, so the decision is stubbed to
    # test the sentence alone
    x = sympy.Symbol("x")
    stub = R.Reduction(R.NONE, True, 2, 5, (("W^KQ_12[1,2]", 3 * x),))
    monkeypatch.setattr(R, "reduction_for", lambda *args, **kw: stub)
    with pytest.raises(ReductionError) as exc:
        R.require(parse_dist("gaussian:sigma=1"), 2, 5, R.SCALAR, masked=True)
    assert str(exc.value) == (
        "neither the scalar set A = aI, B = bI nor the diagonal set is invariant under the masked "
        "population flow for 'gaussian:sigma=1': e.g. dL/dW^KQ_12[1,2] = 3*x; a reduced system would "
        "give a wrong answer - use the full flow (`mesacheck flow --full`)")


def test_non_exchangeable_law_is_decided_at_its_own_d():
    # only exchangeable laws may be decided at d = 4: here the fifth coordinate is the odd one out
    red = R.reduction_for(parse_dist("gaussian:sigmas=1,1,1,1,2"), 5, 5)
    assert (red.system, red.unequal_diagonal) == (R.DIAGONAL, True)


@pytest.mark.parametrize("spread_in", ["A", "B", "both", "none"])
def test_scalar_test_unequal_diagonal_of_either_matrix_breaks_the_scalar_set(monkeypatch, spread_in):
    """The decision logic alone, on stubbed gradients: unequal diagonal gradients of A, or of B,
    or of both, each make the scalar set inexact (no law with only one of them was found)."""
    d = 2

    class StubLoss:
        def __init__(self, dist, dd, T):
            assert dd == d

        def gradient_at(self, P, K):
            gK, gP = sympy.zeros(2 * d, 2 * d), sympy.zeros(d, 2 * d)
            for j in range(d):
                gK[d + j, j] = 1 + (j if spread_in in ("A", "both") else 0)
                gP[j, j] = 5 + (j if spread_in in ("B", "both") else 0)
            return gP, gK

    monkeypatch.setattr(R, "PopulationLoss", StubLoss)
    ok, evidence, unequal = R._scalar_test(parse_dist(ISSUE_MIX), d, 5, False)
    assert evidence == ()
    assert unequal is (spread_in != "none")
    assert ok is (spread_in == "none")


# -- added from the mutation triage (tools/MUTATION_TRIAGE.md) ---------------------------------------
def test_exchangeable_refusal_records_equal_diagonal_gradients():
    # an exchangeable law's diagonal entries receive equal gradients on A = aI, B = bI by symmetry:
    # the refusal says so with the bool False (not a missing value), and its sentence names only
    # the off-set gradient
    red = R.reduction_for(parse_dist("iid"), 3, 5)
    assert red.system == R.NONE
    assert red.unequal_diagonal is False
    assert "unequal" not in red.describe()


def test_exchangeable_refusal_passes_on_what_the_scalar_test_found(monkeypatch):
    """The decision logic alone, on a stubbed scalar test: an exchangeable law whose scalar set is
    not exact is refused (NONE) with the flow, d, T, evidence and diagonal finding of that test.
    (No exchangeable law found is refused under the masked flow, and none has unequal diagonal
    gradients; the stub checks that reduction_for records them all the same.)"""
    x = sympy.Symbol("x")
    found = (("W^KQ_11[1,2]", 3 * x),)
    monkeypatch.setattr(R, "_scalar_test", lambda dist, d, T, masked: (False, found, True))
    monkeypatch.setattr(R, "_CACHE", {})
    red = R.reduction_for(parse_dist("gaussian:sigma=1"), 2, 5, masked=True)
    assert red == R.Reduction(R.NONE, True, 2, 5, found, True)
    assert red.masked is True and red.unequal_diagonal is True


def test_exchangeable_law_past_four_coordinates_is_decided_at_four():
    # the module's design: an entry's gradient involves at most four distinct coordinates, so an
    # exchangeable law is decided at d = 4 for every d >= 4 (the d = 5 gradient is never built);
    # the evidence recorded is therefore the d = 4 one, entry for entry
    iid = parse_dist("iid")
    r4, r5 = R.reduction_for(iid, 4, 5), R.reduction_for(iid, 5, 5)
    assert r5.system == r4.system == R.NONE
    assert r5.evidence == r4.evidence and r5.evidence
    assert (r5.d, r4.d) == (5, 4)


def test_exchangeable_refusal_says_at_which_d_its_gradient_was_computed():
    """Regression (found by mutation testing): the refusal of an exchangeable law at d > 4 showed
    the d = 4 gradient as if it were the d asked (at d = 5 the gradient of A[1,2] has another
    coefficient of a b m_1 m_2 m_3: 49/12 b instead of 49/18 b). It now says at which d it is."""
    from mesacheck.symbolic import printing

    iid = parse_dist("iid")
    r4, r5 = R.reduction_for(iid, 4, 5), R.reduction_for(iid, 5, 5)
    assert (r4.evidence_d, r5.evidence_d) == (None, 4)
    assert R.reduction_for(iid, D_SYMBOL, 5).evidence_d == 4
    assert R.reduction_for(parse_dist(CORRELATED), 2, 5).evidence_d is None
    shown = printing.text(dict(r4.evidence)["A[1,2]"])
    with pytest.raises(ReductionError) as exc:
        R.require(iid, 5, 5, R.SCALAR)
    assert (f"for 'iid': e.g. dL/dA[1,2] = {shown} (at d = 4, which decides every d for an "
            "exchangeable law); a reduced system") in str(exc.value)
    with pytest.raises(ReductionError) as exc:
        R.require(iid, 4, 5, R.SCALAR)
    assert f"for 'iid': e.g. dL/dA[1,2] = {shown}; a reduced system" in str(exc.value)
