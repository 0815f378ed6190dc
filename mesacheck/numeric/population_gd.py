"""Population gradient descent: theta_{k+1} = theta_k - lr grad L(theta_k), exact population gradient.

This is the discrete map the paper's simulations run (full-batch GD with step lr), without the
sampling: the gradient is the exact population gradient. Four systems compute it:

* ``reduced``: the (a, b) system on A = aI, B = bI (exact Q, R of
  :func:`mesacheck.symbolic.reduced.structured_coefficients`), entrywise:
  a <- a - lr (b / d) g'(ab), b <- b - lr (a / d) g'(ab). Exact when that set is invariant for the
  law (or the flow is masked and the law exchangeable).
* ``diagonal``: diag(A), diag(B) per coordinate (laws sign-symmetric in every coordinate).
* ``symmetric``: the symmetry-reduced system (:mod:`mesacheck.numeric.reduced_numeric`), each
  coordinate moving by -(lr / mult) dL_red/dtheta.
* ``full``: every entry (tensors of :mod:`mesacheck.numeric.class_tensors`).

``auto`` picks the smallest exact one for the law, the start and the flow. ``masked`` applies the
reference program's zeroing of the off-diagonal entries of A and B after each step.

Divergence verdict (stated in every result): *diverged* when a state is non-finite or the loss
exceeds DIVERGENCE_FACTOR times the initial loss; *converged* when the entrywise gradient norm at
the last epoch is <= GTOL_REL times the initial one; otherwise *not converged* (still moving).
"""
from dataclasses import dataclass, field
import math
import time

import numpy as np

from mesacheck.errors import InputError, ReductionError
from mesacheck.numeric import flows
from mesacheck.setting.params import Params
from mesacheck.setting.validate import check_int, check_positive

#: loss growth beyond this factor over the initial loss counts as divergence (as the simulator).
DIVERGENCE_FACTOR = 1e6
#: converged when ||grad|| at the end <= GTOL_REL * ||grad|| at the start.
GTOL_REL = 1e-8
SYSTEMS = ("auto", "reduced", "diagonal", "symmetric", "full")


@dataclass
class PopulationGDResult:
    """Per-epoch summaries of population GD and the verdict."""

    system: str
    dist: str
    d: int
    T: int
    lr: float
    masked: bool
    epochs: np.ndarray
    ab: np.ndarray
    loss: np.ndarray
    offdiag: np.ndarray
    status: str
    diverged_epoch: object
    grad_norm: np.ndarray
    params: Params
    verdict: str = ""
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def tau(self):
        """Flow time lr * epoch of each recorded epoch."""
        return self.epochs * self.lr

    def to_json_dict(self):
        return {"system": self.system, "dist": self.dist, "d": self.d, "T": self.T, "lr": self.lr,
                "masked": self.masked, "status": self.status, "diverged_epoch": self.diverged_epoch,
                "verdict": self.verdict, "criterion": _CRITERION,
                "per_epoch": {"epoch": self.epochs, "tau": self.tau, "ab": self.ab, "loss": self.loss,
                              "offdiag": self.offdiag, "grad_norm": self.grad_norm},
                "final_W_KQ": self.params.kq.tolist(), "final_W_PV": self.params.pv.tolist(),
                **{k: v for k, v in self.extra.items() if not k.endswith("seconds")}}


_CRITERION = (f"diverged: non-finite state or loss > {DIVERGENCE_FACTOR:g} x initial loss; converged: "
              f"||grad||_end <= {GTOL_REL:g} x ||grad||_start (entrywise gradient, Frobenius)")


class _Reduced:
    """(a, b) system; state y = (a, b)."""

    def __init__(self, dist, d, T):
        self.sc = flows._Scales(dist, d, T)
        self.d = d

    def start(self, init):
        return np.array(init, float)

    def step_grad(self, y):  # the entrywise gradient of diag(A) and diag(B) entries (one of each)
        return -self.sc.rhs.fun(0.0, y)

    def grad_norm(self, y):
        return float(np.linalg.norm(self.step_grad(y)) * math.sqrt(self.d))

    def loss(self, y):
        u = y[0] * y[1]
        return 0.5 * self.sc.rhs.Q * u * u - self.sc.rhs.R * u + self.sc.C

    def params(self, y):
        return Params.diagonal(self.d, y[0], y[1])


class _Typed:
    """A ReducedNumeric system; state theta."""

    def __init__(self, rn):
        self.rn = rn

    def start(self, init):
        theta, resid = self.rn.project(init if isinstance(init, Params) else Params.diagonal(self.rn.system.d, *init))
        if resid > 1e-12 * max(1.0, np.linalg.norm(theta)):
            raise ReductionError("the start is not on the reduced system's subspace (use system='full')")
        return theta

    def step_grad(self, y):
        return self.rn.grad(y) / self.rn.mults

    def grad_norm(self, y):
        return self.rn.entry_grad_norm(y)

    def loss(self, y):
        return self.rn.loss(y)

    def params(self, y):
        return self.rn.lift(y)


class _Full:
    def __init__(self, dist, d, T, masked):
        self.tl, _ = flows.population_tensors(dist, d, T)
        self.mask = flows.offdiag_mask(d) if masked else None
        self.d = d

    def start(self, init):
        p = init.copy() if isinstance(init, Params) else Params.diagonal(self.d, *init)
        if p.is_complex:
            raise InputError("population GD takes real parameters")
        if self.mask is not None:
            p.mask_offdiag_AB()
        return p.flatten()

    def step_grad(self, y):
        g = self.tl.grad_flat(y)
        return g if self.mask is None else g * self.mask

    def grad_norm(self, y):
        return float(np.linalg.norm(self.step_grad(y)))

    def loss(self, y):
        return self.tl.loss_flat(y)

    def params(self, y):
        return Params.unflatten(y, self.d)


def choose_system(dist, d, init, masked, system):
    """The system ``auto`` resolves to, or a check that ``system`` is exact here (ReductionError)."""
    from mesacheck.symbolic.invariance import law_invariant

    structured = not isinstance(init, Params)
    exch = dist.is_exchangeable or d == 1
    ab_exact = structured and exch and (masked or law_invariant(dist, min(d, 4) if dist.is_exchangeable else d))
    if system == "auto":
        return "reduced" if ab_exact else ("symmetric" if structured else "full")
    if system == "reduced" and not ab_exact:
        raise ReductionError(f"the (a, b) system is not exact for '{dist.spec}' here: the set A = aI, B = bI is "
                             "not invariant (or the start is not on it); use symmetric or full")
    if system in ("diagonal", "symmetric") and not structured:
        raise ReductionError(f"system '{system}' starts from A = a0 I, B = b0 I; give (a0, b0) or use full")
    return system


def population_gd(dist, d, T, init, lr, epochs, masked=False, system="auto", record_every=1):
    """Run population GD (see module docstring); ``init``: (a0, b0) or a real Params.

    Returns a :class:`PopulationGDResult` with per-recorded-epoch ab (mean_j A_jj B_jj), loss,
    distance from the set A = aI, B = bI (Frobenius norm of everything else) and gradient norm.
    """
    start_time = time.perf_counter()
    dist = flows._dist(dist)
    d, T = check_int("d", d, 1), check_int("T", T, 3)
    lr = check_positive("lr", lr)
    epochs = check_int("epochs", epochs, 0)
    record_every = check_int("record_every", record_every, 1)
    if system not in SYSTEMS:
        raise InputError(f"system must be one of {', '.join(SYSTEMS)}, got {system!r}")
    dist.for_dim(d)
    name = choose_system(dist, d, init, masked, system)
    if name == "reduced":
        impl = _Reduced(dist, d, T)
    elif name in ("symmetric", "diagonal"):
        from mesacheck.numeric.symmetric_flow import reduced_system_numeric

        impl = _Typed(reduced_system_numeric(dist, d, T, masked, name))
    else:
        impl = _Full(dist, d, T, masked)
    y = impl.start(init)
    rec = {"epoch": [], "ab": [], "loss": [], "offdiag": [], "grad": []}
    loss0 = impl.loss(y)
    g0 = impl.grad_norm(y)
    status, div_epoch = "not converged", None

    def record(k, y, loss, gn):
        p = impl.params(y)
        rec["epoch"].append(k)
        rec["ab"].append(p.ab())
        rec["loss"].append(loss)
        rec["offdiag"].append(p.off_diagonal_norm())
        rec["grad"].append(gn)

    record(0, y, loss0, g0)
    last_good = y
    with flows.one_blas_thread(), np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, epochs + 1):
            y = y - lr * impl.step_grad(y)
            loss = impl.loss(y) if np.all(np.isfinite(y)) else float("inf")
            if not np.isfinite(loss) or loss > DIVERGENCE_FACTOR * max(abs(loss0), 1e-300):
                status, div_epoch = "diverged", k
                break
            last_good = y
            if k % record_every == 0 or k == epochs:
                record(k, y, loss, impl.grad_norm(y))
    if status != "diverged":
        status = "converged" if rec["grad"][-1] <= GTOL_REL * max(g0, 1e-300) else "not converged"
    verdict = {"diverged": f"diverged at epoch {div_epoch} (lr = {lr:g})",
               "converged": f"converged: ||grad|| fell from {g0:.3g} to {rec['grad'][-1]:.3g}",
               "not converged": f"still moving after {epochs} epochs: ||grad|| {g0:.3g} -> {rec['grad'][-1]:.3g}"}[status]
    extra = {}
    if name == "reduced":
        extra["u_star"] = impl.sc.u_star
        # GD on the curve of minima ab = u* is stable iff lr (a^2 + b^2) Q / d < 2 there.
        a, b = last_good
        extra["lr_stability_ratio"] = float(lr * (a * a + b * b) * impl.sc.rhs.Q / d / 2.0)
    return PopulationGDResult(name, dist.spec, d, T, lr, masked, np.array(rec["epoch"]), np.array(rec["ab"]),
                              np.array(rec["loss"]), np.array(rec["offdiag"]), status, div_epoch,
                              np.array(rec["grad"]), impl.params(last_good), verdict,
                              time.perf_counter() - start_time, extra)
