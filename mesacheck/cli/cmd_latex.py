"""``mesacheck latex [CLAIM ...] -o FILE.tex [--pdf] [--dist SPEC]``: the derivations and verdicts as
an appendix-style article (built by :mod:`mesacheck.output.latex`; compiled by :func:`compile_pdf`)."""
import argparse
import textwrap
import os
import re
import shutil
import subprocess
import sys
import tempfile

from mesacheck.checks.runner import normalise_claims, run_claims
from mesacheck.checks.verdict import Settings
from mesacheck import fileio
from mesacheck.cli.common import add_budget_option, check_dist_fits, int_at_least
from mesacheck.errors import EXIT_TIMEOUT, InputError
from mesacheck.output.latex import document
from mesacheck.output.latex.preamble import PREAMBLE
from mesacheck.setting.distributions import parse_dist


def add_parser(subparsers):
    """Register the ``latex`` subcommand."""
    parser = subparsers.add_parser(
        "latex",
        help="write the derivations and verdicts of claims as a LaTeX article",
        description=textwrap.fill(
            "Run the checks of the given claims (default all), then write a standalone LaTeX "
            "article: the setting, the notation, and per claim its statement (with the paper's "
            "numbering), the assumptions in force, the derivation as numbered labelled equations, and "
            "a verdict table. With --dist every claim is stated for that law; a claim about another "
            "law is marked not applicable, with the law's own derived values. Needs "
            "texlive-latex-base and texlive-latex-recommended only.", 90),
        epilog="examples:\n  mesacheck latex -o derivations.tex --pdf\n"
        "  mesacheck latex --dist laplace:b=1 -o laplace.tex --pdf\n"
        "  mesacheck latex C2 C3 -o c2c3.tex",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("claims", nargs="*", metavar="CLAIM", help="C1..C7; default all")
    parser.add_argument("-o", "--output", required=True, help="the .tex file to write")
    parser.add_argument("--pdf", action="store_true", help="also run pdflatex (needs pdflatex on PATH)")
    parser.add_argument("--dist", metavar="SPEC", help="state every claim for this law (see `mesacheck dists`)")
    parser.add_argument("--d", type=int_at_least(1, 64), help="token dimension override")
    parser.add_argument("--T", type=int_at_least(3, 10**6), help="training length override")
    parser.add_argument("--seed", type=int_at_least(0), default=0)
    parser.add_argument("--full", action="store_true", help="full-size checks (default: --quick sizes)")
    add_budget_option(parser, "latex")
    parser.set_defaults(func=run)
    return parser


#: the fixed name compiled in the private directory: no user text (a file name included) reaches TeX.
TEX_NAME = "mesacheck-report"
#: pdflatex runs (two: the longtables and cross references settle on the second).
PDFLATEX_RUNS = 2
PDFLATEX_TIMEOUT_S = 300


def pdflatex_command(exe):
    """The pdflatex command line: no shell escape, no interaction, stop at the first error."""
    return [exe, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", TEX_NAME + ".tex"]


def pdflatex_env():
    """The environment of pdflatex: kpathsea's paranoid mode for reading and writing files
    (openin_any/openout_any = p: no absolute paths, no parent directories, no dot files) and
    shell escape off, whatever texmf.cnf says."""
    env = dict(os.environ)
    env.update(openin_any="p", openout_any="p", shell_escape="f", shell_escape_commands="")
    env.pop("TEXMFOUTPUT", None)
    return env


def required_packages(preamble=PREAMBLE):
    """The .sty files the report's preamble loads (\\usepackage{a,b} -> a.sty, b.sty)."""
    # packages loaded only \IfFileExists are optional (lmodern): not required
    required = "\n".join(line for line in preamble.splitlines() if "\\IfFileExists" not in line)
    names = re.findall(r"\\usepackage(?:\[[^\]]*\])?\{([^}]*)\}", required)
    return [n.strip() + ".sty" for group in names for n in group.split(",") if n.strip()]


def missing_packages(exe):
    """The required .sty files kpsewhich cannot find (kpsewhich beside pdflatex; [] if it is absent)."""
    kpsewhich = shutil.which("kpsewhich", path=os.path.dirname(exe)) or shutil.which("kpsewhich")
    needed = required_packages()
    if kpsewhich is None or not needed:
        return []
    try:
        proc = subprocess.run([kpsewhich, *needed], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return []
    found = {os.path.basename(line.strip()) for line in proc.stdout.splitlines() if line.strip()}
    return [n for n in needed if n not in found]


def compile_pdf(text):
    """Compile the LaTeX source ``text`` in a private temporary directory under the fixed name
    TEX_NAME; return (ok, pdf bytes or None, log text). ok is None when pdflatex is missing."""
    exe = shutil.which("pdflatex")
    if exe is None:
        return None, None, ""
    tmp = tempfile.mkdtemp(prefix="mesacheck-latex-")
    try:
        with open(os.path.join(tmp, TEX_NAME + ".tex"), "w", encoding="utf-8") as fh:
            fh.write(text)
        ok, out = True, ""
        for _ in range(PDFLATEX_RUNS):
            try:
                proc = subprocess.run(pdflatex_command(exe), cwd=tmp, env=pdflatex_env(), capture_output=True,
                                      text=True, errors="replace", timeout=PDFLATEX_TIMEOUT_S,
                                      stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                return False, None, f"! pdflatex did not finish within {PDFLATEX_TIMEOUT_S} s"
            out = proc.stdout
            if proc.returncode != 0:
                ok = False
                break
        log_path = os.path.join(tmp, TEX_NAME + ".log")
        log = out
        if os.path.exists(log_path):
            with open(log_path, errors="replace") as fh:
                log = fh.read()
        pdf_path = os.path.join(tmp, TEX_NAME + ".pdf")
        if ok and os.path.exists(pdf_path):
            with open(pdf_path, "rb") as fh:
                return True, fh.read(), log
        return False, None, log
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args):
    """Write the .tex (and the PDF with --pdf): exit 0 on success, 2 if pdflatex is missing, 3 if
    pdflatex fails on the generated document (an internal error)."""
    claims = normalise_claims(args.claims)
    tex_path = fileio.check_output_path(args.output, "-o", suffixes=(".tex",))
    pdf_path = None
    if args.pdf:
        pdf_path = fileio.check_output_path(os.path.splitext(tex_path)[0] + ".pdf", "-o (its .pdf)")
        exe = shutil.which("pdflatex")
        if exe is None:
            raise InputError("--pdf: pdflatex not found on PATH (install TeX Live, or drop --pdf)")
        missing = missing_packages(exe)
        if missing:
            raise InputError(f"--pdf: LaTeX packages the report needs are not installed: {', '.join(missing)} "
                             "(Debian/Ubuntu: texlive-latex-base and texlive-latex-recommended), or drop --pdf")
    spec = parse_dist(args.dist).spec if args.dist is not None else None  # bad spec: exit 2, not a FAIL
    if args.dist is not None:
        check_dist_fits(args.dist, args.d)  # an input error is exit 2, not a failed check
    settings = Settings(dist=spec, d=args.d, T=args.T, quick=not args.full, seed=args.seed)
    reports = run_claims(claims, settings, progress=sys.stderr)
    print("[latex] writing the document...", file=sys.stderr, flush=True)
    text = document(reports, dist=spec)
    print(f"wrote {fileio.write_text(tex_path, text)}")
    if not args.pdf:
        return 0
    ok, pdf, log = compile_pdf(text)
    if not ok:
        errors = [line for line in log.splitlines() if line.startswith("!")][:3]
        print(f"mesacheck: internal error: pdflatex failed on the generated report: "
              f"{' | '.join(errors) or 'no error line in its log'} (please report)", file=sys.stderr)
        return EXIT_TIMEOUT
    print(f"wrote {fileio.write_bytes(pdf_path, pdf)}")
    return 0
