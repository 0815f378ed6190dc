"""The verdict of ``flow --empirical``: per-sequence coefficients against the exact Q and R, the
delta-method standard error against the spread over independent samples, the refusal of laws with
an infinite-variance loss, and the agree / disagree rule."""
import math

import numpy as np
import pytest

from mesacheck.errors import InputError
from mesacheck.numeric import empirical_check
from mesacheck.numeric.boundary import to_float
from mesacheck.setting.distributions import parse_dist
from mesacheck.setting.model import ProcessBatch
from mesacheck.symbolic.reduced import structured_coefficients


def batch(spec, d, T, m, seed):
    rng = np.random.default_rng(seed)
    return ProcessBatch.sample(parse_dist(spec).sample(m, d, rng), T, rng)


@pytest.mark.parametrize("spec", ["gaussian:sigma=1", "uniform:c=1", "rademacher:c=1"])
def test_per_sequence_coefficients_average_to_the_exact_ones(spec):
    """mean Q_s and mean R_s estimate the exact structured coefficients (within 5 standard errors)."""
    d, T, m = 2, 8, 4000
    Q, R, _, _ = structured_coefficients(parse_dist(spec), d, T)
    Qs, Rs = empirical_check.per_sequence_coefficients(batch(spec, d, T, m, 1))
    for sample, exact in ((Qs, to_float(Q, "Q")), (Rs, to_float(R, "R"))):
        se = np.std(sample, ddof=1) / math.sqrt(m)
        assert abs(np.mean(sample) - exact) <= 5 * se + 1e-12 * abs(exact)


def test_limit_se_matches_the_spread_over_samples():
    """The delta-method SE of u_hat = mean R_s / mean Q_s against the standard deviation of u_hat over
    30 independent samples (factor 1.5: the spread itself is estimated from 30 values)."""
    d, T, m = 2, 8, 400
    values, ses = [], []
    for seed in range(30):
        b = batch("gaussian:sigma=1", d, T, m, seed)
        se, info = empirical_check.limit_se(b)
        values.append(info["sample_u_star"])
        ses.append(se)
    spread = float(np.std(values, ddof=1))
    assert 1 / 1.5 <= np.mean(ses) / spread <= 1.5


def test_sparse_law_has_no_noise_at_its_limit():
    se, info = empirical_check.limit_se(batch("sparse:c=1", 3, 8, 300, 0))
    assert se <= 1e-12 * abs(info["sample_u_star"])


def test_batch_means():
    b = batch("gaussian:sigma=1", 2, 6, 400, 0)
    means = []

    def fake_flow(sub, tau):
        means.append(sub.m)
        return float(np.mean(np.abs(sub.x1) ** 2))  # any per-batch statistic

    se, info = empirical_check.batch_means_se(fake_flow, b, 1.0)
    assert sum(means) == 400 and len(means) == empirical_check.BATCHES
    assert se == pytest.approx(np.std(info["batch_ab"], ddof=1) / math.sqrt(empirical_check.BATCHES))
    se, info = empirical_check.batch_means_se(fake_flow, batch("gaussian:sigma=1", 2, 6, 100, 0), 1.0)
    assert se == math.inf and "m >= 160" in info["se_method"]


@pytest.mark.parametrize("spec, refused", [("student-t:nu=7", True), ("student-t:nu=12", True),
                                           ("student-t:nu=121/10", False), ("gaussian:sigma=1", False),
                                           ("laplace:b=1", False)])
def test_infinite_variance_is_refused_naming_the_moment(spec, refused):
    if refused:
        with pytest.raises(InputError, match="infinite 12th moment"):
            empirical_check.check_finite_variance(parse_dist(spec))
    else:
        empirical_check.check_finite_variance(parse_dist(spec))


def test_compare_rule():
    ok = empirical_check.compare(1.0 + 3.9e-3, 1.0, 1.0, 1e-3)
    assert ok["verdict"] == "agree" and ok["tolerance"] == pytest.approx(4e-3 + 1e-4)
    bad = empirical_check.compare(1.0 + 4.2e-3, 1.0, 1.0, 1e-3)
    assert bad["verdict"] == "disagree"
    assert empirical_check.compare(0.0765, 3.3e-5, 3.3e-5, 1e-6)["verdict"] == "disagree"  # issue 12's example
    assert empirical_check.compare(1.0, 1.0, 1.0, math.inf)["verdict"] == "none"
