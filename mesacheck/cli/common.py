"""Argument types and options shared by subcommands.

Each type raises ArgumentTypeError with a message that echoes the value cut to SHOWN_MAX
characters. Numbers are read with explicit patterns, not int()/float() alone: those accept
underscores ('5_0' -> 50), surrounding blanks and non-ASCII digits, none of which a command line
should mean.
"""
import argparse
import math
import re

from mesacheck import budget as budget_mod
from mesacheck import resources
from mesacheck.errors import InputError, MesacheckError

#: longest echo of a user value in an error message.
SHOWN_MAX = 60
#: longest integer accepted (in digits) before it is called too large.
MAX_INT_DIGITS = 30

_INT = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NONFINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)


def shown(text, limit=SHOWN_MAX):
    """A user value as it appears in a message: repr of the text cut to ``limit`` characters."""
    text = str(text)
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _number(text):
    if _NONFINITE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"must be finite, got {shown(text)}")
    if len(text) > 400 or not _FLOAT.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a number: {shown(text)} (digits, '.', and an exponent like 1e-3)")
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {shown(text)}")
    return value


def positive_float(text):
    """argparse type: a finite float > 0."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {shown(text)}")
    return value


def finite_float(text):
    """argparse type: any finite float."""
    return _number(text)


def parse_int(text, minimum, maximum=None):
    """Digits (with an optional minus sign) in [minimum, maximum] -> int; ArgumentTypeError otherwise."""
    if not _INT.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not an integer: {shown(text)} (digits only)")
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise argparse.ArgumentTypeError(f"too large: {shown(text)}")
    value = int(text, 10)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
    return value


def int_at_least(minimum, maximum=None):
    """argparse type factory: an integer in [minimum, maximum], written with digits only."""

    def parse(text):
        return parse_int(text, minimum, maximum)

    parse.__name__ = "integer"
    return parse


def pair_of_floats(text):
    """argparse type: 'A0,B0' -> (float, float), both finite."""
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected two numbers 'A0,B0', got {shown(text)}")
    return tuple(_number(p.strip()) for p in parts)


def bounded_positive_float(text, maximum=1e6):
    """argparse type: a finite float in (0, maximum]."""
    value = positive_float(text)
    if value > maximum:
        raise argparse.ArgumentTypeError(f"must be <= {maximum:g}, got {shown(text)}")
    return value


def budget_seconds(text):
    """argparse type: a time budget in seconds, in (0, budget.MAX_BUDGET_S]."""
    return bounded_positive_float(text, budget_mod.MAX_BUDGET_S)


def memory_size(text):
    """argparse type: a memory budget like 4G, 512M or a number of bytes."""
    try:
        return resources.parse_size(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_budget_option(parser, command):
    """Add ``--budget SECONDS`` (whole-run time budget) with the command's default."""
    default = budget_mod.DEFAULT_BUDGET_S[command]
    parser.add_argument(
        "--budget", type=budget_seconds, default=default, metavar="SECONDS",
        help=f"whole-run time budget in seconds (default {default:g}); when it runs out the command "
        "stops with a 'timeout' outcome and exit code 3; a run whose estimated time already exceeds "
        "it is refused before starting (exit code 2)")


def add_memory_option(parser):
    """Add ``--max-memory SIZE`` (memory budget checked against the command's estimate)."""
    parser.add_argument(
        "--max-memory", type=memory_size, metavar="SIZE",
        help=f"memory budget, e.g. 4G or 512M (default: {resources.DEFAULT_FRACTION:g} of physical "
        f"memory, at most {resources.AVAILABLE_FRACTION:g} of what is available); a run whose "
        "estimated peak exceeds it is refused before allocating (exit code 2)")


def check_dist_fits(spec, d, option="--dist", d_max=64):
    """Parse ``spec`` and check it against ``d`` before any work; return the Distribution.

    With ``d`` None (each claim picks its own d), a law that fits only some dimensions (a
    mixture's vector length, a list of per-coordinate scales) is refused with the d to give.
    """
    from mesacheck.setting.distributions import parse_dist

    dist = parse_dist(spec)
    if d is not None:
        try:
            return dist.for_dim(d)
        except MesacheckError as exc:
            raise InputError(f"{option} with --d {d}: {exc}") from None
    fits = []
    for k in range(1, d_max + 1):
        try:
            dist.for_dim(k)
            fits.append(k)
        except MesacheckError:
            continue
    if len(fits) < d_max:
        need = ", ".join(map(str, fits[:5])) or "none"
        raise InputError(f"{option} {shown(dist.spec)} fits only d = {need}; give --d explicitly "
                         "(the claims' default dimensions differ)")
    return dist
