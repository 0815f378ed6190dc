"""The ``mesacheck`` command: one parser, one module per subcommand.

Each subcommand module in SUBCOMMANDS exposes ``add_parser(subparsers)`` (which registers its
parser and sets ``func``) and its ``run(args) -> int``. Every outcome ends in one of the exit
codes of mesacheck.errors (listed in EXIT_CODES_HELP); errors are one line on stderr and no
traceback ever reaches the user:

* a MesacheckError or a bad argument: "mesacheck: error: ..." and exit 2;
* a whole-run time budget that runs out (budget.Timeout): "mesacheck: timeout: ..." and exit 3;
* any other exception, a bug: "mesacheck: internal error: Type: message (please report)", exit 3.

Commands that take ``--budget`` run inside a budget.Deadline set up here.
"""
import argparse
import importlib
import os
import re
import sys

from mesacheck import __version__
from mesacheck.budget import Deadline, Timeout
from mesacheck.errors import (EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_NUMERIC, EXIT_OK, EXIT_TIMEOUT,
                              MesacheckError)

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

EXIT_CODES_HELP = f"""exit codes:
  {EXIT_OK}  success (every check passed; a flow converged; a comparison agreed)
  {EXIT_CHECK_FAILED}  a check ran and failed (verify, flow --empirical disagreeing with the exact value)
  {EXIT_BAD_INPUT}  bad input, a question with no answer for this input, or a run refused before
     starting because its estimated memory or time exceeds --max-memory / --budget
  {EXIT_TIMEOUT}  the whole-run time budget (--budget) ran out, or an internal error (please report)
  {EXIT_NUMERIC}  a numerical failure: simulate diverged, a flow did not converge or its solver failed
Errors are one line on stderr."""

#: longest error line printed (long user values inside it are cut first).
MAX_LINE = 400
_QUOTED = re.compile(r"('(?:[^'\\]|\\.){60,}')|(\"(?:[^\"\\]|\\.){60,}\")")


class UsageError(Exception):
    """Raised instead of argparse's exit so that bad arguments give one line and exit 2."""


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, except that the exit-code table keeps its line breaks."""

    def _fill_text(self, text, width, indent):
        if "exit codes:" in text:  # an epilog: examples and the exit-code table keep their lines
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


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
        epilog=EXIT_CODES_HELP,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mesacheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in SUBCOMMANDS:
        module = available_module(name)
        if module is not None:
            module.add_parser(sub)
    for sub_parser in sub.choices.values():
        if sub_parser.epilog is None:
            sub_parser.epilog = EXIT_CODES_HELP
        elif "exit codes:" not in sub_parser.epilog:
            sub_parser.epilog = sub_parser.epilog.rstrip() + "\n\n" + EXIT_CODES_HELP
        if not issubclass(sub_parser.formatter_class, argparse.RawDescriptionHelpFormatter):
            sub_parser.formatter_class = HelpFormatter
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
    """``message`` on one line, long quoted values cut to 60 characters, at most MAX_LINE long."""
    text = " ".join(str(message).split())
    text = _QUOTED.sub(lambda m: m.group(0)[:58] + "..." + m.group(0)[0], text)
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 3] + "..."


def _say(prefix, message):
    print(f"mesacheck: {prefix}: {_one_line(message)}", file=sys.stderr, flush=True)


def _usage_line(parser):
    names = ", ".join(parser._subparsers._group_actions[0].choices) if parser._subparsers else ""
    usage = " ".join(parser.format_usage().split())
    return f"missing COMMAND ({usage}; COMMAND is one of {names}; see mesacheck --help)"


def _run(args, hard_exit):
    budget = getattr(args, "budget", None)
    if budget is None or args.command not in ("derive", "flow", "verify", "latex"):
        return args.func(args)
    with Deadline(budget, what=f"mesacheck {args.command}", hard_exit=hard_exit) as deadline:
        args.deadline = deadline
        code = args.func(args)
        if deadline.fired and code != EXIT_TIMEOUT:
            # the alarm fired but its Timeout was lost (raised in a gc callback or __del__)
            raise Timeout(deadline.seconds, deadline.what)
        return code


def main(argv=None):
    """Entry point of the console script; returns the process exit code.

    ``argv=None`` means the real process (sys.argv): only then may the time-budget watchdog end
    the process when the work is stuck in one long C call.
    """
    hard_exit = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            _say("error", _usage_line(parser))
            return EXIT_BAD_INPUT
        args.argv = ["mesacheck", *argv]
        return int(_run(args, hard_exit) or 0)
    except (UsageError, MesacheckError) as exc:
        _say("error", exc)
        return EXIT_BAD_INPUT
    except Timeout as exc:
        _say("timeout", exc)
        return EXIT_TIMEOUT
    except KeyboardInterrupt:
        print("mesacheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        if hard_exit:  # stdout closed by the reader (| head): silence the flush at exit
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the last resort: a bug, never a traceback
        _say("internal error", f"{type(exc).__name__}: {exc} (please report)")
        return EXIT_TIMEOUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
