"""One compact verdict table per claim: for every check its id and method, the statement with its two
routes, each compared quantity with the value of route 1 and of route 2, the tolerance, and the
result; statements that do not apply to the law are listed as not applicable, with the reason.
"""
import re

from mesacheck.symbolic.tex_prose import prose, text_escape, tt

#: compared quantities shown per check (the rest are in the JSON of ``verify``)
MAX_COMPARED = 4
_HEAD = (r"\begin{longtable}{@{}L{0.17\linewidth}L{0.17\linewidth}L{0.19\linewidth}L{0.19\linewidth}"
         r"L{0.13\linewidth}L{0.06\linewidth}@{}}" "\n" r"\toprule" "\n"
         r"\textbf{check} & \textbf{quantity} & \textbf{route 1} & \textbf{route 2} & \textbf{tolerance} & "
         r"\textbf{result}\\ \midrule \endhead" "\n" r"\bottomrule \endfoot")
#: the width of a row spanning all six columns, and of the four middle ones (tabcolsep 3pt)
_FULL = r"\dimexpr 0.91\linewidth+30pt\relax"
_MIDDLE = r"\dimexpr 0.68\linewidth+18pt\relax"
_RESULT = {"pass": "PASS", "fail": r"\textbf{FAIL}", "undefined": "undefined", "timeout": "timeout",
           "failed": r"\textbf{error}"}


def value_tex(v, specs=()):
    """A compared value: its LaTeX form when the checks recorded one, else prose of its text."""
    tex = getattr(v, "latex", None)
    if tex:
        # \bigl( ... \bigr) instead of \left( ... \right): inline math can then break inside
        tex = tex.replace(r"\left(", r"\bigl(").replace(r"\right)", r"\bigr)")
        tex = re.sub(r",\s*\\ ", r",\\allowbreak\\ ", tex)
        return f"${tex}$"
    return prose(str(v), specs)


def check_id_tex(full_id):
    """A check id without its claim prefix: its name, and its law tag on a line of its own."""
    name = full_id.split(".", 1)[1] if "." in full_id else full_id
    base, _, tag = name.partition("[")
    out = r"\texttt{%s}" % text_escape(base).replace("-", r"-\allowbreak{}")
    if tag:
        out += r"\newline{\scriptsize %s}" % tt("[" + tag).replace(":", r":\allowbreak{}")
    return out


def _check_rows(c, specs):
    rows = []
    head = check_id_tex(c.id) + r"\newline {\scriptsize %s}" % text_escape(c.method)
    compared = list(c.compared)[:MAX_COMPARED]
    more = len(c.compared) - len(compared)
    routes = (prose(c.statement, specs) + r". \emph{Route 1:} " + prose(c.route1, specs)
              + r". \emph{Route 2:} " + prose(c.route2, specs) + ".")
    rows.append(r"\multicolumn{6}{@{}L{%s}@{}}{\scriptsize %s}\\*" % (_FULL, routes))
    tol = prose(c.tolerance, specs)
    result = _RESULT.get(c.status, text_escape(c.status))
    if not compared:
        rows.append(r"%s & -- & -- & -- & %s & %s\\" % (head, tol, result))
    for k, (q, v1, v2) in enumerate(compared):
        first = k == 0
        rows.append(r"%s & %s & %s & %s & %s & %s\\%s" % (
            head if first else "", prose(q, specs), value_tex(v1, specs), value_tex(v2, specs),
            tol if first else "", result if first else "", "*" if k < len(compared) - 1 else ""))
    if more:
        rows.append(r"& \emph{and %d more (JSON)} & & & & \\" % more)
    if c.status != "pass" and c.detail:
        detail = c.detail if len(c.detail) <= 400 else c.detail[:397] + "..."
        rows.append(r"\multicolumn{6}{@{}L{%s}@{}}{\scriptsize %s}\\" % (_FULL, prose(detail, specs)))
    rows.append(r"\addlinespace[3pt]")
    return rows


def verdict_table(report, specs=()):
    """The claim's checks and skipped statements as one longtable, then the claim's verdict."""
    rows = [r"{\footnotesize\setlength{\tabcolsep}{3pt}", _HEAD]
    for c in report.checks:
        rows.extend(_check_rows(c, specs))
    for s in report.skipped:
        rows.append(r"%s & \multicolumn{4}{L{%s}}{%s: %s} & N/A\\" % (
            check_id_tex(s["id"]), _MIDDLE, prose(s["statement"], specs), prose(s["reason"], specs)))
    rows.append(r"\end{longtable}}")
    n_pass = sum(c.status == "pass" for c in report.checks)
    n_mc = sum(1 for c in report.checks if c.false_failure is not None)
    line = r"\noindent Verdict of \texttt{mesacheck verify %s}: \textbf{%s} (%d of %d checks pass" % (
        report.claim, report.verdict, n_pass, len(report.checks))
    if report.skipped:
        line += f"; {len(report.skipped)} statement{'s' if len(report.skipped) > 1 else ''} not applicable"
    line += ")."
    if n_mc:
        line += (r" Monte Carlo checks: %d; the probability that any of them fails although the claim "
                 r"holds is at most $%s$ (union bound)." % (n_mc, _sci(report.false_failure)))
    rows.append(line)
    return "\n".join(rows)


def _sci(x):
    mant, exp = f"{x:.1e}".split("e")
    return r"%s\times 10^{%d}" % (mant, int(exp))


def summary_table(reports, specs=(), applies=None):
    """One row per claim: statement, verdict of ``verify``, checks passed; with ``applies``
    (claim -> None or the reason it is not about the law) a column says whether the claim applies."""
    law_col = applies is not None
    cols = r"@{}lL{0.4\linewidth}L{0.25\linewidth}lr@{}" if law_col else r"@{}lL{0.55\linewidth}lr@{}"
    head = (r"\textbf{claim} & \textbf{statement} & " + (r"\textbf{about this law?} & " if law_col else "")
            + r"\textbf{verdict} & \textbf{checks}\\ \midrule \endhead")
    rows = [r"\begin{longtable}{%s}" % cols, r"\toprule", head, r"\bottomrule \endfoot"]
    for rep in reports:
        n_pass = sum(c.status == "pass" for c in rep.checks)
        title = rep.title.split(" [", 1)[0]
        cell = ""
        if law_col:
            why = applies.get(rep.claim)
            cell = ("yes" if why is None else r"no: %s" % why) + " & "
        rows.append(r"%s & %s & %s%s & %d/%d\\" % (rep.claim, prose(title, specs), cell, rep.verdict, n_pass,
                                                   len(rep.checks)))
    rows.append(r"\end{longtable}")
    return "\n".join(rows)


__all__ = ["verdict_table", "summary_table", "value_tex", "tt"]
