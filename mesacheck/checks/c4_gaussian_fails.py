"""C4: for N(0, sigma^2 I) the learned model under-predicts: E Re(yhat/x) -> 1/5 for every d.

Oracles: the derivation at each d = 1..6 against the constant 1/5 of the paper, the derivation in
symbolic sigma, and the Monte Carlo mean of Re(yhat_{T-1}/x_T) from the model's predictions.
"""
import numpy as np
import sympy

from mesacheck.checks.common import batch_means, fl, resolve, rng_for, z_ok
from mesacheck.checks.verdict import ClaimReport
from mesacheck.setting.distributions import parse_dist
from mesacheck.setting.model import ProcessBatch, predictions
from mesacheck.setting.params import Params
from mesacheck.symbolic.capability import derive_recovery
from mesacheck.symbolic.reduced import D_SYMBOL, T_SYMBOL

CLAIM = "C4"
TITLE = "Gaussian fails: the ratio Re(yhat/x) tends to 1/5, the model under-predicts"
DEFAULT = ("gaussian:sigma=1", 5, 100)
PAPER_RATIO = sympy.Rational(1, 5)


def run(settings):
    law, d, T = resolve(settings, *DEFAULT)
    rep = ClaimReport(CLAIM, f"{TITLE} [{law.spec}, d={d}, T={T}]", settings=settings.to_json(),
                      budget=settings.budget)
    rec = rep.derivation(f"recovery ({law.spec}, d={d}, T={T})", lambda: derive_recovery(law, d, T))
    if rec is None:
        return rep

    def limit():
        r = rec.get("ratio_inf")
        return sympy.simplify(r - PAPER_RATIO) == 0, f"ratio_inf = {r} for {law.spec}, d={d}"
    rep.add(f"lim_T ratio = 1/5 for {law.spec}, d={d}", "symbolic", "exact", limit)

    def finite():
        r = rec.get("ratio_T")
        ok = bool(r < PAPER_RATIO) and bool(r > 0)
        return ok, f"ratio_T = {r} ~ {fl(r):.6g} < 1/5 < 1: under-predicts at T={T}"
    rep.add(f"finite T={T}: 0 < ratio_T < 1/5 (under-prediction, below the limit)", "symbolic", "exact", finite)

    dims = range(1, 5) if settings.quick else range(1, 7)
    if settings.dist is None:
        def every_d():
            vals = {}
            for dd in dims:
                vals[dd] = derive_recovery(parse_dist("gaussian:sigma=1"), dd, "oo").get("ratio_inf")
            ok = all(sympy.simplify(v - PAPER_RATIO) == 0 for v in vals.values())
            return ok, "ratio_inf by d: " + ", ".join(f"d={k}: {v}" for k, v in vals.items())
        rep.add(f"gaussian: ratio_inf = 1/5 for every d in {dims.start}..{dims.stop - 1}", "symbolic", "exact", every_d)

        def symbolic():
            r = derive_recovery(parse_dist("gaussian:sigma=s"), D_SYMBOL, "oo")
            lim = sympy.simplify(r.get("ratio_inf"))
            finite_T = r.get("ratio_T")
            free = {str(s) for s in finite_T.free_symbols}
            return lim == PAPER_RATIO and "s" not in free, (
                f"symbolic d, sigma: ratio_inf = {lim}; ratio_T = {finite_T} (free: {sorted(free)})")
        rep.add("gaussian: ratio_inf = 1/5 and ratio_T independent of sigma, for symbolic d and sigma",
                "symbolic", "exact", symbolic)

    def mc():
        ustar = fl(rec.get("u_T"))
        exact = fl(rec.get("ratio_T"))
        rng = rng_for(settings, 41)
        s = np.sqrt(ustar)
        params = Params.diagonal(d, s, s)
        means = []
        for _ in range(10 if settings.quick else 20):
            data = ProcessBatch.sample(law.sample(200 if settings.quick else 600, d, rng), T, rng)
            Y = predictions(params, data)
            means.append(float(np.mean(np.real(Y[:, -1] / data.X[:, T - 1]))))
        mean, se = batch_means(means)
        ok, z = z_ok(mean, exact, se)
        return ok, f"MC mean Re(yhat_(T-1)/x_T) = {mean:.5f} +- {se:.2g} vs ratio_T = {exact:.5f} (z = {z:.2f})"
    rep.add(f"Monte Carlo ratio at the last position (T={T}, u = u*_T) matches ratio_T", "monte-carlo",
            "4 s.e.", mc)
    return rep
