"""The median-of-means Monte Carlo comparison (mesacheck/checks/montecarlo.py): its binomial tail,
number of groups, tolerance, estimator and verdict, against values computed here by hand or with
scipy's binomial distribution."""
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.stats import binom

from mesacheck.checks import montecarlo as mc


def test_binomial_tail_small_cases_by_hand():
    p = Fraction(1, 9)
    # B = 1: P(X >= 1) = p
    assert mc.binomial_tail(1, p) == pytest.approx(1 / 9, rel=1e-11)
    # B = 3: P(X >= 2) = 3 p^2 (1 - p) + p^3 = 3*8/729 + 1/729 = 25/729
    assert mc.binomial_tail(3, p) == pytest.approx(25 / 729, rel=1e-11)
    # B = 5: P(X >= 3) = 10 p^3 q^2 + 5 p^4 q + p^5 = (640 + 40 + 1) / 9^5
    assert mc.binomial_tail(5, p) == pytest.approx(681 / 9**5, rel=1e-11)


def test_binomial_tail_is_rounded_up_not_down():
    exact = Fraction(25, 729)
    got = mc.binomial_tail(3, Fraction(1, 9))
    assert got >= float(exact)
    assert got - float(exact) <= 1e-11 * float(exact)


@pytest.mark.parametrize("B", [7, 15, 25, 31])
def test_binomial_tail_matches_scipy(B):
    # P(X >= (B+1)/2) = sf((B-1)/2)
    assert mc.binomial_tail(B, Fraction(1, 9)) == pytest.approx(binom.sf((B - 1) // 2, B, 1 / 9), rel=1e-9)


def test_groups_is_the_smallest_odd_number_meeting_the_target():
    assert mc.TARGET == 1e-6 and mc.CHEB_C == 3
    # independently: the smallest odd B with P(Binomial(B, 1/9) >= (B+1)/2) <= 1e-6
    B = next(B for B in range(1, 200, 2) if binom.sf((B - 1) // 2, B, 1 / 9) <= 1e-6)
    assert B == 25
    assert mc.groups_for() == 25 and mc.GROUPS == 25
    assert mc.BOUND == pytest.approx(binom.sf(12, 25, 1 / 9), rel=1e-9)
    assert mc.BOUND <= 1e-6
    # other targets / multipliers
    assert mc.groups_for(target=0.5) == 1
    assert mc.groups_for(target=1 / 9 - 1e-9) == 3  # B = 1 gives exactly 1/9 > target
    B2 = next(B for B in range(1, 200, 2) if binom.sf((B - 1) // 2, B, 1 / 4) <= 1e-3)
    assert mc.groups_for(target=1e-3, c=2) == B2


def test_tolerance_formula():
    # c sigma sqrt(B / n) = 3 * 2 * sqrt(25 / 10000) = 0.3
    assert mc.tolerance(4.0, 10000) == pytest.approx(0.3, rel=1e-14)
    assert mc.tolerance(4.0, 10000, B=9, c=2) == pytest.approx(2 * 2 * 0.03, rel=1e-14)
    assert mc.tolerance(0.0, 100) == 0.0
    assert mc.tolerance(-1e-18, 100) == 0.0  # rounding below zero is clipped, not a NaN


def test_median_of_means_groups_consecutive_values():
    # groups [0,1], [2,3], [10,50]: means 0.5, 2.5, 30 -> median 2.5 (the mean would be 11)
    assert mc.median_of_means([0, 1, 2, 3, 10, 50], B=3) == 2.5
    # consecutive, not interleaved: groups [0,2], [10,1], [3,50] (means 1, 5.5, 26.5); taking
    # every third value would give [0,1], [2,3], [10,50] and 2.5
    assert mc.median_of_means([0, 2, 10, 1, 3, 50], B=3) == 5.5
    v = np.arange(25 * 4, dtype=float)
    assert mc.median_of_means(v) == pytest.approx(np.median(v.reshape(25, 4).mean(axis=1)))
    assert mc.median_of_means(v) == pytest.approx(49.5)


@pytest.mark.parametrize("bad", [[], [1.0] * 26, [[1.0] * 25]])
def test_median_of_means_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="positive multiple of 25"):
        mc.median_of_means(bad)


def test_compare_passes_inside_and_fails_outside_the_tolerance():
    n = 25 * 400
    var = 1.0
    tol = 3 * math.sqrt(25 / n)  # 0.15
    inside = np.full(n, 2.0 + 0.99 * tol)
    outside = np.full(n, 2.0 + 1.01 * tol)
    below = np.full(n, 2.0 - 1.01 * tol)
    assert mc.compare("m", inside, 2.0, var, "exact").passed is True
    assert mc.compare("m", outside, 2.0, var, "exact").passed is False
    assert mc.compare("m", below, 2.0, var, "exact").passed is False
    # the tolerance grows with the exact variance, never with the sample's spread
    assert mc.compare("m", outside, 2.0, 1.1, "exact").passed is True
    nan = inside.copy()
    nan[:] = np.nan
    assert mc.compare("m", nan, 2.0, var, "exact").passed is False


def test_compare_uses_the_median_of_means_not_the_mean():
    n = 25 * 4
    v = np.zeros(n)
    v[:4] = 1e6  # one wild group: the mean moves by 4e4, the median of means not at all
    out = mc.compare("m", v, 0.0, 1.0, "exact")
    assert out.passed is True


def test_compare_records_what_it_compared():
    n = 25 * 4
    out = mc.compare("E s2", np.full(n, 1.5), 1.25, 0.01, "from moments")
    assert out.passed is False
    assert out.false_failure == mc.BOUND
    assert out.compared == [("E s2", "1.5 (Monte Carlo)", "1.25")]
    tol = 3 * math.sqrt(0.01 * 25 / n)
    assert out.detail == (f"E s2: median of 25 means of 4 = 1.5 vs exact 1.25; |diff| = 0.25 <= "
                          f"{tol:.3g} = 3 sigma sqrt(25/n), sigma^2 = 0.01 (from moments)")


def test_describe_tolerance():
    assert mc.describe_tolerance() == "3 sigma sqrt(25/n), false failure <= 5.6e-07"


def test_false_failure_rate_is_below_the_bound_for_a_gaussian():
    """An empirical sanity check that cannot fail falsely: with 2000 independent comparisons of
    correct values the expected number of false failures is <= 2000 * 5.6e-7 ~ 1e-3."""
    rng = np.random.default_rng(12345)
    fails = sum(not mc.compare("m", rng.normal(size=25 * 8), 0.0, 1.0, "exact").passed for _ in range(2000))
    assert fails == 0


def test_groups_target_is_inclusive():
    # "smallest odd B whose bound is <= target": a bound exactly equal to the target is accepted
    p = Fraction(1, 9)
    assert mc.groups_for(target=mc.binomial_tail(1, p)) == 1
    assert mc.groups_for(target=mc.binomial_tail(5, p)) == 5


def test_compare_is_inclusive_at_the_tolerance():
    # n = 100, B = 25, c = 3, sigma^2 = 4: tol = 3 * sqrt(4 * 25 / 100) = 3 exactly
    n = 25 * 4
    assert mc.tolerance(4.0, n) == 3.0
    assert mc.compare("m", np.full(n, 3.0), 0.0, 4.0, "exact").passed is True
    assert mc.compare("m", np.full(n, 3.0 + 1e-12), 0.0, 4.0, "exact").passed is False


def test_median_of_means_averages_in_double_precision():
    # groups [2^24, 1]: mean 8388608.5 exactly in float64; a float32 sum would round 2^24 + 1 to 2^24
    # (float32 has a 24-bit significand) and give 8388608.0. A sample of float32 values (a
    # simulator's storage type) is averaged in double precision all the same.
    v = np.array([2.0**24, 1.0] * 25, dtype=np.float32)
    assert mc.median_of_means(v) == 8388608.5
    assert mc.median_of_means([2**24, 1] * 25) == 8388608.5
