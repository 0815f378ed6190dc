"""C5: Example 4.1 (x_1 = c s e_k) succeeds: the test loss of the trained model goes to 0.

Oracles: g(u*) = 0 exactly for symbolic T and d (the law's own Q, R, C), and a short
full-batch gradient-descent training run of the model on sampled sequences, with its test loss
on fresh sequences.
"""
import numpy as np
import sympy

from mesacheck.checks.common import fl, resolve, rng_for
from mesacheck.checks.verdict import ClaimReport
from mesacheck.setting.model import ProcessBatch, loss_and_grad, loss_only
from mesacheck.setting.params import Params
from mesacheck.symbolic.capability import derive_recovery
from mesacheck.symbolic.reduced import D_SYMBOL, derive_reduced, u

CLAIM = "C5"
TITLE = "Sparse (Example 4.1) succeeds: test loss of the trained model -> 0"
DEFAULT = ("sparse:c=1", 5, 100)


def run(settings):
    law, d, T = resolve(settings, *DEFAULT)
    rep = ClaimReport(CLAIM, f"{TITLE} [{law.spec}, d={d}, T={T}]", settings=settings.to_json(),
                      budget=settings.budget)
    red = rep.derivation(f"reduced flow ({law.spec}, d={d}, T={T})", lambda: derive_reduced(law, d, T))
    if red is None:
        return rep

    def at_T():
        g = red.get("loss_u")
        val = sympy.simplify(g.subs(u, red.get("ab_limit")))
        return val == 0, f"g(u*) = {val} at T={T}, d={d} (u* = {red.get('ab_limit')})"
    rep.add(f"test loss at u* is exactly 0 (T={T}, d={d})", "symbolic", "exact", at_T)

    def every_T():
        if law.is_exchangeable:
            r = derive_reduced(law, D_SYMBOL, "oo")
            where = "symbolic T and d"
        else:
            r = derive_reduced(law, d, "oo")
            where = f"symbolic T, d={d}"
        g = r.get("loss_u")
        val = sympy.simplify(g.subs(u, r.get("ab_limit_T")))
        return val == 0, f"g(u*(T)) = {val} for {where}"
    rep.add("test loss at u* is exactly 0 for every T (symbolic T)", "symbolic", "exact", every_T)

    def large_t():
        rec = derive_recovery(law, d, T)
        return rec.get("recovers_inf") == "yes" and rec.get("recovers_T") == "yes", (
            f"E_inf(u*_T) = {rec.get('excess_T')}, E_inf(u*_oo) = {rec.get('excess_inf')}")
    rep.add("the test MSE at large test positions tends to 0 (E_inf(u*) = 0)", "symbolic", "exact", large_t)

    def training():
        rng = rng_for(settings, 51)
        T_sim = min(T, 20)
        m = 300 if settings.quick else 1000
        train = ProcessBatch.sample(law.sample(m, d, rng), T_sim, rng)
        test = ProcessBatch.sample(law.sample(m, d, rng), T_sim, rng)
        params = Params.diagonal(d, 0.5, 1.5)
        # step size from the reduced flow's rate Q (a^2 + b^2) / d at the start (derived at T_sim)
        Q = fl(derive_reduced(law, d, T_sim).get("Q"))
        lr = 0.25 * d / (Q * (0.5**2 + 1.5**2))
        epochs = 150 if settings.quick else 400
        history = [loss_only(params, test)]
        for _ in range(epochs):
            _, g = loss_and_grad(params, train)
            params = params.step(g, lr)
            if not params.all_finite():
                return False, f"diverged with lr={lr:.3g}"
            history.append(loss_only(params, test))
        h = np.array(history)
        drops = np.sum(np.diff(h) > 1e-12 * h[0])
        ok = h[-1] <= 1e-6 * h[0] and drops == 0
        return ok, (f"T={T_sim}, m={m}, lr={lr:.3g}, {epochs} epochs: test loss {h[0]:.4g} -> {h[-1]:.3g} "
                    f"(increases: {drops}); ab = {params.ab():.6f}")
    rep.add("gradient descent on sampled sequences from (0.5, 1.5): test loss decreases to 0",
            "numeric", "final <= 1e-6 x initial, monotone", training)
    return rep
