"""The all-claims LaTeX report compiles with a real pdflatex and has >= 7 pages."""
import os
import re
import shutil
import subprocess

import pytest

from mesacheck.checks.runner import run_claims
from mesacheck.checks.verdict import Settings
from mesacheck.cli.cmd_latex import compile_pdf, missing_packages
from mesacheck.output.latex_doc import document, fit_displays

HAVE_PDFLATEX = shutil.which("pdflatex") is not None
#: the report's packages (adjustbox is in texlive-latex-extra, which .ci/run installs).
HAVE_PACKAGES = HAVE_PDFLATEX and not missing_packages(shutil.which("pdflatex"))


def test_fit_displays_wraps_long_only():
    assert fit_displays(r"\[ x \]") == r"\[ x \]"
    long = r"\[ " + "+".join(["x_{%d}" % k for k in range(40)]) + r" \]"
    assert fit_displays(long).startswith(r"\fitdisplay{")


def _pages(pdf):
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
        return int(re.search(r"Pages:\s+(\d+)", out).group(1))
    data = open(pdf, "rb").read()
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_PACKAGES and not os.environ.get("CI"),
                    reason="pdflatex or the report's LaTeX packages missing (required when CI is set)")
def test_all_claims_document_compiles(tmp_path):
    reports = run_claims([], Settings(quick=True), progress=None)
    tex = tmp_path / "report.tex"
    tex.write_text(document(reports))
    ok, pdf_bytes, log = compile_pdf(tex.read_text())
    assert ok, "\n".join(l for l in log.splitlines() if l.startswith("!"))
    assert "Undefined control sequence" not in log
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_bytes)
    assert _pages(str(pdf)) >= 7
    text = tex.read_text()
    assert text.count(r"\clearpage") >= 7 and r"\section{C7" in text


@pytest.mark.skipif(not HAVE_PDFLATEX, reason="pdflatex missing")
@pytest.mark.parametrize("source, refused", [
    ("\\input{/etc/hostname}", "not found"),                                        # absolute read
    ("\\input{../../../../etc/hostname}", "not found"),                               # parent read
    ("\\newwrite\\f\\immediate\\openout\\f=/tmp/PWNED2.tex\\immediate\\write\\f{x}", "write"),   # absolute write
])
def test_paranoid_pdflatex(source, refused):
    """openin_any/openout_any = p: TeX may not read or write outside its private directory."""
    ok, pdf, log = compile_pdf("\\documentclass{article}\\begin{document}x" + source + "\\end{document}\n")
    assert not ok and refused in log and not os.path.exists("/tmp/PWNED2.tex")


@pytest.mark.skipif(not HAVE_PDFLATEX, reason="pdflatex missing")
def test_no_shell_escape():
    marker = "/tmp/mesacheck-shell-escape-marker"
    ok, pdf, log = compile_pdf("\\documentclass{article}\\begin{document}x\\immediate\\write18{touch "
                               + marker + "}\\end{document}\n")
    assert ok and pdf.startswith(b"%PDF-") and not os.path.exists(marker)
