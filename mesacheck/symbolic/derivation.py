"""A derivation as an object: its inputs, its SymPy results, its verdicts, and exports.

The CLI, the Python API (:func:`mesacheck.derive`), the proof scripts and the LaTeX report all
read the same object, so a formula exists once. Results are ordered (name, caption, value) rows;
values are SymPy expressions, lists or dicts of them, or plain values (verdict words, booleans).
Every export goes through the one printer (:mod:`mesacheck.symbolic.printing`).

>>> import sympy
>>> from mesacheck.symbolic.symbols import T
>>> r = Derivation("Example", {"T": "oo"}, kind="example", symbols={"T": T})
>>> _ = r.add("x", "A value", 1 / T, "x")
>>> r.value("x").subs(r.symbols["T"], 4)
1/4
>>> r.to_json()["results"]["x"]["exact"]
'1/T'
"""
import html
from dataclasses import dataclass, field

import sympy

from mesacheck.symbolic import printing


@dataclass
class Result:
    """One derived quantity: a machine name, a human caption, and its value."""

    name: str
    caption: str
    value: object
    latex_lhs: str = ""


@dataclass
class Derivation:
    """Inputs, results and verdicts of one derivation (see module docstring).

    ``kind``: which derivation it is ('reduced', 'diagonal', 'recovery', 'invariance',
    'one-step'), used for the LaTeX captions and labels; ``symbols``: name -> the engine's SymPy
    symbol, for users who substitute values (``r.value("ab_limit_T").subs(r.symbols["T"], 10)``).
    """

    title: str
    inputs: dict
    results: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    symbols: dict = field(default_factory=dict)
    kind: str = ""

    def add(self, name, caption, value, latex_lhs=""):
        """Append a result row and return its value."""
        self.results.append(Result(name, caption, value, latex_lhs))
        return value

    def get(self, name):
        """The value of result ``name`` (KeyError naming the available ones if absent)."""
        for r in self.results:
            if r.name == name:
                return r.value
        raise KeyError(f"no result {name!r}; this derivation has: {', '.join(self.names)}")

    def has(self, name):
        """Whether a result called ``name`` exists."""
        return any(r.name == name for r in self.results)

    def value(self, name):
        """The value of result ``name`` (a SymPy expression, or a list/dict/verdict word)."""
        return self.get(name)

    @property
    def names(self):
        """The result names, in order."""
        return [r.name for r in self.results]

    # -- exports ---------------------------------------------------------------------------
    def to_json(self):
        """JSON-ready dict: each result's caption and its value; formulas as ``exact`` (the plain
        text of the one printer), ``latex``, and ``value`` (a float) when they are numbers."""
        out = {"title": self.title, "kind": self.kind,
               "inputs": {k: _input_text(v) for k, v in self.inputs.items()}, "results": {}}
        for r in self.results:
            out["results"][r.name] = {"caption": r.caption, **_json_value(r.value)}
        out["notes"] = list(self.notes)
        return out

    def latex(self, label_prefix=None, names=None):
        """A LaTeX fragment for any article that loads amsmath: prose with the math in math mode,
        one numbered display per formula labelled ``eq:PREFIX-NAME`` (PREFIX defaults to the
        kind), long displays broken over lines. ``names``: only these results."""
        from mesacheck.symbolic.derivation_tex import fragment

        return fragment(self, label_prefix, names)

    def text(self):
        """Plain text, one result per line block."""
        lines = [self.title, "  inputs: " + ", ".join(f"{k}={_input_text(v)}" for k, v in self.inputs.items())]
        for r in self.results:
            lines.append(f"  {r.caption}:")
            lines.extend("    " + s for s in _text_value(r.value).splitlines())
        lines.extend("  note: " + n for n in self.notes)
        return "\n".join(lines)

    def __str__(self):
        return self.text()

    def _repr_latex_(self):
        """Jupyter: every formula result with its caption, as one MathJax display."""
        rows = []
        for r in self.results:
            if isinstance(r.value, sympy.Basic) and not isinstance(r.value, sympy.logic.boolalg.BooleanAtom):
                lhs = (r.latex_lhs + " = ") if r.latex_lhs else ""
                rows.append(r"\text{%s:} \\ \quad %s%s" % (_mathjax_text(r.caption), lhs, printing.latex(r.value)))
        if not rows:
            return None
        return "$$\\begin{array}{l} %s \\end{array}$$" % r" \\[4pt] ".join(rows)

    def _repr_html_(self):
        """Jupyter: a table of captions and values (formulas typeset by the notebook's MathJax)."""
        cells = []
        for r in self.results:
            v = r.value
            if isinstance(v, sympy.Basic) and not isinstance(v, sympy.logic.boolalg.BooleanAtom):
                shown = r"\(%s\)" % html.escape(printing.latex(v))
            else:
                shown = html.escape(_text_value(v)).replace("\n", "<br>")
            cells.append(f"<tr><td style='text-align:left'>{html.escape(r.caption)}</td>"
                         f"<td style='text-align:left'>{shown}</td></tr>")
        head = html.escape(self.title) + "<br><small>" + html.escape(
            ", ".join(f"{k} = {_input_text(v)}" for k, v in self.inputs.items())) + "</small>"
        return f"<div><b>{head}</b><table>{''.join(cells)}</table></div>"


def _input_text(v):
    return printing.text(v) if isinstance(v, sympy.Basic) else str(v)


def _mathjax_text(s):
    return s.replace("\\", "").replace("{", "(").replace("}", ")").replace("$", "").replace("#", "")


def _json_value(v):
    if isinstance(v, sympy.Tuple):
        v = list(v)
    if isinstance(v, sympy.logic.boolalg.BooleanAtom):
        return {"value": bool(v)}
    if isinstance(v, sympy.Basic):
        out = {"exact": printing.text(v), "latex": printing.latex(v)}
        if not v.free_symbols:
            try:
                out["value"] = float(sympy.N(v, 30)) if v.is_real is not False else None
            except (TypeError, ValueError, AttributeError):
                out["value"] = None
        return out
    if isinstance(v, (list, tuple)):
        return {"items": [_json_value(x) for x in v]}
    if isinstance(v, dict):
        return {"items": {_key_text(k): _json_value(x) for k, x in v.items()}}
    return {"value": v}


def _key_text(k):
    return printing.text(k) if isinstance(k, sympy.Basic) else str(k)


def _text_value(v):
    if isinstance(v, sympy.Basic):
        return printing.text(v)
    if isinstance(v, dict):
        return "\n".join(f"{_key_text(k)}: {_text_value(x)}" for k, x in v.items()) or "(none)"
    if isinstance(v, (list, tuple)):
        return "\n".join(_text_value(x) for x in v) or "(none)"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)
