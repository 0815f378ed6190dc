"""C4: Proposition 4.1 - for N(0, sigma^2 I) the learned model under-predicts: the ratio
Re(yhat/x) at the last position tends to 1/5 for every d (the paper's figures: 0.2 at d = 5).

Routes: the derived limit against the paper's value at several d and for symbolic sigma and d;
the derived ratio formula against exact enumeration of the model's ratio; and a simulation at
the paper's size (d = 5, T = 100) against the derived finite-T ratio, with the exact variance.
For another law the claim is not about it: its own ratio is derived and checked against the
enumeration and the simulation, and the paper's 1/5 is reported as not applicable.
"""
import sympy

from mesacheck.checks import routes
from mesacheck.checks.common import ENUM_T, enum_dim, law_dim, resolve
from mesacheck.checks.compare import all_of, exact_equal
from mesacheck.checks.verdict import ClaimReport
from mesacheck.setting.distributions import parse_dist
from mesacheck.symbolic import printing
from mesacheck.symbolic.capability import derive_recovery
from mesacheck.symbolic.symbols import d as D_SYMBOL

CLAIM = "C4"
TITLE = "Gaussian fails: the ratio Re(yhat/x) tends to 1/5, the model under-predicts (Proposition 4.1)"
DEFAULT = ("gaussian:sigma=1", 5, 100)
PAPER_RATIO = sympy.Rational(1, 5)


def _is_paper_gaussian(law):
    return law.name == "gaussian" and "sigma" in law.params


def run(settings):
    law, d, T = resolve(settings, *DEFAULT)
    d = law_dim(law, d)
    rep = ClaimReport(CLAIM, f"{TITLE} [{law.spec}, d={d}, T={T}]", settings=settings.to_json(),
                      budget=settings.budget, only=settings.only)
    numeric = not law.is_symbolic
    if numeric:
        routes.add_reduction(rep, law.spec, law, enum_dim(law, settings.quick), ENUM_T)
    rec = rep.derivation(f"recovery ({law.spec}, d={d}, T={T})", lambda: derive_recovery(law, d, T))
    if rec is None:
        return rep
    if _is_paper_gaussian(law):
        rep.add("ratio-limit", f"lim_(T->oo) ratio = 1/5 for {law.spec}, d={d}", "symbolic",
                "the derived ratio u*_oo S2 / d", "the paper's value 1/5",
                "exact", lambda: exact_equal("ratio as T -> oo", rec.get("ratio_inf"), PAPER_RATIO))
    else:
        rep.skip("ratio-limit", "lim ratio = 1/5", f"the claim is about the Gaussian; for {law.spec} the "
                 f"derived limit is {printing.text(rec.get('ratio_inf'))} (checked below against the model)",
                 not_applicable=True)
    if settings.dist is None:
        _every_d(rep, settings)
    if numeric:
        de = enum_dim(law, settings.quick)
        small = derive_recovery(law, de, ENUM_T)
        if small.has("u_T") and not isinstance(small.get("u_T"), sympy.Tuple):
            routes.add_ratio_enumeration(rep, law.spec, law, de, small.get("u_T"), ENUM_T - 1)
            routes.add_ratio_mc(rep, law.spec, law, d, T, rec.get("u_T"), settings, 41)
        else:
            rep.skip("ratio", f"{law.spec}: ratio checks", "they are written for the scalar set A = aI, B = bI; "
                     "this law's reduced system is the diagonal one (see C7)")
    return rep


def _every_d(rep, settings):
    dims = range(1, 5) if settings.quick else range(1, 7)

    def every_d():
        gauss = parse_dist("gaussian:sigma=1")
        return all_of(*(exact_equal(f"ratio_oo at d={dd}", derive_recovery(gauss, dd, "oo").get("ratio_inf"),
                                    PAPER_RATIO) for dd in dims))
    rep.add("ratio-every-d", f"gaussian: ratio_oo = 1/5 for every d in {dims.start}..{dims.stop - 1}",
            "symbolic", "the derivation at each concrete d", "the paper's value 1/5", "exact", every_d)
    if settings.quick:
        return

    def symbolic():
        r = derive_recovery(parse_dist("gaussian:sigma=sigma"), D_SYMBOL, "oo")
        sigma = sympy.Symbol("sigma", positive=True)
        return all_of(exact_equal("ratio_oo, symbolic d and sigma", r.get("ratio_inf"), PAPER_RATIO),
                      exact_equal("d ratio_T / d sigma", sympy.diff(r.get("ratio_T"), sigma), 0))
    rep.add("ratio-symbolic", "gaussian: ratio_oo = 1/5 and ratio_T independent of sigma, for symbolic d and "
            "sigma", "symbolic", "the derivation with d and sigma symbols",
            "the paper's value 1/5; derivative in sigma must vanish", "exact", symbolic)
