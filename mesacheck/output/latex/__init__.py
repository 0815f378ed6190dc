"""The LaTeX report of ``mesacheck latex``: an appendix with the setting, the notation, how the
checks work, and one section per claim (statement with the paper's numbering, assumptions in force,
derivation as numbered labelled equations, verdict table).

:func:`document` builds it from the claim reports of :func:`mesacheck.checks.runner.run_claims`;
``dist`` names the user's law when the report is for one law (``mesacheck latex --dist SPEC``).
"""
from mesacheck.output.latex.claims import Context, applicability, claim_section
from mesacheck.output.latex.preamble import CHECKS, NOTATION, SETTING, intro, preamble
from mesacheck.output.latex.verdicts import summary_table
from mesacheck.symbolic.tex_prose import tt


def document(reports, dist=None):
    """The whole article as one string (LaTeX, base + recommended packages only)."""
    specs = (dist,) if dist else ()
    ctx = Context(dist=dist, specs=specs)
    if dist:
        subtitle = r"for the initial-token law %s" % tt(dist)
        scope = (r"This report is for the law %s: every claim is stated for it, and a claim about "
                 r"another law is marked not applicable, with this law's own derived values." % tt(dist))
    else:
        subtitle = "for the laws of the paper's experiments"
        scope = (r"Each claim is checked for the law of the paper's experiments that it is about "
                 r"(C7: for several laws the paper did not try).")
    applies = {rep.claim: applicability(rep, dist) for rep in reports} if dist else None
    parts = [preamble(subtitle), intro(scope), r"\subsection*{Summary of the verdicts}",
             summary_table(reports, specs, applies)]
    if applies and any(v is not None for v in applies.values()):
        parts.append(r"A claim about another law is not applicable to this one; the verdict of "
                     r"\texttt{mesacheck verify} is then that of its checks of this law's own values "
                     r"(and, for C6, of statements that presuppose a law that leaves the set).")
    parts += [SETTING, NOTATION, CHECKS]
    for rep in reports:
        parts.append(r"\clearpage")
        parts.append(claim_section(rep, ctx))
    parts.append(r"\end{document}")
    return "\n\n".join(parts) + "\n"


__all__ = ["document"]
