"""C7: the theory for laws the paper did not try - i.i.d. laws with enough moments, a complex
Gaussian, finite mixtures (one with unequal coordinates), unequal scales, complex parameters.

Per law the engine first decides its exact reduced system (scalar or diagonal), checked against
exact enumeration of the model's gradient; then the limit of ab (against the symbolic i.i.d.
formula with the law's moments substituted, or the hand formula M4_j/M6_j), the loss on the set
(against enumeration), E_inf and the recovery verdicts (against a quadrature in x_1), and the
law's sampler (Monte Carlo with exact variances). Laws on the diagonal set add the certified
stationary point against the integrated diagonal flow and against enumerated gradients.
"""
import numpy as np
import sympy

from mesacheck.checks import routes
from mesacheck.checks.common import ENUM_T, diagonal_params, enum_dim, fl, law_dim, on_set
from mesacheck.checks.compare import Outcome, all_of, close, exact_equal, same
from mesacheck.checks.verdict import ClaimReport
from mesacheck.numeric import quadrature
from mesacheck.numeric.flows import integrate_to_rest
from mesacheck.setting.distributions import parse_dist
from mesacheck.setting.moment_symbol import iid_moment_order
from mesacheck.setting.params import Params
from mesacheck.symbolic.capability import coordinate_moments, coordinate_sums, derive_recovery
from mesacheck.symbolic.diagonal import derive_diagonal
from mesacheck.symbolic.invariance import complex_invariance
from mesacheck.symbolic.reduced import derive_reduced
from mesacheck.symbolic.reductions import DIAGONAL, SCALAR, reduction_for
from mesacheck.symbolic.symbols import diagonal_rate_symbols, diagonal_symbols

CLAIM = "C7"
TITLE = "Beyond the paper: other i.i.d. laws, complex Gaussian, mixtures, unequal scales"
ISSUE_MIXTURE = "mixture:1/4*[1,0]+1/4*[-1,0]+1/4*[0,2]+1/4*[0,-2]"
LAWS = ("uniform:c=1", "rademacher:c=1", "laplace:b=1", "student-t:nu=10", "cgaussian:sigma=1",
        ISSUE_MIXTURE, "gaussian:sigmas=1,1,2")
QUICK_LAWS = ("uniform:c=1", "student-t:nu=10", "cgaussian:sigma=1", ISSUE_MIXTURE, "gaussian:sigmas=1,2")
COMPLEX_LAW = "mixture:1/2*[1,1i]+1/2*[-1,-1i]"
IID_REAL = ("uniform", "rademacher", "laplace", "student-t")


def _law_checks(rep, settings, spec, d, T, salt):
    law = parse_dist(spec)
    spec = law.spec
    d = law_dim(law, d)
    de = enum_dim(law, settings.quick)
    numeric = not law.is_symbolic
    if numeric:
        routes.add_reduction(rep, spec, law, de, ENUM_T)
    system = reduction_for(law, d, None).system
    if system == SCALAR:
        _scalar(rep, settings, law, d, T, de)
    elif system == DIAGONAL:
        _diagonal(rep, settings, law, d, T, de)
    else:
        rep.skip(f"reduced[{spec}]", f"{spec}: reduced system", "neither A = aI, B = bI nor the diagonal "
                 "set is invariant for this law: only the full flow applies (see C6)")
        return
    if numeric:
        rec = rep.derivation(f"recovery ({spec}, d={d}, T={T})", lambda: derive_recovery(law, d, T))
        if rec is not None:
            routes.add_excess(rep, spec, law, d, rec)
        routes.add_sampler(rep, spec, law, d, settings, salt)


def _scalar(rep, settings, law, d, T, de):
    spec = law.spec
    red_oo = rep.derivation(f"reduced flow ({spec}, d={d}, T -> oo)", lambda: derive_reduced(law, d, "oo"))
    small = rep.derivation(f"reduced flow ({spec}, d={de}, T={ENUM_T})", lambda: derive_reduced(law, de, ENUM_T))
    if red_oo is not None:
        iid = law.name in IID_REAL

        def limit():
            lim = red_oo.get("ab_limit")
            if iid:  # at this T (where the joint moments enter through H_(T-2)) and as T -> oo
                outs = []
                for TT, key in ((T, "ab_limit"), ("oo", "ab_limit")):
                    gen = derive_reduced(parse_dist("iid-symmetric"), d, TT).get(key)
                    subs = {s: law.moment((iid_moment_order(s),), (0,)) for s in gen.free_symbols
                            if iid_moment_order(s) is not None}
                    mine = derive_reduced(law, d, TT).get(key)
                    outs.append(exact_equal(f"u* at T={TT}", mine, gen.xreplace(subs)))
                return all_of(*outs)
            S2, S4, S6 = coordinate_sums(law, d)
            return exact_equal("lim_(T->oo) u*", lim, S4 / S6)
        rep.add(f"limit[{spec}]", f"{spec}: u* at T={T} and as T -> oo (d={d})" if iid else
                f"{spec}: lim_(T->oo) u* (d={d})", "symbolic", "the law's own derivation (its joint moments)",
                "the symbolic symmetric i.i.d. law's u* with this law's one-coordinate moments substituted"
                if iid else "the hand formula S4/S6", "exact", limit)
    if small is not None and not law.is_symbolic:
        routes.add_loss_enumeration(rep, spec, law, de, ENUM_T, small)
    if not law.is_real and not law.is_symbolic:
        _complex_parameters(rep, law, de)


def _diagonal(rep, settings, law, d, T, de):
    spec = law.spec
    der = rep.derivation(f"diagonal system ({spec}, d={d}, T={T})", lambda: derive_diagonal(law, d, T))
    der_oo = rep.derivation(f"diagonal system ({spec}, d={d}, T -> oo)", lambda: derive_diagonal(law, d, "oo"))
    small = rep.derivation(f"diagonal system ({spec}, d={de}, T={ENUM_T})", lambda: derive_diagonal(law, de, ENUM_T))
    if der_oo is not None:
        def limit():
            M = coordinate_moments(law, d)
            hand = sympy.Tuple(*(M[4][j] / M[6][j] for j in range(d)))
            return exact_equal("lim_(T->oo) (u_1, ..., u_d)", der_oo.get("u_limits"), hand)
        rep.add(f"limit[{spec}]", f"{spec}: lim_(T->oo) u_j (d={d})", "symbolic",
                "the stationary point of the limiting diagonal loss L/(T-2)", "the hand formula u_j = M4_j/M6_j",
                "exact", limit)
    if small is not None:
        routes.add_loss_enumeration(rep, spec, law, de, ENUM_T, small)
        _stationary_enumeration(rep, law, de, small)
    if der is not None:
        _stationary_flow(rep, law, d, T, der)


def _stationary_flow(rep, law, d, T, der):
    def go():
        avec, bvec = diagonal_symbols(d)
        adots, bdots = diagonal_rate_symbols(d)
        ode = der.get("ode")
        states = [*avec, *bvec]
        field = [ode[adots[j]] for j in range(d)] + [ode[bdots[j]] for j in range(d)]
        y, tau, norm = integrate_to_rest(field, states, [0.5] * d + [1.5] * d)
        us = y[:d] * y[d:]
        # route 1 (the derived u_j) first, as in every table
        return close("u_j at rest", np.array([fl(x) for x in der.get("u_limits")]), us, 1e-7, 1e-10)
    rep.add(f"stationary-flow[{law.spec}]", f"{law.spec}: the diagonal flow from (0.5, 1.5) reaches the derived "
            f"stationary point (d={d}, T={T})", "numeric",
            "the derived stationary u_j (" + der.get("stationary_method").split(":")[0] + ")",
            "numerical integration of the derived diagonal ODE (Radau, rtol 1e-11) until it is at rest",
            "rel 1e-7", go)


def _stationary_enumeration(rep, law, d, der):
    def go():
        point = _point(der, d)
        if point is None:
            return Outcome(False, "the derivation gave no explicit point")
        g = quadrature.exact_loss_and_grad(law, d, ENUM_T, diagonal_params(*point)).grad
        scale = max(np.abs(quadrature.exact_loss_and_grad(law, d, ENUM_T, on_set(d, a=0.5, b=1.5)).grad.kq).max(), 1e-300)
        worst = max(np.abs(np.diag(g.kq[d:, :d])).max(), np.abs(np.diag(g.pv[:, :d])).max())
        return close("|grad L| on the diagonal at the derived point", float(worst), 0.0, 0.0, 1e-9 * scale)
    rep.add(f"stationary-enumeration[{law.spec}]", f"{law.spec}: the enumerated gradient vanishes at the "
            f"derived stationary point (d={d}, T={ENUM_T})", "enumeration", "the derived stationary point",
            routes.ENUMERATION, "abs 1e-9 x max |grad| at (0.5, 1.5)", go)


def _point(der, d):
    """(a_j, b_j) floats of a point with the derived u_j (a_j = b_j = sqrt(u_j) when the coordinates
    decouple; the certified point itself otherwise)."""
    from mesacheck.symbolic import diagonal

    avec, bvec = diagonal_symbols(d)
    us = [fl(x) for x in der.get("u_limits")]
    coupled = der.get("coupled")
    if not coupled:
        s = np.sqrt(np.maximum(us, 0.0))
        return s, s
    L = der.get("loss")
    pt = diagonal.stationary_point(L, d).point
    if pt is None:
        return None
    return np.array([fl(pt.get(x, 0)) for x in avec]), np.array([fl(pt.get(x, 0)) for x in bvec])


def _complex_parameters(rep, law, d):
    def go():
        T = ENUM_T
        engine, _ = complex_invariance(law, d, T)
        g = quadrature.exact_loss_and_grad(law, d, T, Params.diagonal(d, 0.5, 1.5, complex=True)).grad
        scale = max(np.abs(g.kq).max(), 1e-300)
        kq, pv = g.kq.copy(), g.pv.copy()
        diag_a, diag_b = np.diag(kq[d:, :d]).copy(), np.diag(pv[:, :d]).copy()
        idx = np.arange(d)
        kq[d + idx, idx] = 0
        pv[idx, idx] = 0
        off = max(np.abs(kq).max(), np.abs(pv).max())
        equal = np.ptp(diag_a.real) + np.ptp(diag_b.real) + np.abs(diag_a.imag).max() + np.abs(diag_b.imag).max()
        enumerated = off <= 1e-9 * scale and equal <= 1e-9 * scale
        return same("invariant for complex parameters", engine, bool(enumerated))
    rep.add(f"complex-parameters[{law.spec}]", f"{law.spec}: invariance of A = aI, B = bI for complex "
            f"parameters (d={d}, T={ENUM_T})", "enumeration",
            "the engine's complex-parameter gradient dL/dRe + i dL/dIm on the set (symbolic a, b)",
            "the exactly enumerated gradient of the model with complex parameters at (0.5, 1.5)",
            "zero: <= 1e-9 x max |grad|", go)


def run(settings):
    d = settings.d or (2 if settings.quick else 3)
    T = settings.T or (10 if settings.quick else 20)
    laws = (settings.dist,) if settings.dist else (QUICK_LAWS if settings.quick else LAWS)
    if settings.only is not None:  # run only the laws the requested checks name
        laws = tuple(s for s in laws if any(f"[{parse_dist(s).spec}" in i for i in settings.only))
    rep = ClaimReport(CLAIM, f"{TITLE} [d={d}, T={T}]", settings=settings.to_json(), budget=settings.budget,
                      only=settings.only)
    for k, spec in enumerate(laws):
        _law_checks(rep, settings, spec, d, T, 700 + 10 * k)
    if not settings.dist and rep.wants(f"{CLAIM}.complex-parameters[{parse_dist(COMPLEX_LAW).spec}]"):
        _complex_parameters(rep, parse_dist(COMPLEX_LAW), 2)
    return rep
