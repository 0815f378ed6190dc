"""Rerun the paper's simulations (EXPERIMENTS.md) at full size with the exact theory beside them.

Each configuration runs the simulator from the three Assumption 3.1 starts at the paper's settings
(m = 10000 training and 10000 test sequences, d = 5, T = 100, the paper's lr and epochs) and puts
beside every trajectory:

* the reduced population flow of (a, b) at tau = epoch * lr (exact coefficients; Radau), where it
  is the exact population flow: gaussian and sparse (the structured set is invariant) and
  full-one masked (invariant under the masked flow);
* the exact finite-T limit u*(T) = R/Q (and u* as T -> infinity, the paper's anchor);
* population gradient descent at the same lr, epoch by epoch, once
  ``mesacheck.numeric.population_gd.population_gd`` exists (another branch): see
  :func:`population_gd_reference`, the one place that calls it.

Sampling standard error (SE) of a run's final a*b, stated in every output:

* default (``replicates=1``): the delta-method ("sandwich") SE of the converged a*b from the run's
  own training sample (:mod:`mesacheck.numeric.sampling_error`: valid for converged gaussian and
  sparse runs, masked or not, and masked full-one runs; not for unmasked full-one, whose limit is
  off the structured set: n/a there);
* ``replicates=R >= 2``: R independent seeds (seed, seed + 1, ...) per configuration; the SE of a
  single run is the across-replicate standard deviation (ddof 1) at every recorded epoch, and the
  final values are replicate means with SE / sqrt(R). The sandwich SE is reported beside it as a
  cross-check.

The deviation of a configuration's final a*b from a reference is (ab - reference) / (SE / sqrt(R)).

Population GD, epoch by epoch (``popgd_gap_se``): each run's |a*b - population GD| at every logged
epoch in units of that run's first-order *trajectory* SE at that epoch, computed from its own
training sample by propagating the per-sequence gradient noise through the GD steps on the
diagonal set (``trajectory_standard_error``); the worst run per epoch, and the worst epoch
(``popgd_gap_se_max``; the criterion is POPGD_WITHIN_SE). A converged-point SE or a 2-run spread
does not measure a mid-trajectory deviation (the latter is a t statistic with 1 degree of
freedom). ``diag_gap_se`` is the part of the gap that comes from the blocks outside the diagonal
set: |a*b - GD on the run's own empirical diagonal loss| in the same units. It is second order in
the sampling noise, and it matters only where the first-order SE is tiny (sparse laws near their
noise-free limit). ``diag_popgd_gap_se`` is the rest, |diagonal GD - population GD|: the part the
first-order SE describes. Unmasked full-one runs leave the diagonal set: there the gap uses the
across-replicate SD when R >= 2 (labelled), and is n/a for a single run.

full-one learning rate: the paper does not record it. We use lr = 5e-4 for 400 epochs (tau = 0.2),
masked and unmasked. Why: 5e-4 is the reference program's default step size, and it is inside the
stability bound of gradient descent (lr < 2 / largest Hessian eigenvalue) at every start: the
largest eigenvalue of the full empirical Hessian (all 150 entries; power iteration on
finite-difference Hessian-vector products, m = 2000, seed 0) is about 2335 at (2, 2), 1074 at
(0.5, 1.5) and 92 at (0.1, 0.1), so lr < 8.6e-4 at (2, 2). (lr = 1e-3 to 3e-3 also ran without
diverging at m = 2000, but only because the first steps shrink the curvature: they start outside
the bound.) tau = 0.2 is enough: the masked reduced flow is within 2e-14 of u*(T) at tau = 0.2 from
every start, and the simulated a*b settles by epoch ~160 (masked and unmasked); the unmasked runs'
off-diagonal entries keep drifting slowly after that (a slow mode the figure shows).
"""
from dataclasses import dataclass
import math
import sys

import numpy as np
import sympy

from mesacheck.errors import InputError
from mesacheck.numeric import boundary
from mesacheck.symbolic import printing
from mesacheck.setting.distributions import parse_dist

INITS = ((0.1, 0.1), (0.5, 1.5), (2.0, 2.0))
D, T = 5, 100
M, M_TEST = 10000, 10000
#: --quick: a reduced size for tests and smoke runs (not the paper's settings).
QUICK = {"m": 400, "m_test": 400, "T": 20, "max_epochs": 30}
#: solver tolerances of the flows compared with the simulation (see mesacheck.numeric.flows).
TOLERANCES = {"reduced_flow_rtol": 1e-10, "reduced_flow_atol": 1e-14}
SE_DEFAULT = ("delta-method (sandwich) SE of the converged a*b from the run's own training sample "
              "(mesacheck.numeric.sampling_error; first order in 1/sqrt(m))")
SE_REPLICATES = "across-replicate standard deviation (ddof 1) of R independent runs"
SE_TRAJECTORY = ("each run's first-order trajectory SE at that epoch, from its own training sample "
                 "(mesacheck.numeric.sampling_error.trajectory_standard_error); worst run per epoch")
SE_GAP_ACROSS = ("across-replicate SD of R = {R} runs (a t statistic with {dof} degrees of freedom: heavy-tailed "
                 "for small R); no first-order SE off the diagonal set")
#: the criterion of the comparison with population GD (issue 10): every logged epoch within this many SEs.
POPGD_WITHIN_SE = 4.0
#: a run counts as converged when the flow at its last tau is within this many SEs of u*(T).
CONVERGED_SE = 0.1
#: ... and its last step changed a*b by at most this many SEs.
SETTLED_SE = 0.01
#: round-off floor of an SE, relative to max(1, |ab|): sparse laws have no sampling noise at their
#: limit (every residual vanishes at ab = 1/c^2), so the sandwich SE there is round-off.
SE_FLOOR = 1e-10


@dataclass(frozen=True)
class Experiment:
    """One row of EXPERIMENTS.md."""

    name: str
    spec: str
    lr: float
    epochs: int
    masked: bool = False
    lr_source: str = "paper"

    @property
    def family(self):
        return self.spec.split(":")[0]

    @property
    def metric(self):
        """The test metric the paper plots: the test loss for sparse starts, the ratio otherwise."""
        return "test_loss" if self.family == "sparse" else "ratio"

    @property
    def reduced_flow_exact(self):
        """True where the reduced (a, b) flow is the exact population flow (structured set invariant)."""
        return self.family != "full-one" or self.masked


FULL_ONE_LR_SOURCE = ("chosen by mesacheck (not recorded in the paper): the reference program's default 5e-4, "
                      "inside the stability bound 2/lambda_max = 8.6e-4 at the (2, 2) start")
EXPERIMENTS = {e.name: e for e in (
    Experiment("gaussian-0.5", "gaussian:sigma=1/2", 1e-3, 200),
    Experiment("gaussian-1", "gaussian:sigma=1", 1e-4, 150),
    Experiment("gaussian-2", "gaussian:sigma=2", 2e-6, 201),
    Experiment("sparse-0.5", "sparse:c=1/2", 3e-2, 200),
    Experiment("sparse-1", "sparse:c=1", 1e-3, 200),
    Experiment("sparse-2", "sparse:c=2", 1e-4, 121),
    Experiment("full-one", "full-one:c=1", 5e-4, 400, lr_source=FULL_ONE_LR_SOURCE),
    Experiment("full-one-masked", "full-one:c=1", 5e-4, 400, masked=True, lr_source=FULL_ONE_LR_SOURCE),
)}


def get_experiment(name):
    """The Experiment called ``name``; InputError listing the names otherwise."""
    if name not in EXPERIMENTS:
        raise InputError(f"unknown reproduction {name!r}; choose one of: all, {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]


def sizes(exp, quick):
    """(m, m_test, T, epochs, eval_every) of a configuration, full size or --quick."""
    if quick:
        return QUICK["m"], QUICK["m_test"], QUICK["T"], min(exp.epochs, QUICK["max_epochs"]), 1
    return M, M_TEST, T, exp.epochs, 1


_THEORY_CACHE = {}


def theory(dist, d=D, T_=T, masked=False):
    """Exact theory values (floats via the boundary): u* at T, u* as T -> oo, the ratio (mesacheck's
    definition: mean of Re(yhat/x) over the coordinates with x != 0, :func:`capability.ratio_value`)
    at finite T and as T -> oo, and the structured-set population loss g(u*).

    For a law whose set A = aI, B = bI is not invariant under the unmasked flow (full-one) these are
    the values of the MASKED flow (``masked`` is then forced and reported as ``theory_flow``).
    """
    from mesacheck.symbolic.capability import ratio_value
    from mesacheck.symbolic.reduced import derive_reduced, structured_coefficients
    from mesacheck.symbolic.reductions import SCALAR, reduction_for

    if reduction_for(dist, d, None, masked).system != SCALAR:
        masked = True
    key = (dist.spec, d, T_, masked)
    if key in _THEORY_CACHE:
        return dict(_THEORY_CACHE[key])
    Q, R, C, _ = structured_coefficients(dist, d, T_)
    u_T = R / Q
    u_inf = derive_reduced(dist, d, "oo", masked).get("ab_limit")
    second = sympy.Add(*[dist.moment(tuple(int(i == j) for i in range(d)), tuple(int(i == j) for i in range(d)))
                         for j in range(d)]) / d
    out = {
        "theory_flow": "masked" if masked else "unmasked",
        "ab_T": boundary.to_float(u_T, "u*"), "ab_T_exact": printing.text(sympy.factor(u_T)),
        "ab_inf": boundary.to_float(u_inf, "lim u*"), "ab_inf_exact": printing.text(u_inf),
        "mean_second_moment": boundary.to_float(second, "E|x|^2"),
        "ratio_T": boundary.to_float(ratio_value(dist, d, u_T), "ratio"),
        "ratio_inf": boundary.to_float(ratio_value(dist, d, u_inf), "ratio"),
        "loss_at_ab_T": boundary.to_float(C - R**2 / (2 * Q), "g(u*)"),
        "Q": boundary.to_float(Q, "Q"), "R": boundary.to_float(R, "R"), "C": boundary.to_float(C, "C"),
    }
    _THEORY_CACHE[key] = out
    return dict(out)


def population_gd_reference(dist, d, T_, init, lr, epochs, masked):
    """Exact population gradient descent, epoch by epoch: {'ab': (epochs + 1,), 'loss': (epochs + 1,)},
    or None while ``mesacheck.numeric.population_gd`` does not exist.

    The hook for the other branch's ``population_gd(dist, d, T, init, lr, epochs, masked)``, which
    returns per-epoch ab and loss (epoch 0 first) as a mapping with keys 'ab' and 'loss', an object
    with attributes ``ab`` and ``loss``, or a pair (ab, loss). Nothing else here needs to change
    when it lands: the figures draw it (dash-dot) and the summary reports |simulated - population GD|
    in standard errors.
    """
    try:
        from mesacheck.numeric.population_gd import population_gd
    except ImportError:
        return None
    out = population_gd(dist, d, T_, tuple(init), lr, epochs, masked)
    if isinstance(out, dict):
        ab, loss = out["ab"], out.get("loss")
    elif hasattr(out, "ab"):
        ab, loss = out.ab, getattr(out, "loss", None)
    else:
        ab, loss = out
    ab = np.asarray(ab, dtype=float)
    if getattr(out, "status", None) == "diverged" and ab.ndim == 1 and ab.shape[0] < epochs + 1:
        # population GD diverged at this lr: no reference after that epoch (NaN, drawn as a gap)
        pad = np.full(epochs + 1 - ab.shape[0], np.nan)
        ab = np.concatenate([ab, pad])
        loss = None if loss is None else np.concatenate([np.asarray(loss, dtype=float), pad])
    if ab.shape != (epochs + 1,):
        raise InputError(f"population_gd returned {ab.shape[0] if ab.ndim == 1 else ab.shape} values of ab, "
                         f"expected {epochs + 1} (epochs 0..{epochs})")
    return {"ab": ab, "loss": None if loss is None else np.asarray(loss, dtype=float)}


def _flow(exp, dist, init, tau, T_):
    """ab of the exact population flow at the times ``tau``: the reduced (a, b) flow where it is
    exact, else (unmasked full-one, which leaves the set) the full flow of every entry."""
    from mesacheck.numeric.flows import full_population_flow, reduced_flow

    if len(tau) < 2 or tau[-1] <= 0:
        return np.full(len(tau), init[0] * init[1])
    if not exp.reduced_flow_exact:
        res = full_population_flow(dist, D, T_, tuple(init), tau_max=float(tau[-1]), t_eval=tau[1:])
        return res.ab_at(tau)
    res = reduced_flow(dist, D, T_, *init, tau_max=float(tau[-1]), t_eval=tau[1:], masked=exp.masked)
    return res.ab_at(tau)


def full_flow_limit(dist, T_, init=(0.5, 1.5)):
    """ab at the limit of the exact full population flow (every entry): the theory line of the
    unmasked full-one configurations (ab = mean_j A_jj B_jj is the same on the rescaling orbit)."""
    from mesacheck.numeric.flows import full_population_flow

    key = ("full-limit", dist.spec, T_)
    if key not in _THEORY_CACHE:
        _THEORY_CACHE[key] = full_population_flow(dist, D, T_, tuple(init)).ab_limit
    return _THEORY_CACHE[key]


def _stack(sims, key):
    """(R, n) array of one metric over replicates, cut to the shortest (a diverged run is shorter)."""
    n = min(len(getattr(s, key)) for s in sims)
    return np.array([getattr(s, key)[:n] for s in sims])


def _across_se(values):
    """Per-epoch standard deviation (ddof 1) over replicates, or None for a single replicate."""
    return np.std(values, axis=0, ddof=1) if values.shape[0] >= 2 else None


def _ratio(value, se):
    if value is None or se is None or not math.isfinite(se) or se <= 0:
        return None
    return float(value / se)


def run_experiment(name, quick=False, seed=0, replicates=1, progress=True, log=None):
    """Run one configuration (three starts x ``replicates`` seeds); return its payload (plain data).

    The payload holds per start: the per-epoch replicate mean of ab, ratio and test loss, their
    across-replicate SE (R >= 2), the flow and population GD at the same epochs, and the final
    comparison (see the module docstring for the SE and deviation definitions).
    """
    from mesacheck.numeric.sampling_error import diagonal_statistics
    from mesacheck.numeric.simulator import simulate, training_batch

    exp = get_experiment(name)
    dist = parse_dist(exp.spec)
    m, m_test, T_, epochs, eval_every = sizes(exp, quick)
    seeds = [seed + k for k in range(replicates)]
    th = theory(dist, D, T_, exp.masked)
    if not exp.reduced_flow_exact:
        th["ab_full_limit"] = full_flow_limit(dist, T_)
    se_ok = exp.reduced_flow_exact
    stats = [diagonal_statistics(training_batch(dist, D, T_, m, s)) for s in seeds] if se_ok else None
    runs = []
    for init in INITS:
        sims = []
        for s in seeds:
            if log:
                log(f"{name} init ({init[0]:g}, {init[1]:g}) seed {s}")
            sims.append(simulate(dist, D, T_, m, exp.lr, epochs, init=init, masked=exp.masked, seed=s,
                                 eval_every=eval_every, m_test=m_test, progress=progress,
                                 test_loss=exp.metric == "test_loss"))
        runs.append(_summarise_start(exp, dist, init, sims, stats, th, T_, epochs))
    return {
        "experiment": name, "dist": dist.spec, "family": exp.family, "metric": exp.metric, "d": D, "T": T_,
        "m": m, "m_test": m_test, "lr": exp.lr, "lr_source": exp.lr_source, "epochs": epochs,
        "masked": exp.masked, "quick": quick, "eval_every": eval_every, "seeds": seeds, "replicates": replicates,
        "theory": th, "se_method": SE_REPLICATES if replicates >= 2 else (SE_DEFAULT if se_ok else None),
        "flow_kind": ("reduced population flow (exact coefficients, Radau)" if exp.reduced_flow_exact else
                      "full population flow of every entry (exact tensors): the unmasked full-one flow "
                      "leaves the structured set"),
        "runs": runs,
    }


def _worst(gaps):
    """Largest finite per-epoch gap (in SEs), or None."""
    if gaps is None:
        return None
    finite = np.asarray(gaps)[np.isfinite(gaps)]
    return float(finite.max()) if finite.size else None


def _worst_epoch(gaps, epoch):
    if gaps is None or not np.isfinite(gaps).any():
        return None
    return int(epoch[int(np.nanargmax(np.where(np.isfinite(gaps), gaps, -np.inf)))])


def _summarise_start(exp, dist, init, sims, stats, th, T_, epochs):
    from mesacheck.numeric.sampling_error import ab_standard_error, trajectory_standard_error

    R = len(sims)
    ab = _stack(sims, "ab")
    n = ab.shape[1]
    epoch = np.asarray(sims[0].epochs[:n])
    tau = epoch * exp.lr
    ratio, test_loss, off = _stack(sims, "ratio")[:, :n], _stack(sims, "test_loss")[:, :n], _stack(sims, "offdiag_norm")[:, :n]
    flow_ab = _flow(exp, dist, init, tau, T_)
    pgd = population_gd_reference(dist, D, T_, init, exp.lr, epochs, exp.masked)
    pgd_ab = pgd["ab"][epoch] if pgd is not None else None
    status = "ok" if all(s.status == "ok" for s in sims) else "diverged"
    finals = ab[:, -1]
    ab_final = float(np.mean(finals))
    sandwich = None
    if stats is not None:
        ses = [ab_standard_error(st, np.real(np.diag(s.params.A)), np.real(np.diag(s.params.B)))["se"]
               for st, s in zip(stats, sims)]
        sandwich = float(np.mean(ses))
    across = _across_se(ab)
    se_single = float(across[-1]) if across is not None else sandwich
    if se_single is not None:
        se_single = max(se_single, SE_FLOOR * max(1.0, abs(ab_final)))
    se_mean = se_single / math.sqrt(R) if se_single is not None else None
    flow_final = float(flow_ab[-1]) if flow_ab is not None else None
    pgd_final = float(pgd_ab[-1]) if pgd_ab is not None else None
    converged = None
    if flow_final is not None and se_mean:
        # Both the flow (at the final tau) and the simulation itself (its last step) have settled.
        last_step = float(np.max(np.abs(ab[:, -1] - ab[:, -2]))) if n >= 2 else math.inf
        converged = bool(abs(flow_final - th["ab_T"]) <= CONVERGED_SE * se_mean
                         and last_step <= SETTLED_SE * se_mean)
    # The sandwich SE is the SE of the converged value; mid-trajectory (not converged) only the
    # across-replicate SE measures the sampling spread, so a trajectory comparison needs R >= 2
    # or a converged run.
    se_traj = se_mean if (R >= 2 or converged) else None
    pgd_gap_se, diag_gap_se, diag_popgd_se, gap_method, traj_final = None, None, None, None, None
    if pgd_ab is not None and stats is not None:
        # Each run against population GD in units of its own first-order trajectory SE (from its
        # own training sample, so a single run has it); the worst over the R runs per epoch.
        traj = [trajectory_standard_error(st, init, exp.lr, epochs) for st in stats]
        se_runs = np.array([np.maximum(t["se"][epoch], SE_FLOOR * np.maximum(1.0, np.abs(row)))
                            for t, row in zip(traj, ab)])
        pgd_gap_se = np.max(np.abs(ab - pgd_ab[None, :]) / se_runs, axis=0)
        diag_ab = np.array([t["ab"][epoch] for t in traj])
        diag_gap_se = np.max(np.abs(ab - diag_ab) / se_runs, axis=0)
        diag_popgd_se = np.max(np.abs(diag_ab - pgd_ab[None, :]) / se_runs, axis=0)
        gap_method = SE_TRAJECTORY
        traj_final = float(np.sqrt(np.mean(se_runs[:, -1] ** 2)))
    elif pgd_ab is not None and across is not None:
        with np.errstate(all="ignore"):
            pgd_gap_se = np.abs(ab.mean(0) - pgd_ab) / (across / math.sqrt(R))
        gap_method = SE_GAP_ACROSS.format(R=R, dof=R - 1)
    # the final a*b against population GD: the runs' trajectory SE where it exists
    se_pgd = traj_final / math.sqrt(R) if traj_final is not None else se_traj
    final = {
        "ab": ab_final, "ab_T": th["ab_T"], "ab_inf": th["ab_inf"], "flow_ab": flow_final, "popgd_ab": pgd_final,
        "se": se_single, "se_of_mean": se_mean, "se_sandwich": sandwich,
        "se_across": float(across[-1]) if across is not None else None,
        "dev_exact_se": _ratio(ab_final - th["ab_T"], se_mean) if exp.reduced_flow_exact else None,
        "dev_flow_se": _ratio(ab_final - flow_final, se_traj) if flow_final is not None else None,
        "dev_popgd_se": _ratio(ab_final - pgd_final, se_pgd) if pgd_final is not None else None,
        "popgd_gap_se_max": _worst(pgd_gap_se), "popgd_gap_epoch": _worst_epoch(pgd_gap_se, epoch),
        "diag_gap_se_max": _worst(diag_gap_se), "diag_popgd_se_max": _worst(diag_popgd_se),
        "popgd_gap_method": gap_method,
        "converged": converged,
        "ratio": float(np.mean(ratio[:, -1])), "test_loss": float(np.mean(test_loss[:, -1])),
        "offdiag_norm": float(np.mean(off[:, -1])),
    }
    return {
        "label": f"(a0, b0) = ({init[0]:g}, {init[1]:g})", "init": list(init), "status": status,
        "epoch": epoch, "tau": tau, "ab": ab.mean(0), "ab_se": across, "flow_ab": flow_ab, "popgd_ab": pgd_ab,
        "popgd_gap_se": pgd_gap_se, "diag_gap_se": diag_gap_se, "diag_popgd_gap_se": diag_popgd_se,
        "ratio": ratio.mean(0), "ratio_se": _across_se(ratio),
        "test_loss": test_loss.mean(0), "test_loss_se": _across_se(test_loss), "offdiag_norm": off.mean(0),
        "final": final,
        "final_params": [{"kq": s.params.kq.real.tolist(), "pv": s.params.pv.real.tolist()} for s in sims[:1]],
    }


SUMMARY_COLUMNS = (
    "configuration", "dist", "masked", "lr", "epochs", "tau_end", "init", "replicates", "status", "ab_final",
    "ab_exact_T", "ab_exact_T_expr", "ab_T_inf", "flow_ab_final", "se", "se_method", "dev_exact_se",
    "dev_flow_se", "converged", "popgd_ab_final", "dev_popgd_se", "popgd_worst_se", "popgd_worst_epoch",
    "diag_worst_se", "diag_popgd_worst_se", "popgd_gap_method", "ratio_final", "test_loss_final",
)


def summary_rows(payloads):
    """One row per (configuration, start): SUMMARY_COLUMNS, plain values (None where not applicable)."""
    rows = []
    for p in payloads:
        for r in p["runs"]:
            f = r["final"]
            rows.append({
                "configuration": p["experiment"], "dist": p["dist"], "masked": p["masked"], "lr": p["lr"],
                "epochs": p["epochs"], "tau_end": p["lr"] * p["epochs"], "init": f"{r['init'][0]:g},{r['init'][1]:g}",
                "replicates": p["replicates"], "status": r["status"], "ab_final": f["ab"],
                "ab_exact_T": f["ab_T"] if p["family"] != "full-one" or p["masked"] else None,
                "ab_exact_T_expr": p["theory"]["ab_T_exact"] if p["family"] != "full-one" or p["masked"] else None,
                "ab_T_inf": f["ab_inf"], "flow_ab_final": f["flow_ab"], "se": f["se"], "se_method": p["se_method"],
                "dev_exact_se": f["dev_exact_se"], "dev_flow_se": f["dev_flow_se"], "converged": f["converged"],
                "popgd_ab_final": f["popgd_ab"], "dev_popgd_se": f["dev_popgd_se"],
                "popgd_worst_se": f["popgd_gap_se_max"], "popgd_worst_epoch": f["popgd_gap_epoch"],
                "diag_worst_se": f["diag_gap_se_max"], "diag_popgd_worst_se": f["diag_popgd_se_max"],
                "popgd_gap_method": f["popgd_gap_method"],
                "ratio_final": f["ratio"], "test_loss_final": f["test_loss"] if p["metric"] == "test_loss" else None,
            })
    return rows


def run_all(names=None, quick=False, seed=0, replicates=1, progress=True):
    """Run the configurations ``names`` (default: all of EXPERIMENTS); return {'experiments', 'summary'}.

    Progress: one line per run on stderr (and tqdm bars per run when stderr is a terminal).
    """
    names = list(EXPERIMENTS) if names is None else list(names)
    for n in names:
        get_experiment(n)
    total = len(names) * len(INITS) * replicates
    done = [0]

    def log(msg):
        done[0] += 1
        if progress:
            print(f"reproduce [{done[0]}/{total}] {msg}", file=sys.stderr, flush=True)

    payloads = [run_experiment(n, quick=quick, seed=seed, replicates=replicates, progress=progress, log=log)
                for n in names]
    return {"experiments": payloads, "summary": summary_rows(payloads)}
