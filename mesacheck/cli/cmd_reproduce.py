"""``mesacheck reproduce``: rerun one of the paper's simulations with the flow and theory beside it."""
import sys

from mesacheck import fileio, resources
from mesacheck.cli.common import add_memory_option, int_at_least
from mesacheck.output.jsonout import dumps


def add_parser(subparsers):
    """Register the ``reproduce`` subcommand."""
    parser = subparsers.add_parser(
        "reproduce",
        help="rerun a figure of the paper (simulation, population flow, exact theory lines)",
        description="Run the simulator with the paper's settings (EXPERIMENTS.md) for the starts "
        "(0.1,0.1), (0.5,1.5), (2,2); integrate the population flow to the same tau = epoch*lr; "
        "write PNGs and a JSON. NAME: one of the experiments, or 'list'.",
    )
    parser.add_argument("name", metavar="NAME", help="experiment name, or 'list'")
    parser.add_argument("--quick", action="store_true",
                        help="m = m_test = 1000, metrics every epochs/50 epochs, fewer epochs for full-one")
    parser.add_argument("--out", metavar="DIR", help="directory for the PNGs and the JSON (created at the end "
                        "if absent; on failure nothing is left behind)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="simulator seed (default 0)")
    add_memory_option(parser)
    parser.set_defaults(func=run)
    return parser


def format_list():
    from mesacheck.numeric.reproduce import EXPERIMENTS

    lines = []
    for e in EXPERIMENTS.values():
        lines.append(f"{e.name:<16} {e.spec:<20} lr={e.lr:g} epochs={e.epochs}"
                     f"{' masked' if e.masked else ''}  (lr: {e.lr_source})")
    return "\n".join(lines)


def format_text(p):
    th = p["theory"]
    lines = [f"reproduce {p['experiment']}: {p['dist']} d={p['d']} T={p['T']} m={p['m']} lr={p['lr']:g} "
             f"epochs={p['epochs']}{' masked' if p['masked'] else ''}{' (quick)' if p['quick'] else ''}",
             f"theory: u*(T={p['T']}) = {th['ab_T']:.8g} (exact {th['ab_T_exact'][:60]}), "
             f"u*(T->oo) = {th['ab_inf']:.8g}, ratio u*E|x|^2 = {th['ratio_T']:.8g}, g(u*) = {th['loss_at_ab_T']:.6g}"]
    for r in p["runs"]:
        lines.append(f"  init {r['init']}: simulated ab {r['final_ab']:.8g}, flow ab {r['flow_final_ab']:.8g}, "
                     f"max |gap| {r['max_gap_ab_sim_vs_flow']:.3g}, status {r['status']}; flow: {r['flow_kind']}")
    for f in p.get("files", []):
        lines.append(f"wrote {f}")
    return "\n".join(lines)


def _run_into(out, name, args):
    """Run the reproduction with its files staged beside ``out`` and published only on success
    (fileio.output_directory); the JSON's file list names the published paths."""
    import os

    from mesacheck.numeric.reproduce import TOLERANCES, run_experiment

    argv = getattr(args, "argv", None)
    with fileio.output_directory(out) as stage:
        payload = run_experiment(name, quick=args.quick, out=stage, seed=args.seed, argv=argv)
        payload["files"] = [os.path.join(out, os.path.basename(f)) for f in payload["files"]]
        json_name = [f for f in payload["files"] if f.endswith(".json")][0]
        fileio.write_text(os.path.join(stage, os.path.basename(json_name)),
                          dumps(payload, argv=argv, seed=args.seed, tolerances=TOLERANCES) + "\n")
    return payload


def run(args):
    """Run the reproduction (or list the names); exit code 0."""
    from mesacheck.numeric.reproduce import TOLERANCES, get_experiment, run_experiment

    if args.name == "list":
        if args.json:
            from mesacheck.numeric.reproduce import EXPERIMENTS

            payload = {"experiments": [dict(vars(e)) for e in EXPERIMENTS.values()]}
            sys.stdout.write(dumps(payload, argv=getattr(args, "argv", None)) + "\n")
        else:
            print(format_list())
        return 0
    exp = get_experiment(args.name)
    out = None if args.out is None else fileio.check_output_dir(args.out, "--out")
    resources.check_memory(resources.reproduce_peak_bytes(exp.name, args.quick), args.max_memory,
                           f"reproduce {exp.name}")
    if out is not None:
        payload = _run_into(out, args.name, args)
    else:
        payload = run_experiment(args.name, quick=args.quick, out=None, seed=args.seed,
                                 argv=getattr(args, "argv", None))
    if args.json:
        sys.stdout.write(dumps(payload, argv=getattr(args, "argv", None), seed=args.seed,
                               tolerances=TOLERANCES) + "\n")
    else:
        print(format_text(payload))
    return 0
