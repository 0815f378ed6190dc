"""Exact means and variances of the per-sample quantities the Monte Carlo checks average.

A Monte Carlo check (:mod:`mesacheck.checks.montecarlo`) needs the EXACT variance of one sample;
these are derived here from the law's exact moments.

* Sampler statistics: s_n = sum_j |x_j|^n (n = 2, 4) has mean S_n = sum_j E|x_j|^n and variance
  sum_{j,k} E|x_j|^n |x_k|^n - S_n^2 (moments of order 2n).
* The ratio at test position t on the scalar set A = aI, B = bI (u = ab): per sequence
  Y = sum_j 1{x_j != 0} Re(yhat_{t,j} / x_{t+1,j}) / Pi with the exact Pi = sum_j P(x_j != 0).
  With yhat_{t,j} / x_{t+1,j} = u|x_j|^2 + (u/(t-1)) sum_{k != j} |x_k|^2 S_jk (see
  :mod:`mesacheck.symbolic.capability`), pairing (j, k) with (k, j) (S_kj = conj S_jk):

      Pi Y = u sum_j |x_j|^2 + (u/(t-1)) sum_{j<k} w_jk Re S_jk,
      w_jk = 1{x_j != 0}|x_k|^2 + 1{x_k != 0}|x_j|^2.

  Over W, E Re S_jk = 0, E (Re S_jk)^2 = (t-1)/2 (E S^2 = 0, E|S|^2 = t-1), and the Re S of two
  different pairs are uncorrelated (some lambda is left unmatched), so
      E Y = u S_2 / Pi,
      Var Y = [u^2 Var(sum_j |x_j|^2) + u^2/(2(t-1)) sum_{j<k} E w_jk^2] / Pi^2,
      E w_jk^2 = E[1{x_j != 0}|x_k|^4] + E[1{x_k != 0}|x_j|^4] + 2 E|x_j|^2|x_k|^2.
  (Checked against exact enumeration in tests/test_variances.py.)
"""
import sympy


def _pair_moment(dist, d, j, k, n):
    """E |x_j|^n |x_k|^n (j may equal k)."""
    alpha = [0] * d
    alpha[j] += n // 2
    alpha[k] += n // 2
    return dist.moment(tuple(alpha), tuple(alpha))


def sum_power_stats(dist, d, n):
    """(mean, variance) of s_n = sum_j |x_j|^n for one draw x_1 (n even), exactly."""
    if n % 2:
        raise ValueError("n must be even")
    one = [tuple(n // 2 if i == j else 0 for i in range(d)) for j in range(d)]
    mean = sum(dist.moment(alpha, alpha) for alpha in one)
    second = sum(_pair_moment(dist, d, j, k, n) for j in range(d) for k in range(d))
    return sympy.simplify(mean), sympy.simplify(second - mean**2)


def ratio_stats(dist, d, u, t):
    """(mean, variance) of the per-sequence ratio Y at test position t, A = aI, B = bI, u = ab."""
    Pi = sum(dist.prob_nonzero(j, d) for j in range(d))
    S2, var_s2 = sum_power_stats(dist, d, 2)
    w2 = sum(dist.nonzero_moment(j, k, 4, d) + dist.nonzero_moment(k, j, 4, d)
             + 2 * _pair_moment(dist, d, j, k, 2) for j in range(d) for k in range(j + 1, d))
    mean = u * S2 / Pi
    var = (u**2 * var_s2 + u**2 * w2 / (2 * (t - 1))) / Pi**2
    return sympy.simplify(mean), sympy.simplify(var)
