"""C6: beyond Assumption 4.1 - the full-one start x_1 = c 1 leaves the set A = aI, B = bI.

Oracles: the exact gradient against a Monte Carlo gradient of the model; a SymPy solve of the
full stationarity system on the set; the exact population flow (numeric.flows) for the unmasked
and masked variants, compared with the reduced derivation.
"""
import numpy as np
import sympy

from mesacheck.checks.common import fl, mc_gradient, resolve, rng_for
from mesacheck.checks.verdict import ClaimReport
from mesacheck.numeric.flows import full_population_flow
from mesacheck.setting.params import Params
from mesacheck.symbolic.invariance import derive_invariance, structured_gradient
from mesacheck.symbolic.reduced import a, b, derive_reduced

CLAIM = "C6"
TITLE = "Full-one start leaves the set; no vanilla stationary point; full and masked flows"
DEFAULT = ("full-one:c=1", 2, 10)
A0B0 = (0.5, 1.5)


def run(settings):
    law, d, T = resolve(settings, *DEFAULT)
    d = min(d, 2 if settings.quick else 3)  # the exact full flow is built for d <= 3, T <= 12
    T = min(T, 6 if settings.quick else 12)
    rep = ClaimReport(CLAIM, f"{TITLE} [{law.spec}, d={d}, T={T}]", settings=settings.to_json(),
                      budget=settings.budget)
    inv = rep.derivation(f"invariance ({law.spec}, d={d}, T={T})", lambda: derive_invariance(law, d, T))
    red = rep.derivation(f"reduced flow ({law.spec}, d={d}, T={T})", lambda: derive_reduced(law, d, T))
    if inv is None or red is None:
        return rep

    def broken():
        grads = inv.get("law_gradients")
        off_A = {k: v for k, v in grads.items() if k.startswith("A = ")}
        ok = inv.get("invariant") is False and bool(off_A) and bool(inv.get("broken"))
        first = next(iter(off_A.items()), ("-", "-"))
        return ok, (f"invariant={inv.get('invariant')}; {len(grads)} nonzero off-set gradients, e.g. "
                    f"{first[0]}: {first[1]}; {len(inv.get('broken'))} moment equations violated")
    rep.add("the gradient of an off-diagonal entry of A is nonzero on the set (set not invariant)",
            "symbolic", "exact", broken)

    def mc():
        gP, gK = structured_gradient(law, d, T)
        (mk, mp), (sk, sp) = mc_gradient(law, d, T, Params.diagonal(d, *A0B0),
                                         m=300 if settings.quick else 1500, batches=16,
                                         rng=rng_for(settings, 61))
        exact = fl(gK[d, 1].subs({a: A0B0[0], b: A0B0[1]}))
        mean, se = mk[d, 1], sk[d, 1]
        z0 = abs(mean) / max(se, 1e-300)
        zx = abs(mean - exact) / max(se, 1e-300)
        ok = z0 >= 10 and zx <= 4
        return ok, (f"dL/dA_12 at (a,b)={A0B0}: MC {mean:.5g} +- {se:.2g} ({z0:.0f} s.e. from 0); "
                    f"exact {exact:.5g} (z = {zx:.2f})")
    rep.add("Monte Carlo off-diagonal gradient dL/dA_12 is many s.e. from 0 and matches the exact value",
            "monte-carlo", ">= 10 s.e. from 0, <= 4 s.e. from exact", mc)

    def no_vanilla():
        gP, gK = structured_gradient(law, d, T)
        eqs = [sympy.expand(e) for e in list(gP) + list(gK) if sympy.expand(e) != 0]
        sols = sympy.solve(eqs, [a, b], dict=True)
        real = [s for s in sols if all(v.is_real for v in s.values())]
        nonzero = [s for s in real if set(s) != {a, b} or any(v != 0 for v in s.values())]
        return not nonzero, (f"{len(eqs)} nonzero gradient components on the set; real solutions "
                             f"of grad = 0: {real}")
    rep.add("no stationary point of the form A = aI, B = bI other than the origin (solve grad = 0)",
            "symbolic", "exact", no_vanilla)

    def full_flow():
        res = full_population_flow(law, d, T, A0B0)
        ustar = fl(red.get("ab_limit"))
        p = res.limit_params
        ok = res.converged and res.offdiag[-1] > 1e-3 and abs(res.ab_limit - ustar) > 1e-3
        return ok, (f"converged={res.converged} ({res.criterion[:40]}...); ab -> {res.ab_limit:.6g} "
                    f"(vanilla u* = {ustar:.6g}); off-set norm {res.offdiag[0]:.2g} -> {res.offdiag[-1]:.4g}; "
                    f"A = {np.round(p.A, 4).tolist()}, B = {np.round(p.B, 4).tolist()}")
    rep.add(f"the exact full population flow from {A0B0} converges off the set (off-diagonal != 0)",
            "numeric", "off-set norm > 1e-3", full_flow)

    def masked():
        res = full_population_flow(law, d, T, A0B0, masked=True)
        ustar = fl(red.get("ab_limit"))
        ok = res.converged and abs(res.ab_limit - ustar) <= 1e-6 * abs(ustar) and res.offdiag[-1] <= 1e-12
        return ok, (f"masked flow: ab -> {res.ab_limit:.10g}, derived u* = {red.get('ab_limit')} ~ "
                    f"{ustar:.10g}; off-set norm {res.offdiag[-1]:.2g}")
    rep.add("the masked flow converges to the reduced u* of derive_reduced", "numeric", "rel 1e-6", masked)
    return rep
