"""C2: emergence (Theorem 4.1 under Assumption 4.1) - the flow on A = aI, B = bI, its conserved
quantity, its stationary points, and the limit of ab, exactly.

Every check compares the derivation with a second route: exact enumeration of the model's
loss and gradient, the term-by-term population engine, the direct sum over prefixes at a
concrete T, the paper's anchors, numerical integration of the flow, and the law's sampler.
A law for which the set is not invariant gets the invariance check only: the reduced-flow
statements of Theorem 4.1 do not apply to it (and the engine refuses them).
"""
import sympy

from mesacheck.checks import routes
from mesacheck.checks.common import ENUM_T, enum_dim, fl, resolve
from mesacheck.checks.compare import all_of, close, exact_equal
from mesacheck.checks.verdict import ClaimReport
from mesacheck.symbolic import printing
from mesacheck.numeric.flows import reduced_flow
from mesacheck.setting.distributions import parse_dist
from mesacheck.symbolic import printing
from mesacheck.symbolic.population import PopulationLoss, structured_point
from mesacheck.symbolic.reduced import derive_reduced, structured_coefficients
from mesacheck.symbolic.reductions import SCALAR, reduction_for
from mesacheck.symbolic.symbols import T as T_SYMBOL
from mesacheck.symbolic.symbols import a, a0, adot, b, b0, bdot, d as D_SYMBOL, u

CLAIM = "C2"
TITLE = "Emergence: the flow on A = aI, B = bI and the exact limit of ab (Theorem 4.1, Assumption 4.1)"
DEFAULT = ("gaussian:sigma=1", 5, 100)
PAPER_INITS = ((0.1, 0.1), (0.5, 1.5), (2.0, 2.0))
#: relative agreement of an integrated flow's limit with u* (integrator rtol 1e-10)
FLOW_RTOL = 1e-8


def _anchor(law):
    """The paper's anchor for lim_T u* (gaussian 1/(5 sigma^2), sparse 1/c^2) with its source,
    or the hand formula S4/S6 of the limit for other laws."""
    if law.name == "gaussian" and "sigma" in law.params:
        return sympy.Rational(1, 5) / law.params["sigma"] ** 2, "the paper's anchor 1/(5 sigma^2)"
    if law.name == "sparse":
        return 1 / law.params["c"] ** 2, "the paper's anchor 1/c^2"
    return None, None


def run(settings):
    law, d, T = resolve(settings, *DEFAULT)
    rep = ClaimReport(CLAIM, f"{TITLE} [{law.spec}, d={d}, T={T}]", settings=settings.to_json(),
                      budget=settings.budget, only=settings.only)
    de = enum_dim(law, settings.quick)
    numeric = not law.is_symbolic
    if numeric:
        routes.add_reduction(rep, law.spec, law, de, ENUM_T)
    else:
        rep.skip("enumeration", f"{law.spec}: exact enumeration", "the law has symbolic parameters")
    if reduction_for(law, d, None).system != SCALAR:
        rep.skip("reduced-flow", f"{law.spec}: Theorem 4.1's reduced flow",
                 "the set A = aI, B = bI is not invariant for this law (Assumption 4.1 fails): see C7 "
                 "for its exact reduced system, C6 for the full flow", not_applicable=True)
        return rep
    red = rep.derivation(f"reduced flow ({law.spec}, d={d}, T={T})", lambda: derive_reduced(law, d, T))
    red_oo = rep.derivation(f"reduced flow ({law.spec}, d={d}, T -> oo)", lambda: derive_reduced(law, d, "oo"))
    small = rep.derivation(f"reduced flow ({law.spec}, d={de}, T={ENUM_T})", lambda: derive_reduced(law, de, ENUM_T))
    if red is None or red_oo is None or small is None:
        return rep
    if numeric:
        routes.add_ode_enumeration(rep, law.spec, law, de, ENUM_T, small)
        routes.add_loss_enumeration(rep, law.spec, law, de, ENUM_T, small)
    _population_route(rep, law, min(d, 3))
    _conserved(rep, red)
    _limits(rep, law, d, T, red, red_oo)
    if law.name == "gaussian" and "sigma" in law.params and not settings.quick:
        _symbolic_sigma(rep)
    if numeric:
        _flows(rep, law, d, T, red)
        routes.add_sampler(rep, law.spec, law, d, settings, 220)
    return rep


def _population_route(rep, law, d_small):
    T_small = 6

    def go():
        r = derive_reduced(law, d_small, T_small)
        ode = r.get("ode")
        gP, gK = PopulationLoss(law, d_small, T_small).gradient_at(*structured_point(d_small, a, b))
        return all_of(exact_equal("da/dtau", ode[adot], -gK[d_small, 0]),
                      exact_equal("db/dtau", ode[bdot], -gP[0, 0]))
    rep.add("ode-population", f"{law.spec}: the reduced ODE equals minus the population gradient of A_11, "
            f"B_11 for symbolic a, b (d={d_small}, T={T_small})", "symbolic",
            "the derived ODE from the set's loss g (index sums over coordinate patterns)",
            "the term-by-term population engine (every QUAD/LIN coefficient of the full loss)", "exact", go)


def _conserved(rep, red):
    def go():
        ode = red.get("ode")
        kappa = red.get("conserved")
        drift = sympy.diff(kappa, a) * ode[adot] + sympy.diff(kappa, b) * ode[bdot]
        return exact_equal("d kappa/dtau", drift, 0)
    rep.add("conserved", "the derived kappa is a first integral of the derived ODE", "symbolic",
            "kappa from the derivation", "its derivative along the ODE, by SymPy differentiation (must be 0)",
            "exact", go)


def _limits(rep, law, d, T, red, red_oo):
    def concrete():
        Q, R, _, _ = structured_coefficients(law, d, T)  # direct sum over t = 2..T-1
        return exact_equal(f"u*(T={T})", red.get("ab_limit"), R / Q)
    rep.add("limit-concrete-T", f"u*(T={T}) from the closed form in T", "symbolic",
            "the closed form u*(T) (Faulhaber sums and harmonic numbers) evaluated at T",
            "R/Q from the direct sum over the prefixes t = 2..T-1 at this T", "exact", concrete)

    anchor, source = _anchor(law)
    if anchor is None and d is not None:
        from mesacheck.symbolic.capability import coordinate_sums

        S2, S4, S6 = coordinate_sums(law, d)
        anchor, source = S4 / S6, "the hand formula lim u* = S4/S6 (the H_(T-2)/(T-2) term vanishes)"

    def limit():
        return exact_equal("lim_(T->oo) u*", red_oo.get("ab_limit"), anchor)
    rep.add("limit-anchor", "lim_(T->oo) u*", "symbolic", "sympy.limit of the derived u*(T)", source, "exact", limit)


def _symbolic_sigma(rep):
    def go():
        r = derive_reduced(parse_dist("gaussian:sigma=sigma"), D_SYMBOL, "oo")
        sigma = sympy.Symbol("sigma", positive=True)
        return exact_equal("lim u* sigma^2", r.get("ab_limit") * sigma**2, sympy.Rational(1, 5))
    rep.add("sigma-symbolic", "gaussian: lim u* = 1/(5 sigma^2) for symbolic sigma and d", "symbolic",
            "the derivation with sigma and d symbols", "the paper's anchor 1/(5 sigma^2)", "exact", go)


def _flows(rep, law, d, T, red):
    ustar = red.get("ab_limit")

    def converge():
        outs = []
        for a_0, b_0 in PAPER_INITS:
            res = reduced_flow(law, d, T, a_0, b_0)
            outs.append(close(f"ab(oo) from ({a_0}, {b_0})", fl(ustar), res.ab_limit, FLOW_RTOL))
        return all_of(*outs)
    rep.add("flow", "the reduced flow from the paper's three initialisations converges to u*", "numeric",
            "the derived u*", "numerical integration (Radau, rtol 1e-10) of the entrywise flow",
            f"rel {FLOW_RTOL:g}", converge)

    def manifold():
        line = red.get("stable_manifold")
        (b_on,) = sympy.solve(line.lhs.subs(a0, sympy.Rational(3, 10)), b0)
        on = reduced_flow(law, d, T, 0.3, fl(b_on))
        off = reduced_flow(law, d, T, 0.3, fl(b_on) + 0.02)
        return all_of(close(f"ab(oo) from the line's point (0.3, {b_on})", 0.0, on.ab_limit, 0.0, 1e-8),
                      close("ab(oo) from (0.3, b + 0.02), just off it", fl(ustar), off.ab_limit, FLOW_RTOL),
                      detail=f"derived line: {printing.text(line)}")
    rep.add("stable-manifold", "the initialisations that do not reach u* are the derived stable manifold",
            "numeric", "the derived stable manifold of the saddle at the origin (a line in (a0, b0))",
            "numerical integration from a point on the line (ab -> 0) and one just off it (ab -> u*)",
            f"abs 1e-8 / rel {FLOW_RTOL:g}", manifold)
