"""C7: the theory for laws the paper did not try - i.i.d. laws, complex Gaussians, mixtures, and
unequal coordinate scales (diagonal system).

Per law: the invariance verdict (with a Monte Carlo gradient oracle, or the route through the
symbolic i.i.d. law), the limit of ab (two routes for real i.i.d. laws: the law itself vs the
`iid` derivation with the law's moments substituted), the recovery verdict with a simulated test
error at a large position, and a Monte Carlo check of g(u*).
"""
import numpy as np
import sympy

from mesacheck.checks.common import fl, mc_gradient, mc_structured_loss, mc_test_error, rng_for, z_ok
from mesacheck.checks.verdict import ClaimReport
from mesacheck.setting.distributions import parse_dist
from mesacheck.setting.params import Params
from mesacheck.symbolic.capability import coordinate_sums, derive_recovery
from mesacheck.symbolic.invariance import derive_invariance, structured_gradient
from mesacheck.symbolic.reduced import a, b, derive_reduced, u

CLAIM = "C7"
TITLE = "Beyond the paper: other i.i.d. laws, complex Gaussian, mixtures, unequal scales"
LAWS = ("uniform:c=1", "rademacher:c=1", "laplace:b=1", "student-t:nu=10", "cgaussian:sigma=1",
        "mixture:1/4*[1,0]+1/4*[-1,0]+1/4*[0,2]+1/4*[0,-2]")
QUICK_LAWS = ("uniform:c=1", "rademacher:c=1", "student-t:nu=10", "cgaussian:sigma=1",
              "mixture:1/4*[1,0]+1/4*[-1,0]+1/4*[0,2]+1/4*[0,-2]")
DIAGONAL_LAW = "gaussian:sigmas=1,2"
IID_REAL = ("uniform", "rademacher", "laplace", "student-t")
#: laws whose Monte Carlo variances need moments beyond those that exist (t_10: 12th moment)
HEAVY = ("student-t",)


def _dim(law, d):
    if law.name == "mixture":
        return len(law.params["vectors"][0])
    return d


def _law_checks(rep, settings, spec, d, T, salt):
    law = parse_dist(spec)
    d = _dim(law, d)
    inv = rep.derivation(f"invariance ({spec}, d=2)", lambda: derive_invariance(law, 2))
    red = rep.derivation(f"reduced ({spec}, d={d}, T={T})", lambda: derive_reduced(law, d, T))
    red_oo = rep.derivation(f"reduced ({spec}, d={d}, T->oo)", lambda: derive_reduced(law, d, "oo"))
    rec = rep.derivation(f"recovery ({spec}, d={d}, T={T})", lambda: derive_recovery(law, d, T))
    heavy = law.name in HEAVY

    if inv is not None:
        def invariance():
            verdict = inv.get("invariant")
            if heavy:  # symmetric i.i.d.: every odd mixed moment vanishes and coordinates exchange
                return verdict is True, f"invariant={verdict}; oracle: symmetric i.i.d. law => invariant"
            T_mc, a0, b0 = 5, 0.5, 1.5
            gP, gK = structured_gradient(law, 2, T_mc)
            (mk, mp), (sk, sp) = mc_gradient(law, 2, T_mc, Params.diagonal(2, a0, b0),
                                             m=300 if settings.quick else 1000, batches=16,
                                             rng=rng_for(settings, salt))
            worst = 0.0
            for M, ex, se in ((mk, gK, sk), (mp, gP, sp)):
                for i in range(ex.rows):
                    for j in range(ex.cols):
                        _, z = z_ok(M[i, j], fl(ex[i, j].subs({a: a0, b: b0})), se[i, j])
                        worst = max(worst, z)
            return worst <= 5.0, f"invariant={verdict}; MC gradient vs exact: max |z| {worst:.2f} (24 entries)"
        rep.add(f"{spec}: invariance verdict, exact gradient confirmed by Monte Carlo", "monte-carlo"
                if not heavy else "symbolic", "5 s.e. per entry" if not heavy else "exact", invariance)

    if red is not None and red_oo is not None:
        def limit():
            lim = red_oo.get("ab_limit")
            detail = f"lim u* = {lim} ~ {fl(lim):.6g}; u*(T={T}) = {fl(red.get('ab_limit')):.6g}"
            if law.name in IID_REAL:
                gen = derive_reduced(parse_dist("iid"), d, "oo").get("ab_limit")
                subs = {s: law.moment((int(str(s)[2:]),), (0,)) for s in gen.free_symbols}
                other = sympy.simplify(gen.xreplace(subs))
                ok = sympy.simplify(other - lim) == 0
                return ok, detail + f"; via the iid formula {gen}: {other}"
            return lim.is_positive is True, detail
        rep.add(f"{spec}: lim u* (two routes for real i.i.d. laws)", "symbolic", "exact", limit)

        if not heavy:
            def mc_g():
                T_mc = min(T, 10)
                r = derive_reduced(law, d, T_mc)
                g, ustar = r.get("loss_u"), fl(r.get("ab_limit"))
                s = np.sqrt(ustar)
                (mean, se), = mc_structured_loss(law, d, T_mc, [(s, s)], m=300 if settings.quick else 1000,
                                                  batches=16, rng=rng_for(settings, salt + 1))
                exact = fl(g.subs(u, r.get("ab_limit")))
                ok, z = z_ok(mean, exact, se)
                return ok, f"T={T_mc}: MC loss at u* {mean:.5g} +- {se:.2g} vs g(u*) {exact:.5g} (z={z:.2f})"
            rep.add(f"{spec}: Monte Carlo loss at u* matches g(u*)", "monte-carlo", "4 s.e.", mc_g)

    if rec is not None:
        def recovery():
            S2, S4, S6 = coordinate_sums(law, d)
            # independent reading of the condition: |x_j|^2 in {0, 1/u} a.s. <=> S4^2 = S2 S6 and u = S2/S4
            equality = sympy.simplify(S4**2 - S2 * S6) == 0
            expect_inf = "yes" if equality and sympy.simplify(rec.get("u_inf") - S2 / S4) == 0 else "no"
            ok = rec.get("recovers_inf") == expect_inf
            return ok, (f"recovers_T={rec.get('recovers_T')}, recovers_inf={rec.get('recovers_inf')} "
                        f"(E_inf(u*_oo) = {rec.get('excess_inf')}); oracle: {expect_inf}")
        rep.add(f"{spec}: recovery verdict (oracle: |x_j|^2 in {{0, 1/u}} a.s.)", "symbolic", "exact", recovery)

        if not heavy:
            def mc_excess():
                t = 300 if settings.quick else 1000
                ustar = fl(rec.get("u_T"))
                exact = fl(rec.get("excess_T"))
                S2, S4, _ = (fl(s) for s in coordinate_sums(law, d))
                allowance = ustar**2 * S2 * S4 / (t - 1)
                mean, se = mc_test_error(law, d, ustar, t, 200 if settings.quick else 600, 50,
                                         rng_for(settings, salt + 2))
                ok = abs(mean - exact) <= 4 * se + allowance + 1e-12
                return ok, f"t={t}: MC {mean:.5g} +- {se:.2g} vs E_inf(u*_T) {exact:.5g} (+{allowance:.2g})"
            rep.add(f"{spec}: simulated test error at large t matches E_inf(u*_T)", "monte-carlo",
                    "4 s.e. + u^2 S2 S4/(t-1)", mc_excess)


def _diagonal_checks(rep, settings, T):
    from mesacheck.symbolic.diagonal import derive_diagonal

    law = parse_dist(DIAGONAL_LAW)
    T = min(T, 6)  # the exact tensors grow fast with T for a law with many nonzero moments
    der = rep.derivation(f"diagonal system ({DIAGONAL_LAW}, d=2, T={T})", lambda: derive_diagonal(law, 2, T))
    if der is None:
        return

    def verdicts():
        ok = der.get("invariant") is True and der.get("aI_invariant") is False
        return ok, (f"diagonal set invariant: {der.get('invariant')}; A = aI invariant: "
                    f"{der.get('aI_invariant')}; stationary u_j: {der.get('stationary')}")
    rep.add(f"{DIAGONAL_LAW}: A = aI is not invariant, the diagonal set is", "symbolic", "exact", verdicts)

    limit_point = {}

    def flow():
        from scipy.integrate import solve_ivp

        from mesacheck.numeric.boundary import lambdify_checked
        from mesacheck.symbolic.diagonal import diagonal_symbols

        avec, bvec = diagonal_symbols(2)
        ode = der.get("ode")
        states = [avec[0], bvec[0], avec[1], bvec[1]]
        f = lambdify_checked([ode[sympy.Symbol(f"\\dot{{{n}}}_{j}")] for j in (1, 2) for n in ("a", "b")],
                             states, name="diagonal_field")
        sol = solve_ivp(f, (0.0, 2000.0), [0.5, 1.5, 0.5, 1.5], method="Radau", rtol=1e-10, atol=1e-12)
        y = sol.y[:, -1]
        limit_point["ab"] = y
        us = np.array([y[0] * y[1], y[2] * y[3]])
        stat = [tuple(fl(x) for x in s) for s in der.get("stationary")]
        match = [s for s in stat if np.allclose(us, s, rtol=1e-6, atol=1e-12)]
        return bool(sol.success) and bool(match), (
            f"diagonal ODE from (0.5, 1.5): u_j -> {np.round(us, 8).tolist()}; derived stationary u: "
            f"{[tuple(round(x, 8) for x in s) for s in stat]}")
    rep.add(f"{DIAGONAL_LAW}: the derived diagonal flow reaches the derived stationary point",
            "numeric", "rel 1e-6", flow)

    def mc_stationary():
        if "ab" not in limit_point:
            return False, "the diagonal flow did not produce a limit point"
        y = limit_point["ab"]
        params = Params.diagonal(2, 1.0, 1.0)
        params.A[...] = np.diag([y[0], y[2]])
        params.B[...] = np.diag([y[1], y[3]])
        (mk, mp), (sk, sp) = mc_gradient(law, 2, T, params, m=300 if settings.quick else 1000,
                                         batches=16, rng=rng_for(settings, 790))
        zs = [abs(mk[2 + j, j]) / sk[2 + j, j] for j in range(2)] + [abs(mp[j, j]) / sp[j, j] for j in range(2)]
        return max(zs) <= 4.0, f"MC gradient of diag(A), diag(B) at the flow's limit (a1,b1,a2,b2) = {np.round(y, 5).tolist()}: |z| {np.round(zs, 2).tolist()}"
    rep.add(f"{DIAGONAL_LAW}: Monte Carlo gradient of diag(A), diag(B) vanishes at the limit of the diagonal flow",
            "monte-carlo", "4 s.e.", mc_stationary)


def run(settings):
    d = settings.d or (2 if settings.quick else 3)
    T = settings.T or (10 if settings.quick else 20)
    laws = (settings.dist,) if settings.dist else (QUICK_LAWS if settings.quick else LAWS)
    rep = ClaimReport(CLAIM, f"{TITLE} [d={d}, T={T}]", settings=settings.to_json(), budget=settings.budget)
    for k, spec in enumerate(laws):
        _law_checks(rep, settings, spec, d, T, 700 + 10 * k)
    if not settings.dist:
        _diagonal_checks(rep, settings, T)
    return rep
