"""``mesacheck latex [CLAIM ...] -o FILE.tex [--pdf] [--dist SPEC]``: the derivations and verdicts as
an appendix-style article (built by :mod:`mesacheck.output.latex`; compiled by :func:`compile_pdf`)."""
import argparse
import textwrap
import os
import shutil
import subprocess
import sys
import tempfile

from mesacheck.checks.runner import normalise_claims, run_claims
from mesacheck.checks.verdict import Settings
from mesacheck.cli.common import check_writable, int_at_least
from mesacheck.errors import InputError
from mesacheck.fileio import check_output_path, write_text
from mesacheck.output.latex_doc import document
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
    parser.set_defaults(func=run)
    return parser


def compile_pdf(tex_path):
    """Run pdflatex twice in a temp dir; copy the PDF beside the .tex. Returns (ok, pdf path, log)."""
    exe = shutil.which("pdflatex")
    if exe is None:
        return None, None, ""
    out_dir = os.path.dirname(os.path.abspath(tex_path))
    base = os.path.splitext(os.path.basename(tex_path))[0]
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(tex_path, os.path.join(tmp, base + ".tex"))
        ok = True
        for _ in range(2):
            proc = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", base + ".tex"],
                                  cwd=tmp, capture_output=True, text=True, timeout=300)
            ok = ok and proc.returncode == 0
            if not ok:
                break
        log_path = os.path.join(tmp, base + ".log")
        log = open(log_path, errors="replace").read() if os.path.exists(log_path) else proc.stdout
        shutil.copy(log_path, os.path.join(out_dir, base + ".log")) if os.path.exists(log_path) else None
        pdf = os.path.join(tmp, base + ".pdf")
        target = os.path.join(out_dir, base + ".pdf")
        if ok and os.path.exists(pdf):
            shutil.copy(pdf, target)
            return True, target, log
        return False, None, log


def run(args):
    """Write the .tex (and the PDF with --pdf); exit 0 on success, 2 if pdflatex is missing."""
    claims = normalise_claims(args.claims)
    if not args.output.endswith(".tex"):
        raise InputError(f"-o must name a .tex file, got {args.output!r}")
    spec = parse_dist(args.dist).spec if args.dist is not None else None  # bad spec: exit 2, not a FAIL
    check_output_path(args.output, "-o", (".tex",))
    check_writable(args.output, "-o")  # also probes what os.access cannot tell (e.g. /proc as root)
    settings = Settings(dist=spec, d=args.d, T=args.T, quick=not args.full, seed=args.seed)
    reports = run_claims(claims, settings, progress=sys.stderr)
    print("[latex] writing the document...", file=sys.stderr, flush=True)
    write_text(args.output, document(reports, dist=spec))
    print(f"wrote {args.output}")
    if not args.pdf:
        return 0
    ok, pdf, log = compile_pdf(args.output)
    if ok is None:
        print("mesacheck: error: pdflatex not found on PATH; wrote the .tex only", file=sys.stderr)
        return 2
    if not ok:
        errors = [line for line in log.splitlines() if line.startswith("!")][:3]
        print(f"mesacheck: error: pdflatex failed: {' | '.join(errors) or 'see the .log'}", file=sys.stderr)
        return 1
    print(f"wrote {pdf}")
    return 0
