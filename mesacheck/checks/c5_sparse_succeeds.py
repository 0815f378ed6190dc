"""C5: Example 4.1 (x_1 = c s e_k) succeeds: the test loss of the trained model goes to 0.

Routes: the derived loss at the learned u* (exact, at this T and for symbolic T and d) against
the claim's 0; the same loss by exact enumeration of the model; and full-batch gradient descent
of the model on sampled sequences, whose test loss must fall to 0.
"""
import numpy as np
import sympy

from mesacheck.checks import routes
from mesacheck.checks.common import ENUM_T, enum_dim, fl, law_dim, on_set, resolve, rng_for
from mesacheck.checks.compare import Outcome, all_of, close, exact_equal
from mesacheck.checks.verdict import ClaimReport
from mesacheck.symbolic import printing
from mesacheck.numeric import quadrature
from mesacheck.setting.model import ProcessBatch, loss_and_grad, loss_only
from mesacheck.setting.params import Params
from mesacheck.symbolic import printing
from mesacheck.symbolic.reduced import derive_reduced
from mesacheck.symbolic.symbols import T as T_SYMBOL
from mesacheck.symbolic.symbols import d as D_SYMBOL
from mesacheck.symbolic.symbols import u

CLAIM = "C5"
TITLE = "Sparse (Example 4.1) succeeds: the test loss of the trained model tends to 0"
DEFAULT = ("sparse:c=1", 5, 100)


def run(settings):
    law, d, T = resolve(settings, *DEFAULT)
    d = law_dim(law, d)
    rep = ClaimReport(CLAIM, f"{TITLE} [{law.spec}, d={d}, T={T}]", settings=settings.to_json(),
                      budget=settings.budget, only=settings.only)
    numeric = not law.is_symbolic
    if numeric:
        routes.add_reduction(rep, law.spec, law, enum_dim(law, settings.quick), ENUM_T)
    red = rep.derivation(f"reduced flow ({law.spec}, d={d}, T={T})", lambda: derive_reduced(law, d, T))
    if red is None:
        return rep
    if law.name == "sparse":
        def zero():
            outs = [exact_equal(f"g(u*) at T={T}, d={d}", red.get("loss_u").subs(u, red.get("ab_limit")), 0)]
            r = derive_reduced(law, D_SYMBOL if law.is_exchangeable else d, "oo")
            outs.append(exact_equal("g(u*(T)) for symbolic T and d",
                                    r.get("loss_u").subs(u, r.get("ab_limit_T")), 0))
            return all_of(*outs)
        rep.add("loss-at-limit", "the population loss at the learned u* is exactly 0 (this T, and every T and d)",
                "symbolic", "the derived g(u*) = C - R^2/(2Q)", "the claim of Example 4.1: 0", "exact", zero)
    else:
        rep.skip("loss-at-limit", "loss at u* = 0", f"the claim is about the sparse law; for {law.spec} the "
                 f"derived loss at u* is {printing.text(sympy.factor(red.get('loss_u').subs(u, red.get('ab_limit'))))}",
                 not_applicable=True)
    if numeric:
        de = enum_dim(law, settings.quick)

        def enumerated():
            r = derive_reduced(law, de, ENUM_T)
            ustar = r.get("ab_limit")
            exact = quadrature.exact_loss(law, de, ENUM_T, on_set(de, u=fl(ustar))).value
            scale = fl(r.get("C"))
            return close(f"loss at u* (d={de}, T={ENUM_T})", fl(r.get("loss_u").subs(u, ustar)), exact,
                         1e-9, 1e-12 * scale)
        rep.add(f"loss-enumeration[{law.spec}]", f"{law.spec}: the loss at u* by exact enumeration "
                f"(d={de}, T={ENUM_T})", "enumeration", "the derived g(u*)", routes.ENUMERATION,
                "rel 1e-9, abs 1e-12 x g(0)", enumerated)
    if law.name == "sparse":
        _training(rep, settings, law, d, T)
    return rep


def _training(rep, settings, law, d, T):
    def training():
        rng = rng_for(settings, 51)
        T_sim = min(T, 20)
        m = 300 if settings.quick else 1000
        train = ProcessBatch.sample(law.sample(m, d, rng), T_sim, rng)
        test = ProcessBatch.sample(law.sample(m, d, rng), T_sim, rng)
        params = Params.diagonal(d, 0.5, 1.5)
        # step size from the reduced flow's rate Q (a^2 + b^2) / d at the start (derived at T_sim)
        Q = fl(derive_reduced(law, d, T_sim).get("Q"))
        lr = 0.25 * d / (Q * (0.5**2 + 1.5**2))
        epochs = 150 if settings.quick else 400
        history = [loss_only(params, test)]
        for _ in range(epochs):
            _, g = loss_and_grad(params, train)
            params = params.step(g, lr)
            if not params.all_finite():
                return Outcome(False, f"diverged with lr={lr:.3g}")
            history.append(loss_only(params, test))
        h = np.array(history)
        rises = int(np.sum(np.diff(h) > 1e-12 * h[0]))
        ok = h[-1] <= 1e-6 * h[0] and rises == 0
        return Outcome(ok, f"T={T_sim}, m={m}, lr={lr:.3g}, {epochs} epochs: test loss {h[0]:.4g} -> "
                       f"{h[-1]:.3g} (rises: {rises}); ab = {params.ab():.6f}",
                       [("test loss after training / before", f"{h[-1] / h[0]:.3g}", "0 (<= 1e-6)")])
    rep.add("training", "gradient descent on sampled sequences from (0.5, 1.5): the test loss falls to 0",
            "numeric", "the claim: the trained model's test loss tends to 0",
            "full-batch gradient descent of the model on sampled training sequences, test loss on fresh ones",
            "final <= 1e-6 x initial, never rising", training)
