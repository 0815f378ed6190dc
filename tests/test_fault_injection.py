"""Every check `verify` runs can fail: inject a fault into the quantity it checks and see FAIL.

For each check id of a verify run (quick, and the checks only the default run has) a fault from
FAULTS is injected into the LIBRARY (a lattice count off by 1e-6, the 1/d factor of the entrywise
flow dropped, a spurious or a dropped off-diagonal gradient, the limit times 1 + 1e-6, the stable
manifold moved, the sampler's scale, ...), the engine's caches are cleared, that one check is
rerun (Settings.only), and it must report FAIL. The count of killed checks is printed; every
check must be killed: a check that no fault can flip is not a check.
"""
import contextlib
import sys

import numpy as np
import pytest
import sympy

from mesacheck.checks.runner import run_claim
from mesacheck.checks.verdict import Settings
from mesacheck.numeric import flows
from mesacheck.symbolic.cache import clear_all

EPS = sympy.Rational(1, 10**6)


def patch_everywhere(monkeypatch, module, name, new):
    """Replace ``module.name`` and every mesacheck module's reference to the same object."""
    old = getattr(module, name)
    for mod in list(sys.modules.values()):
        if mod is None or not getattr(mod, "__name__", "").startswith("mesacheck"):
            continue
        for attr, value in list(vars(mod).items()):
            if value is old:
                monkeypatch.setattr(mod, attr, new)
    return old


def _wrap_derivation(monkeypatch, module, name, edit):
    """Patch a derive_* function so that ``edit(derivation)`` changes its results."""
    old = getattr(module, name)

    def wrapped(*args, **kwargs):
        der = old(*args, **kwargs)
        edit(der)
        return der
    patch_everywhere(monkeypatch, module, name, wrapped)


def _set(der, key, fn):
    for r in der.results:
        if r.name == key:
            r.value = fn(r.value)


# -- the faults -------------------------------------------------------------------------------------
def f_limit_scaled(mp):
    from mesacheck.symbolic import reduced

    def edit(der):
        for key in ("ab_limit", "ab_limit_T"):
            _set(der, key, lambda v: v * (1 + EPS))
    _wrap_derivation(mp, reduced, "derive_reduced", edit)


def f_one_over_d_dropped(mp):
    from mesacheck.symbolic import reduced

    def field(Q, R, dim):
        g = Q * reduced.a * reduced.b - R
        return -reduced.b * g, -reduced.a * g
    mp.setattr(reduced, "reduced_field", field)


def f_lattice_weight(mp):
    from mesacheck.symbolic.expectation import Expectation

    old = Expectation.weight
    mp.setattr(Expectation, "weight", lambda self, *a: old(self, *a) * (1 + EPS))


def f_constant_shifted(mp):
    from mesacheck.symbolic import reduced

    old = reduced.structured_coefficients

    def coeffs(*args):
        Q, R, C, t0 = old(*args)
        return Q, R, C * (1 + EPS), t0
    patch_everywhere(mp, reduced, "structured_coefficients", coeffs)


def f_conserved_wrong(mp):
    from mesacheck.symbolic import reduced

    _wrap_derivation(mp, reduced, "derive_reduced",
                     lambda der: _set(der, "conserved", lambda v: reduced.a**2 + reduced.b**2))


def f_manifold_moved(mp):
    from mesacheck.symbolic import reduced

    _wrap_derivation(mp, reduced, "derive_reduced",
                     lambda der: _set(der, "stable_manifold", lambda v: sympy.Eq(reduced.a0 - reduced.b0, 0)))


def _gradient_fault(mp, edit, complex_=False):
    from mesacheck.symbolic.population import PopulationLoss

    name = "complex_gradient_at" if complex_ else "gradient_at"
    old = getattr(PopulationLoss, name)

    def grad(self, P, K):
        gP, gK = old(self, P, K)
        gP, gK = gP.copy(), gK.copy()
        edit(self.d, sympy.Matrix(P), sympy.Matrix(K), gP, gK)
        return gP, gK
    mp.setattr(PopulationLoss, name, grad)


def f_gradient_spurious(mp):
    def edit(d, P, K, gP, gK):  # W^KQ_11 gets a gradient wherever A and B are nonzero
        gK[0, 0] += P[0, 0] * K[d, 0]
    _gradient_fault(mp, edit)


def f_gradient_offdiag_dropped(mp):
    def edit(d, P, K, gP, gK):
        for i in range(d):
            for j in range(d):
                if i != j:
                    gK[d + i, j] = 0
                    gP[i, j] = 0
    _gradient_fault(mp, edit)


def f_gradient_common_zero(mp):
    """Every gradient entry times (W^PV_11 - 7/5): a spurious line of stationary points b = 7/5."""
    def edit(d, P, K, gP, gK):
        gP[:, :] = gP * (P[0, 0] - sympy.Rational(7, 5))
        gK[:, :] = gK * (P[0, 0] - sympy.Rational(7, 5))
    _gradient_fault(mp, edit)


def f_gradient_scaled(mp):
    def edit(d, P, K, gP, gK):
        gP[:, :] = gP * (1 + EPS)
        gK[:, :] = gK * (1 + EPS)
    _gradient_fault(mp, edit)


def f_complex_gradient_spurious(mp):
    def edit(d, P, K, gP, gK):
        gK[d, 1 % d] += sympy.I * P[0, 0] * K[d, 0]
    _gradient_fault(mp, edit, complex_=True)


def f_complex_gradient_real_only(mp):
    def edit(d, P, K, gP, gK):
        gP[:, :] = gP.applyfunc(sympy.re)
        gK[:, :] = gK.applyfunc(sympy.re)
    _gradient_fault(mp, edit, complex_=True)


def f_joint_moment_scaled(mp):
    """A concrete i.i.d. law's joint moments (two or more coordinates) off by 1e-6."""
    from mesacheck.setting.distributions import _Independent

    old = _Independent._moment

    def moment(self, alpha, beta):
        value = old(self, alpha, beta)
        joint = sum(1 for x, y in zip(alpha, beta) if x + y) > 1
        return value * (1 + EPS) if joint and not self.is_symbolic else value
    mp.setattr(_Independent, "_moment", moment)


def f_sampler_scaled(mp):
    from mesacheck.setting.distributions import Distribution

    old = Distribution.sample
    mp.setattr(Distribution, "sample", lambda self, *a: 1.5 * old(self, *a))


def f_excess_shifted(mp):
    from mesacheck.symbolic import capability

    old = capability.excess
    patch_everywhere(mp, capability, "excess", lambda *a: old(*a) + EPS)


def f_ratio_scaled(mp):
    from mesacheck.symbolic import capability

    old = capability.ratio_value
    patch_everywhere(mp, capability, "ratio_value", lambda *a: old(*a) * (1 + EPS))


def f_ratio_stats_scaled(mp):
    from mesacheck.symbolic import variances

    old = variances.ratio_stats

    def stats(*a):
        mean, var = old(*a)
        return mean * sympy.Rational(11, 10), var
    patch_everywhere(mp, variances, "ratio_stats", stats)


def f_model_gradient_flipped(mp):
    from mesacheck.setting import model

    old = model.loss_and_grad

    def flipped(params, data, weights=None):
        loss, g = old(params, data, weights)
        return loss, type(g)(-g.kq, -g.pv)
    patch_everywhere(mp, model, "loss_and_grad", flipped)


def f_predictions_scaled(mp):
    from mesacheck.setting import model

    old = model.predictions
    patch_everywhere(mp, model, "predictions", lambda *a: old(*a) * (1 + 1e-6))


def f_one_step_scaled(mp):
    from mesacheck.symbolic import one_step

    old = one_step.model_prediction
    mp.setattr(one_step, "model_prediction", lambda *a: old(*a) * (1 + EPS))


def f_tensor_offdiag_dropped(mp):
    from mesacheck.numeric.boundary import TensorLoss

    old = TensorLoss.grad

    def grad(self, P, K):
        gP, gK = old(self, P, K)
        d = self.d
        off = ~np.eye(d, dtype=bool)
        gK = gK.copy()
        gP = gP.copy()
        gK[d:, :d][off] = 0
        gP[:, :d][off] = 0
        return gP, gK
    mp.setattr(TensorLoss, "grad", grad)


def f_stationary_scaled(mp):
    from mesacheck.symbolic import diagonal

    old = diagonal.stationary_point

    def point(L, d, off=()):
        p = old(L, d, off)
        avec, bvec = diagonal.diagonal_symbols(d)
        u = [x * (1 + EPS) for x in p.u]
        pt = None if p.point is None else {k: (v * (1 + EPS) if k in bvec else v) for k, v in p.point.items()}
        return diagonal.StationaryPoint(u, p.method, p.exact, p.free, p.certificate, p.hessian, pt)
    patch_everywhere(mp, diagonal, "stationary_point", point)


def f_metric_factor_dropped(mp):
    """The symmetry-reduced flow without its metric factors 1/mult_k (the analogue of the 1/d)."""
    from mesacheck.numeric.reduced_numeric import ReducedNumeric

    mp.setattr(ReducedNumeric, "field", lambda self, t, theta: -self._grad(0.0, theta))
    mp.setattr(ReducedNumeric, "jac", lambda self, t, theta: -self._hess(0.0, theta).reshape(self.n, self.n))


def _wrap_symmetric(mp, edit):
    from mesacheck.symbolic import symmetric

    _wrap_derivation(mp, symmetric, "derive_symmetric", edit)


def f_symmetric_limit_scaled(mp):
    _wrap_symmetric(mp, lambda der: _set(der, "limit", lambda v: {k: x * (1 + 10 * EPS) for k, x in v.items()}))


def f_vanilla_gradients_wrong(mp):
    def edit(der):
        def wrong(grads):
            out = {}
            for k, g in grads.items():
                free = {s.name: s for s in g.free_symbols}
                # a zero off the axes (A_diag B_diag = 1); the unevaluated 0*g keeps g's symbols (d, T)
                out[k] = (sympy.Add(free["A_diag"] * free["B_diag"] - 1, sympy.Mul(0, g, evaluate=False),
                                    evaluate=False) if "A_diag" in free and "B_diag" in free else g)
            return out
        _set(der, "vanilla_gradients", wrong)
    _wrap_symmetric(mp, edit)


FAULTS = {name[2:]: fn for name, fn in globals().items() if name.startswith("f_")}


def fault_for(check):
    """The fault that must kill ``check`` (a Check of an unfaulted run)."""
    kind = check.id.split(".", 1)[1].split("[", 1)[0]
    route1 = check.compared[0][1] if check.compared else ""
    if kind == "reduction":
        return "gradient_offdiag_dropped" if route1 == "none" else "gradient_spurious"
    if kind == "complex-parameters":
        return "complex_gradient_spurious" if route1 == "yes" else "complex_gradient_real_only"
    if kind == "limit" and "u_1" in check.compared[0][0]:
        return "stationary_scaled"
    if kind == "limit" and "i.i.d." in check.route2:
        return "joint_moment_scaled"
    return {
        "symbolic": "one_step_scaled", "generic-engine": "predictions_scaled",
        "structured-engine": "predictions_scaled", "ode": "one_over_d_dropped",
        "ode-population": "one_over_d_dropped", "loss": "lattice_weight", "conserved": "conserved_wrong",
        "limit-concrete-T": "limit_scaled", "limit-anchor": "limit_scaled", "limit": "limit_scaled",
        "sigma-symbolic": "limit_scaled", "flow": "limit_scaled", "stable-manifold": "manifold_moved",
        "sampler-s2": "sampler_scaled", "sampler-s4": "sampler_scaled", "excess": "excess_shifted",
        "support": "excess_shifted", "error-limit": "excess_shifted", "test-error": "lattice_weight",
        "paper-verdicts": "excess_shifted", "ratio-limit": "ratio_scaled", "ratio-every-d": "ratio_scaled",
        "ratio-symbolic": "ratio_scaled", "ratio": "ratio_scaled", "ratio-mc": "ratio_stats_scaled",
        "loss-at-limit": "limit_scaled", "loss-enumeration": "constant_shifted",
        "training": "model_gradient_flipped", "offdiag-gradient": "gradient_scaled",
        "no-vanilla": "gradient_common_zero", "full-flow": "tensor_offdiag_dropped",
        "masked-flow": "limit_scaled", "stationary-flow": "stationary_scaled",
        "stationary-enumeration": "stationary_scaled", "paper-full-flow": "tensor_offdiag_dropped",
        "paper-full-flow-masked": "constant_shifted", "paper-two-routes": "metric_factor_dropped",
        "paper-two-routes-masked": "metric_factor_dropped", "paper-predictor": "symmetric_limit_scaled",
        "paper-no-vanilla": "vanilla_gradients_wrong",
    }[kind]


def _clear():
    clear_all()


def _baseline(settings):
    _clear()
    return {claim: run_claim(claim, settings) for claim in ("C1", "C2", "C3", "C4", "C5", "C6", "C7")}


def _kill(monkeypatch, claim, fault, ids, settings):
    """Rerun the checks ``ids`` of ``claim`` under ``fault``; return {id: status}."""
    with monkeypatch.context() as mp:
        FAULTS[fault](mp)
        _clear()
        only = Settings(**{**settings.__dict__, "only": frozenset(ids)})
        rep = run_claim(claim, only)
    _clear()
    status = {c.id: c.status for c in rep.checks if c.id in ids}
    return {i: status.get(i, "missing") for i in ids}


def _run(monkeypatch, settings, skip_ids=frozenset()):
    """Baseline run (every check must pass), then one rerun per (claim, fault) with the checks
    that designate that fault; each check's own status is read off that rerun."""
    base = _baseline(settings)
    results = {}
    for claim, rep in base.items():
        assert rep.passed, f"{claim} does not pass unfaulted: {[c.id for c in rep.checks if c.status != 'pass']}"
        groups = {}
        for check in rep.checks:
            if check.id not in skip_ids:
                groups.setdefault(fault_for(check), []).append(check.id)
        for fault, ids in groups.items():
            results.update(_kill(monkeypatch, claim, fault, ids, settings))
    return results


@pytest.mark.slow
def test_fault_injection_kills_every_check(monkeypatch, record_property):
    quick = _run(monkeypatch, Settings(quick=True))
    full = _run(monkeypatch, Settings(), skip_ids=frozenset(quick))
    results = {**quick, **full}
    survivors = {k: v for k, v in results.items() if v != "fail"}
    record_property("summary", f"fault injection: {len(results) - len(survivors)} of {len(results)} "
                    f"checks killed ({len(quick)} from verify --quick, {len(full)} more from verify)")
    assert not survivors, survivors


def test_every_fault_is_used():
    """Each fault in FAULTS is the designated fault of some check kind (no dead code)."""
    import inspect

    text = inspect.getsource(fault_for)
    unused = [name for name in FAULTS if f'"{name}"' not in text]
    assert not unused, unused


