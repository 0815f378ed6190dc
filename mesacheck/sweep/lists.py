"""The value lists of a sweep's grid axes: an explicit grammar, parsed to exact rationals.

Grammar (one LIST is one command-line word; several words of one option are concatenated)::

    LIST   := item ( "," item )*
    item   := NUMBER | range | "oo"            # "oo" (T -> infinity) only where the axis allows it
    range  := NUMBER ".." NUMBER [ ":" NUMBER ] # first..last:step, step 1 when omitted
    NUMBER := [sign] ( DIGITS "/" DIGITS | DECIMAL [ ("e"|"E") [sign] DIGITS ] )
    DECIMAL:= DIGITS [ "." DIGITS ] | "." DIGITS

Every number is an exact ``fractions.Fraction`` (``0.1`` is 1/10, ``1e-3`` is 1/1000), so a range
``0.1..0.9:0.1`` has exactly the nine values k/10 and no rounding drift. A range runs from its
first value by its step while the value stays within [first, last] (both ends inclusive; the
last value is included when the step reaches it exactly); the step must be non-zero and point
from first to last. Repeated values are kept once, in their first position. Nothing is evaluated:
the text is matched against the grammar and converted by ``Fraction`` only after a NUMBER
matched (with the exponent bounded first, see :func:`mesacheck.setting.spec_grammar.parse_number`).

>>> parse_list("2..5")
[Fraction(2, 1), Fraction(3, 1), Fraction(4, 1), Fraction(5, 1)]
>>> [str(v) for v in parse_list("0.1..0.5:0.1")]
['1/10', '1/5', '3/10', '2/5', '1/2']
"""
import re
from fractions import Fraction

from mesacheck.errors import InputError, SpecError
from mesacheck.setting.spec_grammar import parse_number

#: the most values one list (or one range) may expand to
MAX_VALUES = 10_000
OO = "oo"

_NUM = r"[+-]?(?:[0-9]+/[0-9]+|(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
_ITEM = re.compile(rf"(?P<first>{_NUM})(?:\.\.(?P<last>{_NUM})(?::(?P<step>{_NUM}))?)?\Z")
LIST_FORMS = "values like 3, 1/2, 0.25, 1e-3, ranges FIRST..LAST or FIRST..LAST:STEP, separated by commas"


def number(text, option):
    """Exact Fraction of one NUMBER (InputError naming ``option`` if it is not one)."""
    text = text.strip()
    if not re.fullmatch(_NUM, text):
        raise InputError(f"{option}: {text[:40]!r} is not a number ({LIST_FORMS})")
    sign = -1 if text.startswith("-") else 1
    try:
        value = parse_number(text.lstrip("+-"))
    except SpecError as exc:
        raise InputError(f"{option}: {text[:40]!r}: {str(exc).split(': ', 2)[-1]}") from None
    return sign * Fraction(int(value.p), int(value.q))


def expand_range(first, last, step, option):
    """The values first, first + step, ... within [first, last] (exact; InputError if ill-formed)."""
    if step == 0:
        raise InputError(f"{option}: a range step must not be 0")
    if (last - first) * step < 0:
        raise InputError(f"{option}: the range {first}..{last} cannot be walked with step {step} "
                         f"(the step must point from the first value to the last)")
    count = int((last - first) / step) + 1
    if count > MAX_VALUES:
        raise InputError(f"{option}: the range {first}..{last}:{step} has {count} values; at most "
                         f"{MAX_VALUES} per list")
    return [first + k * step for k in range(count)]


def parse_list(text, option="list", allow_oo=False):
    """Parse one LIST (module docstring) into exact values (Fractions, and ``'oo'`` if allowed)."""
    if not isinstance(text, str):
        raise InputError(f"{option}: expected text, got {type(text).__name__}")
    if len(text) > 10_000:
        raise InputError(f"{option}: the list is longer than 10000 characters")
    values = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            raise InputError(f"{option}: empty item in {text[:60]!r} ({LIST_FORMS})")
        if item.lower() in (OO, "inf", "infinity"):
            if not allow_oo:
                raise InputError(f"{option}: {item!r} is not allowed here (only --T takes oo)")
            values.append(OO)
            continue
        match = _ITEM.match(item) if "..." not in item else None
        if not match:
            raise InputError(f"{option}: {item[:40]!r} is not a value or a range ({LIST_FORMS})")
        first = number(match.group("first"), option)
        if match.group("last") is None:
            values.append(first)
            continue
        last = number(match.group("last"), option)
        step = number(match.group("step"), option) if match.group("step") else Fraction(1)
        values.extend(expand_range(first, last, step, option))
        if len(values) > MAX_VALUES:
            raise InputError(f"{option}: more than {MAX_VALUES} values")
    return unique(values)


def unique(values):
    """``values`` without repeats, first occurrence kept."""
    seen, out = set(), []
    for v in values:
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def _words(value, option):
    """Command-line words / API values as a list of LIST strings or plain values."""
    if value is None:
        return []
    if isinstance(value, (str, int, Fraction)) or not hasattr(value, "__iter__"):
        return [value]
    return list(value)


def _values(value, option, allow_oo=False):
    out = []
    for word in _words(value, option):
        if isinstance(word, str):
            out.extend(parse_list(word, option, allow_oo))
        elif isinstance(word, bool):
            raise InputError(f"{option}: expected numbers, got {word!r}")
        elif isinstance(word, (int, Fraction)):
            out.append(Fraction(word))
        elif isinstance(word, float):
            # A float is taken at its exact binary value only if it is a short decimal: go through
            # its repr ("0.1" -> 1/10), which is what the user typed.
            out.extend(parse_list(repr(word), option, allow_oo))
        else:
            raise InputError(f"{option}: expected numbers or lists like '2..8', got {word!r}")
    return unique(out)


def int_values(value, option, minimum, maximum):
    """Integers in [minimum, maximum] from LIST words or ints (``--d``, ``--seed``)."""
    out = []
    for v in _values(value, option):
        if v.denominator != 1:
            raise InputError(f"{option}: {v} is not an integer")
        if not minimum <= v <= maximum:
            raise InputError(f"{option}: {v} is out of range; expected integers in [{minimum}, {maximum}]")
        out.append(int(v))
    return out


def T_values(value, option="--T", maximum=10**6):
    """Training lengths: integers >= 3 or 'oo'."""
    out = []
    for v in _values(value, option, allow_oo=True):
        if v == OO:
            out.append(OO)
            continue
        if v.denominator != 1 or not 3 <= v <= maximum:
            raise InputError(f"{option}: {v} is not a length; expected integers in [3, {maximum}] or oo")
        out.append(int(v))
    return out


def positive_values(value, option, maximum=None):
    """Exact positive rationals (``--lr``)."""
    out = []
    for v in _values(value, option):
        if v <= 0 or (maximum is not None and v > maximum):
            bound = "> 0" if maximum is None else f"in (0, {maximum}]"
            raise InputError(f"{option}: {v} is out of range; expected values {bound}")
        out.append(v)
    return out


def init_values(value, option="--init", maximum=10**6):
    """Start pairs (a0, b0): words 'A0,B0' (each a NUMBER), or pairs of numbers."""
    out = []
    for word in _words(value, option):
        if isinstance(word, str):
            parts = word.split(",")
            if len(parts) != 2:
                raise InputError(f"{option}: expected pairs A0,B0 (one pair per word), got {word[:40]!r}")
            pair = tuple(number(p, option) for p in parts)
        else:
            try:
                a0, b0 = word
            except (TypeError, ValueError):
                raise InputError(f"{option}: expected pairs (a0, b0), got {word!r}") from None
            pair = (_one(a0, option), _one(b0, option))
        if max(abs(pair[0]), abs(pair[1])) > maximum:
            raise InputError(f"{option}: {word!r} is too large: |a0|, |b0| must be <= {maximum:g}")
        out.append(pair)
    return unique(out)


def _one(value, option):
    """The single exact number ``value`` stands for (a number, or a one-value LIST text)."""
    values = _values([value], option)
    if len(values) != 1 or values[0] == OO:
        raise InputError(f"{option}: expected one number, got {value!r}")
    return values[0]


def fraction_text(value):
    """Canonical text of an exact value: '3', '-1/2', or 'oo'."""
    return str(value)
