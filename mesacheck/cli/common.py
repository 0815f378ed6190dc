"""Argument types shared by subcommands: each raises ArgumentTypeError with a message naming the value."""
import argparse
import math


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
