"""Monte Carlo comparisons with a false-failure probability that is derived, not estimated.

A Monte Carlo check compares the sample mean of n i.i.d. values with their exact expectation mu.
Its tolerance comes from the EXACT variance sigma^2 of one value (computed by the engine from the
law's moments, never estimated from the sample) and a distribution-free bound:

* median of means: split the n values into B groups of n/B; by Chebyshev each group mean leaves
  [mu - c sigma sqrt(B/n), mu + c sigma sqrt(B/n)] with probability at most p = 1/c^2;
* the median of the B group means (B odd) leaves that interval only if at least (B + 1)/2 group
  means do, which has probability at most P(Binomial(B, p) >= (B + 1)/2), computed exactly.

With c = 3 and B = 25 that bound is 5.6e-7 <= 1e-6 at a tolerance of 15 sigma / sqrt(n)
(Chebyshev alone would need 1000 sigma / sqrt(n) for the same bound). No moment beyond the
variance is used, so heavy tails cost width, never validity; a law whose variance for the
quantity is infinite gets no Monte Carlo check at all (the caller says why).
"""
import math
from fractions import Fraction

import numpy as np

from mesacheck.checks.compare import Outcome

#: the false-failure probability each Monte Carlo check must stay below
TARGET = 1e-6
#: Chebyshev multiplier per group mean (p = 1/c^2 per group)
CHEB_C = 3


def binomial_tail(B, p):
    """P(Binomial(B, p) >= (B + 1)/2) exactly (p a Fraction), as a float rounded up."""
    k = (B + 1) // 2
    total = sum(math.comb(B, i) * p**i * (1 - p) ** (B - i) for i in range(k, B + 1))
    return float(total) * (1 + 1e-12)


def groups_for(target=TARGET, c=CHEB_C):
    """The smallest odd number of groups B whose median-of-means bound is <= target."""
    p = Fraction(1, c * c)
    B = 1
    while binomial_tail(B, p) > target:
        B += 2
    return B


GROUPS = groups_for()
BOUND = binomial_tail(GROUPS, Fraction(1, CHEB_C * CHEB_C))


def tolerance(variance, n, B=GROUPS, c=CHEB_C):
    """The half-width c sigma sqrt(B/n) of the median-of-means comparison."""
    return c * math.sqrt(max(variance, 0.0) * B / n)


def median_of_means(values, B=GROUPS):
    """Median of the means of B consecutive, equal groups of ``values`` (len divisible by B)."""
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or v.size % B or v.size == 0:
        raise ValueError(f"need a positive multiple of {B} values, got {v.size}")
    return float(np.median(v.reshape(B, -1).mean(axis=1)))


def compare(quantity, values, exact_mean, exact_variance, how_variance):
    """Outcome of comparing the median of means of ``values`` with ``exact_mean``.

    ``exact_variance``: the variance of ONE value, exact (a float converted from the engine's
    exact result); ``how_variance`` says where it comes from (printed with the result).
    """
    n = len(values)
    est = median_of_means(values)
    tol = tolerance(exact_variance, n)
    ok = bool(np.isfinite(est) and abs(est - exact_mean) <= tol)
    detail = (f"{quantity}: median of {GROUPS} means of {n // GROUPS} = {est:.8g} vs exact "
              f"{exact_mean:.8g}; |diff| = {abs(est - exact_mean):.3g} <= {tol:.3g} = {CHEB_C} sigma "
              f"sqrt({GROUPS}/n), sigma^2 = {exact_variance:.4g} ({how_variance})")
    return Outcome(ok, detail, [(quantity, f"{est:.8g} (Monte Carlo)", f"{exact_mean:.8g}")], BOUND)


def describe_tolerance():
    """The tolerance text shown in verdict tables."""
    return f"{CHEB_C} sigma sqrt({GROUPS}/n), false failure <= {BOUND:.1e}"
