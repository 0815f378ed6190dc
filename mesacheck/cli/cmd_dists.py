"""``mesacheck dists``: list the initial-token distribution families, their parameters and properties."""
import sys

from mesacheck.output.jsonout import dumps
from mesacheck.setting.distributions import REGISTRY, parse_dist


def add_parser(subparsers):
    """Register the ``dists`` subcommand."""
    parser = subparsers.add_parser(
        "dists",
        help="list the initial-token distributions and their spec strings",
        description="List every distribution family usable as --dist: parameters with their "
        "ranges, example specs, and whether the law is real and exchangeable.",
    )
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.set_defaults(func=run)
    return parser


def family_entry(cls):
    """One family as a dict: name, description, parameters, and the properties of its examples."""
    params = [
        {"key": p.key, "doc": p.doc, "range": p.range, "list": p.is_list,
         "required": p.required, "default": None if p.default is None else str(p.default)}
        for p in cls.PARAMS
    ]
    if not cls.PARAMS and hasattr(cls, "PARAM_DOC"):
        params.append({"key": None, "doc": cls.PARAM_DOC, "range": None, "list": False,
                       "required": True, "default": None})
    examples = []
    for spec in cls.EXAMPLES:
        dist = parse_dist(spec)
        top = dist.max_finite_moment
        examples.append({"spec": dist.spec, "real": dist.is_real, "exchangeable": dist.is_exchangeable,
                         "symbolic": dist.is_symbolic,
                         "finite_moments": "all orders" if top is None else f"orders <= {top}",
                         "max_finite_moment": top})
    return {"name": cls.name, "description": cls.description, "parameters": params, "examples": examples}


def catalogue():
    """Every registered family, in registry order."""
    return [family_entry(cls) for cls in REGISTRY.values()]


def _yes_no(flag):
    return "yes" if flag else "no"


def format_text(entries):
    """Plain-text listing of ``catalogue()``."""
    lines = []
    for entry in entries:
        lines.append(f"{entry['name']}: {entry['description']}")
        for p in entry["parameters"]:
            if p["key"] is None:
                lines.append(f"    {p['doc']}")
                continue
            shape = "V1,V2,..." if p["list"] else "V"
            extra = f", default {p['default']}" if p["default"] is not None else ""
            lines.append(f"    {p['key']}={shape}  {p['doc']}; range {p['range']}{extra}")
        if not entry["parameters"]:
            lines.append("    (no parameters)")
        for ex in entry["examples"]:
            lines.append(f"    example: {ex['spec']}  real: {_yes_no(ex['real'])}, "
                         f"exchangeable: {_yes_no(ex['exchangeable'])}, symbolic: {_yes_no(ex['symbolic'])}, "
                         f"finite moments: {ex['finite_moments']}")
    lines.append("Numbers are exact: integers, decimals, p/q, 1e-3. A parameter may also be a symbol "
                 "name (e.g. gaussian:sigma=s) for symbolic derivations.")
    lines.append("Moments: the exact derivations need moments up to order 6; a Monte Carlo check of a "
                 "quantity whose estimator needs a higher moment (its variance: order 8 or 12) is "
                 "skipped, with the reason, for laws that lack it (student-t with small nu).")
    return "\n".join(lines)


def run(args):
    """Print the catalogue (text or JSON); exit code 0."""
    entries = catalogue()
    if args.json:
        text = dumps({"distributions": entries}, argv=getattr(args, "argv", None))
    else:
        text = format_text(entries)
    sys.stdout.write(text + "\n")
    return 0
