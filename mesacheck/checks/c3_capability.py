"""C3: capability (Theorem 4.2, Assumption 4.2) - with the learned u* the error yhat_t - x_(t+1)
tends to 0 as t grows, for almost every x_1, iff E_inf(u*) = 0, i.e. |x_j|^2 in {0, 1/u_j} a.s.

Routes: the derived E_inf(u*) and verdicts against a quadrature in x_1 alone; the derived
finite-t test error against exact enumeration of the model's test error; the derived limit of
that error against the E_inf formula; and, for laws of finite support, the verdict against a
direct reading of the support.
"""
import sympy

from mesacheck.checks import routes
from mesacheck.checks.common import ENUM_T, enum_dim, law_dim, resolve
from mesacheck.checks.compare import all_of, exact_equal, same
from mesacheck.checks.verdict import ClaimReport
from mesacheck.numeric.quadrature_rules import FINITE_SUPPORT
from mesacheck.setting.distributions import parse_dist
from mesacheck.symbolic import capability
from mesacheck.symbolic.capability import derive_recovery
from mesacheck.symbolic.reductions import SCALAR, reduction_for
from mesacheck.symbolic.symbols import t as T_PREFIX
from mesacheck.symbolic.symbols import u

CLAIM = "C3"
TITLE = "Capability: recovery of x_(t+1) as the test position grows iff E_inf(u*) = 0 (Theorem 4.2)"
DEFAULT = ("sparse:c=1", 5, 100)


def law_checks(rep, settings, law, d, T):
    """The C3 checks for one law (also used by C7)."""
    tag = law.spec
    rec = rep.derivation(f"recovery ({law.spec}, d={d}, T={T})", lambda: derive_recovery(law, d, T))
    if rec is None:
        return None
    if not law.is_symbolic:
        routes.add_excess(rep, tag, law, d, rec)
        if isinstance(law, FINITE_SUPPORT):
            _support(rep, tag, law, d, rec)
    if reduction_for(law, d, None).system == SCALAR:
        _limit_of_error(rep, tag, law, min(d, 3))
        if not law.is_symbolic:
            de = enum_dim(law, settings.quick)
            uval = derive_recovery(law, de, ENUM_T).get("u_T")
            routes.add_test_error(rep, tag, law, de, uval, (3,) if settings.quick else (3, 7))
    return rec


def _support(rep, tag, law, d, rec):
    """Finite support: recovery iff every support vector has |v_j|^2 in {0, 1/u_j}."""
    from mesacheck.numeric.quadrature_rules import x1_rule

    def go():
        nodes, _ = x1_rule(law, d, 0)
        outs = []
        for key, ukey in (("recovers_T", "u_T"), ("recovers_inf", "u_inf")):
            if not rec.has(ukey):
                continue
            us = rec.get(ukey)
            us = list(us) if isinstance(us, sympy.Tuple) else [us] * d
            exact_nodes = _support_vectors(law, d)
            ok = all(sympy.simplify(sympy.Abs(v[j]) ** 2 * (1 - us[j] * sympy.Abs(v[j]) ** 2)) == 0
                     for v in exact_nodes for j in range(d))
            outs.append(same(key, rec.get(key), "yes" if ok else "no"))
        return all_of(*outs, detail=f"{len(nodes)} support points")
    rep.add(f"support[{tag}]", f"{law.spec}: recovery verdicts read off the law's support", "symbolic",
            "the derived verdict E_inf(u*) = 0", "every support vector v satisfies |v_j|^2 in {0, 1/u_j} "
            "(exact arithmetic on the support)", "exact", go)


def _support_vectors(law, d):
    """The exact support of a finite-support law."""
    if law.name == "mixture":
        return list(law.params["vectors"])
    if law.name == "sparse":
        c = law.params["c"]
        return [tuple(s * c if i == k else 0 for i in range(d)) for k in range(d) for s in (1, -1)]
    if law.name == "full-one":
        return [tuple(law.params["c"] for _ in range(d))]
    if law.name == "rademacher":
        from itertools import product

        c = law.params["c"]
        return [tuple(s * c for s in signs) for signs in product((1, -1), repeat=d)]
    raise ValueError(law.spec)


def _limit_of_error(rep, tag, law, d_small):
    def go():
        e_t = capability.test_error_scalar(law, d_small)
        lim = sympy.limit(e_t, T_PREFIX, sympy.oo)
        return exact_equal("lim_(t->oo) e_t(u)", lim, capability.excess(law, d_small, u))
    rep.add(f"error-limit[{tag}]", f"{law.spec}: the test error tends to E_inf(u) as t -> oo (d={d_small})",
            "symbolic", "E_inf(u) = u^2 S6 - 2u S4 + S2 from the law's moments",
            "sympy.limit of the finite-t test error e_t(u) derived from the loss closed form", "exact", go)


def run(settings):
    law, d, T = resolve(settings, *DEFAULT)
    d = law_dim(law, d)
    rep = ClaimReport(CLAIM, f"{TITLE} [{law.spec}, d={d}, T={T}]", settings=settings.to_json(),
                      budget=settings.budget, only=settings.only)
    if not law.is_symbolic:
        routes.add_reduction(rep, law.spec, law, enum_dim(law, settings.quick), ENUM_T)
    rec = law_checks(rep, settings, law, d, T)
    if rec is not None and settings.dist is None and (settings.only is None or any(
            "gaussian" in i or "paper-verdicts" in i for i in settings.only)):
        _paper_pair(rep, settings, d, T)
    return rep


def _paper_pair(rep, settings, d, T):
    """The paper's pair: sparse recovers (the default law), the Gaussian does not."""
    gauss = parse_dist("gaussian:sigma=1")
    law_checks(rep, settings, gauss, d, T)

    def verdicts():
        sparse = derive_recovery(parse_dist(DEFAULT[0]), d, T)
        g = derive_recovery(gauss, d, T)
        return all_of(same("sparse recovers (T -> oo)", sparse.get("recovers_inf"), "yes"),
                      same("gaussian recovers (T -> oo)", g.get("recovers_inf"), "no"))
    rep.add("paper-verdicts", "the paper's verdicts: sparse recovers, the Gaussian does not", "symbolic",
            "the derived recovery verdicts", "Theorem 4.2 / Example 4.1 / Proposition 4.1 of the paper",
            "exact", verdicts)
