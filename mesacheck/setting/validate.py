"""Range checks shared by the library and the command line; each raises InputError naming the argument."""
import math

from mesacheck.errors import InputError


def check_int(name, value, minimum, maximum=None):
    """Return ``value`` as an int, or raise InputError if it is not an integer in [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, (int,)) and not (
        isinstance(value, float) and math.isfinite(value) and value.is_integer()
    ):
        raise InputError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        rng = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise InputError(f"{name} must be {rng}, got {value}")
    return value


def check_positive(name, value, maximum=None):
    """Return ``value`` as a float, or raise InputError unless it is finite and > 0 (and <= maximum)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a finite number > 0, got {value!r}")
    if maximum is not None and value > maximum:
        raise InputError(f"{name} must be <= {maximum}, got {value!r}")
    return value


def check_finite(name, value):
    """Return ``value`` as a float, or raise InputError unless it is finite."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise InputError(f"{name} must be finite, got {value!r}")
    return value
