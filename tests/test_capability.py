"""Moment sums and the asymptotic excess E_inf(u) of mesacheck/symbolic/capability.py, against
moments worked out by hand (N(0, s^2): E x^2 = s^2, E x^4 = 3 s^4, E x^6 = 15 s^6; a symmetric
two-point law +-c: every even moment is c^n)."""
import sympy

from mesacheck.setting.distributions import parse_dist
from mesacheck.symbolic.capability import asymptotic_excess, coordinate_sums
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
