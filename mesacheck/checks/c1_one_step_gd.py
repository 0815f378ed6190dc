"""C1: with A = aI, B = bI (rest 0) the prediction is one GD step on in-context least squares.

Oracle: What_t = W_0 - eta grad L_OLS(W_0), W_0 = 0, eta = ab/(t-1), with the gradient of
L_OLS(W) = 1/2 sum_{i<t} ||x_{i+1} - W x_i||^2 taken by SymPy differentiation (symbolic check)
or written as -sum_i (x_{i+1} - W x_i) x_i^H (numeric check); the prediction comes from the model
(its definition, SymPy; or the library's two numeric engines).
"""
import numpy as np
import sympy

from mesacheck.checks.common import rng_for
from mesacheck.checks.verdict import ClaimReport
from mesacheck.setting.model import ProcessBatch, predictions
from mesacheck.setting.params import Params

CLAIM = "C1"
TITLE = "One-step-GD identity yhat_t = What_t x_t for any sequence and any a, b"
REL_TOL = 1e-10


def _symbolic_identity(d, t):
    """Exact: model prediction (definition) minus What_t x_t, for real symbolic tokens."""
    xs = [sympy.Matrix(sympy.symbols(f"x{i}_1:{d + 1}", real=True)) for i in range(1, t + 2)]
    a, b = sympy.symbols("a b", real=True)
    zero = sympy.zeros(d, 1)
    es = [sympy.Matrix.vstack(xs[i], xs[i - 1] if i > 0 else zero) for i in range(t)]
    K = sympy.zeros(2 * d, 2 * d)
    P = sympy.zeros(d, 2 * d)
    K[d:, :d] = a * sympy.eye(d)
    P[:, :d] = b * sympy.eye(d)
    S = sympy.zeros(2 * d, 2 * d)
    for e in es:
        S += e * e.T
    yhat = P * S * K * es[t - 1] / (t - 1)
    W = sympy.Matrix(d, d, lambda i, j: sympy.Symbol(f"w_{i}{j}", real=True))
    L_ols = sum(((xs[i + 1] - W * xs[i]).T * (xs[i + 1] - W * xs[i]))[0, 0] for i in range(t - 1)) / 2
    grad = sympy.Matrix(d, d, lambda i, j: sympy.diff(L_ols, W[i, j]))
    W_hat = -(a * b / (t - 1)) * grad.subs({w: 0 for w in W})
    return sympy.expand(yhat - W_hat * xs[t - 1])


def _oracle_What(X, t, u):
    """What_t = 0 - eta grad L_OLS(0), grad L_OLS(W) = -sum_i (x_{i+1} - W x_i) x_i^H."""
    grad0 = -np.einsum("sia,sib->sab", X[:, 1:t], X[:, : t - 1].conj())
    return -(u / (t - 1)) * grad0


def run(settings):
    rep = ClaimReport(CLAIM, TITLE, settings=settings.to_json(), budget=settings.budget)
    cases = [(1, 2), (2, 2), (2, 3)] if settings.quick else [(1, 2), (1, 4), (2, 2), (2, 3), (2, 4), (3, 3)]

    def symbolic():
        bad = [(d, t) for d, t in cases if _symbolic_identity(d, t) != sympy.zeros(d, 1)]
        return not bad, (f"yhat_t - What_t x_t expands to 0 for (d, t) in {cases}" if not bad
                         else f"nonzero residual for (d, t) in {bad}")

    rep.add("yhat_t = What_t x_t exactly, tokens and a, b symbolic (model definition vs SymPy "
            "gradient of L_OLS)", "symbolic", "exact", symbolic)

    n_examples = 25 if settings.quick else 120

    def prop(process):
        rng = rng_for(settings, 11 if process else 12)
        worst = 0.0
        for _ in range(n_examples):
            d = int(rng.integers(1, 5))
            T = int(rng.integers(3, 14))
            m = int(rng.integers(1, 5))
            a, b = rng.normal(0, 2, size=2)
            params = Params.diagonal(d, a, b)
            if process:
                x1 = rng.normal(size=(m, d)) + 1j * rng.normal(size=(m, d))
                data = ProcessBatch.sample(x1, T, rng)
                X = data.X
            else:  # any sequence at all, complex, not a process path
                X = rng.normal(size=(m, T, d)) + 1j * rng.normal(size=(m, T, d))
                data = X
            Y = predictions(params, data)
            for t in range(2, T):
                ref = np.einsum("sab,sb->sa", _oracle_What(X, t, a * b), X[:, t - 1])
                err = np.max(np.abs(Y[:, t - 2] - ref)) / max(1.0, np.max(np.abs(ref)))
                worst = max(worst, float(err))
        return worst <= REL_TOL, f"{n_examples} random (d, T, m, a, b, X): max relative error {worst:.2e}"

    rep.add("yhat_t = What_t x_t for random complex sequences (library generic prefix-sum engine)",
            "property", f"rel {REL_TOL:g}", lambda: prop(False))
    rep.add("yhat_t = What_t x_t for random process paths x_t = W^(t-1) x_1 (structured engine)",
            "property", f"rel {REL_TOL:g}", lambda: prop(True))
    return rep
