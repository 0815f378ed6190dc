"""The adapters between a sweep and the library: one function per WHAT, and nothing else.

Each adapter takes one grid point (a :class:`PointArgs`) and calls the library exactly as the
single command does, returning ``(values, verdicts)``: ``values`` maps an output name to an exact
SymPy expression, a tuple of them (flattened to ``name_1 .. name_k`` columns), or a float (a
numerical result with no exact form); ``verdicts`` maps a name to a short text or a bool. The
library's deliberate refusals (ReductionError, InputError, UndefinedError, ...) propagate and are
recorded as 'refused' with their message. The library's APIs may still move: only this module
needs to follow them.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

from mesacheck.errors import InputError

OO = "oo"


@dataclass(frozen=True)
class PointArgs:
    """What an adapter receives: the law's canonical spec, d, T (int or 'oo'), the optional axes
    (init pair of floats, lr float, seed int) and the fixed settings of the WHAT."""

    dist: str
    d: int
    T: object
    init: Optional[tuple] = None
    lr: Optional[float] = None
    seed: Optional[int] = None
    settings: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """A WHAT: its adapter, which optional axes it takes, its fixed settings with defaults
    (None: required), the metric its summary plot shows by default, and whether T may be oo."""

    name: str
    run: Callable
    doc: str
    axes: tuple = ()
    settings: dict = field(default_factory=dict)
    metric: str = ""
    T_oo: bool = True
    defaults: dict = field(default_factory=dict)
    #: the output columns it can produce (values, then verdicts); a tuple value v gives v_1, v_2, ...
    outputs: tuple = ()
    #: library modules the adapter imports: loaded once per worker, before the points' processes
    #: are forked from it, so that no point pays for the imports again
    modules: tuple = ()


def _law(args):
    from mesacheck.setting.distributions import parse_dist

    return parse_dist(args.dist)


def _T_arg(T):
    return OO if T == OO else int(T)


def _finite_T(args, what):
    if args.T == OO:
        raise InputError(f"{what} needs a finite T (an integer >= 3), not oo")
    return int(args.T)


# -- derive-limit ------------------------------------------------------------------------------------
def derive_limit(args):
    """`mesacheck derive limit`: the limit of a*b on the exact reduced system (refused otherwise)."""
    from mesacheck.symbolic.diagonal import derive_diagonal
    from mesacheck.symbolic.reduced import derive_reduced
    from mesacheck.symbolic.reductions import DIAGONAL, SCALAR, reduction_for, require

    dist, masked, T = _law(args), bool(args.settings.get("masked")), _T_arg(args.T)
    T_red = None if T == OO else T
    red = reduction_for(dist, args.d, T_red, masked)
    verdicts = {"system": red.system}
    if red.system == SCALAR:
        der = derive_reduced(dist, args.d, T, masked)
        values = {"ab_limit": der.get("ab_limit")}
        verdicts.update(Q_positive=der.get("Q_positive"), R_positive=der.get("R_positive"))
    elif red.system == DIAGONAL:
        der = derive_diagonal(dist, args.d, T, masked)
        values = {"ab_limit": der.get("ab_limit"), "u_limits": tuple(der.get("u_limits"))}
        verdicts["stationary_method"] = der.get("stationary_method")
    else:
        require(dist, args.d, T_red, DIAGONAL, masked)  # raises ReductionError, saying what to use
        raise AssertionError("unreachable")
    return values, verdicts


# -- invariance --------------------------------------------------------------------------------------
#: as `mesacheck derive invariance`: the general moment equations are derived for d <= 4
MAX_INVARIANCE_D = 4


def invariance(args):
    """`mesacheck derive invariance`: the law's invariance verdicts (real and complex parameters)."""
    from mesacheck.symbolic import printing
    from mesacheck.symbolic.invariance import derive_invariance
    from mesacheck.symbolic.reductions import reduction_for
    from mesacheck.symbolic.symbols import T as T_SYMBOL

    if args.settings.get("masked"):
        raise InputError("the invariance conditions are derived for the unmasked flow")
    dist, T = _law(args), _T_arg(args.T)
    d_eq = args.d
    if args.d > MAX_INVARIANCE_D:
        if not dist.is_exchangeable:
            raise InputError(f"the general invariance conditions are derived for d <= {MAX_INVARIANCE_D}; "
                             f"'{dist.spec}' is not exchangeable (derive-limit decides invariance for any d)")
        d_eq = MAX_INVARIANCE_D
    der = derive_invariance(dist, d_eq, T_SYMBOL if T == OO else T)
    broken = der.get("broken")
    red = reduction_for(dist, args.d, None if T == OO else T)
    values = {"n_conditions": len(der.get("conditions")), "n_broken": len(broken)}
    verdicts = {"invariant": der.get("invariant"), "invariant_complex": der.get("invariant_complex"),
                "system": red.system, "d_derived": str(d_eq),
                "broken": "; ".join(f"{printing.text(k)} = {printing.text(v)}" for k, v in broken.items())}
    return values, verdicts


# -- recovery ----------------------------------------------------------------------------------------
def recovery(args):
    """`mesacheck derive recovery`: learned u, the limit test error, recovery verdicts, ratio."""
    import sympy

    from mesacheck.symbolic.capability import derive_recovery
    from mesacheck.symbolic.reductions import reduction_for

    dist, masked, T = _law(args), bool(args.settings.get("masked")), _T_arg(args.T)
    der = derive_recovery(dist, args.d, T, masked)
    values = {}
    for name in ("u_T", "u_inf", "excess_T", "excess_inf", "ratio_T", "ratio_inf"):
        if der.has(name):
            v = der.get(name)
            values[name] = tuple(v) if isinstance(v, (tuple, list, sympy.Tuple)) else v
    verdicts = {"recovers_inf": der.get("recovers_inf"),
                "system": reduction_for(dist, args.d, None if T == OO else T, masked).system}
    if der.has("recovers_T"):
        verdicts["recovers_T"] = der.get("recovers_T")
    return values, verdicts


# -- flows -------------------------------------------------------------------------------------------
def flow(args):
    """`mesacheck flow`: the reduced (a, b) flow from (a0, b0), integrated to convergence."""
    from mesacheck.numeric.flows import reduced_flow
    from mesacheck.symbolic.reduced import ab_limit_from, structured_coefficients

    T = _finite_T(args, "flow")
    dist = _law(args)
    res = reduced_flow(dist, args.d, T, *args.init, masked=bool(args.settings.get("masked")))
    Q, R, _, _ = structured_coefficients(dist, args.d, T)
    u_star = ab_limit_from(Q, R)
    values = {"ab_limit": res.ab_limit, "u_star": u_star, "ab_error": abs(res.ab_limit - res.u_star),
              "a_limit": res.extra["a_limit"], "b_limit": res.extra["b_limit"],
              "tau_end": float(res.times[-1]), "kappa_drift": res.kappa_drift, "grad_norm": res.grad_norm}
    verdicts = {"converged": res.converged, "flow_status": res.status,
                "on_stable_manifold": bool(res.extra["on_stable_manifold"]), "criterion": res.criterion}
    return values, verdicts


def full_flow(args):
    """`mesacheck flow --full`: every entry under the exact population gradient (d <= 3, T <= 12)."""
    from mesacheck.numeric.flows import full_population_flow

    T = _finite_T(args, "full-flow")
    res = full_population_flow(_law(args), args.d, T, args.init, masked=bool(args.settings.get("masked")))
    values = {"ab_limit": res.ab_limit, "u_star": res.u_star, "offdiag_end": float(res.offdiag[-1]),
              "offdiag_max": float(res.offdiag.max()), "kappa_drift": res.kappa_drift,
              "loss_end": float(res.loss[-1]), "tau_end": float(res.times[-1]), "grad_norm": res.grad_norm}
    verdicts = {"converged": res.converged, "flow_status": res.status, "criterion": res.criterion}
    return values, verdicts


# -- simulate ----------------------------------------------------------------------------------------
def simulate(args):
    """`mesacheck simulate`: gradient descent on sampled sequences; the metrics at the last epoch."""
    from mesacheck.numeric.simulator import simulate as run

    T = _finite_T(args, "simulate")
    s = args.settings
    epochs = int(s["epochs"])
    res = run(args.dist, args.d, T, int(s["m"]), args.lr, epochs, init=args.init,
              masked=bool(s.get("masked")), seed=args.seed, eval_every=max(epochs, 1),
              m_test=int(s["m_test"]), progress=False)
    last = {"ab": res.ab, "ratio": res.ratio, "test_loss": res.test_loss, "train_loss": res.train_loss,
            "offdiag_norm": res.offdiag_norm}
    values = {k: (float(v[-1]) if len(v) else float("nan")) for k, v in last.items()}
    values["epoch_end"] = int(res.epochs[-1]) if len(res.epochs) else 0
    verdicts = {"sim_status": res.status,
                "diverged_epoch": "" if res.diverged_epoch is None else str(res.diverged_epoch)}
    return values, verdicts


# -- verify ------------------------------------------------------------------------------------------
def verify(args):
    """`mesacheck verify`: the claims' checks with this law, d, T and seed; one verdict per claim."""
    from mesacheck.checks.runner import run_claims
    from mesacheck.checks.verdict import Settings

    T = _finite_T(args, "verify")
    s = args.settings
    claims = [c for c in str(s.get("claims") or "").split(",") if c]
    reports = run_claims(claims, Settings(dist=args.dist, d=args.d, T=T, quick=bool(s.get("quick")),
                                          seed=args.seed), progress=None)
    checks = [c for r in reports for c in r.checks]
    values = {"checks_passed": sum(c.status == "pass" for c in checks), "checks_total": len(checks)}
    verdicts = {r.claim: r.verdict for r in reports}
    return values, verdicts


CLAIM_MODULES = tuple(f"mesacheck.checks.{m}" for m in (
    "c1_one_step_gd", "c2_emergence", "c3_capability", "c4_gaussian_fails", "c5_sparse_succeeds", "c6_full_one",
    "c7_beyond"))

TASKS = {t.name: t for t in (
    Task("derive-limit", derive_limit, "the exact limit of a*b (`derive limit`)",
         settings={"masked": False}, metric="ab_limit",
         outputs=("ab_limit", "u_limits", "system", "Q_positive", "R_positive", "stationary_method"),
         modules=("mesacheck.symbolic.diagonal", "mesacheck.symbolic.reduced", "mesacheck.symbolic.reductions")),
    Task("invariance", invariance, "invariance of A = aI, B = bI and the moment equations (`derive invariance`)",
         metric="invariant", outputs=("n_conditions", "n_broken", "invariant", "invariant_complex", "system",
                                      "d_derived", "broken"),
         modules=("mesacheck.symbolic.invariance", "mesacheck.symbolic.reductions")),
    Task("recovery", recovery, "recovery condition, its verdicts and the ratio (`derive recovery`)",
         settings={"masked": False}, metric="ratio_inf",
         outputs=("u_T", "u_inf", "excess_T", "excess_inf", "ratio_T", "ratio_inf", "recovers_T", "recovers_inf",
                  "system"),
         modules=("mesacheck.symbolic.capability", "mesacheck.symbolic.diagonal")),
    Task("flow", flow, "the reduced (a, b) flow to convergence (`flow`)", axes=("init",),
         settings={"masked": False}, metric="ab_limit", T_oo=False, defaults={"init": "0.1,0.1"},
         outputs=("ab_limit", "u_star", "ab_error", "a_limit", "b_limit", "tau_end", "kappa_drift", "grad_norm",
                  "converged", "flow_status", "on_stable_manifold", "criterion"),
         modules=("mesacheck.numeric.flows", "mesacheck.symbolic.reduced", "mesacheck.symbolic.reductions")),
    Task("full-flow", full_flow, "the exact full population flow (`flow --full`; d <= 3, T <= 12)",
         axes=("init",), settings={"masked": False}, metric="offdiag_end", T_oo=False,
         defaults={"init": "0.1,0.1"},
         outputs=("ab_limit", "u_star", "offdiag_end", "offdiag_max", "kappa_drift", "loss_end", "tau_end",
                  "grad_norm", "converged", "flow_status", "criterion"),
         modules=("mesacheck.numeric.flows", "mesacheck.symbolic.population", "mesacheck.symbolic.reduced")),
    Task("simulate", simulate, "the paper's gradient-descent simulation (`simulate`)",
         axes=("init", "lr", "seed"), settings={"masked": False, "m": 10000, "m_test": 10000, "epochs": None},
         metric="ab", T_oo=False, defaults={"init": "0.1,0.1", "seed": "0"},
         outputs=("ab", "ratio", "test_loss", "train_loss", "offdiag_norm", "epoch_end", "sim_status",
                  "diverged_epoch"),
         modules=("mesacheck.numeric.simulator", "mesacheck.setting.distributions")),
    Task("verify", verify, "the claims' checks (`verify`)", axes=("seed",),
         settings={"claims": "", "quick": False}, metric="checks_passed", T_oo=False, defaults={"seed": "0"},
         outputs=("checks_passed", "checks_total", "C1", "C2", "C3", "C4", "C5", "C6", "C7"),
         modules=("mesacheck.checks.runner", *CLAIM_MODULES)),
)}


_PREPARED = set()


def prepare(what):
    """Import the modules of ``what``'s adapter (and set up tqdm's lock) in this process, once;
    the processes forked from it for the points then start with them loaded."""
    if what in _PREPARED:
        return
    import importlib

    from tqdm import tqdm

    tqdm.get_lock()  # created here once, not in every point's process (it registers a semaphore)
    for name in ("sympy", "numpy", "mesacheck.setting.distributions", "mesacheck.symbolic.printing",
                 *TASKS[what].modules):
        importlib.import_module(name)
    _PREPARED.add(what)


_WARM = set()
#: dimensions whose kernels a worker compiles ahead of its points (a few seconds each, at most)
WARM_MAX_D = 12


def warm(what, d):
    """Load what a point of ``what`` at dimension ``d`` compiles (the simulator's numba kernels)
    in this process, once per d, so the processes forked for the points inherit it: otherwise
    every point's process loads them again from numba's disk cache (about 0.4 s each, measured
    as 4x the compute time per point on Dask workers)."""
    if what != "simulate" or d in _WARM or not 1 <= d <= WARM_MAX_D:
        return  # a large d is compiled inside its point, under the point's budgets
    _WARM.add(d)
    from mesacheck.numeric.simulator import simulate

    try:
        simulate("gaussian:sigma=1", d, 5, 16, 0.01, 1, m_test=16, progress=False)
    except Exception:  # noqa: BLE001 - the point itself then reports what is wrong
        pass


def precheck(task, dist, d, T):
    """Reason why a point cannot be computed, known before computing it (None if it can)."""
    if T == OO and not task.T_oo:
        return f"{task.name} needs a finite T (an integer >= 3), not oo"
    if task.name == "full-flow":
        from mesacheck.numeric.class_tensors import MEMORY_BUDGET, memory_estimate

        if memory_estimate(d) > MEMORY_BUDGET:
            return (f"the exact full population tensors at d={d} need about {memory_estimate(d) / 2**30:.1f} GiB, "
                    f"over the library's budget of {MEMORY_BUDGET / 2**30:.0f} GiB")
    if task.name in ("flow", "full-flow", "simulate") and dist.is_symbolic:
        return f"'{dist.spec}' has symbolic parameters: {task.name} needs numbers"
    return None
