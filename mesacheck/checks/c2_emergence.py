"""C2: emergence - invariance of A = aI, B = bI, the reduced flow, its conserved quantity and the
limit of ab, with anchors from the paper's simulations and Monte Carlo / flow oracles."""
import sympy

from mesacheck.checks.common import fl, mc_gradient, mc_structured_loss, resolve, rng_for, z_ok
from mesacheck.checks.verdict import ClaimReport
from mesacheck.numeric.flows import reduced_flow
from mesacheck.setting.distributions import parse_dist
from mesacheck.setting.params import Params
from mesacheck.symbolic.invariance import derive_invariance, structured_gradient
from mesacheck.symbolic.reduced import D_SYMBOL, T_SYMBOL, a, at_T, b, derive_reduced, u

CLAIM = "C2"
TITLE = "Emergence: invariant set, reduced ODE, conserved quantity, limit of ab"
DEFAULT = ("gaussian:sigma=1", 5, 100)
PAPER_INITS = ((0.1, 0.1), (0.5, 1.5), (2.0, 2.0))


def _ode_parts(der):
    ode = der.get("ode")
    vals = list(ode.values())
    return vals[0], vals[1]


def _anchor(law, d):
    """The paper's anchor for the law's T -> oo limit of ab, or None (with a label)."""
    if law.name == "gaussian" and "sigma" in law.params:
        return sympy.Rational(1, 5) / law.params["sigma"] ** 2, "1/(5 sigma^2)"
    if law.name == "sparse":
        return 1 / law.params["c"] ** 2, "1/c^2"
    return None, None


def run(settings):
    law, d, T = resolve(settings, *DEFAULT)
    rep = ClaimReport(CLAIM, f"{TITLE} [{law.spec}, d={d}, T={T}]", settings=settings.to_json(),
                      budget=settings.budget)
    d_inv = min(d, 2 if settings.quick else 3)
    inv = rep.derivation(f"invariance ({law.spec}, d={d_inv})", lambda: derive_invariance(law, d_inv))
    red = rep.derivation(f"reduced flow ({law.spec}, d={d}, T={T})", lambda: derive_reduced(law, d, T))
    red_oo = rep.derivation(f"reduced flow ({law.spec}, d={d}, T->oo)", lambda: derive_reduced(law, d, "oo"))

    if inv is not None:
        def invariant():
            ok = inv.get("invariant") is True and not inv.get("broken")
            return ok, (f"invariant={inv.get('invariant')}; broken equations: "
                        f"{len(inv.get('broken'))}; off-set gradients: "
                        f"{list(inv.get('law_gradients'))[:4]}")
        rep.add(f"the set A=aI, B=bI is invariant for {law.spec} (d={d_inv})", "symbolic", "exact", invariant)

        def blocks():
            zb, cond = inv.get("zero_blocks"), inv.get("conditional_entries")
            ok = len(zb) == 4 and set(cond) == {"A = W^KQ_21", "B = W^PV_1"} and len(inv.get("conditions")) > 0
            return ok, (f"always-zero blocks {zb}; conditional: {sorted(cond)}; "
                        f"{len(inv.get('conditions'))} moment equations")
        rep.add("4 blocks have zero gradient for every law; off-diagonal A, B entries need moment "
                "equations", "symbolic", "exact", blocks)

        def mc_invariance():
            T_mc, a0, b0 = 6, 0.5, 1.5
            gP, gK = structured_gradient(law, d_inv, T_mc)
            (mk, mp), (sk, sp) = mc_gradient(law, d_inv, T_mc, Params.diagonal(d_inv, a0, b0),
                                             m=400 if settings.quick else 2000,
                                             batches=20, rng=rng_for(settings, 21))
            worst = 0.0
            for M, ex, se in ((mk, gK, sk), (mp, gP, sp)):
                for idx in ((i, j) for i in range(ex.rows) for j in range(ex.cols)):
                    exact = fl(ex[idx].subs({a: a0, b: b0}))
                    ok, z = z_ok(M[idx], exact, se[idx], z=5.0)
                    worst = max(worst, z)
            return worst <= 5.0, f"max |z| over all {6 * d_inv * d_inv} entries = {worst:.2f} (T={T_mc})"
        rep.add("Monte Carlo gradient (model.loss_and_grad) of every entry at (a,b)=(0.5,1.5) matches "
                "the exact population gradient", "monte-carlo", "5 s.e. per entry", mc_invariance)

    if red is None or red_oo is None:
        return rep

    def ode_vs_population():
        d_small, T_small = min(d, 2), 6
        r = derive_reduced(law, d_small, T_small)
        adot, bdot = _ode_parts(r)
        Qs, Rs = sympy.Symbol("Q", positive=True), sympy.Symbol("R", positive=True)
        subs = {Qs: r.get("Q"), Rs: r.get("R")}
        gP, gK = structured_gradient(law, d_small, T_small)
        da = sympy.simplify(adot.subs(subs) + gK[d_small, 0])
        db = sympy.simplify(bdot.subs(subs) + gP[0, 0])
        return da == 0 and db == 0, f"(d={d_small}, T={T_small}) residuals: {da}, {db}"
    rep.add("reduced ODE (a', b') equals minus the exact entrywise gradient of A_11, B_11",
            "symbolic", "exact", ode_vs_population)

    def conserved():
        adot, bdot = _ode_parts(red)
        kappa = red.get("conserved")
        drift = sympy.simplify(sympy.diff(kappa, a) * adot + sympy.diff(kappa, b) * bdot)
        return drift == 0, f"kappa = {kappa}; d kappa/dtau = {drift}"
    rep.add("a^2 - b^2 is conserved by the reduced ODE", "symbolic", "exact", conserved)

    def stationary():
        g = red.get("loss_u")
        ustar = red.get("ab_limit")
        slope = sympy.simplify(sympy.diff(g, u).subs(u, ustar))
        curv = sympy.simplify(sympy.diff(g, u, 2))
        return slope == 0 and curv.is_positive, f"g'(u*) = {slope}, g'' = {curv}, u* = {ustar} ~ {fl(ustar):.6g}"
    rep.add("u* = R/Q is the minimiser of g(u) (g'(u*) = 0, g'' > 0)", "symbolic", "exact", stationary)

    def two_routes():
        sym_T = red_oo.get("ab_limit_T")
        val = at_T(sym_T, T)
        diff = sympy.simplify(val - red.get("ab_limit"))
        return diff == 0, f"closed form in T at T={T}: {val}; direct: {red.get('ab_limit')}"
    rep.add(f"closed form u*(T) at T={T} equals the concrete-T derivation", "symbolic", "exact", two_routes)

    anchor, label = _anchor(law, d)
    if anchor is not None:
        def limit_anchor():
            lim = sympy.simplify(red_oo.get("ab_limit") - anchor)
            finite = sympy.simplify(red.get("ab_limit") - anchor)
            sparse = law.name == "sparse"
            ok = lim == 0 and ((finite == 0) if sparse else (finite != 0))
            return ok, (f"lim u* = {red_oo.get('ab_limit')} (anchor {label} = {anchor}); "
                        f"u*(T={T}) - anchor = {finite} ~ {fl(finite):.3g}")
        rep.add(f"anchor: lim_T u* = {label}" + (" for every T" if law.name == "sparse"
                                                  else f"; finite T={T} differs"),
                "symbolic", "exact", limit_anchor)
        if law.name == "sparse":
            def every_T():
                diff = sympy.simplify(red_oo.get("ab_limit_T") - anchor)
                return diff == 0, f"u*(T) = {red_oo.get('ab_limit_T')} in symbolic T"
            rep.add("sparse: u*(T) = 1/c^2 for every T (symbolic T)", "symbolic", "exact", every_T)

    if law.name == "gaussian" and "sigma" in law.params and not settings.quick:
        def symbolic_sigma():
            r = derive_reduced(parse_dist("gaussian:sigma=s"), D_SYMBOL, "oo")
            s = sympy.Symbol("s", positive=True)
            lim = sympy.simplify(r.get("ab_limit") * s**2)
            return lim == sympy.Rational(1, 5), f"lim u* sigma^2 = {lim} for symbolic d and sigma"
        rep.add("gaussian: lim u* sigma^2 = 1/5 for symbolic sigma and every d", "symbolic", "exact",
                symbolic_sigma)

    def flows_converge():
        ustar = fl(red.get("ab_limit"))
        rows = []
        ok = True
        for a0, b0 in PAPER_INITS:
            res = reduced_flow(law, d, T, a0, b0)
            good = res.converged and abs(res.ab_limit - ustar) <= 1e-6 * abs(ustar)
            ok &= good
            rows.append(f"({a0},{b0})->{res.ab_limit:.8g}")
        return ok, f"u* = {ustar:.8g}; " + ", ".join(rows)
    rep.add("reduced flow from the paper's inits converges to u*", "numeric", "rel 1e-6", flows_converge)

    def non_converging():
        res = reduced_flow(law, d, T, 0.3, -0.3)
        res2 = reduced_flow(law, d, T, 0.3, -0.29)
        ustar = fl(red.get("ab_limit"))
        lines = red.get("non_converging")
        ok = abs(res.ab_limit) < 1e-8 and abs(res2.ab_limit - ustar) < 1e-6 * abs(ustar) and "a_0 + b_0" in lines[0]
        return ok, (f"derived: {lines[0][:60]}...; from (0.3,-0.3): ab -> {res.ab_limit:.3g}; "
                    f"from (0.3,-0.29): ab -> {res2.ab_limit:.8g}")
    rep.add("non-converging inits are exactly a0 + b0 = 0 (flow from (0.3,-0.3) gives ab -> 0)",
            "numeric", "abs 1e-8 / rel 1e-6", non_converging)

    def mc_loss():
        g = red.get("loss_u")
        ustar = fl(red.get("ab_limit"))
        pairs = [(0.0, 0.0), (0.5, 1.5), (1.0, ustar), (2.0, 2.0 * ustar)]
        m = 300 if settings.quick else 1500
        res = mc_structured_loss(law, d, T, pairs, m=m, batches=16, rng=rng_for(settings, 22))
        worst, rows = 0.0, []
        for (a0, b0), (mean, se) in zip(pairs, res):
            exact = fl(g.subs(u, a0 * b0))
            ok, z = z_ok(mean, exact, se)
            worst = max(worst, z)
            rows.append(f"ab={a0 * b0:.4g}: MC {mean:.5g}+-{se:.2g} vs g {exact:.5g}")
        return worst <= 4.0, f"max |z| {worst:.2f}; " + "; ".join(rows)
    rep.add("empirical loss on the set (sampled sequences) matches g(ab)", "monte-carlo", "4 s.e.", mc_loss)
    return rep
