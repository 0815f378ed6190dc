r"""LaTeX of a :class:`~mesacheck.symbolic.derivation.Derivation`: prose with the math in math mode
and one numbered, labelled display per derived formula (amsmath only).

Labels are ``eq:PREFIX-NAME`` (``eq:c2-limit``); the names come from
:mod:`mesacheck.symbolic.captions`. Values that are not formulas (verdict words, how a point was
found) are written as prose; lists of small items inline; dicts as ``align`` rows, one label each.
"""
import re

import sympy

from mesacheck.symbolic import printing
from mesacheck.symbolic.captions import caption
from mesacheck.symbolic.tex_display import LINE_WIDTH, align, equation, equations
from mesacheck.symbolic.tex_prose import math, prose, tt

#: results that repeat another one unless the derivation is for T -> infinity
_ONLY_FOR_LIMIT_T = {("reduced", "ab_limit_T")}
#: at most this many items of a list are written inline
_INLINE_ITEMS = 24
_BLOCK_KEY = re.compile(r"(A|B) = (W\^\w+_\d+)|(W\^\w+_\d+)")


def slug(text):
    """A label-safe slug: letters, digits and '-' only.

    >>> slug("gaussian:sigma=1")
    'gaussian-sigma-1'
    """
    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-").lower() or "x"


def is_limit_T(der):
    """Whether the derivation is for T -> infinity."""
    return str(der.inputs.get("T")) in ("oo", "every T >= 3")


def inputs_sentence(der):
    """'For the law ``spec``, $d = 5$, $T = 100$, unmasked flow.' (LaTeX)."""
    parts = []
    for key, value in der.inputs.items():
        if key == "dist":
            parts.append("the law " + tt(value))
        elif key == "flow":
            parts.append(f"the {value} flow")
        elif key == "T" and str(value) == "oo":
            parts.append(r"$T\to\infty$ (closed forms in $T$)")
        elif key == "T" and str(value).startswith("every"):
            parts.append(r"every $T\ge 3$")
        elif isinstance(value, str) and not re.fullmatch(r"[A-Za-z0-9]+", value):
            parts.append(prose(f"{key} = {value}"))
        else:
            parts.append(f"${key} = {_value_tex(value)}$")
    return "For " + ", ".join(parts) + "."


def _value_tex(v):
    if isinstance(v, sympy.Basic):
        return printing.latex(v)
    if isinstance(v, int):
        return str(v)
    return math(str(v))


def key_tex(k):
    """LaTeX of a dict key: a SymPy symbol, a matrix entry 'A = W^KQ_21 (1,2)', or plain notation."""
    if isinstance(k, sympy.Basic):
        return printing.latex(k)
    text = str(k)
    m = re.fullmatch(r"(.+?) \((\d+),(\d+)\)", text)
    if m:
        block = _BLOCK_KEY.match(m.group(1))
        name = (block.group(1) or block.group(3)) if block else m.group(1)
        index = m.group(2) + m.group(3) if len(m.group(2) + m.group(3)) == 2 else m.group(2) + "," + m.group(3)
        base = math(name) if len(name) == 1 else "(%s)" % math(name)
        return r"\partial L/\partial %s_{%s}" % (base, index)
    return math(text)


def _key_plain(k):
    return printing.text(k) if isinstance(k, sympy.Basic) else str(k)


def _word(v):
    if isinstance(v, (bool, sympy.logic.boolalg.BooleanAtom)):
        return "yes" if bool(v) else "no"
    return prose(str(v))


def result_latex(der, r, prefix, width=LINE_WIDTH):
    """LaTeX of one result (caption prose, then its display or inline value), or '' to skip;
    displays are broken to ``width`` (tex_width units)."""
    limit_T = is_limit_T(der)
    if (der.kind, r.name) in _ONLY_FOR_LIMIT_T and not limit_T:
        return ""
    cap = caption(der.kind, r.name, limit_T)
    text = cap.tex.replace("{p}", slug(prefix)) if cap else prose(r.caption) + ":"
    lhs = cap.lhs if cap else r.latex_lhs
    label_name = cap.label if cap and cap.label else r.name.replace("_", "-")
    label = f"eq:{slug(prefix)}-{slug(label_name)}"
    after = cap.after if cap else ""
    v = r.value
    if isinstance(v, (bool, str, sympy.logic.boolalg.BooleanAtom)) and not isinstance(v, sympy.Expr):
        return _join(text, _word(v) + ".")
    if isinstance(v, (list, tuple)) and not isinstance(v, sympy.Tuple):
        if not v:
            return _join(text, "none.")
        if all(isinstance(x, sympy.Equality) for x in v):
            rows = [(x, f"{label}-{k + 1}") for k, x in enumerate(v)]
            return _join(text, equations(rows, width), after)
        items = [f"${printing.latex(x)}$" if isinstance(x, sympy.Basic) else f"${math(str(x))}$" for x in v]
        more = f" and {len(items) - _INLINE_ITEMS} more" if len(items) > _INLINE_ITEMS else ""
        return _join(text, ", ".join(items[:_INLINE_ITEMS]) + more + ".")
    if isinstance(v, dict):
        if not v:
            return _join(text, "none.")
        if all(not isinstance(x, sympy.Basic) for x in v.values()):
            return _join(text, "; ".join(f"${key_tex(k)}$: {prose(str(x))}" for k, x in v.items()) + ".")
        rows, seen = [], set()
        for k, x in v.items():
            suffix = slug(k.name if isinstance(k, sympy.Symbol) else _key_plain(k).replace("!=", " ne "))
            while suffix in seen:  # two keys with the same slug still get distinct labels
                suffix += "-x"
            seen.add(suffix)
            key = (cap.key if cap else "%s") % key_tex(k)
            rows.append((key, x, f"{label}-{suffix}"))
        return _join(text, align(rows, width, group_label=label if len(rows) > 1 else None), after)
    if isinstance(v, sympy.Basic):
        return _join(text, equation(lhs, v, label, width), after)
    return _join(text, prose(str(v)) + ".")


def _join(*parts):
    return "\n".join(p for p in parts if p)


def fragment(der, prefix=None, names=None, heading=True, width=LINE_WIDTH):
    """The derivation as a LaTeX fragment for any article with amsmath: a heading, the inputs,
    each result (or only ``names``), and the notes. Labels ``eq:PREFIX-...`` (PREFIX defaults to
    the derivation's kind)."""
    prefix = prefix or slug(der.kind or "derivation")
    out = []
    if heading:
        out.append(r"\paragraph{%s.}" % prose(der.title))
    out.append(inputs_sentence(der))
    chosen = der.results if names is None else [r for n in names for r in der.results if r.name == n]
    for r in chosen:
        piece = result_latex(der, r, prefix, width)
        if piece:
            out.append(piece)
    for note in der.notes:
        out.append(prose(note))
    return "\n\n".join(out) + "\n"
