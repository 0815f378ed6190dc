"""Families of laws for a sweep: an explicit grammar that expands to concrete spec strings.

A family is written as one ``--dist`` word. It expands to concrete spec strings of the ordinary
grammar (:mod:`mesacheck.setting.spec_grammar`), which :func:`parse_dist` then parses as usual;
nothing is ever handed to an interpreter. Grammar::

    family   := template ( ";" binding )*
    binding  := NAME "=" LIST                     # LIST as in mesacheck.sweep.lists (no oo)
    template := a spec of the ordinary grammar, in which additionally
        (1) a SCALAR key may take several values or ranges:   KEY=V1,V2,...   KEY=A..B[:S]
            -> one law per value (an axis named KEY);
        (2) a parameter value, an item of a list-valued key, a mixture weight or a mixture entry
            may be a bound NAME or an expression over bound names:
                expr  := term ( ("+" | "-") term )*
                term  := unary ( ("*" | "/") unary )*
                unary := [ "+" | "-" ] atom
                atom  := NUMBER | NAME | "(" expr ")"
            -> one law per combination of the bound values (axes named by the NAMEs).
        In a mixture a weight with a top-level + or - must be in parentheses, (1-p)*[...], and an
        entry is a number of the ordinary grammar (2, -0.5, 1+2i), [sign] NAME, or "(" expr ")".

Which commas make a family is decided by the key, never guessed:

* ``gaussian:sigma=0.5,1,2`` - ``sigma`` takes one value, so the list is a family: three laws;
* ``gaussian:sigmas=1,2`` - ``sigmas`` is list-valued, so the list is the one law's list: one law
  (as everywhere in mesacheck). A range in a list-valued key is refused as ambiguous; to vary an
  item, bind a name: ``gaussian:sigmas=1,s; s=1..3`` (three laws: sigmas=(1,1), (1,2), (1,3)).
* ``mixture:p*[1,0]+(1-p)*[0,1]; p=0.1..0.9:0.1`` - nine mixtures, weights exactly k/10 and
  1 - k/10.

Arithmetic is exact (``fractions.Fraction``). A law of a family whose expanded spec the ordinary
grammar refuses (weights that are not positive or do not sum to exactly 1, a parameter out of
range, a division by zero) is *not* an error of the family: that grid point is refused with the
reason and the rest of the sweep runs. A malformed family (syntax, unknown key, an unbound or
unused name, an expression without a bound name) is bad input, and so is a word with no axes at
all that the ordinary grammar refuses (it is one law, and it is wrong).
"""
import re
from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from typing import Optional

from mesacheck.errors import InputError, SpecError
from mesacheck.setting import spec_grammar as grammar
from mesacheck.setting.distributions import REGISTRY, Mixture
from mesacheck.sweep import lists

#: the most laws one family may expand to
MAX_LAWS = 10_000

_TOKEN = re.compile(
    r"""(?P<ws>[ \t\r\n\f\v]+)
      | (?P<range>\.\.)
      | (?P<num>[0-9]+/[0-9]+|(?:[0-9]+(?:\.(?!\.)[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
      | (?P<ident>[A-Za-z][A-Za-z0-9_]*)
      | (?P<punct>[=,*+\-\[\]()/:])""",
    re.VERBOSE,
)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Law:
    """One law of a family: its spec text (None when it could not be formed), the values of the
    family's axes that produced it, the family text, and the reason it is refused (or None)."""

    spec: Optional[str]
    params: tuple
    family: str
    reason: Optional[str] = None

    @property
    def label(self):
        """The spec, or the family with its axis values when no spec could be formed."""
        if self.spec is not None:
            return self.spec
        return f"{self.family} at " + ", ".join(f"{k}={v}" for k, v in self.params)


class _Tok:
    __slots__ = ("kind", "text", "col")

    def __init__(self, kind, text, col):
        self.kind, self.text, self.col = kind, text, col

    def is_(self, text):
        return self.kind == "punct" and self.text == text


def _bad(family, what, expected):
    return SpecError(f"bad family {grammar.shown(family)}: {what}; expected {expected}")


def _tokenize(text, family, col0):
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise _bad(family, f"unexpected character {text[pos]!r} at column {col0 + pos}",
                       "numbers, names, ranges A..B:S or one of = , * / + - [ ] ( )")
        if m.lastgroup != "ws":
            out.append(_Tok(m.lastgroup, m.group(), col0 + pos))
        pos = m.end()
    return out


def _split(tokens, sep):
    """Split ``tokens`` at the punctuation ``sep`` outside parentheses."""
    parts, cur, depth = [], [], 0
    for t in tokens:
        if t.is_("("):
            depth += 1
        elif t.is_(")"):
            depth -= 1
        if t.is_(sep) and depth == 0:
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    parts.append(cur)
    return parts


def _text(tokens):
    return "".join(t.text for t in tokens)


# -- expressions over bound names (exact Fractions) -------------------------------------------------
class _Expr:
    """Recursive-descent parser of ``expr`` (module docstring) into a small tree."""

    def __init__(self, tokens, family):
        self.t, self.pos, self.family = tokens, 0, family

    def parse(self):
        node = self.expr()
        if self.pos != len(self.t):
            tok = self.t[self.pos]
            raise _bad(self.family, f"unexpected {tok.text!r} at column {tok.col} in an expression",
                       "an operator + - * / or the end of the expression")
        return node

    def peek(self):
        return self.t[self.pos] if self.pos < len(self.t) else None

    def expr(self):
        node = self.term()
        while self.peek() is not None and (self.peek().is_("+") or self.peek().is_("-")):
            op = self.t[self.pos].text
            self.pos += 1
            node = ("bin", op, node, self.term())
        return node

    def term(self):
        node = self.unary()
        while self.peek() is not None and (self.peek().is_("*") or self.peek().is_("/")):
            op = self.t[self.pos].text
            self.pos += 1
            node = ("bin", op, node, self.unary())
        return node

    def unary(self):
        tok = self.peek()
        if tok is not None and (tok.is_("+") or tok.is_("-")):
            self.pos += 1
            inner = self.unary()
            return ("neg", inner) if tok.text == "-" else inner
        return self.atom()

    def atom(self):
        tok = self.peek()
        if tok is None:
            raise _bad(self.family, "an expression ends too early", "a number, a name or ( expr )")
        self.pos += 1
        if tok.kind == "num":
            return ("num", lists.number(tok.text, f"family {grammar.shown(self.family)}"))
        if tok.kind == "ident":
            return ("name", tok.text, tok.col)
        if tok.is_("("):
            node = self.expr()
            close = self.peek()
            if close is None or not close.is_(")"):
                raise _bad(self.family, f"unclosed '(' at column {tok.col}", "')'")
            self.pos += 1
            return node
        raise _bad(self.family, f"unexpected {tok.text!r} at column {tok.col} in an expression",
                   "a number, a name or ( expr )")


def _names(node):
    if node[0] == "name":
        return {node[1]}
    if node[0] == "neg":
        return _names(node[1])
    if node[0] == "bin":
        return _names(node[2]) | _names(node[3])
    return set()


class _Refused(Exception):
    """A grid point's law cannot be formed (division by zero); carries the reason."""


def evaluate(node, env):
    """Exact value of an expression tree with the names bound in ``env`` (Fractions)."""
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "name":
        return env[node[1]]
    if kind == "neg":
        return -evaluate(node[1], env)
    _, op, left, right = node
    a, b = evaluate(left, env), evaluate(right, env)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise _Refused("division by zero")
    return a / b


def fmt(value):
    """Spec text of an exact value ('3', '-1/2')."""
    return str(value)


# -- slots: literal text, an axis value, or an expression -----------------------------------------
def _literal(tokens):
    """Whether ``tokens`` are [sign] NUMBER."""
    body = tokens[1:] if tokens and (tokens[0].is_("+") or tokens[0].is_("-")) else tokens
    return len(body) == 1 and body[0].kind == "num"


def _range(tokens):
    """Whether ``tokens`` contain a range A..B[:S]."""
    return any(t.kind == "range" for t in tokens)


class _Template:
    """A parsed template: an ordered list of pieces (str, ('axis', key), ('expr', tree))."""

    def __init__(self, family, bound):
        self.family, self.bound = family, bound
        self.pieces, self.axes, self.used = [], [], set()

    def add_text(self, text):
        self.pieces.append(text)

    def add_expr(self, tokens, where):
        if not tokens:
            raise _bad(self.family, f"empty {where}", "a number, a bound name or an expression")
        tree = _Expr(tokens, self.family).parse()
        if not _names(tree):
            raise _bad(self.family, f"{_text(tokens)!r} in {where} is an expression without a bound name",
                       "a number as the ordinary grammar writes it, or an expression over a name bound "
                       "after ';'")
        for name in _names(tree):
            if name not in self.bound:
                raise _bad(self.family, f"name {name!r} in {where} is not bound",
                           f"a binding '; {name}=LIST' after the template, or a number")
        self.used |= _names(tree)
        self.pieces.append(("expr", tree))

    def render(self, env):
        out = []
        for p in self.pieces:
            if isinstance(p, str):
                out.append(p)
            elif p[0] == "axis":
                out.append(fmt(env[p[1]]))
            else:
                out.append(fmt(evaluate(p[1], env)))
        return "".join(out)


def _value_slot(tpl, tokens, key, where):
    """A value or list item: literal text (number, or an unbound name = symbolic parameter), or
    an expression over bound names."""
    if not tokens:
        raise _bad(tpl.family, f"empty value of {key}", "a number, a name or an expression")
    if _literal(tokens) or (len(tokens) == 1 and tokens[0].kind == "ident" and tokens[0].text not in tpl.bound):
        tpl.add_text(_text(tokens))
    else:
        tpl.add_expr(tokens, where)


def _params_template(tpl, cls, body_tokens):
    keys = {p.key: p for p in cls.PARAMS}
    groups, cur = [], None
    for part in _split(body_tokens, ","):
        if len(part) >= 2 and part[0].kind == "ident" and part[1].is_("="):
            cur = (part[0], [part[2:]])
            groups.append(cur)
        elif cur is None:
            raise _bad(tpl.family, "the parameters must start with KEY=", "KEY=VALUE,...")
        else:
            cur[1].append(part)
    seen = set()
    for n, (key_tok, items) in enumerate(groups):
        key = key_tok.text
        if key not in keys:
            raise _bad(tpl.family, f"unknown key {key!r} for {cls.name} at column {key_tok.col}",
                       "one of " + ", ".join(keys))
        if key in seen:
            raise _bad(tpl.family, f"duplicate key {key!r}", "each key at most once")
        seen.add(key)
        tpl.add_text(("," if n else "") + key + "=")
        option = f"family {grammar.shown(tpl.family)}, key {key}"
        if keys[key].is_list:
            for k, item in enumerate(items):
                if _range(item):
                    raise _bad(tpl.family, f"a range in the list-valued key {key!r} is ambiguous (a family, "
                               "or the one law's list?)", f"a bound name for the item that varies, e.g. "
                               f"{cls.name}:{key}=1,s; s=1..3")
                tpl.add_text("," if k else "")
                _value_slot(tpl, item, key, f"an item of {key}")
            continue
        if len(items) == 1 and not _range(items[0]):
            _value_slot(tpl, items[0], key, f"the value of {key}")
            continue
        values = []
        for item in items:
            if not (_literal(item) or _range(item)):
                raise _bad(tpl.family, f"{_text(item)!r} in the values of {key}",
                           "numbers or ranges A..B:S in a list of values (or bind a name for an expression)")
            values.extend(lists.parse_list(_text(item), option))
        if key in tpl.bound:
            raise _bad(tpl.family, f"{key!r} is both a key with a list of values and a bound name",
                       "one of the two")
        tpl.axes.append((key, lists.unique(values)))
        tpl.pieces.append(("axis", key))


def _mixture_template(tpl, body_tokens):
    pos, n, toks = 0, 0, body_tokens
    while True:
        start, depth = pos, 0
        while pos < len(toks) and not (depth == 0 and toks[pos].is_("*") and pos + 1 < len(toks)
                                       and toks[pos + 1].is_("[")):
            depth += toks[pos].is_("(") - toks[pos].is_(")")
            pos += 1
        if pos >= len(toks):
            raise _bad(tpl.family, "a mixture term without '*[' ", "terms W*[v1,...,vd] joined by +")
        weight = toks[start:pos]
        tpl.add_text("+" if n else "")
        if not weight:
            raise _bad(tpl.family, "a mixture term without a weight", "W*[v1,...,vd]")
        if _literal(weight):
            tpl.add_text(_text(weight))
        else:
            inner = weight[1:] if weight and (weight[0].is_("+") or weight[0].is_("-")) else weight
            if len(_split(inner, "+")) > 1 or len(_split(inner, "-")) > 1:
                raise _bad(tpl.family, f"the weight {_text(weight)!r} has a top-level + or -",
                           f"parentheses: ({_text(inner)})*[...]")
            tpl.add_expr(weight, "a mixture weight")
        pos += 2
        close = next((k for k in range(pos, len(toks)) if toks[k].is_("]")), None)
        if close is None:
            raise _bad(tpl.family, "unclosed '['", "']' to close a mixture vector")
        tpl.add_text("*[")
        for k, entry in enumerate(_split(toks[pos:close], ",")):
            tpl.add_text("," if k else "")
            _entry_slot(tpl, entry)
        tpl.add_text("]")
        pos, n = close + 1, n + 1
        if pos == len(toks):
            return
        if not toks[pos].is_("+"):
            raise _bad(tpl.family, f"unexpected {toks[pos].text!r} at column {toks[pos].col} after a "
                       "mixture term", "'+' and the next term, or the end")
        pos += 1


def _entry_slot(tpl, entry):
    body = entry[1:] if entry and (entry[0].is_("+") or entry[0].is_("-")) else entry
    names = [t for t in body if t.kind == "ident" and t.text != "i"]
    if not names and not any(t.is_("(") for t in body):
        tpl.add_text(_text(entry))  # a number of the ordinary grammar (1, -0.5, 1+2i, -3i)
        return
    if (len(body) == 1 and body[0].kind == "ident") or (body and body[0].is_("(") and body[-1].is_(")")):
        tpl.add_expr(entry, "a mixture entry")
        return
    raise _bad(tpl.family, f"the mixture entry {_text(entry)!r}",
               "a number (2, -0.5, 1+2i), a bound name (c, -c) or a parenthesised expression (2*c)")


def parse_family(text):
    """Parse one family (module docstring); return (template, axes: [(name, values)])."""
    if not isinstance(text, str):
        raise InputError(f"--dist: a family must be text, got {type(text).__name__}")
    if len(text) > grammar.MAX_SPEC_LENGTH:
        raise _bad(text, f"length {len(text)} is over the limit", f"at most {grammar.MAX_SPEC_LENGTH} characters")
    head, *bind_texts = text.split(";")
    bindings = {}
    for raw in bind_texts:
        name, eq, values = raw.partition("=")
        name = name.strip()
        if not eq or not _NAME.match(name):
            raise _bad(text, f"the binding {raw.strip()[:40]!r}", "NAME=LIST after ';', e.g. ; p=0.1..0.9:0.1")
        if grammar.is_reserved(name) or name == "i":
            raise _bad(text, f"{name!r} is reserved (a constant, or a name mesacheck prints)",
                       "another name, such as p, q, s or c1")
        if name in bindings:
            raise _bad(text, f"{name!r} is bound twice", "each name once")
        bindings[name] = lists.parse_list(values, f"family {grammar.shown(text)}, {name}")
    name, body, col0 = grammar.split_spec(head)
    cls = REGISTRY.get(name)
    if cls is None:
        raise grammar.fail(head, f"unknown distribution {name!r}", "one of " + ", ".join(REGISTRY))
    tpl = _Template(text, set(bindings))
    tpl.add_text(name)
    if body is not None:
        tpl.add_text(":")
        tokens = _tokenize(body, text, col0)
        if cls is Mixture:
            _mixture_template(tpl, tokens)
        elif not cls.PARAMS:
            raise grammar.fail(head, f"{name} takes no parameters", f"just {name!r}")
        else:
            _params_template(tpl, cls, tokens)
    unused = [n for n in bindings if n not in tpl.used]
    if unused:
        raise _bad(text, f"the bound name {unused[0]!r} is not used in the template",
                   f"{unused[0]} in a value, a weight or an entry")
    axes = tpl.axes + list(bindings.items())
    return tpl, axes


def expand_family(text):
    """The laws of one family, in the order of its axes (the first axis varies slowest)."""
    from mesacheck.setting.distributions import parse_dist

    tpl, axes = parse_family(text)
    count = 1
    for _, values in axes:
        count *= len(values)
    if count > MAX_LAWS:
        raise _bad(text, f"it expands to {count} laws", f"at most {MAX_LAWS}")
    family = text.strip()
    if not axes:  # a single law, not a family: the ordinary grammar's verdict is final
        return [Law(parse_dist(tpl.render({})).spec, (), family)]
    laws = []
    for combo in product(*(values for _, values in axes)):
        env = dict(zip((n for n, _ in axes), combo))
        params = tuple((n, env[n]) for n, _ in axes)
        try:
            spec = tpl.render(env)
        except _Refused as exc:
            laws.append(Law(None, params, family, f"{exc} at " + ", ".join(f"{k}={v}" for k, v in params)))
            continue
        try:
            spec = parse_dist(spec).spec
            reason = None
        except SpecError as exc:
            reason = str(exc)
        laws.append(Law(spec, params, family, reason))
    return laws
