"""Moment sums, the asymptotic excess E_inf(u), the ratio and the recovery verdict of
mesacheck/symbolic/capability.py, against moments worked out by hand (N(0, s^2): E x^2 = s^2,
E x^4 = 3 s^4, E x^6 = 15 s^6; a symmetric two-point law +-c: every even moment is c^n)"""
import sympy

from mesacheck.setting.distributions import parse_dist
from mesacheck.symbolic.capability import (_verdict, asymptotic_excess, coordinate_sums, nonzero_total,
                                          ratio_value)
from mesacheck.symbolic.symbols import d as D_SYMBOL

R = sympy.Rational


def test_coordinate_sums_concrete_d():
    assert coordinate_sums(parse_dist("gaussian:sigma=1"), 3) == (3, 9, 45)
    assert coordinate_sums(parse_dist("gaussian:sigma=2"), 2) == (8, 96, 1920)
    # x = +-(1, 2): M2 = (1, 4), M4 = (1, 16), M6 = (1, 64)
    assert coordinate_sums(parse_dist("mixture:1/2*[1,2]+1/2*[-1,-2]"), 2) == (5, 17, 65)


def test_coordinate_sums_symbolic_d():
    d = D_SYMBOL
    S2, S4, S6 = coordinate_sums(parse_dist("gaussian:sigma=1"), d)
    assert sympy.simplify(S2 - d) == 0
    assert sympy.simplify(S4 - 3 * d) == 0
    assert sympy.simplify(S6 - 15 * d) == 0


def test_asymptotic_excess_by_hand():
    # gaussian sigma = 1, d = 2: E_inf(u) = u^2 S6 - 2 u S4 + S2 = 30 u^2 - 12 u + 2
    g = parse_dist("gaussian:sigma=1")
    assert asymptotic_excess(g, 2, R(1, 5)) == 30 * R(1, 25) - 12 * R(1, 5) + 2
    assert asymptotic_excess(g, 2, 0) == 2
    # symbolic d: d (15 u^2 - 6 u + 1), minimal at u = 1/5 with value 2d/5 > 0 (no recovery)
    assert sympy.simplify(asymptotic_excess(g, D_SYMBOL, R(1, 5)) - 2 * D_SYMBOL / 5) == 0
    # +-(1, 2) at u = (1, 1/4): E_inf = sum_j (u_j^2 M6 - 2 u_j M4 + M2) = (1-2+1) + (4-8+4) = 0
    mix = parse_dist("mixture:1/2*[1,2]+1/2*[-1,-2]")
    assert asymptotic_excess(mix, 2, (1, R(1, 4))) == 0
    assert asymptotic_excess(mix, 2, R(1, 2)) == R(1, 4) * 65 - 17 + 5


# -- the ratio's denominator and value (sum_j P(x_j != 0), sum_j u_j M2_j / that) -------------------
# sparse:c=2 puts c s e_k, k uniform: P(x_j != 0) = 1/d, E x_j^2 = 4/d, so sum_j P(x_j != 0) = 1
# and S2 = 4 for every d. The mixture below has zeros in both coordinates, unequally often:
# P(x_1 != 0) = 3/4, P(x_2 != 0) = 1/2; E x_1^2 = (1 + 1 + 4)/4, E x_2^2 = (4 + 4)/4.
ZEROS = "mixture:1/4*[1,0]+1/4*[-1,0]+1/4*[0,2]+1/4*[2,-2]"


def test_nonzero_total():
    D = D_SYMBOL
    assert nonzero_total(parse_dist("sparse:c=2"), 3) == 1
    assert sympy.simplify(nonzero_total(parse_dist("sparse:c=2"), D) - 1) == 0
    assert sympy.simplify(nonzero_total(parse_dist("gaussian:sigma=1"), D) - D) == 0
    assert nonzero_total(parse_dist("gaussian:sigma=1"), 3) == 3
    assert nonzero_total(parse_dist(ZEROS), 2) == R(5, 4)


def test_ratio_value():
    D = D_SYMBOL
    # sum_j u_j M2_j / sum_j P(x_j != 0)
    assert ratio_value(parse_dist(ZEROS), 2, (1, R(1, 4))) == (R(3, 2) + R(1, 4) * 2) / R(5, 4)
    assert ratio_value(parse_dist(ZEROS), 2, R(1, 2)) == (R(3, 2) + 2) / 2 / R(5, 4)
    assert sympy.simplify(ratio_value(parse_dist("sparse:c=2"), D, R(1, 5)) - R(4, 5)) == 0
    assert sympy.simplify(ratio_value(parse_dist("gaussian:sigma=2"), D, R(1, 20)) - R(1, 5)) == 0


# -- the recovery verdict: E_inf == 0 ? ------------------------------------------------------------
# H_8 = 761/280 kept unevaluated: sign_for_valid_T_d hides H_n behind a positive symbol, so it
# cannot sign sqrt(H_8) - 1 (a closed number, 0.6486...), and _verdict falls back to 60 digits.
H8 = sympy.harmonic(8, evaluate=False)


def test_verdict_exact_value():
    assert _verdict(sympy.Integer(0), True) == "yes"
    assert _verdict(R(1, 10**30), True) == "no"
    assert _verdict(-R(1, 10**30), True) == "no"  # E_inf >= 0, but any nonzero value is no recovery
    assert _verdict(sympy.Symbol("q") ** 2 + 1, True) == "undecided"  # not a number: not signed


def test_verdict_closed_number_sympy_cannot_sign():
    assert _verdict(sympy.sqrt(H8) - 1, True) == "no"
    assert _verdict(1 - sympy.sqrt(H8), True) == "no"
    assert _verdict(H8 - R(761, 280), True) == "undecided"  # zero to 60 digits: not decided


def test_verdict_certified_numeric_value():
    # a numeric u (not exact): E_inf above 1e-15 is 'no'; at or below, or symbolic, 'undecided'
    assert _verdict(R(1, 10**14), False) == "no"
    assert _verdict(sympy.Float("1e-15"), False) == "undecided"
    assert _verdict(R(1, 10**16), False) == "undecided"
    assert _verdict(sympy.Integer(0), False) == "undecided"
    assert _verdict(sympy.Symbol("q") ** 2 + 1, False) == "undecided"


def test_verdict_decides_at_its_stated_precision():
    # The thresholds as exact binary numbers: a value a fraction of a double's ulp above one is
    # above it at the 40 digits of a numeric verdict and the 60 of a closed form's, not at 15.
    t15 = sympy.Rational(sympy.Float("1e-15"))
    assert _verdict(t15 + t15 / 2**55, False) == "no"
    assert _verdict(t15, False) == "undecided"
    t40 = sympy.Rational(sympy.Float("1e-40"))
    assert _verdict(H8 - R(761, 280) + t40 + t40 / 2**55, True) == "no"
    assert _verdict(H8 - R(761, 280) + t40, True) == "undecided"
