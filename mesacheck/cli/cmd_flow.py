"""``mesacheck flow``: integrate a gradient flow (reduced, exact full population, or empirical)."""
import sys

from mesacheck.cli.common import check_writable, int_at_least, pair_of_floats, positive_float
from mesacheck.errors import InputError
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
        "sequences. Without --tau the flow runs until converged (criterion printed). Negative values "
        "need '=', e.g. --init=-0.5,1.",
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
    parser.add_argument("--plot", metavar="FILE.png", help="write ab(tau) and the distance from the set to FILE.png")
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
        check_writable(args.plot, "--plot")


def compute(args):
    """Run the flow the arguments ask for; return the FlowResult."""
    from mesacheck.numeric import flows

    if args.full:
        return flows.full_population_flow(args.dist, args.d, args.T, args.init, masked=args.masked,
                                          tau_max=args.tau)
    if args.empirical:
        return flows.empirical_flow(args.dist, args.d, args.T, args.m, args.init, args.seed,
                                    masked=args.masked, tau_max=args.tau)
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
    lines.append(f"time: {res.seconds:.3g} s")
    return "\n".join(lines)


def run(args):
    """Integrate, print text or JSON, optionally plot; exit code 0 (also when not converged)."""
    _validate(args)
    res = compute(args)
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
    return 0
