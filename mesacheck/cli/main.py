"""The ``mesacheck`` command: one parser, one module per subcommand.

Each subcommand module in SUBCOMMANDS exposes ``add_parser(subparsers)`` (which registers its
parser and sets ``func``) and its ``run(args) -> int``. Every MesacheckError and every argparse
error ends as one line on stderr and exit code 2; no traceback reaches the user.
"""
import argparse
import importlib
import sys

from mesacheck import __version__
from mesacheck.errors import MesacheckError

SUBCOMMANDS = [
    "dists",
    "simulate",
    "bench",
    "derive",
    "flow",
    "reproduce",
    "verify",
    "latex",
    "sweep",
]


class UsageError(Exception):
    """Raised instead of argparse's exit so that bad arguments give one line and exit 2."""


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line (no usage dump), raised for main() to report."""

    def error(self, message):  # noqa: D401 - argparse hook
        raise UsageError(f"{self.prog}: {message}")


def build_parser():
    """Return the top-level parser with every available subcommand registered."""
    parser = Parser(
        prog="mesacheck",
        description="Derive, integrate, simulate and check the claims of Zheng et al. (NeurIPS 2024) "
        "on mesa-optimization in autoregressively trained linear transformers.",
    )
    parser.add_argument("--version", action="version", version=f"mesacheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in SUBCOMMANDS:
        module = available_module(name)
        if module is not None:
            module.add_parser(sub)
    return parser


def available_module(name):
    """The module of subcommand ``name``, or None while it does not exist yet (any other import
    error propagates: a broken module must not be hidden)."""
    module_name = f"mesacheck.cli.cmd_{name.replace('-', '_')}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


def _one_line(message):
    """``message`` on one line: user text with newlines must not split the error."""
    return " ".join(str(message).splitlines())


def main(argv=None):
    """Entry point of the console script; returns the process exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        args.argv = ["mesacheck", *argv]
        return int(args.func(args) or 0)
    except (UsageError, MesacheckError) as exc:
        print(f"mesacheck: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mesacheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
