"""C1: with A = aI, B = bI (rest 0) the prediction is one GD step on in-context least squares.

Route 1 is the model (its definition in SymPy, or the library's two numeric engines); route 2 is
one gradient step What_t = -eta grad L_OLS(0), eta = ab/(t-1), with the gradient of
L_OLS(W) = 1/2 sum_{i<t} ||x_{i+1} - W x_i||^2 taken by SymPy differentiation (symbolic check)
or written out as -sum_i (x_{i+1} - W x_i) x_i^H (numeric checks).
"""
import numpy as np
import sympy

from mesacheck.checks.common import rng_for
from mesacheck.checks.compare import Outcome, close
from mesacheck.checks.verdict import ClaimReport
from mesacheck.setting.model import ProcessBatch, predictions
from mesacheck.setting.params import Params
from mesacheck.symbolic import one_step

CLAIM = "C1"
TITLE = "One-step-GD identity yhat_t = What_t x_t for any sequence and any a, b"
REL_TOL = 1e-10


def _oracle_What(X, t, u):
    """What_t = 0 - eta grad L_OLS(0), grad L_OLS(W) = -sum_i (x_{i+1} - W x_i) x_i^H."""
    grad0 = -np.einsum("sia,sib->sab", X[:, 1:t], X[:, : t - 1].conj())
    return -(u / (t - 1)) * grad0


def run(settings):
    rep = ClaimReport(CLAIM, TITLE, settings=settings.to_json(), budget=settings.budget, only=settings.only)
    cases = [(1, 2), (2, 2), (2, 3)] if settings.quick else [(1, 2), (1, 4), (2, 2), (2, 3), (2, 4), (3, 3)]

    def symbolic():
        bad = [(d, t) for d, t in cases if one_step.residual(d, t) != sympy.zeros(d, 1)]
        return Outcome(not bad, f"yhat_t - What_t x_t expands to 0 for (d, t) in {cases}" if not bad
                       else f"nonzero residual for (d, t) in {bad}", [("yhat_t - What_t x_t", "0" if not bad
                                                                       else "nonzero", "0")])

    rep.add("symbolic", "yhat_t = What_t x_t exactly, tokens and a, b symbolic", "symbolic",
            "the model's definition W^PV E_t E_t^H W^KQ e_t/(t-1) in SymPy",
            "one GD step from W = 0 on L_OLS, gradient by SymPy differentiation", "exact", symbolic)

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
        return close(f"max relative error over {n_examples} random cases", worst, 0.0, 0.0, REL_TOL)

    rep.add("generic-engine", "yhat_t = What_t x_t for random complex sequences (any X)", "property",
            "the library's generic prefix-sum engine (model.predictions on an array)",
            "What_t x_t with What_t = (ab/(t-1)) sum_i x_(i+1) x_i^H", f"rel {REL_TOL:g}", lambda: prop(False))
    rep.add("structured-engine", "yhat_t = What_t x_t for random process paths x_t = W^(t-1) x_1",
            "property", "the library's structured engine (ProcessBatch, cached Gram matrices)",
            "What_t x_t with What_t = (ab/(t-1)) sum_i x_(i+1) x_i^H", f"rel {REL_TOL:g}", lambda: prop(True))
    return rep
