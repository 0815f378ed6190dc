"""A standalone LaTeX article: the setting (hand-written once), then one section per claim with
the derivations' ``.latex()`` fragments and the verdict table. No formula is copied here: every
derived display comes from a Derivation object."""
import re

from mesacheck import __version__

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{graphicx}
\usepackage{adjustbox}
\usepackage{longtable}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{4pt}
\newcommand{\fitdisplay}[1]{\[\adjustbox{max width=\linewidth}{$\displaystyle #1$}\]}
\title{mesacheck: derivations and verdicts for\\ ``On Mesa-Optimization in Autoregressively Trained Transformers''}
\author{mesacheck %s}
\date{}
\begin{document}
\maketitle
"""

SETTING = r"""
\section*{Setting}
Tokens $x_t\in\mathbb{C}^d$ follow $x_{t+1}=Wx_t$ with $W=\operatorname{diag}(\lambda_1,\dots,\lambda_d)$,
$\lambda_j=e^{i\theta_j}$, $\theta_j$ i.i.d.\ uniform on $[0,2\pi)$, and $x_1\sim\mathcal{D}$ independent of $W$.
The embedding is $e_i=(x_i;x_{i-1})$ with $x_0=0$, $E_t=[e_1,\dots,e_t]$, and the one-layer linear attention
model predicts
\[ \hat y_t = W^{PV} E_t E_t^{H} W^{KQ} e_t/\rho_t,\qquad \rho_t=t-1. \]
The training loss is $L(\theta)=\sum_{t=2}^{T-1}\mathbb{E}\,\tfrac12\|\hat y_t-x_{t+1}\|^2$ and the parameters follow the
gradient flow $\dot\theta=-\nabla L(\theta)$ entry by entry. $A$ is the lower-left $d\times d$ block of $W^{KQ}$ and $B$
the left $d\times d$ block of $W^{PV}$; the initialisation is $A=a_0I$, $B=b_0I$, all other blocks zero.
On $\{A=aI,\,B=bI\}$ one has $\hat y_t=\widehat W_t x_t$ with
$\widehat W_t = \frac{ab}{\rho_t}\sum_{i=1}^{t-1}x_{i+1}x_i^{H}$, one gradient step on
$L_{\mathrm{OLS}}(W)=\tfrac12\sum_{i<t}\|x_{i+1}-Wx_i\|^2$ from $W=0$ with step $ab/\rho_t$.
All expectations over $W$ are exact constant-term extractions ($\mathbb{E}\lambda^n=[n=0]$).
"""

_DISPLAY = re.compile(r"\\\[(.*?)\\\]", re.S)


_ALIGN = re.compile(r"\\begin\{align\*\}(.*?)\\end\{align\*\}", re.S)
_ROW = re.compile(r"^(\s*)(.*?) &= (.*)$", re.M)


def text_keys_in_align(fragment):
    """Derivation.latex() writes text-escaped dict keys (e.g. W\\textasciicircum{}KQ) as the left
    side of align* rows, i.e. in math mode, where text accents are errors: wrap such keys in
    \\text{}. (Workaround for the exporter in mesacheck.symbolic.derivation.)"""
    def fix_row(m):
        key = m.group(2)
        if "\\textascii" in key or "\\textbackslash" in key:
            key = r"\text{%s}" % key
        return f"{m.group(1)}{key} &= {m.group(3)}"

    return _ALIGN.sub(lambda m: m.group(0).replace(m.group(1), _ROW.sub(fix_row, m.group(1))), fragment)


def fit_displays(fragment):
    """Wrap every \\[ ... \\] display so that a display wider than the line is scaled to fit."""
    def repl(m):
        body = m.group(1).strip()
        if len(body) < 60:
            return m.group(0)
        return r"\fitdisplay{%s}" % body
    return _DISPLAY.sub(repl, fragment)


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
        "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}


def tex_escape(text):
    """Plain text -> LaTeX text mode."""
    return "".join(_TEX.get(ch, ch) for ch in str(text))


def verdict_table(report):
    """The claim's checks as a longtable: statement, method, result, tolerance, time, detail."""
    rows = [r"\begin{longtable}{p{0.38\linewidth}llp{0.17\linewidth}r}",
            r"\textbf{statement} & \textbf{method} & \textbf{result} & \textbf{tolerance} & \textbf{time}\\ \hline \endhead"]
    for c in report.checks:
        rows.append(r"%s & %s & \textbf{%s} & %s & %.2fs\\" % (
            tex_escape(c.statement), tex_escape(c.method), c.status.upper(), tex_escape(c.tolerance), c.seconds))
        detail = c.detail if len(c.detail) <= 300 else c.detail[:297] + "..."
        rows.append(r"\multicolumn{5}{p{0.95\linewidth}}{\footnotesize %s}\\[2pt]" % tex_escape(detail))
    rows.append(r"\end{longtable}")
    verdict = "PASS" if report.passed else "FAIL"
    n_pass = sum(c.status == "pass" for c in report.checks)
    rows.append(r"\textbf{Verdict: %s} (%d of %d checks pass)." % (verdict, n_pass, len(report.checks)))
    return "\n".join(rows)


def claim_section(report):
    """One claim: a section with its derivations and its verdict table."""
    out = [r"\section{%s: %s}" % (report.claim, tex_escape(report.title))]
    for label, der in report.derivations:
        out.append(r"\paragraph{Derivation: %s.}" % tex_escape(label))
        try:
            out.append(fit_displays(text_keys_in_align(der.latex())))
        except Exception as exc:  # noqa: BLE001 - the report must still compile
            out.append(r"\emph{(LaTeX export failed: %s)}" % tex_escape(exc))
    out.append(r"\subsection*{Verdicts}")
    out.append(verdict_table(report))
    return "\n".join(out)


def document(reports):
    """The whole article as one string."""
    parts = [PREAMBLE % tex_escape(__version__), SETTING]
    for k, rep in enumerate(reports):
        parts.append(r"\clearpage")
        parts.append(claim_section(rep))
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"
