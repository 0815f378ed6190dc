"""Tokenizer and parser for distribution spec strings (no eval of user text anywhere).

Grammar (``WS`` is optional ASCII whitespace, allowed between any two tokens)::

    spec      := WS NAME WS [ ":" body ] WS
    NAME      := [A-Za-z][A-Za-z0-9_-]*          # family name, e.g. gaussian, student-t
    body      := params | mixture                # which one is decided by the family

    params    := param ( "," param )*
    param     := KEY "=" value ( "," item )*     # extra items only for list-valued keys
    item      := value                           # an item is never followed by "="
    KEY       := [A-Za-z][A-Za-z0-9_]*
    value     := [sign] NUMBER | IDENT           # IDENT -> sympy.Symbol(IDENT, positive=True)
    sign      := "+" | "-"
    NUMBER    := DIGITS "/" DIGITS                         # p/q
               | (DIGITS ["." [DIGITS]] | "." DIGITS) [("e"|"E") [sign] DIGITS]
    DIGITS    := [0-9]+
    IDENT     := [A-Za-z][A-Za-z0-9_]*, not a reserved word (see RESERVED, ENGINE_DISPLAY_NAMES)

    mixture   := term ( "+" term )*
    term      := [sign] NUMBER "*" "[" entry ( "," entry )* "]"     # weight * vector
    entry     := [sign] part [ sign part ]       # a real part then an imaginary one: 1+2i
    part      := NUMBER | NUMBER "i" | "i"       # "i" marks the imaginary part: 2i, -0.5i, i

Numbers are converted exactly (fractions.Fraction -> sympy.Rational), so "0.1" is 1/10; their
magnitude must be 0 or lie in float64's normal range, so that every law can also be sampled.
A list-valued key (``sigmas=1,2,3``) takes the comma-separated items up to the next ``KEY=``.
Every malformed string raises SpecError with a one-line message naming the offending part and
what was expected there.
"""
import re
import sys
from fractions import Fraction
from typing import NamedTuple

import sympy

from mesacheck.errors import SpecError

MAX_SPEC_LENGTH = 2000

# Words that would read as something other than a parameter symbol: non-finite numbers, the
# imaginary unit, SymPy constants, and the dimension / horizon symbols of the derivations.
RESERVED = frozenset({"nan", "inf", "infinity", "oo", "zoo", "i", "j", "e", "pi", "d", "t"})
# Names the derivations print for their own quantities (case-sensitive). The engine's symbols are
# Dummies, so a parameter with one of these names could not *collide* with them; it is refused so
# that a printed formula is never ambiguous (is "R" the user's scale or the engine's slope?).
ENGINE_DISPLAY_NAMES = frozenset({
    "a", "b", "u", "tau", "mu", "m", "Q", "R", "C", "H", "S", "E", "I", "kappa", "rho",
    "lambda", "g", "L", "x", "adot", "bdot", "p_nz", "alpha", "beta",
})
# Indexed engine names: a_1, b_2, u_3, m_4 (iid moments), x_1, S_4 / S4, H_98 / H98, adot_1, ...
_RESERVED_PATTERN = re.compile(r"(?:a|b|u|m|x|S|H|adot|bdot|alpha|beta)_?[0-9]+\Z")

NUMBER_FORMS = "an integer, a decimal, p/q or scientific notation like 1e-3"
_WS = " \t\r\n\f\v"
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_TOKEN = re.compile(
    r"""(?P<ws>[ \t\r\n\f\v]+)
      | (?P<num>[0-9]+/[0-9]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
      | (?P<ident>[A-Za-z][A-Za-z0-9_]*)
      | (?P<punct>[=,*+\-\[\]])""",
    re.VERBOSE,
)
_EXPONENT = re.compile(r"[eE]([+-]?[0-9]+)\Z")
# A mantissa has at most MAX_SPEC_LENGTH digits, so beyond this exponent no value is in range.
_MAX_EXPONENT = 2 * MAX_SPEC_LENGTH + 400
_MAX_MAGNITUDE = Fraction(sys.float_info.max)
_MIN_MAGNITUDE = Fraction(sys.float_info.min)


class Token(NamedTuple):
    """One lexical token: kind is 'num', 'ident', 'punct' or 'end'; col is 1-based in the spec."""

    kind: str
    text: str
    col: int


def shown(text, limit=60):
    """The spec (or a part of it) as it appears in an error message: quoted, escaped, truncated."""
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return repr(text)


def fail(spec, what, expected):
    """Return the SpecError for ``spec``: what is wrong, and what was expected instead."""
    return SpecError(f"bad distribution spec {shown(spec)}: {what}; expected {expected}")


def split_spec(spec):
    """Split ``spec`` into (family name, body text or None, column where the body starts)."""
    if not isinstance(spec, str):
        raise SpecError(f"a distribution spec must be a string, got {type(spec).__name__}")
    if len(spec) > MAX_SPEC_LENGTH:
        raise fail(spec, f"length {len(spec)} is over the limit", f"at most {MAX_SPEC_LENGTH} characters")
    start = len(spec) - len(spec.lstrip(_WS))
    match = _NAME.match(spec, start)
    if not match:
        if spec.strip(_WS) == "":
            raise fail(spec, "it is empty", "NAME or NAME:key=value,... (see `mesacheck dists`)")
        raise fail(spec, f"{shown(spec[start:start + 10])} at column {start + 1} is not a family name",
                   "a name like gaussian or student-t (see `mesacheck dists`)")
    rest = spec[match.end():]
    if rest.strip(_WS) == "":
        return match.group(), None, len(spec) + 1
    colon = match.end() + len(rest) - len(rest.lstrip(_WS))
    if spec[colon] != ":":
        raise fail(spec, f"unexpected {shown(spec[colon:colon + 10])} at column {colon + 1} "
                   f"after the name {match.group()!r}", "':' followed by the parameters")
    return match.group(), spec[colon + 1:], colon + 2


def tokenize(body, spec, col0):
    """Tokens of ``body`` (the part of ``spec`` after ':', starting at column ``col0``), then 'end'."""
    tokens, pos = [], 0
    while pos < len(body):
        match = _TOKEN.match(body, pos)
        if not match:
            raise fail(spec, f"unexpected character {body[pos]!r} at column {col0 + pos}",
                       "numbers, identifiers or one of = , * + - [ ]")
        if match.lastgroup != "ws":
            tokens.append(Token(match.lastgroup, match.group(), col0 + pos))
        pos = match.end()
    tokens.append(Token("end", "", col0 + len(body)))
    return tokens


def parse_number(text, spec="", col=0):
    """Exact sympy.Rational of a NUMBER token's text; SpecError if it is out of float64 range."""
    exponent = _EXPONENT.search(text)
    where = f"number {text!r} at column {col}"
    if exponent and abs(int(exponent.group(1))) > _MAX_EXPONENT:
        mantissa = text[: exponent.start()]
        if mantissa.strip("0.") != "":
            raise fail(spec, f"{where} is out of range", "a magnitude that fits a float64")
        return sympy.Integer(0)
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise fail(spec, f"{where} is not a number", NUMBER_FORMS + " with a non-zero denominator") from None
    if value != 0 and not _MIN_MAGNITUDE <= abs(value) <= _MAX_MAGNITUDE:
        raise fail(spec, f"{where} is out of range", "0 or a magnitude in float64's normal range "
                   f"[{sys.float_info.min:.3g}, {sys.float_info.max:.3g}]")
    return sympy.Rational(value.numerator, value.denominator)


def is_reserved(name):
    """Whether ``name`` may not be used as a parameter symbol."""
    return (name.lower() in RESERVED or name in ENGINE_DISPLAY_NAMES
            or bool(_RESERVED_PATTERN.match(name)))


def format_value(value):
    """Canonical spec text of a parameter value (Rational as p/q or integer, Symbol as its name)."""
    return str(value)


def format_complex(value):
    """Canonical spec text of a mixture entry: 3, -1/2, 2i, 1-1/2i."""
    re_part, im_part = sympy.re(value), sympy.im(value)
    if im_part == 0:
        return str(re_part)
    imag = f"{im_part}i"
    if re_part == 0:
        return imag
    return f"{re_part}{'' if im_part < 0 else '+'}{imag}"


class _Parser:
    """Recursive-descent parser over the tokens of one spec body."""

    def __init__(self, body, spec, col0):
        self.spec = spec
        self.tokens = tokenize(body, spec, col0)
        self.pos = 0

    # -- token helpers -------------------------------------------------------------------------
    def peek(self, ahead=0):
        """The token ``ahead`` places after the current one ('end' past the end)."""
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self):
        """Consume and return the current token."""
        token = self.peek()
        self.pos += 1
        return token

    def at(self, text, ahead=0):
        """Whether the token ``ahead`` places on is the punctuation ``text``."""
        token = self.peek(ahead)
        return token.kind == "punct" and token.text == text

    def error(self, what, expected, token=None):
        """SpecError about ``token`` (default: the current one)."""
        token = token or self.peek()
        found = "the end of the spec" if token.kind == "end" else f"{token.text!r} at column {token.col}"
        return fail(self.spec, f"{what}: found {found}", expected)

    def expect(self, text, context):
        """Consume the punctuation ``text`` or raise a SpecError naming ``context``."""
        if not self.at(text):
            raise self.error(f"missing {text!r} {context}", repr(text))
        self.take()

    def expect_end(self, expected):
        """Raise a SpecError if tokens remain (trailing junk)."""
        if self.peek().kind != "end":
            raise self.error("unexpected trailing text", expected)

    # -- values --------------------------------------------------------------------------------
    def sign(self):
        """Consume an optional sign; return +1 or -1."""
        if self.at("+") or self.at("-"):
            return -1 if self.take().text == "-" else 1
        return 1

    def number(self, context):
        """Consume a NUMBER token and return its exact Rational."""
        token = self.peek()
        if token.kind != "num":
            raise self.error(f"expected a number {context}", NUMBER_FORMS)
        self.take()
        return parse_number(token.text, self.spec, token.col)

    def value(self, key):
        """Consume one parameter value: a signed NUMBER or an IDENT (a positive Symbol)."""
        token = self.peek()
        if token.kind == "ident":
            self.take()
            if is_reserved(token.text):
                raise self.error(f"{token.text!r} is reserved (a constant, or a name mesacheck prints "
                                 f"for its own quantities) and cannot be the value of {key}",
                                 f"a finite number ({NUMBER_FORMS}) or another symbol name "
                                 "such as sigma, c1 or scale", token)
            return sympy.Symbol(token.text, positive=True)
        signed = self.at("+") or self.at("-")
        sign = self.sign()
        if signed and self.peek().kind == "ident":
            raise self.error(f"a sign before the symbol in the value of {key}",
                             "an unsigned symbol name (symbols are positive)")
        if self.peek().kind != "num":
            raise self.error(f"bad or empty value for {key}",
                             f"{NUMBER_FORMS}, or a symbol name [A-Za-z][A-Za-z0-9_]*")
        return sign * self.number(f"for {key}")

    # -- key=value lists -------------------------------------------------------------------------
    def starts_param(self):
        """Whether the next tokens are ``KEY =`` (a new parameter rather than a list item)."""
        return self.peek().kind == "ident" and self.at("=", 1)

    def params(self, allowed):
        """Parse ``params``; return [(key, [values], column)] in the written order."""
        if self.peek().kind == "end":
            raise self.error("empty parameter list after ':'", _key_list(allowed, "=VALUE"))
        items = []
        while True:
            key = self.peek()
            if not self.starts_param():
                raise self.error("expected KEY=VALUE", _key_list(allowed, "=VALUE"))
            self.pos += 2
            values = [self.value(key.text)]
            while self.at(",") and not self._next_is_param():
                self.take()
                values.append(self.value(key.text))
            items.append((key.text, values, key.col))
            if not self.at(","):
                self.expect_end("',' and the next KEY=VALUE, or the end of the spec")
                return items
            self.take()

    def _next_is_param(self):
        """After a ',', whether a new ``KEY =`` follows (otherwise it is a list item)."""
        return self.peek(1).kind == "ident" and self.at("=", 2)

    # -- mixtures --------------------------------------------------------------------------------
    def mixture(self):
        """Parse ``mixture``; return [(weight Rational, (entry, ...))]."""
        terms = [self.term()]
        while self.at("+"):
            self.take()
            terms.append(self.term())
        self.expect_end("'+' and another term W*[v1,...], or the end of the spec")
        return terms

    def term(self):
        """Parse ``W*[v1,...,vd]``."""
        weight = self.sign() * self.number("as the weight of a mixture term W*[v1,...]")
        self.expect("*", "between a mixture weight and its vector")
        self.expect("[", "to open a mixture vector")
        entries = [self.entry()]
        while self.at(","):
            self.take()
            entries.append(self.entry())
        self.expect("]", "to close a mixture vector")
        return weight, tuple(entries)

    def entry(self):
        """Parse one complex entry: 3, -0.5, 2i, -i, 1+2i, 1-0.5i."""
        sign = self.sign()
        first, first_imag = self.part()
        value = sign * first * (sympy.I if first_imag else 1)
        if not first_imag and (self.at("+") or self.at("-")):
            sign = self.sign()
            token = self.peek()
            second, second_imag = self.part()
            if not second_imag:
                raise self.error("the second part of a complex entry must be imaginary",
                                 "an entry like 1+2i or 1-0.5i", token)
            value += sign * second * sympy.I
        return value

    def part(self):
        """Parse NUMBER, NUMBER i or i; return (Rational, is_imaginary)."""
        token = self.peek()
        if token.kind == "ident" and token.text == "i":
            self.take()
            return sympy.Integer(1), True
        if token.kind != "num":
            raise self.error("bad or empty mixture entry", f"a real or complex number ({NUMBER_FORMS}, "
                             "with i for the imaginary part: 2, -0.5, 1+2i, -3i)")
        value = self.number("in a mixture vector")
        if self.peek().kind == "ident" and self.peek().text == "i":
            self.take()
            return value, True
        return value, False


def _key_list(keys, suffix=""):
    """'one of sigma=VALUE, sigmas=VALUE' style text for error messages."""
    return "one of " + ", ".join(f"{k}{suffix}" for k in keys) if keys else "no parameters"


def parse_params(body, spec, col0, list_keys, allowed):
    """Parse a key=value body into {key: value or tuple of values}.

    ``allowed`` lists the family's keys (in canonical order), ``list_keys`` the list-valued ones.
    Unknown keys, duplicates and several values for a scalar key raise SpecError; missing keys
    are the family's business.
    """
    result = {}
    for key, values, col in _Parser(body, spec, col0).params(allowed):
        if key not in allowed:
            raise fail(spec, f"unknown key {key!r} at column {col}", _key_list(allowed))
        if key in result:
            raise fail(spec, f"duplicate key {key!r} at column {col}", "each key at most once")
        if key in list_keys:
            result[key] = tuple(values)
        elif len(values) > 1:
            raise fail(spec, f"key {key!r} at column {col} takes one value, got {len(values)}",
                       f"a single value for {key}" + _plural_hint(key, allowed))
        else:
            result[key] = values[0]
    return result


def _plural_hint(key, allowed):
    """' (or sigmas=... for a list)' when the family has a list-valued twin of ``key``."""
    return f" (or {key}s=V1,V2,... for a list)" if key + "s" in allowed else ""


def parse_mixture(body, spec, col0):
    """Parse a mixture body into [(weight, (entries...)), ...] with exact sympy values."""
    return _Parser(body, spec, col0).mixture()
