"""C6: beyond Assumption 4.1 - the full-one start x_1 = c 1 leaves the set A = aI, B = bI.

Routes: the engine's reduction verdicts (unmasked: no reduced set; masked: A = aI, B = bI)
against exact enumeration of the model's gradient; the exact off-diagonal gradient against its
enumeration; the SymPy solution of grad L = 0 on the set against enumerated gradients along the
curve where the diagonal gradient vanishes; and the exact full population flow (dense
coefficient tensors, a different algorithm) against the derived masked limit.
"""
import numpy as np
import sympy

from mesacheck.checks import routes
from mesacheck.checks.common import fl, on_set, resolve
from mesacheck.checks.compare import Outcome, all_of, close
from mesacheck.checks.verdict import ClaimReport
from mesacheck.numeric import quadrature
from mesacheck.numeric.flows import full_population_flow
from mesacheck.symbolic.invariance import structured_gradient
from mesacheck.symbolic.reduced import derive_reduced
from mesacheck.symbolic.symbols import a, b

CLAIM = "C6"
TITLE = "Full-one start leaves the set; no vanilla stationary point; full and masked flows"
DEFAULT = ("full-one:c=1", 2, 10)
A0B0 = (0.5, 1.5)


def run(settings):
    law, d, T = resolve(settings, *DEFAULT)
    d = min(d, 2 if settings.quick else 3)  # the exact full flow's tensors grow like (2d)^6
    T = min(T, 6 if settings.quick else 12)
    rep = ClaimReport(CLAIM, f"{TITLE} [{law.spec}, d={d}, T={T}]", settings=settings.to_json(),
                      budget=settings.budget, only=settings.only)
    if law.is_symbolic:
        rep.skip("all", "C6 checks", "the law has symbolic parameters: the flows need numbers")
        return rep
    routes.add_reduction(rep, law.spec, law, d, min(T, 6))
    from mesacheck.symbolic.reductions import NONE, reduction_for

    if reduction_for(law, d, None).system != NONE:
        rep.skip("leaves-the-set", f"{law.spec}: the flow leaves A = aI, B = bI",
                 "not applicable to this law: a reduced set is invariant for it (the claim is about laws "
                 "beyond Assumption 4.1, such as full-one)", not_applicable=True)
        return rep
    routes.add_reduction(rep, law.spec + ",masked", law, d, min(T, 6), masked=True)
    masked = rep.derivation(f"reduced masked flow ({law.spec}, d={d}, T={T})",
                            lambda: derive_reduced(law, d, T, masked=True))
    _offdiag(rep, law, d, min(T, 6))
    if masked is not None:
        _no_vanilla(rep, law, d, min(T, 6))
        _flows(rep, law, d, T, masked)
    if not settings.quick and settings.dist is None:  # the paper's size: d = 5, T = 100
        from mesacheck.checks import c6_paper_scale

        c6_paper_scale.add_all(rep)
    return rep


def _offdiag(rep, law, d, T):
    def go():
        gP, gK = structured_gradient(law, d, T)
        exact = fl(gK[d, 1].subs({a: A0B0[0], b: A0B0[1]}))
        enum = quadrature.exact_loss_and_grad(law, d, T, on_set(d, a=A0B0[0], b=A0B0[1])).grad.kq[d, 1].real
        return all_of(close(f"dL/dA_12 at (a, b) = {A0B0}", exact, enum, 1e-9, 1e-14),
                      Outcome(abs(enum) > 1e-6, f"|dL/dA_12| = {abs(enum):.3g} > 1e-6 (the set is left)"))
    rep.add("offdiag-gradient", f"{law.spec}: the off-diagonal gradient dL/dA_12 on the set is nonzero "
            f"(d={d}, T={T})", "enumeration", "the exact population gradient (lattice counts x moments)",
            routes.ENUMERATION, "rel 1e-9; nonzero: > 1e-6", go)


def _no_vanilla(rep, law, d, T):
    def go():
        gP, gK = structured_gradient(law, d, T)
        eqs = [sympy.expand(e) for e in list(gP) + list(gK) if sympy.expand(e) != 0]
        sols = sympy.solve(eqs, [a, b], dict=True)
        # a solution is a real stationary point (or curve of them) unless SymPy knows it is not real
        real = [s for s in sols if all(v.is_real is not False for v in s.values())]
        nonorigin = [s for s in real if set(s) != {a, b} or any(v != 0 for v in s.values())]
        # route 2: along the curve ab = u*_masked the diagonal gradient vanishes; the enumerated
        # off-diagonal gradient must not
        ustar = fl(derive_reduced(law, d, T, masked=True).get("ab_limit"))
        worst = np.inf
        for a0 in (0.7, 1.6):
            g = quadrature.exact_loss_and_grad(law, d, T, on_set(d, a=a0, b=ustar / a0)).grad
            off = np.abs(g.kq[d:, :d] - np.diag(np.diag(g.kq[d:, :d]))).max()
            worst = min(worst, float(off))
        ok = not nonorigin and worst > 1e-6
        return Outcome(ok, f"real solutions of grad L = 0 on the set: {real}; enumerated off-diagonal "
                       f"|dL/dA| along ab = u*: >= {worst:.3g}",
                       [("stationary points on the set besides the origin", str(len(nonorigin)), "0")])
    rep.add("no-vanilla", f"{law.spec}: no stationary point A = aI, B = bI other than the origin", "symbolic",
            "SymPy's solution of grad L = 0 on the set (a, b symbolic)",
            "enumerated off-diagonal gradient along the curve ab = u* where the diagonal gradient "
            "vanishes (nonzero there)", "exact; nonzero: > 1e-6", go)


def _flows(rep, law, d, T, masked_der):
    ustar = masked_der.get("ab_limit")

    def unmasked():
        res = full_population_flow(law, d, T, A0B0)
        ok = res.converged and res.offdiag[-1] > 1e-3 and abs(res.ab_limit - fl(ustar)) > 1e-3
        p = res.limit_params
        return Outcome(ok, f"converged={res.converged}; ab -> {res.ab_limit:.6g} (masked u* = {fl(ustar):.6g}); "
                       f"off-set norm {res.offdiag[0]:.2g} -> {res.offdiag[-1]:.4g}; A = "
                       f"{np.round(p.A, 4).tolist()}, B = {np.round(p.B, 4).tolist()}",
                       [("off-set norm at the limit", f"{res.offdiag[-1]:.4g}", "> 1e-3")])
    rep.add("full-flow", f"the exact full population flow from {A0B0} converges off the set", "numeric",
            "the derived non-invariance (the set is left)",
            "integration of the full flow with the dense exact coefficient tensors (DOP853, rtol 1e-10)",
            "off-set norm > 1e-3", unmasked)

    def masked():
        res = full_population_flow(law, d, T, A0B0, masked=True)
        return all_of(close("ab(oo) of the masked flow", fl(ustar), res.ab_limit, 1e-7),
                      close("off-set norm", 0.0, res.offdiag[-1], 0.0, 1e-12))
    rep.add("masked-flow", "the masked full flow converges to the derived masked u*", "numeric",
            "the derived u* of the reduced masked flow", "integration of the masked full flow (dense tensors)",
            "rel 1e-7", masked)
