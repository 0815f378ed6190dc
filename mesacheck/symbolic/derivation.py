"""A derivation as an object: its inputs, its SymPy results, its verdicts, and exports.

The CLI, the proof scripts and the LaTeX report all read the same object, so a formula exists
once. Results are ordered (name, caption, value) rows; values are SymPy expressions, lists of
them, or plain Python values.
"""
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
    """Inputs, results and verdicts of one derivation (see module docstring)."""

    title: str
    inputs: dict
    results: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    #: name -> the engine's SymPy symbol, for users who substitute values (``r.symbols["T"]``)
    symbols: dict = field(default_factory=dict)

    def add(self, name, caption, value, latex_lhs=""):
        """Append a result row and return its value."""
        self.results.append(Result(name, caption, value, latex_lhs))
        return value

    def get(self, name):
        """The value of result ``name`` (KeyError if absent)."""
        for r in self.results:
            if r.name == name:
                return r.value
        raise KeyError(name)

    def has(self, name):
        """Whether a result called ``name`` exists."""
        return any(r.name == name for r in self.results)

    def value(self, name):
        """Alias of :meth:`get` (the value of result ``name``)."""
        return self.get(name)

    def _repr_latex_(self):
        body = "\\\\ ".join(
            r"\text{%s:}\ %s" % (_tex_escape(r.caption[:80]), printing.latex(r.value))
            for r in self.results if _is_sym(r.value))
        return r"$\displaystyle \begin{array}{l} %s \end{array}$" % body if body else None

    # -- exports ---------------------------------------------------------------------------
    def to_json(self):
        """JSON-ready dict: exact values as SymPy-parsable strings, with floats where numeric."""
        out = {"title": self.title, "inputs": {k: str(v) for k, v in self.inputs.items()}, "results": {}}
        for r in self.results:
            out["results"][r.name] = {"caption": r.caption, **_json_value(r.value)}
        out["notes"] = list(self.notes)
        return out

    def latex(self):
        """A LaTeX fragment (no preamble): one display per result, captions as text."""
        lines = [r"\subsection*{%s}" % _tex_escape(self.title)]
        for r in self.results:
            lines.append(_tex_escape(r.caption) + ":")
            lines.append(_latex_value(r.value, r.latex_lhs))
        for n in self.notes:
            lines.append(r"\noindent " + _tex_escape(n) + r"\par")
        return "\n".join(lines)

    def text(self):
        """Plain text, one result per line block."""
        lines = [self.title, "  inputs: " + ", ".join(f"{k}={v}" for k, v in self.inputs.items())]
        for r in self.results:
            lines.append(f"  {r.caption}:")
            lines.extend("    " + s for s in _text_value(r.value).splitlines())
        lines.extend("  note: " + n for n in self.notes)
        return "\n".join(lines)


def _is_sym(v):
    return isinstance(v, sympy.Basic)


def _json_value(v):
    if isinstance(v, sympy.Tuple):
        v = list(v)
    if _is_sym(v):
        out = {"exact": printing.text(v)}
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


def _latex_value(v, lhs=""):
    if _is_sym(v):
        body = printing.latex(v)
        return r"\[ %s%s \]" % (lhs + " = " if lhs else "", body)
    if isinstance(v, dict):
        rows = [r"  %s &= %s \\" % (printing.latex(k) if _is_sym(k) else r"\text{%s}" % _tex_escape(str(k)), _inline(x))
                for k, x in v.items()]
        return "\\begin{align*}\n" + "\n".join(rows) + "\n\\end{align*}" if rows else r"\emph{(none)}"
    if isinstance(v, (list, tuple)):
        if not v:
            return r"\emph{(none)}"
        return "\\begin{itemize}\n" + "\n".join(r"\item " + _inline(x, math=True) for x in v) + "\n\\end{itemize}"
    if isinstance(v, bool):
        return r"\textbf{%s}" % ("yes" if v else "no")
    return _tex_escape(str(v))


def _inline(v, math=False):
    if _is_sym(v):
        return ("$%s$" % printing.latex(v)) if math else printing.latex(v)
    if isinstance(v, (list, tuple)):
        return ", ".join(_inline(x, math) for x in v)
    return (r"\text{%s}" % _tex_escape(str(v))) if not math else _tex_escape(str(v))


def _key_text(k):
    return printing.text(k) if _is_sym(k) else str(k)


def _text_value(v):
    if _is_sym(v):
        return printing.text(v)
    if isinstance(v, dict):
        return "\n".join(f"{_key_text(k)}: {_text_value(x)}" for k, x in v.items()) or "(none)"
    if isinstance(v, (list, tuple)):
        return "\n".join(_text_value(x) for x in v) or "(none)"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _tex_escape(s):
    return "".join(_TEX.get(ch, ch) for ch in s)
