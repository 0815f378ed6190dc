"""The two-route comparisons of mesacheck/checks/compare.py: exact, float and verdict comparison,
their combination, and the text they record (expected values worked out by hand here)."""
import math

import numpy as np
import pytest
import sympy

from mesacheck.checks.compare import Outcome, _text, _zero, all_of, close, exact_equal, finite, same


# -- Outcome ----------------------------------------------------------------------------------------
def test_outcome_defaults_are_empty_and_independent():
    o1, o2 = Outcome(True), Outcome(False)
    assert (o1.detail, o1.compared, o1.false_failure) == ("", [], None)
    o1.compared.append(("q", "1", "1"))
    assert o2.compared == []  # no shared mutable default


# -- exact comparison -------------------------------------------------------------------------------
def test_exact_equal_passes_on_equal_values_written_differently():
    x = sympy.Symbol("x")
    out = exact_equal("q", (x + 1) ** 2, x**2 + 2 * x + 1)
    assert out.passed is True
    assert out.detail == ""
    assert out.compared == [("q", "(x + 1)^2", "x^2 + 2*x + 1")]
    assert out.false_failure is None


def test_exact_equal_fails_on_a_relative_difference_of_1e_minus_30():
    v = sympy.Rational(1, 3)
    out = exact_equal("lim", v, v * (1 + sympy.Rational(1, 10**30)))
    assert out.passed is False
    assert out.detail == "lim: route 1 != route 2"


def test_exact_equal_needs_simplify_for_trig_identity():
    # expand alone leaves sin^2 + cos^2 - 1; only simplify proves it zero
    x = sympy.Symbol("x")
    assert exact_equal("q", sympy.sin(x) ** 2 + sympy.cos(x) ** 2, 1).passed is True
    assert exact_equal("q", sympy.sin(x) ** 2 + sympy.cos(x) ** 2, 2).passed is False


def test_exact_equal_tuples_elementwise():
    r = sympy.Rational
    assert exact_equal("u", (r(1, 2), r(1, 4)), [r(2, 4), r(1, 4)]).passed is True
    assert exact_equal("u", (r(1, 2), r(1, 4)), (r(1, 2), r(1, 5))).passed is False
    assert exact_equal("u", (r(1, 2), r(1, 4)), (r(1, 5), r(1, 4))).passed is False
    # a tuple on one side only, or of another length, is a failure, not a zip over the shorter
    assert exact_equal("u", (r(1, 2),), (r(1, 2), r(1, 4))).passed is False
    assert exact_equal("u", (r(1, 2), r(1, 4)), (r(1, 2),)).passed is False
    assert exact_equal("u", sympy.Tuple(1, 2), (1, 2)).passed is True
    assert exact_equal("u", (1, 2), sympy.Tuple(1, 3)).passed is False


def test_exact_equal_rejects_text():
    # strict sympify: a string is never parsed
    with pytest.raises(sympy.SympifyError):
        exact_equal("q", "1/3", sympy.Rational(1, 3))


def test_zero_with_concrete_harmonic_numbers():
    H = sympy.harmonic
    assert _zero(H(3, evaluate=False) - sympy.Rational(11, 6)) is True
    assert _zero(H(3, evaluate=False) - sympy.Rational(11, 7)) is False
    # H_998 stays exact: H_998 - H_997 = 1/998
    assert _zero(H(998, evaluate=False) - H(997, evaluate=False) - sympy.Rational(1, 998)) is True
    assert _zero(H(998, evaluate=False) - H(997, evaluate=False) - sympy.Rational(1, 997)) is False


def test_zero_with_symbolic_harmonic_numbers_kept_apart():
    T = sympy.Symbol("T", integer=True, positive=True)
    H1, H2 = sympy.harmonic(T - 2), sympy.harmonic(T - 1)
    assert _zero(2 * H1 - H1 - H1) is True
    assert _zero(H1 - H2) is False  # different arguments must not collapse to one placeholder
    assert _zero(H1 * (T + 1) - H1 * T - H1) is True
    assert _zero(H1 - 1) is False


def test_zero_needs_the_positive_placeholder():
    # sqrt(H^2) = H needs H > 0: the placeholder of a symbolic harmonic number is positive
    T = sympy.Symbol("T", integer=True, positive=True)
    H = sympy.harmonic(T - 2)
    assert _zero(sympy.sqrt(H**2) - H) is True


# -- float comparison -------------------------------------------------------------------------------
def test_close_relative_tolerance_boundary():
    # |1.0 + 1e-9 - 1.0| = 1e-9: inside rtol 2e-9, outside rtol 5e-10
    assert close("q", 1.0 + 1e-9, 1.0, 2e-9).passed is True
    assert close("q", 1.0 + 1e-9, 1.0, 5e-10).passed is False
    # the tolerance is relative to route 2, not route 1: |v1 - v2| = 1 <= 0.5 * |2| but > 0.5 * |1|
    assert close("q", 1.0, 2.0, 0.5).passed is True
    assert close("q", 2.0, 1.0, 0.5).passed is False
    # and to |v2|, so a negative route 2 still gives a positive tolerance
    assert close("q", -1.0, -1.1, 0.1).passed is True


def test_close_is_inclusive_at_the_bound():
    assert close("q", 3.0, 2.0, 0.5).passed is True  # |1| <= 0 + 0.5 * 2


def test_close_absolute_tolerance():
    assert close("q", 1e-13, 0.0, 1e-9, 1e-12).passed is True
    assert close("q", 2e-12, 0.0, 1e-9, 1e-12).passed is False
    assert close("q", 1e-13, 0.0, 1e-9).passed is False  # atol defaults to 0
    assert close("q", 1.5, 1.0, 0.25, 0.25).passed is True  # atol + rtol add up


def test_close_nan_and_inf_fail():
    assert close("q", float("nan"), 1.0, 1.0, 1.0).passed is False
    assert close("q", float("inf"), 1.0, 1.0, 1.0).passed is False
    assert close("q", float("inf"), float("inf"), 1.0, 1.0).passed is False


def test_close_arrays_and_shapes():
    a = np.array([1.0, 2.0, 3.0])
    assert close("v", a, a * (1 + 1e-12), 1e-9).passed is True
    assert close("v", a, a + np.array([0, 0, 1e-3]), 1e-9).passed is False
    # a shape mismatch that numpy would broadcast away still fails
    assert close("v", np.ones(2), np.ones((2, 2)), 1.0, 1.0).passed is False
    assert close("v", np.ones(2), 1.0, 1.0, 1.0).passed is False
    assert close("v", [1 + 1j], [1 - 1j], 0.5).passed is False  # imaginary parts count


def test_close_records_worst_error_and_values():
    out = close("g(1/2)", 0.25, 0.5, 1e-9)
    assert out.passed is False
    assert out.detail == "g(1/2): max |route 1 - route 2| = 0.25"
    assert out.compared == [("g(1/2)", "0.25", "0.5")]
    out = close("v", np.array([1.0, 2.0]), np.array([1.0, 2.5]), 1e-9)
    assert out.detail == "v: max |route 1 - route 2| = 0.5"
    assert out.compared == [("v", "(1, 2)", "(1, 2.5)")]  # up to six real values are shown
    out = close("v", np.arange(6.0), np.arange(6.0), 1e-9)
    assert out.compared == [("v", "(0, 1, 2, 3, 4, 5)", "(0, 1, 2, 3, 4, 5)")]
    out = close("v", np.arange(7.0), np.arange(7.0), 1e-9)  # seven or more: only the size
    assert out.compared == [("v", "7 values", "7 values")]
    out = close("m", np.eye(3), np.eye(3), 1e-9)
    assert out.compared == [("m", "3x3 array", "3x3 array")]
    out = close("c", 1j, 1 - 2j, 1e-9)  # complex numbers as a + bi, never Python's (1-2j)
    assert out.compared == [("c", "1i", "1 - 2i")]
    assert close("c", np.array([1.0, 2 + 1j]), np.array([1.0, 2 + 1j]), 1e-9).compared == \
        [("c", "(1, 2 + 1i)", "(1, 2 + 1i)")]
    assert close("e", np.array([]), np.array([]), 1e-9).detail == "e: max |route 1 - route 2| = 0"


# -- verdict comparison and combination ---------------------------------------------------------------
def test_same():
    out = same("recovers", "yes", "yes")
    assert (out.passed, out.detail, out.compared) == (True, "", [("recovers", "yes", "yes")])
    out = same("recovers", "yes", "no")
    assert (out.passed, out.detail) == (False, "recovers: 'yes' vs 'no'")
    assert same("t", (1, 2), (1, 2)).passed and not same("t", (1, 2), (2, 1)).passed


def test_all_of_combines():
    a = Outcome(True, "", [("a", "1", "1")], 1e-7)
    b = Outcome(True, "b detail", [("b", "2", "2")], 2e-7)
    c = Outcome(False, "c failed", [("c", "3", "4")])
    out = all_of(a, b)
    assert out.passed is True
    assert out.compared == [("a", "1", "1"), ("b", "2", "2")]
    assert out.false_failure == pytest.approx(3e-7, rel=1e-12)
    assert out.detail == "b detail"
    out = all_of(a, b, c, detail="head")
    assert out.passed is False
    assert out.detail == "head; b detail; c failed"
    assert all_of(c).false_failure is None
    assert all_of(Outcome(False), Outcome(True)).passed is False
    assert all_of().passed is True and all_of().compared == []


def test_text_of_values():
    assert _text(sympy.Rational(1, 3)) == "1/3"
    assert _text(0.1 + 0.2) == "0.3"  # 12 significant digits
    assert _text(1.0 / 3.0) == "0.333333333333"
    assert _text("yes") == "yes" and _text(True) == "yes" and _text(False) == "no"
    # a long exact number is shown as a float, a long expression with symbols is kept
    big = sympy.Rational(10**70 + 1, 3 * 10**69)
    assert _text(big) == "3.33333333333 (exact value in the JSON of `derive`)"
    x = sympy.Symbol("x")
    long_expr = sum(x**k for k in range(1, 15))
    assert "x^14" in _text(long_expr) and "exact value" not in _text(long_expr)
    short = sympy.Rational(10**20 + 1, 3)  # 23 characters: printed exactly
    assert _text(short) == "100000000000000000001/3"


def test_text_boundary_at_forty_characters():
    # a rational whose text has exactly 40 characters is printed exactly; 41 is shown as a decimal
    n40 = sympy.Rational(int("1" * 38), 7)  # "111...1/7": 38 + 2 = 40 characters
    n41 = sympy.Rational(int("1" * 39), 7)
    assert len(str(n40)) == 40 and len(str(n41)) == 41
    assert _text(n40) == str(n40)
    assert _text(n41) == "1.5873015873e+37 (exact value in the JSON of `derive`)"  # 111.../7 = 1.587301587301...e37


def test_finite():
    assert finite(1.5) is True
    assert finite(float("nan")) is False
    assert finite(float("inf")) is False
    assert finite(1) is False  # ints are not the float results the checks expect
    assert finite(np.float64(2.0)) is True
    assert math.isfinite(2.0)


def test_zero_refuses_text_instead_of_parsing_it():
    # user text is never handed to sympify's parser: a string is an error, not an expression
    with pytest.raises(sympy.SympifyError):
        _zero("x - x")


def test_zero_of_a_nonzero_constant():
    assert _zero(sympy.Integer(1)) is False
    assert _zero(sympy.Integer(0)) is True
    x = sympy.Symbol("x")
    assert exact_equal("q", x + 1, x).passed is False  # the difference is exactly 1


@pytest.mark.parametrize("v1,v2", [
    ("1/3", sympy.Rational(1, 3)), (sympy.Rational(1, 3), "1/3"),
    (("1/2", sympy.Rational(1, 4)), (sympy.Rational(1, 2), sympy.Rational(1, 4))),
    ((sympy.Rational(1, 2), sympy.Rational(1, 4)), (sympy.Rational(1, 2), "1/4")),
])
def test_exact_equal_refuses_text_on_either_side(v1, v2):
    with pytest.raises(sympy.SympifyError):
        exact_equal("q", v1, v2)


def test_exact_equal_elementwise_when_only_one_side_is_a_tuple():
    # a SymPy Matrix against a list: compared entry by entry
    assert exact_equal("v", sympy.Matrix([1, 2]), [1, 2]).passed is True
    assert exact_equal("v", sympy.Matrix([1, 2]), [1, 3]).passed is False


def test_close_takes_exact_sympy_numbers_on_either_side():
    third = sympy.Rational(1, 3)
    assert close("q", third, 1 / 3, 1e-12).passed is True
    assert close("q", 1 / 3, third, 1e-12).passed is True
    assert close("q", third, 0.3334, 1e-6).passed is False
    assert close("q", [third, third], [1 / 3, 1 / 3], 1e-12).passed is True
