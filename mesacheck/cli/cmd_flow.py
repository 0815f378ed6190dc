"""``mesacheck flow``: integrate a gradient flow (reduced, exact full population, or empirical)."""
import sys

from mesacheck import budget, fileio, resources
from mesacheck.cli.common import add_budget_option, add_memory_option, int_at_least, pair_of_floats, positive_float
from mesacheck.errors import EXIT_CHECK_FAILED, EXIT_NUMERIC, InputError

PLOT_SUFFIXES = (".png", ".pdf", ".svg")
from mesacheck.output.jsonout import dumps


def add_parser(subparsers):
    """Register the ``flow`` subcommand."""
    parser = subparsers.add_parser(
        "flow",
        help="integrate the gradient flow: reduced (a, b), exact full population, or empirical",
        description="Integrate d theta/d tau = -grad L(theta) from the Assumption 3.1 start "
        "A = a0 I, B = b0 I. Default: the reduced flow of (a, b) on the structured set (exact "
        "coefficients, Radau). --full: every entry under the exact population gradient (d <= 3, "
        "T <= 12). --empirical: every entry under the gradient of the empirical loss on M sampled "
        "sequences, compared with the exact value where one exists (agree / disagree within a stated "
        "tolerance). Without --tau the flow runs until converged (criterion printed). Negative values "
        "need '=', e.g. --init=-0.5,1. Exit code 4 when the flow does not converge (without --tau) or "
        "its solver fails, 1 when --empirical disagrees with the exact value.",
    )
    parser.add_argument("--dist", required=True, metavar="SPEC", help="initial-token distribution spec")
    parser.add_argument("--d", type=int_at_least(1, 1000), default=5, help="token dimension (default 5)")
    parser.add_argument("--T", type=int_at_least(3, 10**6), default=100, help="sequence length (default 100)")
    parser.add_argument("--init", type=pair_of_floats, default=(0.1, 0.1), metavar="A0,B0",
                        help="start A = a0 I, B = b0 I (default 0.1,0.1)")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--full", action="store_true", help="exact full population flow (d <= 3, T <= 12)")
    kind.add_argument("--empirical", action="store_true", help="flow of the empirical loss on M sequences")
    parser.add_argument("--masked", action="store_true",
                        help="with --full/--empirical: keep the off-diagonal entries of A and B at zero")
    parser.add_argument("--m", type=int_at_least(1, 10**6), default=2000, help="sequences for --empirical (default 2000)")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="seed for --empirical (default 0)")
    parser.add_argument("--tau", type=positive_float, help="integrate exactly to this time instead of to convergence")
    parser.add_argument("--json", action="store_true", help="print the result (with trajectory) as JSON")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="write ab(tau) and the distance from the set to FILE (.png, .pdf or .svg)")
    add_budget_option(parser, "flow")
    add_memory_option(parser)
    parser.set_defaults(func=run)
    return parser


def _validate(args):
    from mesacheck.numeric.flows import FULL_MAX_D, FULL_MAX_T

    if max(abs(args.init[0]), abs(args.init[1])) > 1e6:
        raise InputError(f"--init {args.init[0]:g},{args.init[1]:g} is too large: |a0|, |b0| must be <= 1e6")
    if args.full and (args.d > FULL_MAX_D or args.T > FULL_MAX_T):
        raise InputError(f"--full needs d <= {FULL_MAX_D} and T <= {FULL_MAX_T} (got d={args.d}, T={args.T}): "
                         "the exact coefficient tensors grow like (2d)^6; use --empirical --m M instead")
    if args.masked and not (args.full or args.empirical):
        raise InputError("--masked needs --full or --empirical (the reduced flow is already on the set)")
    if args.tau is not None and args.tau > 1e6:
        raise InputError(f"--tau must be <= 1e6, got {args.tau:g}")
    if args.plot is not None:
        args.plot = fileio.check_output_path(args.plot, "--plot", suffixes=PLOT_SUFFIXES)
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
    kind = "full" if args.full else "empirical" if args.empirical else "reduced"
    check_flow_scale(dist, args.d, kind)
    if args.empirical:
        check_finite_variance(dist)
    if args.empirical:
        need = resources.empirical_flow_peak_bytes(args.m, args.T, args.d, tau_given=args.tau is not None)
        resources.check_memory(need, args.max_memory, f"flow --empirical (m={args.m}, T={args.T}, d={args.d})")
    elif args.full:
        resources.check_memory(resources.full_tensor_peak_bytes(args.d, args.T), args.max_memory,
                               f"flow --full (d={args.d}, T={args.T})")


def compute(args):
    """Run the flow the arguments ask for; return the FlowResult."""
    from mesacheck.numeric import flows

    if args.full:
        return flows.full_population_flow(args.dist, args.d, args.T, args.init, masked=args.masked,
                                          tau_max=args.tau)
    if args.empirical:
        import numpy as np

        dist = flows._dist(args.dist)
        args.batch = flows._empirical_batch(dist, args.d, args.T, args.m, np.random.default_rng(args.seed))
        return flows.empirical_flow(args.dist, args.d, args.T, args.m, args.init, args.seed,
                                    masked=args.masked, tau_max=args.tau, batch=args.batch)
    return flows.reduced_flow(args.dist, args.d, args.T, *args.init, tau_max=args.tau)


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
    for key in ("m", "ab_sampling_se", "tensor_build_seconds", "on_stable_manifold"):
        if key in res.extra:
            lines.append(f"{key}: {res.extra[key]}")
    check = res.extra.get("exact_comparison")
    if check is not None:
        lines.append(format_comparison(check))
    lines.append(f"time: {res.seconds:.3g} s")
    return "\n".join(lines)


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
    """Integrate, print text or JSON, optionally plot. Exit 4 when a flow run to convergence did
    not converge or the solver failed, 1 when --empirical disagrees with the exact value."""
    _validate(args)
    res = compute(args)
    if args.empirical:
        res.extra["exact_comparison"] = exact_comparison(args, res)
    if args.plot is not None:
        from mesacheck.output.plots import plot_flow

        plot_flow(args.plot, res)
    if args.json:
        tol = {"criterion": res.criterion, "method": res.method}
        sys.stdout.write(dumps(res.to_json_dict(), argv=getattr(args, "argv", None),
                               seed=args.seed if args.empirical else None, tolerances=tol) + "\n")
    else:
        print(format_text(res))
        if args.plot is not None:
            print(f"wrote {args.plot}")
    if res.status == "failed" or (args.tau is None and not res.converged):
        return EXIT_NUMERIC
    if res.extra.get("exact_comparison", {}).get("verdict") == "disagree":
        return EXIT_CHECK_FAILED
    return 0
