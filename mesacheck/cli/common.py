"""Argument types shared by subcommands: each raises ArgumentTypeError with a message naming the value."""
import argparse
import math
import os

from mesacheck.errors import InputError


def _number(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return value


def positive_float(text):
    """argparse type: a finite float > 0."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def finite_float(text):
    """argparse type: any finite float."""
    return _number(text)


def int_at_least(minimum, maximum=None):
    """argparse type factory: an integer in [minimum, maximum]."""

    def parse(text):
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def pair_of_floats(text):
    """argparse type: 'A0,B0' -> (float, float), both finite."""
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected two numbers 'A0,B0', got {text!r}")
    return tuple(_number(p.strip()) for p in parts)


def bounded_positive_float(text, maximum=1e6):
    """argparse type: a finite float in (0, maximum]."""
    value = positive_float(text)
    if value > maximum:
        raise argparse.ArgumentTypeError(f"must be <= {maximum:g}, got {text!r}")
    return value


def check_writable(path, option):
    """Raise InputError unless ``path`` names a file that can be created or overwritten."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise InputError(f"{option} {path} is a directory")
    if not os.path.isdir(directory):
        raise InputError(f"{option} {path}: directory {directory} does not exist")
    # os.access says yes to root for almost anything: open the file for real (without
    # truncating it) so an unwritable path fails before any computation.
    existed = os.path.exists(path)
    try:
        with open(path, "ab"):
            pass
    except OSError as exc:
        raise InputError(f"{option} {path} is not writable: {exc.strerror or exc}") from None
    if not existed:
        os.remove(path)
