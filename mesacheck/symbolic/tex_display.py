"""Numbered, labelled LaTeX displays of SymPy results, broken over lines when they are long.

Only amsmath environments are used (``equation``, ``split``, ``multline``, ``align``), so a
fragment pastes into any article that loads amsmath. A display wider than the line is broken at
the top-level ``+``/``-`` of a sum (also inside the bracket of ``c (t_1 + t_2 + ...)`` and of a
fraction's numerator), or at the commas of a tuple; the width of a LaTeX string is estimated by
:func:`tex_width` in units of about one digit of the 11pt text font (conservative: a display
estimated to fit has been checked to give no overfull box in the report).

>>> import sympy
>>> from mesacheck.symbolic.symbols import u
>>> print(equation("g(u)", u**2 - 2*u + 1, "eq:ex-loss"))
\\begin{equation}\\label{eq:ex-loss}
  g(u) = u^{2} - 2 u + 1
\\end{equation}
"""
import re

import sympy

from mesacheck.symbolic.printing import MesaLatexPrinter, decimal_latex, latex

#: width (tex_width units) of one display line, leaving room for the equation number: a standard
#: one-column article (360pt at 11pt); the report, with 2.2 cm margins, uses REPORT_WIDTH
LINE_WIDTH = 54
REPORT_WIDTH = 68
_CMD = re.compile(r"\\([A-Za-z]+|.)")
_ZERO = {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "displaystyle",
         "limits", "nolimits", "quad", "qquad", "label", "notag", "nonumber", "phantom"}
_WIDE = {"sum": 2.0, "prod": 2.0, "int": 1.5, "quad": 2.0, "qquad": 4.0, "cdot": 1.6, "times": 2.2,
         "neq": 2.2, "le": 2.2, "ge": 2.2, "to": 2.2, "infty": 1.6}
_ARG_WIDTH = {"operatorname", "mathrm", "text", "mathbf", "overline", "hat", "widehat", "dot",
              "bar", "tilde", "mathit", "boldsymbol"}


def _group(s, i):
    """(content, index after) of the brace group starting at s[i] == '{' (or one token)."""
    if i >= len(s):
        return "", i
    if s[i] != "{":
        if s[i] == "\\":
            m = _CMD.match(s, i)
            return m.group(0), m.end()
        return s[i], i + 1
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "{" and (j == 0 or s[j - 1] != "\\"):
            depth += 1
        elif s[j] == "}" and s[j - 1] != "\\":
            depth -= 1
            if depth == 0:
                return s[i + 1:j], j + 1
    return s[i + 1:], len(s)


def tex_width(s):
    """Estimated printed width of a LaTeX math string (units of about one digit).

    >>> tex_width(r"\\frac{1}{5}") < tex_width("12345")
    True
    """
    w, i = 0.0, 0
    while i < len(s):
        ch = s[i]
        if ch == "\\":
            m = _CMD.match(s, i)
            name, i = m.group(1), m.end()
            if name == "frac" or name == "dfrac" or name == "tfrac":
                a, i = _group(s, i)
                b, i = _group(s, i)
                w += max(tex_width(a), tex_width(b)) + 0.6
            elif name == "sqrt":
                a, i = _group(s, i)
                w += tex_width(a) + 1.2
            elif name in _ARG_WIDTH:
                a, i = _group(s, i)
                w += tex_width(a) if name not in ("text", "operatorname", "mathrm") else len(a) * 1.0
            elif name in _ZERO:
                if name in ("label", "phantom"):
                    _, i = _group(s, i)
                w += _WIDE.get(name, 0.0)
            elif name in (",", ":", ";", " ", "!"):
                w += 0.35
            else:
                w += _WIDE.get(name, 1.1)
        elif ch in "^_":
            a, i = _group(s, i + 1)
            w += 0.72 * tex_width(a)
        elif ch in "{}":
            i += 1
        elif ch in "+-=<>":
            w += 2.0
            i += 1
        elif ch in ",.;:":
            w += 0.6
            i += 1
        elif ch == " ":
            i += 1
        else:
            w += 1.0
            i += 1
    return w


# -- breaking ---------------------------------------------------------------------------------------
def _terms(expr):
    """Signed LaTeX terms of a sum, in the printer's order: [('+'|'-', tex), ...]."""
    printer = MesaLatexPrinter({"mul_symbol": None})
    out = []
    for term in printer._as_ordered_terms(expr, order=None):
        tex = printer._print(term)
        if tex.startswith("- "):
            out.append(("-", tex[2:]))
        elif tex.startswith("-"):
            out.append(("-", tex[1:]))
        else:
            out.append(("+", tex))
        if isinstance(term, sympy.Add):  # a nested sum printed whole needs its brackets
            out[-1] = (out[-1][0], r"\left(%s\right)" % out[-1][1])
    return out


def _pack(pieces, first_width, width, cont_width=4.0):
    """Greedy lines of pieces [(sep, tex)]; the first line has ``first_width`` already used, each
    continuation line ``cont_width``."""
    lines, cur, used = [], [], first_width
    for sep, tex in pieces:
        piece = ((f" {sep} " if cur or lines or sep == "-" else "") if sep else "") + tex
        pw = tex_width(piece)
        if cur and used + pw > width:
            lines.append(cur)
            cur, used = [], cont_width
            piece = f"{sep} {tex}" if sep else tex
            pw = tex_width(piece)
        cur.append(piece)
        used += pw
    if cur:
        lines.append(cur)
    return ["".join(line).strip() for line in lines]


def broken(expr, width=LINE_WIDTH, first_width=0.0, cont_width=4.0):
    """Lines (LaTeX strings) whose concatenation is ``expr``: one line when it fits, else broken
    at the top-level sum (also inside c (sum) and (sum)/den), or at a tuple's commas.

    >>> from mesacheck.symbolic.symbols import a, b
    >>> len(broken(sum(a**k * b**(20 - k) for k in range(21)), width=40)) > 1
    True
    """
    expr = expr if isinstance(expr, sympy.Basic) else sympy.sympify(expr, strict=True)
    whole = latex(expr)
    if first_width + tex_width(whole) <= width:
        return [whole]
    if isinstance(expr, sympy.Tuple):
        items = [latex(x) for x in expr]
        pieces = [("", (r"\bigl(" if k == 0 else r"\ ") + t + ("," if k < len(items) - 1 else r"\bigr)"))
                  for k, t in enumerate(items)]
        return [ln.strip() for ln in _pack(pieces, first_width, width, cont_width)]
    if isinstance(expr, sympy.Add):
        return _pack(_terms(expr), first_width, width, cont_width)
    num, den = sympy.fraction(sympy.factor_terms(expr))
    coeff, rest = num.as_coeff_Mul() if isinstance(num, sympy.Mul) else (sympy.Integer(1), num)
    inner = None
    if isinstance(rest, sympy.Add):
        inner, outer = rest, coeff
    elif isinstance(rest, sympy.Mul):
        adds = [f for f in rest.args if isinstance(f, sympy.Add)]
        if len(adds) == 1:
            inner, outer = adds[0], coeff * rest / adds[0]
    if inner is not None:
        prefix = latex(outer / den) if (outer / den) != 1 else ""
        if prefix == "-1":
            prefix = "-"
        lines = _pack(_terms(inner), first_width + tex_width(prefix) + 1.5, width, cont_width)
        if len(lines) > 1:
            lines[0] = prefix + r"\Bigl(" + lines[0]
            lines[-1] += r"\Bigr)"
            return lines
    if expr.is_number and expr.is_real and not expr.free_symbols:
        # a number too long for the line (a rational with 80-digit numerator): its decimal
        return [decimal_latex(float(sympy.N(expr, 30))) + r"\ldots\ \text{(exact value in the JSON)}"]
    expanded = sympy.expand(expr)
    if isinstance(expanded, sympy.Add) and len(expanded.args) > 1:
        return _pack(_terms(expanded), first_width, width, cont_width)
    return [whole]


def _label(label):
    return r"\label{%s}" % label if label else ""


def equation(lhs, expr, label, width=LINE_WIDTH):
    """One numbered display ``lhs = expr`` (or ``expr`` alone when lhs is empty; an Equality
    prints as its two sides), broken with split/multline when it does not fit a line."""
    if isinstance(expr, sympy.Equality) and not lhs:
        lhs_expr, expr = expr.lhs, expr.rhs
        if tex_width(latex(lhs_expr)) > tex_width(latex(expr)):
            lines = broken(lhs_expr, width)
            rhs = latex(expr)
            if len(lines) == 1:
                return _single(lines[0] + " = " + rhs, label)
            return _multline(lines[:-1] + [lines[-1] + " = " + rhs], label)
        lhs = latex(lhs_expr)
    lead = (lhs + " = ") if lhs else ""
    lines = broken(expr, width, tex_width(lead), tex_width(lead) + 2.0)
    if len(lines) == 1:
        return _single(lead + lines[0], label)
    if not lhs:
        return _multline(lines, label)
    body = [f"  {lhs} &= {lines[0]}"] + [r"  &\quad " + ln for ln in lines[1:]]
    return ("\\begin{equation}%s\n\\begin{split}\n" % _label(label) + " \\\\\n".join(body)
            + "\n\\end{split}\n\\end{equation}")


def _single(body, label):
    return "\\begin{equation}%s\n  %s\n\\end{equation}" % (_label(label), body)


def _multline(lines, label):
    return "\\begin{multline}%s\n  " % _label(label) + " \\\\\n  ".join(lines) + "\n\\end{multline}"


def align(rows, width=LINE_WIDTH, group_label=None):
    """Numbered rows ``lhs &= rhs`` [(lhs_tex, expr, label)], each broken over several lines if
    long (continuation lines unnumbered); with ``group_label`` the rows are subequations (3a), (3b)
    and the group is referenced as (3)."""
    out = []
    for lhs, expr, label in rows:
        lines = broken(expr, width, tex_width(lhs) + 2.0, tex_width(lhs) + 4.0)
        first = f"  {lhs} &= {lines[0]}" + _label(label)
        out.append(first)
        out.extend(r"  &\quad %s\notag" % ln for ln in lines[1:])
    body = "\\begin{align}\n" + " \\\\\n".join(out) + "\n\\end{align}"
    if group_label:
        return "\\begin{subequations}%s\n%s\n\\end{subequations}" % (_label(group_label), body)
    return body


def equations(rows, width=LINE_WIDTH):
    """Numbered equations ``lhs = rhs`` from SymPy Equalities [(Eq, label)] with long left sides
    (moment equations): each is one align row, its left side broken over lines when long."""
    out = []
    for eq, label in rows:
        rhs = latex(eq.rhs)
        lines = broken(eq.lhs, width - tex_width(rhs) - 2.0)
        if len(lines) == 1:
            out.append(f"  & {lines[0]} = {rhs}" + _label(label))
        else:
            out.append(f"  & {lines[0]} \\notag")
            out.extend(r"  &\quad %s \notag" % ln for ln in lines[1:-1])
            out.append(r"  &\quad %s = %s" % (lines[-1], rhs) + _label(label))
    return "\\begin{align}\n" + " \\\\\n".join(out) + "\n\\end{align}"
