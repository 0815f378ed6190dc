"""Helpers shared by the claim modules: law / size resolution and Monte Carlo oracles.

The oracles here use only the numeric model (:mod:`mesacheck.setting.model`) and the samplers of
the distributions; they never read a symbolic result, so agreeing with one is evidence.
"""
import numpy as np

from mesacheck.errors import InputError
from mesacheck.numeric.boundary import to_float
from mesacheck.setting.distributions import parse_dist
from mesacheck.setting.model import ProcessBatch, loss_and_grad, loss_only, sample_sequences
from mesacheck.setting.params import Params

#: standard errors allowed between a Monte Carlo mean and an exact value (two-sided, ~6e-5).
Z_TOL = 4.0


def resolve(settings, dist, d, T):
    """(Distribution, d, T) from the settings' overrides or the claim's defaults."""
    spec = settings.dist or dist
    law = parse_dist(spec)
    d = settings.d or d
    T = settings.T or T
    if T < 3:
        raise InputError(f"T must be >= 3, got {T}")
    law.for_dim(d)
    return law, d, T


def rng_for(settings, salt):
    """A Generator seeded by (seed, salt): every check has its own reproducible stream."""
    return np.random.default_rng([int(settings.seed), int(salt)])


def fl(expr, what="value"):
    """Exact SymPy scalar -> float through the one numeric boundary."""
    return to_float(expr, what)


def batch_means(values):
    """(mean, standard error) of a list of i.i.d. batch means."""
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size))


def mc_structured_loss(law, d, T, ab_pairs, m, batches, rng):
    """Empirical loss (model.loss_only, mean over sequences) at A = aI, B = bI for each (a, b).

    Returns a list of (mean, standard error) over ``batches`` independent batches of m sequences
    (the same batches for every (a, b)).
    """
    per = [[] for _ in ab_pairs]
    for _ in range(batches):
        data = ProcessBatch.sample(law.sample(m, d, rng), T, rng)
        for k, (a, b) in enumerate(ab_pairs):
            per[k].append(loss_only(Params.diagonal(d, a, b), data))
    return [batch_means(v) for v in per]


def mc_gradient(law, d, T, params, m, batches, rng):
    """Empirical gradient (model.loss_and_grad) averaged over batches: (mean Params, s.e. Params)."""
    kq, pv = [], []
    for _ in range(batches):
        data = ProcessBatch.sample(law.sample(m, d, rng), T, rng)
        _, g = loss_and_grad(params, data)
        kq.append(g.kq)
        pv.append(g.pv)
    kq, pv = np.array(kq), np.array(pv)
    n = len(kq)
    return (kq.mean(0), pv.mean(0)), (kq.std(0, ddof=1) / np.sqrt(n), pv.std(0, ddof=1) / np.sqrt(n))


def model_prediction_at(params, X, t):
    """yhat_t = W^PV E_t E_t^H W^KQ e_t / (t - 1) for each sequence of X (m, >= t, d), straight
    from the model's definition (no prefix sums, no structure): shape (m, d)."""
    m, _, d = X.shape
    E = np.zeros((m, t, 2 * d), dtype=np.complex128)
    E[:, :, :d] = X[:, :t]
    E[:, 1:, d:] = X[:, : t - 1]
    S = np.einsum("sia,sib->sab", E, E.conj())
    e_t = E[:, t - 1]
    v = np.einsum("sab,sb->sa", S, e_t @ params.kq.T)
    return v @ params.pv.T / (t - 1)


def mc_test_error(law, d, u, t, m, chunk, rng):
    """(mean, s.e.) of ||yhat_t - x_{t+1}||^2 at A = sqrt(u) I, B = sqrt(u) I (u >= 0) over m
    sampled sequences (chunks of ``chunk`` sequences), from ``model_prediction_at``."""
    s = np.sqrt(abs(u))
    params = Params.diagonal(d, s, s if u >= 0 else -s)
    errs = []
    done = 0
    while done < m:
        k = min(chunk, m - done)
        X = sample_sequences(law.sample(k, d, rng), t + 1, rng)
        y = model_prediction_at(params, X, t)
        errs.append(np.sum(np.abs(y - X[:, t]) ** 2, axis=1))
        done += k
    v = np.concatenate(errs)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size))


def z_ok(mean, exact, se, floor=1e-12, z=Z_TOL):
    """Whether |mean - exact| <= z * se (+ a tiny floor for zero-variance cases); and the z-score."""
    score = abs(mean - exact) / max(se, floor)
    return abs(mean - exact) <= z * se + floor, score
