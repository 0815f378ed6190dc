"""Two-route checks shared by several claims.

Each ``add_*`` function adds one check to a ClaimReport: route 1 is a derivation of the symbolic
engine, route 2 an independent computation (exact enumeration through the numeric model, a
numerical integration, the law's sampler, or a quadrature in x_1 alone). The check functions
hold no mathematics beyond the comparison.
"""
import numpy as np
import sympy

from mesacheck.checks import montecarlo
from mesacheck.checks.common import ENUM_RTOL, diagonal_params, fl, on_set, rng_for
from mesacheck.checks.compare import Outcome, all_of, close, same
from mesacheck.numeric import quadrature
from mesacheck.numeric.quadrature_rules import x1_rule
from mesacheck.setting.model import ProcessBatch, predictions
from mesacheck.symbolic import capability, reductions
from mesacheck.symbolic.symbols import a, adot, b, bdot, u
from mesacheck.symbolic.variances import ratio_stats, sum_power_stats

ENUMERATION = "exact enumeration: the model's numeric loss/gradient summed over an x_1 and phase rule exact for the integrand"
#: relative size below which an enumerated gradient entry counts as zero
ZERO_RTOL = 1e-9


# -- which reduced system is exact ------------------------------------------------------------------
def _offset_max(grad, d, masked, diagonal_ok):
    """Largest |gradient| of an entry that must stay 0 on the set."""
    kq, pv = np.abs(grad.kq).copy(), np.abs(grad.pv).copy()
    idx = np.arange(d)
    if masked:
        kq[d:, :d] = 0
        pv[:, :d] = 0
    elif diagonal_ok:
        kq[d + idx, idx] = 0
        pv[idx, idx] = 0
    return float(max(kq.max(), pv.max()))


def enumerated_system(law, d, T, masked=False):
    """'scalar' / 'diagonal' / 'none' read off exactly enumerated gradients at two generic points of
    A = aI, B = bI and one of the diagonal set (independent of the symbolic engine)."""
    scale_pts = []
    scalar = True
    for a0, b0 in ((0.5, 1.5), (1.1, -0.3)):
        g = quadrature.exact_loss_and_grad(law, d, T, on_set(d, a=a0, b=b0)).grad
        scale = max(np.abs(g.kq).max(), np.abs(g.pv).max(), 1e-300)
        scale_pts.append(scale)
        off = _offset_max(g, d, masked, diagonal_ok=True)
        diag_a, diag_b = np.diag(g.kq[d:, :d]), np.diag(g.pv[:, :d])
        spread = max(np.ptp(diag_a.real) + np.ptp(diag_a.imag), np.ptp(diag_b.real) + np.ptp(diag_b.imag))
        scalar &= off <= ZERO_RTOL * scale and spread <= ZERO_RTOL * scale
    if scalar:
        return "scalar"
    avals = 0.5 + 0.3 * np.arange(d) / max(d - 1, 1)
    bvals = 1.5 - 0.4 * np.arange(d) / max(d - 1, 1)
    g = quadrature.exact_loss_and_grad(law, d, T, diagonal_params(avals, bvals)).grad
    scale = max(np.abs(g.kq).max(), np.abs(g.pv).max(), 1e-300)
    return "diagonal" if _offset_max(g, d, masked, diagonal_ok=True) <= ZERO_RTOL * scale else "none"


def add_reduction(rep, tag, law, d, T, masked=False):
    """Check: the engine's exact reduced system equals the one read off enumerated gradients."""
    flow = "masked" if masked else "unmasked"

    def go():
        engine = reductions.reduction_for(law, d, T, masked).system
        return same(f"exact reduced system ({flow} flow, d={d}, T={T})", engine,
                    enumerated_system(law, d, T, masked))
    rep.add(f"reduction[{tag}]", f"{law.spec}: which set the {flow} population flow keeps (d={d}, T={T})",
            "enumeration", "reductions.reduction_for: the law's exact population gradient on the set, "
            "symbolic a, b", "off-set gradients and diagonal spread of the exactly enumerated gradient at "
            "two points of A = aI, B = bI and one diagonal point", f"zero: <= {ZERO_RTOL:g} x max |grad|", go)


# -- the loss and the ODE on the set ------------------------------------------------------------------
def add_loss_enumeration(rep, tag, law, d, T, der):
    """Check: the derived loss on the set g(u) (or L(diag a, diag b)) equals the enumerated loss."""
    def go():
        outs = []
        if der.has("loss_u"):
            g = der.get("loss_u")
            for uv in (sympy.Rational(1, 10), sympy.Rational(1, 2), sympy.Integer(2)):
                exact = quadrature.exact_loss(law, d, T, on_set(d, u=fl(uv))).value
                outs.append(close(f"g({uv})", fl(g.subs(u, uv)), exact, ENUM_RTOL, 1e-14))
        else:
            from mesacheck.symbolic.symbols import diagonal_symbols
            avec, bvec = diagonal_symbols(d)
            L = der.get("loss")
            avals = [sympy.Rational(1, 2) + sympy.Rational(j, 5) for j in range(d)]
            bvals = [sympy.Rational(3, 2) - sympy.Rational(j, 7) for j in range(d)]
            subs = {**dict(zip(avec, avals)), **dict(zip(bvec, bvals))}
            exact = quadrature.exact_loss(law, d, T, diagonal_params([fl(x) for x in avals],
                                                                     [fl(x) for x in bvals])).value
            outs.append(close("L(diag a, diag b)", fl(L.xreplace(subs)), exact, ENUM_RTOL, 1e-14))
        return all_of(*outs)
    rep.add(f"loss[{tag}]", f"{law.spec}: population loss on the set (d={d}, T={T})", "enumeration",
            "the derived closed form (lattice counts x exact moments)", ENUMERATION,
            f"rel {ENUM_RTOL:g}", go)


def add_ode_enumeration(rep, tag, law, d, T, der):
    """Check: the derived reduced ODE equals minus the enumerated gradient of A_11 and B_11."""
    def go():
        ode = der.get("ode")
        outs = []
        for a0, b0 in ((sympy.Rational(1, 2), sympy.Rational(3, 2)), (sympy.Rational(6, 5), sympy.Rational(-1, 3))):
            g = quadrature.exact_loss_and_grad(law, d, T, on_set(d, a=fl(a0), b=fl(b0))).grad
            at = {a: a0, b: b0}
            outs.append(close(f"da/dtau at ({a0}, {b0})", fl(ode[adot].xreplace(at)), -g.kq[d, 0].real,
                              ENUM_RTOL, 1e-14))
            outs.append(close(f"db/dtau at ({a0}, {b0})", fl(ode[bdot].xreplace(at)), -g.pv[0, 0].real,
                              ENUM_RTOL, 1e-14))
        return all_of(*outs)
    rep.add(f"ode[{tag}]", f"{law.spec}: the reduced ODE is the entrywise flow: (a', b') = -(dL/dA_11, "
            f"dL/dB_11) (d={d}, T={T})", "enumeration", "the derived ODE -(b, a) g'(ab)/d",
            "minus the exactly enumerated gradient of the entries A_11 and B_11", f"rel {ENUM_RTOL:g}", go)


# -- capability -----------------------------------------------------------------------------------------
def x_quadrature_excess(law, d, u_values):
    """E sum_j |x_j|^2 (u_j |x_j|^2 - 1)^2 by a quadrature in x_1 alone (exact for degree 6)."""
    nodes, weights = x1_rule(law, d, 6)
    us = np.asarray([fl(v) for v in u_values], dtype=float) if isinstance(u_values, (tuple, list, sympy.Tuple)) \
        else np.full(d, fl(u_values))
    r2 = np.abs(nodes) ** 2
    return float(weights @ np.sum(r2 * (us * r2 - 1.0) ** 2, axis=1))


def add_excess(rep, tag, law, d, rec):
    """Check: E_inf at the learned u (finite T and T -> oo) equals a quadrature in x_1, and the
    recovery verdicts agree with it."""
    def go():
        outs = []
        S2 = x_quadrature_excess(law, d, [0] * d)  # E sum |x_j|^2: the scale
        for key, ukey, vkey in (("excess_T", "u_T", "recovers_T"), ("excess_inf", "u_inf", "recovers_inf")):
            if not rec.has(key):
                continue
            q = x_quadrature_excess(law, d, rec.get(ukey))
            outs.append(close(key, fl(rec.get(key)), q, 1e-9, 1e-12 * S2))
            outs.append(same(vkey, rec.get(vkey), "yes" if q <= 1e-9 * S2 else "no"))
        return all_of(*outs)
    rep.add(f"excess[{tag}]", f"{law.spec}: E_inf(u*) and the recovery verdicts (d={d})", "enumeration",
            "E_inf(u) = sum_j (u_j^2 M6_j - 2 u_j M4_j + M2_j) at the derived u*, and its verdict",
            "E sum_j |x_j|^2 (u_j |x_j|^2 - 1)^2 by quadrature in x_1 (exact for degree 6); 'yes' iff it "
            "is below 1e-9 E|x|^2", "rel 1e-9", go)


def add_test_error(rep, tag, law, d, uval, ts):
    """Check: the derived finite-t test error e_t(u) equals the enumerated test error."""
    def go():
        e = capability.test_error_scalar(law, d)
        from mesacheck.symbolic.symbols import t as t_sym
        outs = []
        for t in ts:  # at the learned u and away from it (at u* the error may vanish identically)
            for name, uv in (("u*", uval), ("u* / 2", sympy.Rational(1, 2) * uval), ("2 u*", 2 * uval)):
                exact = quadrature.exact_test_error(law, d, on_set(d, u=fl(uv)), t).value
                outs.append(close(f"e_{t}({name})", fl(e.xreplace({u: uv, t_sym: t})), exact, ENUM_RTOL, 1e-14))
        return all_of(*outs)
    at = " and ".join(f"t = {x}" for x in ts)
    rep.add(f"test-error[{tag}]", f"{law.spec}: test error E||yhat_t - x_(t+1)||^2 at {at} (d={d})",
            "enumeration", "e_t(u) = 2 (g_(T=t+1)(u) - g_(T=t)(u)) from the loss closed form", ENUMERATION,
            f"rel {ENUM_RTOL:g}", go)


def add_ratio_enumeration(rep, tag, law, d, uval, t):
    """Check: the derived ratio sum_j u M2_j / sum_j P(x_j != 0) equals the enumerated ratio."""
    def go():
        exact = quadrature.exact_ratio(law, d, on_set(d, u=fl(uval)), t).value
        return close(f"ratio at t={t}", fl(capability.ratio_value(law, d, uval)), exact, ENUM_RTOL, 1e-14)
    rep.add(f"ratio[{tag}]", f"{law.spec}: ratio mean Re(yhat_t/x_(t+1)) over x_(t+1,j) != 0 (d={d}, t={t})",
            "enumeration", "u sum_j E|x_j|^2 / sum_j P(x_j != 0) (derived from the W-counts)", ENUMERATION,
            f"rel {ENUM_RTOL:g}", go)


# -- Monte Carlo ---------------------------------------------------------------------------------------
def mc_size(settings):
    """Samples per Monte Carlo check: a multiple of the number of groups."""
    return montecarlo.GROUPS * (400 if settings.quick else 2000)


def add_sampler(rep, tag, law, d, settings, salt):
    """Monte Carlo checks of the law's sampler against its exact moments (s2 = sum |x_j|^2 and
    s4 = sum |x_j|^4), with exact variances; a statistic whose variance needs a moment the law
    lacks is not checked, and the report says why."""
    for n, need in ((2, 4), (4, 8)):
        label = f"sampler-s{n}[{tag}]"
        if not law.moment_order_finite(need):
            rep.skip(label, f"{law.spec}: Monte Carlo of E sum_j |x_j|^{n}",
                     f"its variance needs the order-{need} moment, which is infinite for this law")
            continue

        def go(n=n):
            mean, var = sum_power_stats(law, d, n)
            x = law.sample(mc_size(settings), d, rng_for(settings, salt + n))
            values = np.sum(np.abs(x) ** n, axis=1)
            return montecarlo.compare(f"E sum_j |x_j|^{n}", values, fl(mean), fl(var),
                                      f"exact: sum_jk E|x_j|^{n}|x_k|^{n} - mean^2")
        rep.add(label, f"{law.spec}: the sampler draws the law: E sum_j |x_j|^{n} (d={d})", "monte-carlo",
                f"the law's exact moment S_{n}", f"median of means of {mc_size(settings)} sampled x_1",
                montecarlo.describe_tolerance(), go)


def add_ratio_mc(rep, tag, law, d, T, uval, settings, salt):
    """Monte Carlo check of the ratio at the last position of sampled sequences of length T."""
    def go():
        t = T - 1
        mean, var = ratio_stats(law, d, uval, t)
        Pi = fl(capability.nonzero_total(law, d))
        m = mc_size(settings)
        rng = rng_for(settings, salt)
        batch = ProcessBatch.sample(law.sample(m, d, rng), T, rng)
        Y = predictions(on_set(d, u=fl(uval)), batch)[:, t - 2]
        x = batch.X[:, t]
        nz = x != 0
        q = np.where(nz, np.real(Y / np.where(nz, x, 1.0)), 0.0)
        values = q.sum(axis=1) / Pi
        return montecarlo.compare(f"ratio at t={t}", values, fl(mean), fl(var),
                                  "exact, from the law's moments (symbolic.variances.ratio_stats)")
    rep.add(f"ratio-mc[{tag}]", f"{law.spec}: simulated ratio at the last position (d={d}, T={T}, u = u*_T)",
            "monte-carlo", "u S2 / sum_j P(x_j != 0) at the derived u*_T",
            f"median of means over {mc_size(settings)} sampled sequences (model predictions)",
            montecarlo.describe_tolerance(), go)


def outcome(ok, detail):
    """An Outcome from a bare boolean (for checks whose comparison is a custom verdict)."""
    return Outcome(bool(ok), detail)
