"""Exact population expectations E_{x_1, W}[f] by enumeration: a second route, independent of the
symbolic counting engine.

Every expectation here is a finite weighted sum over sequences built from the rules of
:mod:`mesacheck.numeric.quadrature_rules` (x_1 nodes times the N^d phase grid) and is *exact* up to
float64 rounding, because the integrand lies in the class each rule integrates exactly:

* in x_1, a polynomial in (x, conj x) of bounded degree per coordinate (any function for laws
  of finite support);
* in the phases, a trigonometric polynomial with every exponent |k_j| <= K; the product uniform
  rule with N = K + 1 points per coordinate is exact for it.

The degrees. A token is x_{tau,j} = lambda_j^(tau-1) z_j (z = x_1), so a product of p tokens and q
conjugated tokens with times <= tau_max holds lambda_j to powers in [-q (tau_max-1), p (tau_max-1)]
(only the factors on coordinate j count; taking both extremes gives the bound), and has degree
<= p + q in (z_j, conj z_j). The prediction yhat_t = W^PV S_t W^KQ e_t / (t - 1) is a sum of
products e_{i,a} conj(e_{i,b}) e_{t,c}, i <= t: p, q = 2, 1 with times <= t. Hence:

* loss term at t, 1/2 ||yhat_t - x_{t+1}||^2: |yhat_t|^2 has p = q = 3, times <= t, so |k_j| <=
  3(t - 1); conj(x_{t+1}) yhat_t has k_j in [-t - (t - 1), 2(t - 1)], so |k_j| <= 2t - 1 <= 3(t - 1);
  |x_{t+1}|^2 has k = 0. Over t <= T - 1: **K = 3(T - 2)**, x-degree **6**.
* gradient dL/dW^PV = sum_t r_t w_t^H and dL/dW^KQ = sum_t S_t P^H r_t e_t^H / (t - 1) (r_t = yhat_t
  - x_{t+1}, w_t = S_t K e_t / (t - 1)): the same products (3 tokens, 3 conjugated with times <= t,
  or x_{t+1} times 1 token and 2 conjugated ones), so the same K = 3(T - 2) and x-degree 6.
* test error ||yhat_t - x_{t+1}||^2 at a test position t: K = 3(t - 1), x-degree 6.
* ratio yhat_{t,j} / x_{t+1,j} (see :func:`exact_ratio`): K = 2t - 1, x-degree 2.
* second moments E|f|^2 of a per-sequence f: the powers of |f|^2 = f conj(f) are sums of one
  power of f and one of conj(f), so both K and the x-degree double.

Costs: n_x * N^d sequences (n_x = the x_1 rule's size), processed in chunks of bounded memory; a
guard refuses (BudgetError, before any work) above ``max_sequences``.
"""
import math
from dataclasses import dataclass, replace
from typing import Any, Optional

import numpy as np
from tqdm import tqdm

from mesacheck.errors import BudgetError, InputError
from mesacheck.numeric.quadrature_rules import FINITE_SUPPORT, phase_nodes, x1_rule, x1_rule_size
from mesacheck.setting.distributions import Distribution, parse_dist
from mesacheck.setting.model import ProcessBatch, loss_and_grad, predictions
from mesacheck.setting.params import Params
from mesacheck.setting.validate import check_int

#: default largest number of sequences an enumeration may visit.
DEFAULT_MAX_SEQUENCES = 5_000_000
#: bytes of arrays one chunk of sequences may use (ProcessBatch, predictions and temporaries).
CHUNK_BYTES = 48 * 2**20
#: above this many sequences a progress bar is shown on stderr unless ``progress=False``.
PROGRESS_FROM = 2_000_000


@dataclass(frozen=True)
class Rule:
    """The product rule an enumeration used, and why it is exact.

    ``x_degree`` and ``phase_degree`` are those of the integrand actually integrated (already
    doubled when a second moment was asked); ``N = phase_degree + 1``.
    """

    x_degree: int
    phase_degree: int
    N: int
    n_x: int
    n_phase: int
    x_exactness: str
    why: str = ""

    @property
    def n_sequences(self):
        """Number of (x_1 node, phase node) sequences summed over."""
        return self.n_x * self.n_phase

    def describe(self):
        """One line: the rule, its size and the exactness argument."""
        return (f"exact enumeration: {self.n_x} x_1 nodes ({self.x_exactness}) x {self.N}^d phase "
                f"points (exact for |k_j| <= {self.phase_degree}) = {self.n_sequences} sequences"
                + (f"; {self.why}" if self.why else ""))


@dataclass(frozen=True)
class Exact:
    """An exact expectation: ``value`` = E f, ``second_moment`` = E|f|^2 (if asked), ``grad``
    (for :func:`exact_loss_and_grad`), and the ``rule`` that produced them."""

    value: Any
    rule: Rule
    second_moment: Any = None
    grad: Optional[Params] = None

    @property
    def variance(self):
        """E|f|^2 - |E f|^2 (elementwise): the exact variance of the per-sequence quantity."""
        if self.second_moment is None:
            raise InputError("no second moment was computed: pass moments=(1, 2)")
        return self.second_moment - np.abs(self.value) ** 2


# -- the enumeration -------------------------------------------------------------------------------
def _law(dist):
    return parse_dist(dist) if isinstance(dist, str) else dist


def _moments(moments):
    got = tuple(sorted(set(moments)))
    if not got or any(m not in (1, 2) for m in got):
        raise InputError(f"moments must be a non-empty subset of (1, 2), got {moments!r}")
    return got


def plan(dist, d, x_degree, phase_degree, max_sequences=DEFAULT_MAX_SEQUENCES):
    """The Rule for an integrand of these degrees, checked against the budget before any work.

    Raises BudgetError (with the number of sequences) if n_x * N^d > ``max_sequences``, and the
    errors of :func:`x1_rule` for laws it cannot treat.
    """
    dist = _law(dist)
    d = check_int("d", d, 1)
    x_degree = check_int("x_degree", x_degree, 0)
    K = check_int("phase_degree", phase_degree, 0)
    max_sequences = check_int("max_sequences", max_sequences, 1)
    n_x, N = x1_rule_size(dist, d, x_degree), K + 1
    total = n_x * N**d
    if total > max_sequences:
        raise BudgetError(
            f"exact enumeration for {dist.spec}, d={d} needs {n_x} x_1 nodes x {N}^{d} phase points "
            f"= {total:.3g} sequences, above max_sequences={max_sequences:.3g}")
    finite = isinstance(dist, FINITE_SUPPORT)
    exactness = ("finite support: every function" if finite else
                 f"per-coordinate degree <= {2 * (x_degree // 2) + 1}")
    return Rule(x_degree, K, N, n_x, N**d, exactness)


def _chunk_size(T, d, chunk_bytes):
    per_sequence = 16 * T * (3 * d * d + 12 * d + 8)
    return max(1, int(chunk_bytes) // per_sequence)


def _batches(dist, d, T, rule, chunk_bytes, progress):
    """Yield (ProcessBatch, weights) over all (x_1 node, phase node) pairs, chunk by chunk."""
    nodes, wx = x1_rule(dist, d, rule.x_degree)
    if len(wx) != rule.n_x:
        raise AssertionError("x1_rule_size disagrees with x1_rule")  # a bug, not bad input
    size = _chunk_size(T, d, chunk_bytes)
    total = rule.n_sequences
    show = total >= PROGRESS_FROM if progress is None else bool(progress)
    w_phase = float(rule.N) ** -d
    with tqdm(total=total, disable=not show, unit="seq", desc="exact enumeration", leave=False) as bar:
        for start in range(0, total, size):
            idx = np.arange(start, min(total, start + size), dtype=np.int64)
            ix, iph = idx // rule.n_phase, idx % rule.n_phase
            theta = phase_nodes(iph, d, rule.N)
            # cache_bytes=0: each batch is used once, so caching its Gram matrices saves nothing.
            yield ProcessBatch(nodes[ix], theta, T, cache_bytes=0), wx[ix] * w_phase
            bar.update(len(idx))


def _weighted_sum(w, values):
    """sum_s w_s values_s with pairwise summation along the sequences."""
    flat = values.reshape(values.shape[0], -1)
    prod = np.ascontiguousarray((w[:, None] * flat).T)
    return prod.sum(axis=1).reshape(values.shape[1:])


def _finish(parts):
    total = sum(parts[1:], parts[0]) if len(parts) > 1 else parts[0]
    if np.ndim(total) == 0:
        total = total.item()
        if isinstance(total, complex) and total.imag == 0:
            total = total.real
    return total


def expectation(dist, d, T, per_sequence, x_degree, phase_degree, moments=(1,),
                max_sequences=DEFAULT_MAX_SEQUENCES, progress=None, chunk_bytes=CHUNK_BYTES):
    """E_{x_1 ~ dist, W}[f] exactly, for f given per sequence.

    Parameters
    ----------
    dist : Distribution or spec string
    d, T : int
        Dimension and sequence length (T >= 3: the batch is a :class:`ProcessBatch`).
    per_sequence : callable
        ``per_sequence(batch)`` -> array of shape (m, ...) (real or complex), one value (scalar or
        array) per sequence of the ProcessBatch ``batch`` (attributes X, x1, theta, lam).
    x_degree : int
        Bound on the degree of f in (x_1j, conj x_1j) for each coordinate j.
    phase_degree : int
        Bound K on |k_j| over the trigonometric monomials exp(i k . theta) of f.
    moments : subset of (1, 2)
        1: E f; 2: E|f|^2 (elementwise). With 2 the rule is built for degrees 2 x_degree, 2 K.
    max_sequences : int
        Budget guard (BudgetError before any work above it).

    Returns
    -------
    Exact
        ``value`` (if 1 in moments), ``second_moment`` (if 2), and the ``rule``.

    Exactness: if f meets the stated bounds, the result equals the population expectation up to
    float64 rounding (nodes and weights rounded once, sums in float64). If it does not, the result
    is wrong without warning: the bounds are the caller's derivation.
    """
    dist, moments = _law(dist), _moments(moments)
    T = check_int("T", T, 3)
    scale = 2 if 2 in moments else 1
    rule = plan(dist, d, scale * x_degree, scale * phase_degree, max_sequences)
    first, second = [], []
    for batch, w in _batches(dist, d, T, rule, chunk_bytes, progress):
        vals = np.asarray(per_sequence(batch))
        if vals.shape[:1] != (batch.m,):
            raise InputError(f"per_sequence must return one value per sequence ({batch.m}), "
                             f"got shape {vals.shape}")
        if 1 in moments:
            first.append(_weighted_sum(w, vals))
        if 2 in moments:
            second.append(_weighted_sum(w, vals.real**2 + vals.imag**2 if np.iscomplexobj(vals) else vals**2))
    return Exact(_finish(first) if first else None, rule, _finish(second) if second else None)


# -- oracles -------------------------------------------------------------------------------------------
def _check_params(params, d):
    if not isinstance(params, Params):
        raise InputError(f"params must be a Params, got {type(params).__name__}")
    if params.d != d:
        raise InputError(f"params have d={params.d}, expected d={d}")


def _why(quantity, x_degree, K, formula, moments):
    doubled = " (doubled for the second moment)" if 2 in moments else ""
    return (f"{quantity}: per-coordinate x-degree <= {x_degree}, phase exponents |k_j| <= {formula} "
            f"= {K}{doubled}")


def _annotated(res, why):
    return replace(res, rule=replace(res.rule, why=why))


def _loss_per_sequence(params):
    def f(batch):
        r = predictions(params, batch) - batch.X[:, 2:]
        return 0.5 * (r.real**2 + r.imag**2).sum(axis=(1, 2))
    return f


def exact_loss(dist, d, T, params, moments=(1,), **kw):
    """Population loss L = sum_{t=2}^{T-1} E[1/2 ||yhat_t - x_{t+1}||^2] exactly (SETTING.md).

    With ``moments=(1, 2)`` also E[l^2] for the per-sequence loss l (so ``.variance`` is the exact
    variance of one sequence's loss). Degrees (module docstring): x-degree 6 and |k_j| <= 3(T-2),
    both doubled for the second moment. ``kw``: max_sequences, progress, chunk_bytes.
    """
    d, T = check_int("d", d, 1), check_int("T", T, 3)
    _check_params(params, d)
    K = 3 * (T - 2)
    res = expectation(dist, d, T, _loss_per_sequence(params), 6, K, moments, **kw)
    return _annotated(res, _why("loss (<= 3 tokens x 3 conjugated, times <= T-1)", 6, K, "3(T-2)", moments))


def exact_loss_and_grad(dist, d, T, params, max_sequences=DEFAULT_MAX_SEQUENCES, progress=None,
                        chunk_bytes=CHUNK_BYTES):
    """Population loss and its exact gradient, in the convention of ``model.loss_and_grad``.

    Returns an Exact with ``value`` = L and ``grad`` = Params (dL/dW^KQ in ``kq``, dL/dW^PV in
    ``pv``; real parameters: the real gradient; complex: dL/dRe + i dL/dIm). The gradient is a
    weighted sum of per-sequence gradients, each a product of <= 3 tokens and 3 conjugated tokens
    with times <= T-1 (or x_T times 1 token and 2 conjugated): x-degree 6, |k_j| <= 3(T-2).
    """
    dist = _law(dist)
    d, T = check_int("d", d, 1), check_int("T", T, 3)
    _check_params(params, d)
    K = 3 * (T - 2)
    rule = plan(dist, d, 6, K, max_sequences)
    losses, gkq, gpv = [], [], []
    for batch, w in _batches(dist, d, T, rule, chunk_bytes, progress):
        mass = math.fsum(w)
        # loss_and_grad needs weights summing to 1; both outputs are linear in the weights.
        loss, grad = loss_and_grad(params, batch, w / mass)
        losses.append(mass * loss)
        gkq.append(mass * grad.kq)
        gpv.append(mass * grad.pv)
    grad = Params(_finish(gkq), _finish(gpv))
    why = _why("loss and gradient (<= 3 tokens x 3 conjugated, times <= T-1)", 6, K, "3(T-2)", (1,))
    return Exact(math.fsum(losses), replace(rule, why=why), grad=grad)


def exact_test_error(dist, d, params, t, moments=(1,), **kw):
    """E ||yhat_t - x_{t+1}||^2 at test position t >= 2 (sequences of length t + 1), exactly.

    Degrees: x-degree 6, |k_j| <= 3(t-1) (|yhat_t|^2: 3 tokens and 3 conjugated, times <= t);
    doubled for the second moment.
    """
    d, t = check_int("d", d, 1), check_int("t", t, 2)
    _check_params(params, d)

    def f(batch):
        r = predictions(params, batch)[:, -1] - batch.X[:, -1]
        return (r.real**2 + r.imag**2).sum(axis=1)

    K = 3 * (t - 1)
    res = expectation(dist, d, t + 1, f, 6, K, moments, **kw)
    return _annotated(res, _why("test error (3 tokens x 3 conjugated, times <= t)", 6, K, "3(t-1)", moments))


def _row_structured(params):
    """Whether row j of W^PV uses only columns j and d + j (then yhat_{t,j} is x_{1,j} times a
    polynomial, for every x_1)."""
    d = params.d
    mask = np.zeros((d, 2 * d), dtype=bool)
    mask[np.arange(d), np.arange(d)] = mask[np.arange(d), d + np.arange(d)] = True
    return not np.any(params.pv[~mask])


def _ratio_quotient(params, batch, t):
    """q_j = yhat_{t,j} / x_{t+1,j} as the polynomial it is when W^PV is row-structured.

    yhat_t = (1/(t-1)) sum_{i<=t} P e_i s_i, s_i = e_i^H K e_t; with row j of P on columns j and
    d + j, (P e_i)_j = z_j c_{ij}, c_{ij} = P_jj lambda_j^(i-1) + P_j,d+j lambda_j^(i-2) [i >= 2], so
    q_j = (1/(t-1)) sum_i c_{ij} s_i conj(lambda_j)^t: defined (and a polynomial) even at z_j = 0.
    """
    d, P, K = params.d, params.pv, params.kq
    X, lam = batch.X, batch.lam
    Kt = np.ascontiguousarray(K.T, dtype=np.complex128)  # one dtype: matmul then uses BLAS
    v = np.concatenate([X[:, t - 1], X[:, t - 2]], axis=1) @ Kt  # K e_t
    Xc = X[:, :t].conj()
    s = Xc @ v[:, :d, None]  # s_i = conj(x_i) . (K e_t)_top + conj(x_{i-1}) . (K e_t)_bottom
    s[:, 1:] += Xc[:, :-1] @ v[:, d:, None]
    powers = np.empty((X.shape[0], t + 1, d), dtype=np.complex128)  # lambda_j^(i-1), i = 1..t+1
    powers[:, 0] = 1.0
    for i in range(1, t + 1):  # products, not cos/sin: 5x faster, error <= t ulp
        np.multiply(powers[:, i - 1], lam, out=powers[:, i])
    c = np.diag(P[:, :d])[None, None, :] * powers[:, :t]
    c[:, 1:] += np.diag(P[:, d:])[None, None, :] * powers[:, : t - 1]
    q = np.einsum("mij,mi->mj", c, s[..., 0])
    q *= powers[:, t].conj()
    return q / (t - 1)


def exact_ratio(dist, d, params, t, moments=(1,), **kw):
    """The ratio sum_j E[1{x_{t+1,j} != 0} Re(yhat_{t,j} / x_{t+1,j})] / sum_j P(x_{1,j} != 0).

    This is the ratio definition of mesacheck: coordinates that are 0 (possible for laws of finite
    support, e.g. sparse) are left out of numerator and denominator alike. ``moments=(1, 2)`` adds
    E[rho^2] for the per-sequence value rho = sum_j 1{x_j != 0} Re(q_j) / sum_j P(x_{1,j} != 0), whose
    sample mean over m sequences estimates the ratio with variance ``.variance / m``.

    Exactness: if row j of W^PV uses only columns j and d + j (the structured and diagonal sets),
    q_j = yhat_{t,j}/x_{t+1,j} is a polynomial of degree <= 1 in (z_k, conj z_k) for every k (one
    token and one conjugated from e_i^H K e_t): x-degree 2, and its phase exponents are
    |k_j| <= 2t - 1 (lambda_j: c_ij up to t - 1 and conj(lambda_j)^t, plus the two tokens).
    For continuous laws the event x_j = 0 is null and the polynomial is integrated. Any other
    W^PV makes q_j a rational function of x_1: allowed only for laws of finite support (every
    function is integrated exactly there), refused otherwise (InputError).
    """
    dist = _law(dist)
    d, t = check_int("d", d, 1), check_int("t", t, 2)
    _check_params(params, d)
    structured = _row_structured(params)
    finite = isinstance(dist, FINITE_SUPPORT)
    if not (structured or finite):
        raise InputError("exact_ratio: with W^PV rows outside columns (j, d+j), yhat_{t,j}/x_{t+1,j} "
                         f"is not a polynomial in x_1 and its mean under {dist.spec} may not exist")
    if finite:
        nodes, w = x1_rule(dist, d, 0)
        nonzero_mass = float(np.sum(w[:, None] * (nodes != 0)))
    else:
        nonzero_mass = float(d)

    def f(batch):
        if structured:
            q = _ratio_quotient(params, batch, t)
        else:
            x_next = batch.X[:, t]
            safe = np.where(x_next != 0, x_next, 1.0)
            q = predictions(params, batch)[:, -1] / safe
        ind = (batch.x1 != 0) if finite else np.ones(batch.x1.shape, dtype=bool)
        return np.where(ind, q.real, 0.0).sum(axis=1) / nonzero_mass

    K = 2 * t - 1
    res = expectation(dist, d, t + 1, f, 2, K, moments, **kw)
    return _annotated(res, _why("ratio (1 token x 1 conjugated in x; lambda_j up to t-1 and conj(lambda_j)^t)",
                                2, K, "2t-1", moments))
