"""Hostile inputs end to end (issue 12): every case runs the real command and is held to the contract.

The harness (tests/hostile_harness.py) runs each case in a sandbox with a decoy directory and
asserts the exit code, one line on stderr, no traceback, no file created, changed or removed
outside the requested output (digests before and after), no canary, a wall-time bound and an
address-space limit. Most cases run in-process through ``main(argv)``; SUBPROCESS_SAMPLE runs a
sample through the real console entry point in a child process (marked slow).

Groups: TeX in file names; files and symlinks; causes of internal errors; memory; time;
exit codes and contracts; heavy tails; parameter names that are internal symbol names; extreme
scales; large sizes for every command. The malformed-value table is tests/test_hostile_grammar.py.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys

import pytest
import sympy

from hostile_harness import Case, Sandbox, run_case, run_inprocess, run_subprocess
from mesacheck.cli import cmd_latex
from mesacheck.cli import main as cli_main

SIM = ("simulate", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "6", "--m", "20", "--m-test", "10",
       "--lr", "0.01", "--epochs", "2")
FLOW = ("flow", "--dist", "sparse:c=1", "--d", "2", "--T", "6")
DERIVE = ("derive", "limit", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "10")
HAVE_REPORT_TEX = (shutil.which("pdflatex") is not None
                   and not cmd_latex.missing_packages(shutil.which("pdflatex")))

CASES = []


def add(group, case, marks=()):
    CASES.append(pytest.param(case, id=f"{group}: " + _id(case.argv), marks=list(marks)))


def with_value(argv, flag, value):
    """``argv`` with ``flag`` set to ``value`` (replaced if present, appended otherwise)."""
    argv = list(argv)
    if flag in argv:
        i = argv.index(flag)
        del argv[i:i + 2]
    return tuple(argv) + (flag, value)


def _id(argv):
    text = " ".join(argv).encode("ascii", "backslashreplace").decode()
    text = re.sub(r"\s+", " ", text)
    return text if len(text) < 100 else text[:70] + "..." + text[-25:]



# -- TeX in file names ---------------------------------------------------------------------------------
TEX_NAMES = ["\\message{X}x.tex", "\\input ^^2fetc^^2fhostname x.tex", "\\immediate\\write18{touch PWNED}.tex",
             "$(touch PWNED).tex", "-shell-escape.tex", "&pdflatex x.tex", "x y %z.tex", "--x.tex"]
for name in TEX_NAMES:
    pdf = name[:-4] + ".pdf"
    if HAVE_REPORT_TEX:
        add("tex", Case(("latex", "C1", f"--output={name}", "--pdf"), code=0, writes=(name, pdf), stderr="any"))
    else:  # refused before computing, with the missing packages named
        add("tex", Case(("latex", "C1", f"--output={name}", "--pdf"), code=2, contains="not installed", wired=True))
    add("tex", Case(("latex", "C1", f"--output={name}"), code=0, writes=(name,), stderr="any"))

# -- files and symlinks ----------------------------------------------------------------------------------
for opt_argv, link in [(SIM + ("--out",), "npz"), (FLOW + ("--plot",), "png"), (("latex", "C1", "-o"), "tex")]:
    # (a link in a parent directory is followed, as by any program: the final name is never a link)
    for target in (f"dangling.{link}", f"link.{link}", f"danglingdir/x.{link}"):
        add("files", Case(opt_argv + (target,), code=2, wired=True))
    # the old probe created the link's target and removed the link, even when --dist was then refused
    add("files", Case(opt_argv + (f"dangling.{link}", "--dist", "no-such-law"), code=2, wired=True))
    for target in (f"/proc/x.{link}", f"/proc/version", f"/proc/self/x.{link}", f"/sys/x.{link}",
                   f"/dev/full", f"/dev/null", f"/dev/x.{link}", f"/nonexistent-dir/x.{link}", ".", "sub",
                   "sub/", f"{'n' * 300}.{link}"):
        add("files", Case(opt_argv + (target,), code=2, wired=True))
for target in ("out", "out.txt", "out.PNG.txt", "plot.png.", "plot"):
    add("files", Case(FLOW + ("--plot", target), code=2, contains="must end in", wired=True))
add("files", Case(SIM + ("--out", "run.txt"), code=2, contains="must end in", wired=True))
add("files", Case(("latex", "C1", "-o", "report.pdf"), code=2, contains="must end in", wired=True))
for out in ("linkdir", "danglingdir", "good.npz", "/proc/rep", "/sys/rep", "/dev/rep", "missing/rep"):
    add("files", Case(("reproduce", "gaussian-1", "--quick", "--out", out), code=2, wired=True))
# successful writes: exactly the requested file, with the suffix asked for
for plot in ("f.png", "f.pdf", "f.svg", "F.PNG"):
    add("files", Case(FLOW + ("--plot", plot), code=0, writes=(plot,), contains="wrote"))
add("files", Case(SIM + ("--out", "run.npz"), code=0, writes=("run.npz",), contains="wrote"))
add("files", Case(SIM + ("--out", "good.npz"), code=0, writes=("good.npz",), contains="wrote"))  # replaced whole
add("files", Case(SIM + ("--out", "sub/new.npz"), code=0, writes=("sub/new.npz",), contains="wrote"))

# -- causes of internal errors ----------------------------------------------------------------------------------
add("internal", Case(("flow", "--dist", "gaussian:sigma=1e-100"), code=2, contains="supported range", wired=True))
add("internal", Case(("flow", "--dist", "gaussian:sigma=1e50"), code=2, contains="supported range", wired=True))
add("internal", Case(("flow", "--dist", "gaussian:sigma=1e-100", "--empirical"), code=2, contains="supported range",
                     wired=True))
add("internal", Case(("flow", "--dist", "gaussian:sigma=1e50", "--full", "--d", "2", "--T", "5"), code=2,
                     contains="supported range", wired=True))
add("internal", Case(("flow", "--dist", "mixture:1*[0,0,0]", "--d", "3", "--empirical"), code=2,
                     contains="x_1 = 0 almost surely", wired=True))
add("internal", Case(("derive", "limit", "--dist", "mixture:1/2*[1,0,0]+1/2*[0,1,1]", "--d", "3", "--T", "10"),
                     code=(0, 2), stderr="one"))
add("internal", Case(("derive", "limit", "--dist", "mixture:1*[0,0,0]", "--d", "3", "--T", "10"), code=2,
                     contains="x_1 = 0 almost surely"))
add("internal", Case(("derive", "limit", "--dist", "mixture:1/3*[1,0,0]+1/3*[0,1,0]+1/3*[0,0,1]", "--d", "3",
                      "--T", "10"), code=(0, 2)))

# -- memory ------------------------------------------------------------------------------------------------------
MAX8 = ("--max-memory", "8G")  # explicit, so that the refusal does not depend on this machine's memory
add("memory", Case(("bench", "--d", "20000"), code=2, contains="--d", wired=True))  # bench caps d at 64
for argv in [("bench", "--m", "10000000", "--T", "1000") + MAX8,
             SIM[:3] + ("--d", "20000", "--lr", "0.01", "--epochs", "1"),
             SIM[:3] + ("--m", "1000000000", "--lr", "0.01", "--epochs", "1") + MAX8,
             SIM[:3] + ("--m", "500000", "--max-memory", "500M", "--lr", "0.01", "--epochs", "1"),
             SIM[:3] + ("--m", "10", "--m-test", "10", "--epochs", "10000000", "--lr", "0.01") + MAX8,
             ("flow", "--dist", "gaussian:sigma=1", "--empirical", "--m", "1000000", "--T", "1000"),
             ("flow", "--dist", "gaussian:sigma=1", "--empirical", "--d", "100", "--T", "10", "--m", "10") + MAX8,
             ("flow", "--dist", "gaussian:sigma=1", "--empirical", "--max-memory", "1M"),
             ("reproduce", "full-one", "--max-memory", "64M"), ("reproduce", "gaussian-1", "--max-memory", "100M")]:
    add("memory", Case(argv, code=2, contains="memory", wired=True))
for bad in ("lots", "-1G", "1e9", "5_0M", "4 G", "0", "1K", "4GB!", "9" * 50):
    add("memory", Case(SIM + ("--max-memory", bad), code=2, wired=True))

# -- time ----------------------------------------------------------------------------------------------------------
for argv in [("derive", "limit", "--d", "50", "--T", "100000", "--budget", "5"),
             ("derive", "limit", "--dist", "generic", "--d", "2"),
             ("derive", "diagonal", "--dist", "generic", "--d", "3", "--T", "5"),
             ("derive", "diagonal", "--dist", "gaussian:sigmas=1,2,3", "--d", "3", "--T", "1000000"),
             ("derive", "limit", "--d", "64", "--T", "1000000", "--budget", "5"),
             ("flow", "--dist", "gaussian:sigma=1", "--d", "1000", "--T", "1000000"),
             ("flow", "--dist", "gaussian:sigma=1", "--T", "1000000", "--budget", "5")]:
    add("time", Case(argv, code=2, contains="refused before starting", wired=True))
# a budget that runs out: 'timeout', exit 3 (verify prints progress, then its table, then the line)
add("time", Case(("verify", "--quick", "--budget", "0.05"), code=3, stderr="last", contains="time budget"))
add("time", Case(("verify", "C1", "C2", "--quick", "--budget", "0.05", "--json"), code=3, stderr="last"))
add("time", Case(("derive", "invariance", "--dist", "gaussian:sigma=1", "--d", "4", "--T", "10", "--budget", "0.05"),
                 code=3, contains="time budget"))
add("time", Case(("flow", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "10", "--budget", "0.02"), code=3,
                 contains="time budget"))
add("time", Case(("latex", "C1", "C2", "-o", "r.tex", "--budget", "0.05"), code=3, stderr="last"))
for bad in ("1e300", "1e309", "0", "-1", "nan", "inf", "1_0", "0x10", "١"):
    for cmd in (("verify", "C1", "--quick"), DERIVE, FLOW):
        add("time", Case(cmd + ("--budget", bad), code=2, wired=True))
for cmd in (DERIVE, SIM, FLOW, ("verify", "C1", "--quick"), ("bench",)):
    for bad in ("5_0", "+5", " 5", "5 ", "٥", "0b11", "5.0", "1e1"):
        add("ints", Case(with_value(cmd, "--d", bad), code=2, contains="not an integer", wired=True))

# -- exit codes and contracts ------------------------------------------------------------------------------------
add("codes", Case(("verify", "C2", "--dist", "mixture:1/2*[1,0]+1/2*[0,1]", "--d", "3"), code=2, wired=True))
add("codes", Case(("verify", "C2", "--dist", "mixture:1/2*[1,0]+1/2*[0,1]"), code=2, contains="give --d", wired=True))
add("codes", Case(("latex", "C2", "-o", "r.tex", "--dist", "gaussian:sigmas=1,2", "--d", "3"), code=2, wired=True))
add("codes", Case((), code=2, contains="missing COMMAND"))
add("codes", Case(("simulate", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "6", "--m", "40", "--m-test", "30",
                   "--lr", "1000", "--epochs", "3"), code=4, stderr="any", contains="diverged"))
# C5 (Example 4.1) is about the sparse law: for the Gaussian it is not applicable (N/A), not FAIL
add("codes", Case(("verify", "C5", "--quick", "--dist", "gaussian:sigma=1"), code=0, stderr="any", contains="N/A"))
add("codes", Case(("simulate", "--d", "x" * 5000), code=2))          # echo cut: line length checked
add("codes", Case(("derive", "y" * 5000), code=2))
add("codes", Case(("flow", "--dist", "gaussian:sigma=" + "9" * 3000), code=2))
add("codes", Case(("no-such-command-" + "z" * 4000,), code=2))

# -- heavy tails ---------------------------------------------------------------------------------------------------
for nu in ("7", "6.001", "12", "23/2"):
    add("tails", Case(("flow", "--dist", f"student-t:nu={nu}", "--empirical", "--d", "2", "--T", "5"), code=2,
                      contains="12th moment", wired=True))
add("tails", Case(("flow", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "5", "--empirical", "--m", "400"),
                  code=0, stderr="any", contains="verdict: AGREE"))
add("tails", Case(("flow", "--dist", "full-one:c=1", "--d", "2", "--T", "5", "--empirical", "--m", "200",
                   "--tau", "1"), code=0, stderr="any", contains="verdict: none (no exact value"))

# -- extreme but parseable scales ----------------------------------------------------------------------------------
for scale in ("1e-300", "1e-100", "1e-31", "1e-10", "1e10", "1e31", "1e100", "1e300"):
    spec = f"gaussian:sigma={scale}"
    add("scales", Case(("flow", "--dist", spec, "--d", "2", "--T", "6"), code=(0, 2), stderr="any"))
    add("scales", Case(SIM[:2] + (spec,) + SIM[3:], code=(0, 2, 4), stderr="any"))
    add("scales", Case(("derive", "limit", "--dist", spec, "--d", "5", "--T", "oo", "--json"), code=0, stderr="any",
                       contains='"exact"'))

# -- large but valid sizes: each command refuses in advance or ends within its budget ----------------------------
add("sizes", Case(("verify", "--quick", "--d", "64", "--T", "1000000", "--budget", "2"), code=(1, 3), stderr="any"))
add("sizes", Case(("latex", "-o", "big.tex", "--d", "64", "--T", "1000000", "--budget", "2"), code=(0, 3),
                  writes=("big.tex",), stderr="any"))
add("sizes", Case(("derive", "ode", "--d", "64", "--T", "1000000", "--budget", "2"), code=2, wired=True))
add("sizes", Case(("derive", "recovery", "--d", "64", "--T", "oo", "--budget", "2"), code=2, wired=True))
add("sizes", Case(("flow", "--dist", "gaussian:sigma=1", "--full", "--d", "3", "--T", "12", "--budget", "1"),
                  code=(0, 2, 3)))
add("sizes", Case(("bench", "--m", "200000", "--T", "1000", "--d", "5"), code=2, wired=True))


@pytest.mark.parametrize("case", CASES)
def test_end_to_end(case, tmp_path):
    run_case(case, tmp_path)


def test_number_of_cases(record_property):
    """How many end-to-end cases this module runs."""
    names = len(SYMBOL_NAMES)
    record_property("summary", f"hostile inputs: end-to-end cases: {len(CASES)} table + {names} "
                    f"parameter names + {len(SUBPROCESS_SAMPLE)} subprocess sample + the special cases")
    assert len(CASES) > 150


# -- parameter names that are engine-internal symbol names ------------------------------------------------------
#: names the engine uses for its own symbols (reduced, torus, capability, diagonal, checks), the
#: names issue 12 lists, and a few SymPy function names.
SYMBOL_NAMES = ["a", "b", "u", "tau", "T", "d", "t", "T_p", "d_p", "Q", "R", "C", "s", "a_0", "b_0", "a_1",
                "b_1", "b_5", "mu", "m", "H", "S2", "m4", "m_4", "m_2", "lambda", "pi", "E", "I", "x1_1",
                "w_01", "sigma", "N", "S", "O", "beta", "gamma", "zeta", "harmonic", "Sum", "oo", "nan", "i"]


@pytest.mark.parametrize("name", SYMBOL_NAMES)
def test_parameter_named_like_an_internal_symbol(name, tmp_path):
    """`derive limit --dist gaussian:sigma=NAME --d 5 --T oo` gives exactly 1/(5 NAME^2) (the Gaussian
    limit m_4/m_6 = 3 s^4 / (15 s^6)), or one line refusing the name."""
    from mesacheck.symbolic import printing

    case = Case(("derive", "limit", "--dist", f"gaussian:sigma={name}", "--d", "5", "--T", "oo", "--json"),
                code=(0, 2), stderr="one")
    outcome = run_case(case, tmp_path)
    if outcome.code == 0:
        sym = sympy.Symbol(name, positive=True)
        expected = printing.text(sympy.Rational(1, 5) / sym**2)
        assert json.loads(outcome.out)["ab_limit"]["exact"] == expected


@pytest.mark.parametrize("name", ("a", "b", "u", "Q", "R", "C", "H", "s", "T_p", "d_p", "m", "lambda"))
def test_parameter_named_like_an_internal_symbol_finite_T(name):
    """At T = 10 the limit scales exactly as 1/sigma^2: u*(sigma = NAME) = u*(sigma = 1) / NAME^2;
    a name the engine prints for its own quantities is refused instead (never a wrong answer)."""
    from mesacheck.errors import SpecError
    from mesacheck.setting.distributions import parse_dist
    from mesacheck.setting.spec_grammar import is_reserved
    from mesacheck.symbolic.reduced import derive_reduced

    ref = derive_reduced(parse_dist("gaussian:sigma=1"), 5, 10).get("ab_limit")
    if is_reserved(name):
        with pytest.raises(SpecError, match="reserved"):
            parse_dist(f"gaussian:sigma={name}")
        return
    dist = parse_dist(f"gaussian:sigma={name}")
    got = derive_reduced(dist, 5, 10).get("ab_limit")
    assert sympy.simplify(got - ref / dist.params["sigma"] ** 2) == 0


# -- special cases ---------------------------------------------------------------------------------------------------
def test_last_resort_handler(tmp_path, monkeypatch):
    """Any exception that is not a MesacheckError: one line 'internal error ... (please report)', exit 3."""
    from mesacheck.cli import cmd_dists

    def boom(args):
        raise ZeroDivisionError("float division by zero\nsecond line")

    monkeypatch.setattr(cmd_dists, "run", boom)
    sb = Sandbox(tmp_path)
    outcome = run_inprocess(["dists"], sb, 60)
    assert outcome.code == 3
    lines = outcome.err.splitlines()
    assert lines == ["mesacheck: internal error: ZeroDivisionError: float division by zero second line (please report)"]


def test_existing_output_survives_a_failed_write(tmp_path, monkeypatch):
    """simulate --out good.npz where writing fails half-way (disk full): one line, exit 2, good.npz
    keeps its bytes and no temporary file is left."""
    from mesacheck.numeric import simulator

    def half_then_fail(self, path):
        with open(path, "wb") as fh:
            fh.write(b"PARTIAL")
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(simulator.SimulationResult, "save_npz", half_then_fail)
    sb = Sandbox(tmp_path)
    before = sb.digest()
    outcome = run_inprocess(SIM + ("--out", "good.npz"), sb, 60)
    assert outcome.code == 2, outcome
    assert outcome.err.count("\n") == 1 and "No space left on device" in outcome.err
    assert sb.digest() == before


def test_interrupted_reproduce_leaves_nothing(tmp_path, monkeypatch):
    """Ctrl-C while the files are written: no output folder, no staging folder, exit 130."""
    from mesacheck.output import reproduce_report

    def interrupted(p, folder):  # the figures are being written into the staging folder
        with open(os.path.join(folder, f"{p['experiment']}_ab.png"), "wb") as fh:
            fh.write(b"half a figure")
        raise KeyboardInterrupt

    monkeypatch.setattr(reproduce_report, "_figures", interrupted)
    sb = Sandbox(tmp_path)
    before = sb.digest()
    outcome = run_inprocess(["reproduce", "gaussian-1", "--quick", "--out", "rep"], sb, 60)
    assert outcome.code == 130 and outcome.err.strip().splitlines()[-1] == "mesacheck: interrupted"
    assert sb.digest() == before
    outcome = run_inprocess(["reproduce", "gaussian-1", "--quick", "--out", "out"], sb, 60)  # existing folder
    assert outcome.code == 130 and sb.digest() == before


def test_latex_compiles_a_fixed_name_in_a_private_directory(tmp_path, monkeypatch):
    """With a TeX file name, the whole latex --pdf path: pdflatex sees only the fixed name, in a
    private directory, with the paranoid environment; the PDF lands beside the requested .tex."""
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed")
    calls = []
    real_run = subprocess.run

    def spy(cmd, **kwargs):
        calls.append((list(cmd), kwargs.get("cwd"), kwargs.get("env")))
        return real_run(cmd, **kwargs)

    monkeypatch.setattr(cmd_latex.subprocess, "run", spy)
    monkeypatch.setattr(cmd_latex, "missing_packages", lambda exe: [])
    # A minimal document, so that the compile does not depend on the packages of this machine.
    monkeypatch.setattr(cmd_latex, "document", lambda reports, **kw: "\\documentclass{article}\\begin{document}"
                        "ok\\end{document}\n")
    name = "\\message{X}\\input ^^2fetc^^2fhostname x.tex"
    case = Case(("latex", "C1", "-o", name, "--pdf"), code=0, writes=(name, name[:-4] + ".pdf"), stderr="any")
    run_case(case, tmp_path)
    pdflatex = [c for c in calls if os.path.basename(c[0][0]) == "pdflatex"]
    assert len(pdflatex) == cmd_latex.PDFLATEX_RUNS
    for argv, cwd, env in pdflatex:
        assert argv[1:] == ["-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "mesacheck-report.tex"]
        assert os.path.dirname(cwd) == str(tmp_path / "tmp") and not os.path.exists(cwd)  # private, removed
        assert env["openin_any"] == env["openout_any"] == "p" and env["shell_escape"] == "f"
    with open(tmp_path / "sandbox" / (name[:-4] + ".pdf"), "rb") as fh:
        assert fh.read(5) == b"%PDF-"


def test_verify_json_same_bytes(tmp_path):
    """verify --json twice with one seed: identical bytes (no wall-clock times unless --timings)."""
    argv = ("verify", "C1", "C3", "--quick", "--json", "--seed", "5")
    first = run_case(Case(argv, code=0, stderr="any"), tmp_path / "1")
    second = run_case(Case(argv, code=0, stderr="any"), tmp_path / "2")
    assert first.out == second.out and '"seconds"' not in first.out
    timed = run_case(Case(argv + ("--timings",), code=0, stderr="any"), tmp_path / "3")
    doc = json.loads(timed.out)
    assert doc["timings"]["total_s"] >= 0 and all(k.endswith("/seconds") for k in doc["timings"] if k != "total_s")


@pytest.mark.slow
def test_verify_json_same_bytes_all_claims(tmp_path):
    argv = ("verify", "--quick", "--json")
    first = run_case(Case(argv, code=0, stderr="any", wall=600), tmp_path / "1")
    second = run_case(Case(argv, code=0, stderr="any", wall=600), tmp_path / "2")
    assert first.out == second.out


def test_help_documents_exit_codes(tmp_path):
    outcome = run_inprocess(["--help"], Sandbox(tmp_path), 60)
    assert isinstance(outcome.code, SystemExit) and outcome.code.code in (0, None)
    for line in ("0  success", "1  a check ran and failed", "2  bad input", "3  the whole-run time budget",
                 "4  a numerical failure"):
        assert line in outcome.out


@pytest.mark.parametrize("name", cli_main.SUBCOMMANDS)
def test_help_of_every_command(name, tmp_path):
    outcome = run_inprocess([name, "--help"], Sandbox(tmp_path), 60)
    assert isinstance(outcome.code, SystemExit) and outcome.code.code in (0, None), outcome
    assert name in outcome.out and "exit codes:" in outcome.out and "Traceback" not in outcome.out + outcome.err
    if name in ("derive", "flow", "verify", "latex"):
        assert "--budget" in outcome.out and "(default" in outcome.out


# -- a sample through the real console entry point, in child processes ------------------------------------------------
SUBPROCESS_SAMPLE = [
    Case((), code=2, contains="missing COMMAND"),
    Case(("flow", "--dist", "gaussian:sigma=1e-100"), code=2, contains="supported range"),
    Case(("flow", "--dist", "sparse:c=1", "--d", "2", "--T", "6", "--plot", "/dev/full"), code=2),
    Case(SIM + ("--out", "dangling.npz", "--dist", "no-such-law"), code=2),
    Case(("latex", "C1", "-o", "\\message{X}x.tex"), code=0, writes=("\\message{X}x.tex",), stderr="any"),
    Case(("bench", "--d", "20000"), code=2, contains="--d"),
    Case(SIM[:3] + ("--d", "5_0", "--lr", "0.01", "--epochs", "1"), code=2),
    Case(("verify", "C2", "--dist", "mixture:1/2*[1,0]+1/2*[0,1]", "--d", "3"), code=2),
    Case(("derive", "limit", "--dist", "generic", "--d", "2"), code=2, contains="refused before starting"),
    Case(("verify", "--quick", "--budget", "1"), code=3, stderr="last", contains="time budget"),
    Case(("simulate", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "6", "--m", "40", "--m-test", "30",
          "--lr", "1000", "--epochs", "3"), code=4, stderr="any"),
    Case(("flow", "--dist", "student-t:nu=7", "--empirical"), code=2, contains="12th moment"),
    Case(("simulate", "--dist", "__import__('os').system('touch /tmp/PWNED')", "--lr", "1", "--epochs", "1"), code=2),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", [pytest.param(c, id=_id(c.argv)) for c in SUBPROCESS_SAMPLE])
def test_subprocess_sample(case, tmp_path):
    outcome = run_case(case, tmp_path, mode="subprocess")
    assert outcome.maxrss is not None and outcome.maxrss < 2 * 2**30, f"peak RSS {outcome.maxrss} bytes"


@pytest.mark.slow
def test_watchdog_ends_work_stuck_outside_the_interpreter(tmp_path):
    """With SIGALRM blocked (as during a long C call), the hard-exit watchdog ends the process with
    exit code 3 and one line, shortly after the budget plus the grace period."""
    code = ("import signal, time\n"
            "from mesacheck.budget import Deadline\n"
            "signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\n"
            "with Deadline(0.5, what='a stuck call', hard_exit=True, grace=0.5):\n"
            "    time.sleep(60)\n")
    sb = Sandbox(tmp_path)
    outcome = run_subprocess([], sb, 30, command=[sys.executable, "-c", code])
    assert outcome.code == 3
    assert outcome.err.count("\n") == 1 and outcome.err.startswith("mesacheck: timeout:")


def test_sigint_is_still_an_interrupt_under_a_deadline(tmp_path, monkeypatch):
    """A real Ctrl-C during a budgeted command is 'interrupted' (130), not a timeout."""
    import time

    from mesacheck.cli import cmd_verify

    def interrupted(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)

    monkeypatch.setattr(cmd_verify, "run_claims", interrupted)
    outcome = run_inprocess(["verify", "--quick", "--budget", "60"], Sandbox(tmp_path), 60)
    assert outcome.code == 130 and outcome.err.splitlines()[-1] == "mesacheck: interrupted"
