"""The all-claims LaTeX report compiles with a real pdflatex and has >= 7 pages."""
import os
import re
import shutil
import subprocess

import pytest

from mesacheck.checks.runner import run_claims
from mesacheck.checks.verdict import Settings
from mesacheck.cli.cmd_latex import compile_pdf
from mesacheck.output.latex_doc import document, fit_displays

HAVE_PDFLATEX = shutil.which("pdflatex") is not None


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
@pytest.mark.skipif(not HAVE_PDFLATEX and not os.environ.get("CI"),
                    reason="pdflatex missing (required when CI is set)")
def test_all_claims_document_compiles(tmp_path):
    reports = run_claims([], Settings(quick=True), progress=None)
    tex = tmp_path / "report.tex"
    tex.write_text(document(reports))
    ok, pdf, log = compile_pdf(str(tex))
    assert ok, "\n".join(l for l in log.splitlines() if l.startswith("!"))
    assert "Undefined control sequence" not in log
    assert _pages(pdf) >= 7
    text = tex.read_text()
    assert text.count(r"\clearpage") >= 7 and r"\section{C7" in text
