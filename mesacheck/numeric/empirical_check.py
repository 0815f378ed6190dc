"""Verdict for a sampled flow: compare ``flow --empirical`` with the exact value, with a stated tolerance.

The exact value exists when the law is exchangeable and the structured set {A = aI, B = bI} is
invariant for it: then the exact population flow from an Assumption 3.1 start is the reduced
(a, b) flow, and ab tends to u* = R/Q (0 on the line a0 + b0 = 0); at a given tau it is the
reduced flow's ab(tau).

Sampling error (delta method, first order in 1/sqrt(m)). On the structured set each sequence s
contributes loss_s(u) = Q_s u^2 / 2 - R_s u + C_s, u = ab, with Q_s = sum_t |y_t|^2 and
R_s = Re sum_t <y_t, x_{t+1}>, y_t the prediction at a = b = 1 (E Q_s = Q, E R_s = R). The
sample's limit is u_hat = mean R_s / mean Q_s, with standard error
SE = sd(R_s - u_hat Q_s) / (sqrt(m) mean Q_s) (checked against the spread of the limit over 12
seeds: gaussian d = 2, T = 10, m = 2000: SE 0.0093, spread 0.0080).

At a finite tau the structured restriction misses first-order effects (the diagonal entries move
at rates set by each coordinate's own sample share: for sparse laws Q_s and R_s are the same for
every sequence, yet ab(tau) varies from sample to sample), so the SE there is by batch means: the
sample is split into BATCHES disjoint parts, the flow is run on each to the same tau, and
SE = sd(ab_k(tau)) / sqrt(BATCHES) (a 7-degree-of-freedom estimate: P(|t_7| > 4) = 0.005).

Verdict: ``agree`` when |ab_sampled - ab_exact| <= Z_SE * SE + NUMERIC_RTOL * max(|ab_exact|, |u*|)
(the second term covers the solvers' tolerances and the convergence criterion), else
``disagree``. The SE needs Var(Q_s) < oo, i.e. a finite 12th moment (the loss involves |x|^6):
laws without one are refused beforehand (:func:`check_finite_variance`).
"""
import math

import numpy as np

from mesacheck.errors import InputError
from mesacheck.setting.model import ProcessBatch, predictions
from mesacheck.setting.params import Params

#: standard errors allowed between the sampled and the exact value.
Z_SE = 4.0
#: relative allowance for the solvers (rtol 1e-6 empirical, 1e-10 reduced) and the convergence
#: criterion of the empirical flow (|ab(tau_end) - ab(tau_end/2)| <= 1e-5 |u*|).
NUMERIC_RTOL = 1e-4
#: moment order whose finiteness the sampling error needs (the loss is of order |x|^6).
VARIANCE_MOMENT = 12
#: batches of the batch-means SE at a finite tau, and the fewest sequences per batch.
BATCHES, MIN_PER_BATCH = 8, 20
_CHUNK_BYTES = 16 * 2**20


def check_finite_variance(dist):
    """Refuse (InputError) a law whose sampled loss has infinite variance (infinite 12th moment)."""
    if not dist.moment_order_finite(VARIANCE_MOMENT):
        raise InputError(
            f"--empirical: {dist.spec} has an infinite {VARIANCE_MOMENT}th moment, so the sampled loss "
            f"(which involves |x|^6) has infinite variance: its sampling error is unbounded and no "
            f"sample size gives a reliable result; use the reduced or --full flow (exact moments), "
            f"or a law with a finite {VARIANCE_MOMENT}th moment (student-t needs nu > {VARIANCE_MOMENT})")


def per_sequence_coefficients(batch):
    """(Q_s, R_s) for every sequence of a ProcessBatch (arrays of length m), chunk by chunk."""
    m, T, d = batch.m, batch.T, batch.d
    ones = Params.diagonal(d, 1.0, 1.0)
    rows = max(1, _CHUNK_BYTES // (T * d * 16 * 6))
    Q, R = np.empty(m), np.empty(m)
    for s in range(0, m, rows):
        sl = slice(s, min(m, s + rows))
        part = ProcessBatch(batch.x1[sl], batch.theta[sl], T, cache_bytes=0)
        Y = predictions(ones, part)  # (rows, T-2, d): y_t for t = 2..T-1
        target = part.X[:, 2:]
        Q[sl] = np.sum(np.abs(Y) ** 2, axis=(1, 2))
        R[sl] = np.real(np.sum(np.conj(Y) * target, axis=(1, 2)))
    return Q, R


def limit_se(batch):
    """Delta-method standard error of the sample's limit of ab; returns (se, details dict)."""
    Qs, Rs = per_sequence_coefficients(batch)
    m = len(Qs)
    Qbar, Rbar = float(np.mean(Qs)), float(np.mean(Rs))
    u_hat = Rbar / Qbar
    info = {"sample_Q": Qbar, "sample_R": Rbar, "sample_u_star": u_hat}
    if m < 2:
        return math.inf, dict(info, se_method="undefined with one sequence")
    se = float(np.std(Rs - u_hat * Qs, ddof=1) / (math.sqrt(m) * Qbar))
    return se, dict(info, se_method="delta method: sd(R_s - u_hat Q_s) / (sqrt(m) mean Q_s)")


def batch_means_se(run_flow, batch, tau):
    """Batch-means standard error of ab(tau): ``run_flow(sub_batch, tau)`` -> ab at tau, on BATCHES
    disjoint parts of ``batch``. Returns (se, details dict); se is inf when m < BATCHES * MIN_PER_BATCH."""
    m, T = batch.m, batch.T
    if m < BATCHES * MIN_PER_BATCH:
        return math.inf, {"se_method": f"batch means need m >= {BATCHES * MIN_PER_BATCH} ({BATCHES} batches "
                          f"of {MIN_PER_BATCH}); got m = {m}"}
    edges = np.linspace(0, m, BATCHES + 1).astype(int)
    values = [run_flow(ProcessBatch(batch.x1[lo:hi], batch.theta[lo:hi], T), tau)
              for lo, hi in zip(edges[:-1], edges[1:])]
    se = float(np.std(values, ddof=1) / math.sqrt(BATCHES))
    return se, {"se_method": f"batch means: sd of ab(tau) over {BATCHES} disjoint batches / sqrt({BATCHES})",
                "batch_ab": [float(v) for v in values]}


def compare(sampled, exact, u_star, se):
    """The verdict dict: agree / disagree, the difference, and the tolerance it was held to
    ('none' when the standard error could not be estimated)."""
    if not math.isfinite(se):
        return {"verdict": "none", "reason": "no sampling error estimate", "sampled_ab": sampled,
                "exact_ab": exact}
    tol = Z_SE * se + NUMERIC_RTOL * max(abs(exact), abs(u_star))
    diff = abs(sampled - exact)
    return {"verdict": "agree" if diff <= tol else "disagree", "sampled_ab": sampled, "exact_ab": exact,
            "difference": diff, "tolerance": tol, "sampling_se": se,
            "tolerance_rule": f"{Z_SE:g} SE + {NUMERIC_RTOL:g} max(|exact|, |u*|)"}
