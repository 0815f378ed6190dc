"""``mesacheck flow``: integrate a gradient flow (reduced, symmetric, exact full population, or
empirical), or run population gradient descent (``--gd``)."""
import sys

import numpy as np

from mesacheck import budget, fileio, resources
from mesacheck.cli.common import add_budget_option, add_memory_option, int_at_least, pair_of_floats, positive_float
from mesacheck.errors import EXIT_CHECK_FAILED, EXIT_NUMERIC, EXIT_OK, InputError
from mesacheck.fileio import check_output_path

PLOT_SUFFIXES = (".png", ".pdf", ".svg")
from mesacheck.output.jsonout import dumps


def add_parser(subparsers):
    """Register the ``flow`` subcommand."""
    parser = subparsers.add_parser(
        "flow",
        help="integrate the gradient flow (reduced, symmetric, full, empirical) or run population GD",
        description="Integrate d theta/d tau = -grad L(theta) from the Assumption 3.1 start "
        "A = a0 I, B = b0 I (or a dense Gaussian start). Default: the reduced flow of (a, b) on the "
        "structured set (exact coefficients, Radau). --symmetric: the entrywise flow on the law's "
        "symmetry-fixed subspace (exact). --full: every entry under the exact population gradient "
        "(tensors built by symmetry class; refused above a memory budget), with the learned blocks, "
        "stationarity and the Hessian at the limit. --empirical: every entry under the gradient of "
        "the empirical loss on M sampled sequences, compared with the exact value where one exists "
        "(agree / disagree within a stated tolerance). --gd: population gradient descent with step --lr "
        "for --epochs epochs. Without --tau a flow runs until converged (criterion printed). Negative "
        "values need '=', e.g. --init=-0.5,1. Exit code 4 when GD diverges, a flow run to convergence "
        "does not converge or its solver fails; 1 when --empirical disagrees with the exact value. "
        "Figures: FILE.png (and a vector FILE.pdf beside it), or FILE.pdf / FILE.svg.",
    )
    parser.add_argument("--dist", required=True, metavar="SPEC", help="initial-token distribution spec")
    parser.add_argument("--d", type=int_at_least(1, 1000), default=5, help="token dimension (default 5)")
    parser.add_argument("--T", type=int_at_least(3, 10**6), default=100, help="sequence length (default 100)")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--init", type=pair_of_floats, default=None, metavar="A0,B0",
                       help="start A = a0 I, B = b0 I (default 0.1,0.1)")
    start.add_argument("--dense-init", type=positive_float, metavar="STD",
                       help="dense Gaussian start, every entry with standard deviation STD (seeded by --seed; "
                       "with --full, --empirical or --gd --system full)")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--full", action="store_true", help="exact full population flow (every entry)")
    kind.add_argument("--symmetric", action="store_true", help="exact flow on the law's symmetry-fixed subspace")
    kind.add_argument("--empirical", action="store_true", help="flow of the empirical loss on M sequences")
    kind.add_argument("--gd", action="store_true", help="population gradient descent (needs --lr and --epochs)")
    parser.add_argument("--masked", action="store_true",
                        help="keep the off-diagonal entries of A and B at zero (with --full, --symmetric, "
                        "--empirical, --gd)")
    parser.add_argument("--lr", type=positive_float, help="--gd step size")
    parser.add_argument("--epochs", type=int_at_least(1, 10**7), help="--gd number of steps")
    parser.add_argument("--system", choices=["auto", "reduced", "diagonal", "symmetric", "full"], default="auto",
                        help="--gd: which exact system computes the gradient (default auto: the smallest exact one)")
    parser.add_argument("--m", type=int_at_least(1, 10**6), default=2000, help="sequences for --empirical (default 2000)")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="seed for --empirical and --dense-init (default 0)")
    parser.add_argument("--tau", type=positive_float, help="integrate exactly to this time instead of to convergence")
    parser.add_argument("--json", action="store_true", help="print the result (with trajectory) as JSON")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="write ab, the distance from the set and the loss over time (.png, .pdf or .svg)")
    parser.add_argument("--heatmap", metavar="FILE.png", help="write the limit's W^KQ and W^PV as heatmaps")
    add_budget_option(parser, "flow")
    add_memory_option(parser)
    parser.set_defaults(func=run)
    return parser


def _validate(args):
    init = args.init if args.init is not None else (0.1, 0.1)
    if max(abs(init[0]), abs(init[1])) > 1e6:
        raise InputError(f"--init {init[0]:g},{init[1]:g} is too large: |a0|, |b0| must be <= 1e6")
    if args.dense_init is not None and args.dense_init > 1e3:
        raise InputError(f"--dense-init must be <= 1e3, got {args.dense_init:g}")
    if args.masked and not (args.full or args.empirical or args.symmetric or args.gd):
        raise InputError("--masked needs --full, --symmetric, --empirical or --gd (the reduced flow is on the set)")
    if args.dense_init is not None and not (args.full or args.empirical or (args.gd and args.system in ("full", "auto"))):
        raise InputError("--dense-init needs --full, --empirical or --gd (a dense start leaves every reduced set)")
    if args.gd and (args.lr is None or args.epochs is None):
        raise InputError("--gd needs --lr LR and --epochs N")
    if not args.gd and (args.lr is not None or args.epochs is not None):
        raise InputError("--lr and --epochs go with --gd")
    if args.tau is not None and (args.tau > 1e6 or args.gd):
        raise InputError("--tau must be <= 1e6 and does not apply to --gd")
    if max(abs(init[0]), abs(init[1])) > 1e6:
        raise InputError(f"--init {init[0]:g},{init[1]:g} is too large: |a0|, |b0| must be <= 1e6")
    for opt in ("plot", "heatmap"):
        if getattr(args, opt) is not None:
            setattr(args, opt, check_output_path(getattr(args, opt), f"--{opt}", PLOT_SUFFIXES))
    if args.heatmap is not None and not (args.full or args.symmetric or args.gd or args.empirical):
        raise InputError("--heatmap needs --full, --symmetric, --empirical or --gd (matrices of a limit)")
    args.init = init
    _check_law_and_cost(args)


def _check_law_and_cost(args):
    """Before any work: the law fits d, is numeric, has a supported scale (and, for --empirical, a
    finite-variance loss); the estimated time and memory fit --budget and --max-memory."""
    from mesacheck.numeric.empirical_check import check_finite_variance
    from mesacheck.numeric.flows import _dist
    from mesacheck.numeric.scale_range import check_flow_scale

    dist = _dist(args.dist).for_dim(args.d)
    budget.refuse_if_over(budget.flow_seconds(args.d, args.T), args.budget,
                          f"flow --d {args.d} --T {args.T}", budget.COST_BASIS)
    kind = "empirical" if args.empirical else "full" if (args.full or args.symmetric or args.gd) else "reduced"
    check_flow_scale(dist, args.d, kind)
    if args.empirical:
        check_finite_variance(dist)
        need = resources.empirical_flow_peak_bytes(args.m, args.T, args.d, tau_given=args.tau is not None)
        resources.check_memory(need, args.max_memory, f"flow --empirical (m={args.m}, T={args.T}, d={args.d})")
    elif args.full or (args.gd and args.system == "full"):
        # the tensors are built here, under the budget just checked (the library's default budget
        # would otherwise apply); the flow then finds them in the cache
        args.tensor_budget = resources.check_memory(resources.full_tensor_peak_bytes(args.d, args.T),
                                                    args.max_memory, f"flow --full (d={args.d}, T={args.T})")


def _start(args):
    if args.dense_init is None:
        return args.init
    from mesacheck.setting.params import Params

    return Params.dense_gaussian(args.d, args.dense_init, np.random.default_rng(args.seed))


def compute(args):
    """Run what the arguments ask for; return a FlowResult or a PopulationGDResult."""
    from mesacheck.numeric import flows

    start = _start(args)
    if getattr(args, "tensor_budget", None) is not None:
        flows.population_tensors(args.dist, args.d, args.T, budget=args.tensor_budget)
    if args.gd:
        from mesacheck.numeric.population_gd import population_gd

        return population_gd(args.dist, args.d, args.T, start, args.lr, args.epochs, masked=args.masked,
                             system=args.system)
    if args.full:
        res = flows.full_population_flow(args.dist, args.d, args.T, start, masked=args.masked, tau_max=args.tau)
        _analyse(res, args)
        return res
    if args.symmetric:
        from mesacheck.numeric.symmetric_flow import symmetric_flow

        return symmetric_flow(args.dist, args.d, args.T, start, masked=args.masked, tau_max=args.tau)
    if args.empirical:
        dist = flows._dist(args.dist)
        args.batch = flows._empirical_batch(dist, args.d, args.T, args.m, np.random.default_rng(args.seed))
        return flows.empirical_flow(args.dist, args.d, args.T, args.m, start, args.seed,
                                    masked=args.masked, tau_max=args.tau, batch=args.batch)
    return flows.reduced_flow(args.dist, args.d, args.T, *start, tau_max=args.tau)


def _analyse(res, args):
    """Attach the limit analysis of a full flow (stationarity, Hessian, predictor, best on-set loss)."""
    from mesacheck.numeric import flows
    from mesacheck.numeric.limit_analysis import analyse_limit, best_on_set_loss

    tl, _ = flows.population_tensors(args.dist, args.d, args.T)
    a = analyse_limit(tl, res.limit_params, masked=args.masked)
    a["hessian"]["eigenvalues"] = np.asarray(a["hessian"]["eigenvalues"]).tolist()
    res.extra["analysis"] = a
    res.extra["best_on_set_loss"] = best_on_set_loss(args.dist, args.d, args.T)


def format_text(res):
    """Human-readable summary of a FlowResult."""
    lines = [
        f"{res.kind} flow  {res.dist}  d={res.d} T={res.T}  method: {res.method}",
        f"status: {res.status}{' (' + res.message + ')' if res.message else ''}; converged: "
        f"{'yes' if res.converged else 'no'} at tau = {res.times[-1]:.6g}",
        f"criterion: {res.criterion}",
        f"ab limit: {res.ab_limit:.12g}   exact u* = R/Q on the structured set: {res.u_star:.12g}",
        f"distance from the structured set: max {res.offdiag.max():.3g}, end {res.offdiag[-1]:.3g}",
        f"conserved quantity drift max|kappa(tau) - kappa(0)|: {res.kappa_drift:.3g}",
        f"loss at the end: {res.loss[-1]:.12g}   ||field|| at the end: {res.grad_norm:.3g}",
    ]
    for key in ("m", "ab_sampling_se", "tensor_build_seconds", "on_stable_manifold", "coordinates"):
        if key in res.extra:
            lines.append(f"{key}: {res.extra[key]}")
    if "analysis" in res.extra:
        lines += _analysis_lines(res.extra["analysis"], res.extra["best_on_set_loss"])
    check = res.extra.get("exact_comparison")
    if check is not None:
        lines.append(format_comparison(check))
    lines.append(f"time: {res.seconds:.3g} s")
    return "\n".join(lines)


def _analysis_lines(a, best):
    h, p = a["hessian"], a["predictor"]
    out = [f"loss at the limit {a['loss']:.12g} vs best on A = aI, B = bI: {best:.12g} "
           f"(difference {a['loss'] - best:.6g})",
           f"stationarity: ||grad L|| = {a['grad_norm']:.3g} (allowed entries), {a['grad_norm_full']:.3g} (all entries)",
           f"Hessian ({h['n']} coordinates): eigenvalues in [{h['eig_min']:.4g}, {h['eig_max']:.4g}], "
           f"{h['zero_modes']} zero mode(s) ({h['zero_tolerance']}), rescaling W^KQ -> c W^KQ, W^PV -> W^PV/c "
           f"in the null space: {h['rescaling_in_null_space']}, inert entries {h['inert_entries']}, "
           f"smallest nonzero |eigenvalue| {h['smallest_nonzero']:.4g}",
           f"verdict: {h['verdict']}",
           f"nonzero blocks: {', '.join(p['nonzero_blocks'])}"]
    for name in p["nonzero_blocks"]:
        f = p["fits"][name]
        out.append(f"  {name} ~ {f['alpha']:.10g} I + ({f['beta']:.10g}) (J - I)   residual {f['residual']:.2g}")
    if "column_signs" in p:
        out.append(f"  columns of A and B carry signs {p['column_signs']}; with them removed (A S, B S):")
        for name, f in p["fits_after_column_signs"].items():
            out.append(f"    {name} S ~ {f['alpha']:.10g} I + ({f['beta']:.10g}) (J - I)   residual {f['residual']:.2g}")
    out.append(f"predictor: {p['form']}")
    out.append(f"distance from vanilla one-step GD (eta = tr A tr B / d^2 = {p['eta_vanilla']:.10g}): "
               f"{p['relative_distance_from_vanilla_gd']:.6g} (relative Frobenius, B (x) A vs eta I)")
    return out


def format_gd(res):
    lines = [f"population GD ({res.system} system)  {res.dist}  d={res.d} T={res.T}  lr={res.lr:g}  "
             f"epochs={int(res.epochs[-1])}{'  masked' if res.masked else ''}",
             f"verdict: {res.verdict}",
             f"ab: {res.ab[0]:.10g} -> {res.ab[-1]:.10g}   loss: {res.loss[0]:.10g} -> {res.loss[-1]:.10g}   "
             f"distance from the set: {res.offdiag[-1]:.4g}"]
    for k, v in res.extra.items():
        lines.append(f"{k}: {v}")
    lines.append(f"time: {res.seconds:.3g} s")
    return "\n".join(lines)


def _figures(res, args):
    from mesacheck.output.flow_plots import plot_learned_blocks, plot_trajectory

    title = f"{res.dist}, d={res.d}, T={res.T}"
    written = []
    if args.gd:
        if args.plot:
            written.append(plot_trajectory(args.plot, res.epochs, res.ab, res.offdiag, res.loss,
                                           f"population GD ({res.system}), {title}, lr={res.lr:g}", xlabel="epoch",
                                           u_star=res.extra.get("u_star"), logx=False))
        params = res.params
    else:
        if args.plot:
            written.append(plot_trajectory(args.plot, res.times, res.ab, res.offdiag, res.loss,
                                           f"{res.kind} flow, {title}", u_star=res.u_star,
                                           best_loss=res.extra.get("best_on_set_loss")))
        params = res.limit_params
    if args.heatmap and params is not None:
        start = (f"dense Gaussian start (std {args.dense_init:g}, seed {args.seed})" if args.dense_init is not None
                 else f"start A = {args.init[0]:g} I, B = {args.init[1]:g} I")
        what = f"population GD ({res.system}), {int(res.epochs[-1])} epochs" if args.gd else f"limit of the {res.kind} flow"
        written.append(plot_learned_blocks(args.heatmap, params.kq, params.pv, f"{what}, {title}, {start}"))
    return written


def format_comparison(c):
    """One line: the sampled result against the exact value, and the verdict."""
    if c["verdict"] == "none":
        return f"verdict: none ({c['reason']})"
    return (f"verdict: {c['verdict'].upper()} with the exact value: sampled ab {c['sampled_ab']:.8g}, exact "
            f"{c['exact_ab']:.8g} ({c['exact_what']}), |difference| {c['difference']:.3g} vs tolerance "
            f"{c['tolerance']:.3g} = {c['tolerance_rule']} (SE {c['sampling_se']:.3g}: {c['se_method']})")


def exact_comparison(args, res):
    """The --empirical verdict (see mesacheck.numeric.empirical_check); verdict 'none' with the reason
    when there is no exact value or the flow did not reach its end."""
    from mesacheck.numeric import empirical_check, flows
    from mesacheck.symbolic.invariance import law_invariant

    dist = flows._dist(args.dist)
    if res.status == "failed" or (args.tau is None and not res.converged):
        return {"verdict": "none", "reason": f"the sampled flow did not reach its end (status {res.status})"}
    if not dist.is_exchangeable or not law_invariant(dist, args.d):
        return {"verdict": "none", "reason": "no exact value: the set A = aI, B = bI is not invariant for "
                f"{dist.spec}, so the full flow's limit is not u*; compare with --full (exact moments)"}
    if args.dense_init is not None:
        return {"verdict": "none", "reason": "no exact value for a dense Gaussian start"}
    a0, b0 = args.init
    if args.tau is None:
        exact = 0.0 if a0 + b0 == 0 else res.u_star
        what = "0: start on the stable manifold a0 + b0 = 0" if a0 + b0 == 0 else "u* = R/Q, exact"
        se, info = empirical_check.limit_se(args.batch)
    else:
        tau = float(res.times[-1])
        exact = flows.reduced_flow(dist, args.d, args.T, a0, b0, tau_max=tau).ab_limit
        what = f"exact population flow at tau = {tau:.6g} (reduced flow, Radau rtol 1e-10)"

        def run_flow(sub, tau):
            return flows.empirical_flow(dist, args.d, args.T, sub.m, args.init, args.seed, masked=args.masked,
                                        tau_max=tau, batch=sub, sampling_error=False).ab_limit
        se, info = empirical_check.batch_means_se(run_flow, args.batch, tau)
    out = empirical_check.compare(res.ab_limit, exact, res.u_star, se)
    out.update(info, exact_what=what)
    if out["verdict"] == "none":
        out["reason"] = f"no sampling error estimate ({info['se_method']})"
    return out


def run(args):
    """Integrate or iterate, print text or JSON, optionally plot. Exit 0; 4 when GD diverges or a
    flow run to convergence did not converge (or its solver failed); 1 when --empirical disagrees
    with the exact value."""
    _validate(args)
    res = compute(args)
    if args.empirical and not args.gd:
        res.extra["exact_comparison"] = exact_comparison(args, res)
    written = _figures(res, args)
    seed = args.seed if (args.empirical or args.dense_init is not None) else None
    if args.json:
        tol = {"criterion": getattr(res, "criterion", None) or "see verdict", "method": getattr(res, "method", "")}
        if "analysis" in getattr(res, "extra", {}):
            from mesacheck.numeric.class_tensors import RTOL_GENERAL
            tol.update(hessian_zero_modes=res.extra["analysis"]["hessian"]["zero_tolerance"],
                       tensor_entries=f"relative <= {RTOL_GENERAL:.3g}")
        sys.stdout.write(dumps(res.to_json_dict(), argv=getattr(args, "argv", None), seed=seed, tolerances=tol) + "\n")
    else:
        print(format_gd(res) if args.gd else format_text(res))
        for path in written:
            print(f"wrote {path}")
    if args.gd:
        return EXIT_NUMERIC if res.status == "diverged" else EXIT_OK
    if res.status == "failed" or (args.tau is None and not res.converged):
        return EXIT_NUMERIC
    if res.extra.get("exact_comparison", {}).get("verdict") == "disagree":
        return EXIT_CHECK_FAILED
    return EXIT_OK
