"""C3: capability - with the learned u* the error yhat_t - x_{t+1} -> 0 as t grows iff E_inf(u*) = 0.

Oracles: the simulated test error of the model at a large test position t (Monte Carlo), and the
Cauchy-Schwarz sign of E_inf (its discriminant S4^2 - S2 S6 <= 0 for every law).
"""
import sympy

from mesacheck.checks.common import fl, mc_test_error, resolve, rng_for
from mesacheck.checks.verdict import ClaimReport
from mesacheck.setting.distributions import parse_dist
from mesacheck.symbolic.capability import coordinate_sums, derive_recovery
from mesacheck.symbolic.reduced import u

CLAIM = "C3"
TITLE = "Capability: recovery of x_{t+1} as the test position grows iff E_inf(u*) = 0"
DEFAULT = ("sparse:c=1", 5, 100)


def mc_excess_check(rep, settings, law, d, T, rec, salt):
    """Add: simulated E||yhat_t - x_{t+1}||^2 at large t and u = u*_T matches E_inf(u*_T)."""
    t = 400 if settings.quick else 1500
    m = 300 if settings.quick else 1200

    def go():
        ustar = fl(rec.get("u_T"))
        exact = fl(rec.get("excess_T"))
        S2, S4, _ = (fl(s) for s in coordinate_sums(law, d))
        allowance = ustar**2 * S2 * S4 / (t - 1)  # E of the O(1/t) in-context cross term
        mean, se = mc_test_error(law, d, ustar, t, m, chunk=50, rng=rng_for(settings, salt))
        ok = abs(mean - exact) <= 4 * se + allowance + 1e-12
        return ok, (f"t={t}, m={m}: MC {mean:.5g} +- {se:.2g} vs E_inf(u*_T) = {exact:.5g} "
                    f"(allowance u^2 S2 S4/(t-1) = {allowance:.2g})")
    rep.add(f"{law.spec}: simulated test error at t={t} with u=u*_T matches E_inf(u*_T)",
            "monte-carlo", "4 s.e. + u^2 S2 S4/(t-1)", go)


def run(settings):
    law, d, T = resolve(settings, *DEFAULT)
    rep = ClaimReport(CLAIM, f"{TITLE} [{law.spec}, d={d}, T={T}]", settings=settings.to_json(),
                      budget=settings.budget)
    rec = rep.derivation(f"recovery ({law.spec}, d={d}, T={T})", lambda: derive_recovery(law, d, T))
    if rec is None:
        return rep

    def recovers():
        ok = rec.get("recovers_T") == "yes" and rec.get("recovers_inf") == "yes"
        return ok, (f"recovers at T={T}: {rec.get('recovers_T')} (E_inf = {rec.get('excess_T')}); "
                    f"as T->oo: {rec.get('recovers_inf')} (E_inf = {rec.get('excess_inf')})")
    rep.add(f"{law.spec} recovers x_(t+1): E_inf(u*) = 0 at T={T} and T->oo", "symbolic", "exact", recovers)

    def condition():
        cond = rec.get("condition")
        excess = rec.get("excess")
        consistent = all((rec.get(k) == "yes") == (sympy.simplify(rec.get(e)) == 0)
                         for k, e in (("recovers_T", "excess_T"), ("recovers_inf", "excess_inf")))
        return isinstance(cond, sympy.Eq) and sympy.simplify(cond.lhs - excess) == 0 and consistent, (
            f"condition: {cond}; verdicts agree with E_inf == 0: {consistent}")
    rep.add("the recovery condition is E_inf(u) = 0, and the verdicts follow it", "symbolic", "exact", condition)

    def nonneg():
        S2, S4, S6 = coordinate_sums(law, d)
        disc = sympy.simplify(S4**2 - S2 * S6)
        excess = rec.get("excess")
        ok = sympy.simplify(excess - (S6 * u**2 - 2 * S4 * u + S2)) == 0 and (disc.is_nonpositive is True)
        return ok, f"E_inf = S6 u^2 - 2 S4 u + S2, discriminant/4 = S4^2 - S2 S6 = {disc} <= 0"
    rep.add("E_inf(u) >= 0 for every u (Cauchy-Schwarz: S4^2 <= S2 S6)", "symbolic", "exact", nonneg)

    mc_excess_check(rep, settings, law, d, T, rec, 31)

    if settings.dist is None:  # the paper's pair of verdicts
        gauss = parse_dist("gaussian:sigma=1")
        grec = rep.derivation("recovery (gaussian:sigma=1)", lambda: derive_recovery(gauss, d, T))
        if grec is not None:
            def gaussian_no():
                ok = grec.get("recovers_T") == "no" and grec.get("recovers_inf") == "no"
                return ok, (f"gaussian: recovers_T={grec.get('recovers_T')}, recovers_inf="
                            f"{grec.get('recovers_inf')}, E_inf(u*_oo) = {grec.get('excess_inf')}")
            rep.add("gaussian:sigma=1 does not recover (E_inf(u*) > 0)", "symbolic", "exact", gaussian_no)
            mc_excess_check(rep, settings, gauss, d, T, grec, 32)
    return rep
