"""Malformed and hostile values for every option and spec: each is refused end to end.

Every command line runs through the harness of tests/hostile_harness.py (in-process ``main``, in
a sandbox with a decoy directory, RLIMIT_AS and a wall-time bound) with the heavy entry points
tripwired (tests/tripwires.py): the refusal must come while the arguments are validated, with one
line on stderr starting with "mesacheck: error:", exit code 2, no traceback, nothing executed, no
file created, changed or removed anywhere.

The curated table covers integers, floats, specs, claims and paths per subcommand; hypothesis adds
generated bad integers, floats, specs and claim names. The end-to-end cases (files, TeX, numerics,
memory, time, exit codes) are in tests/test_hostile_inputs.py.
"""
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile_harness import Case, run_case
from mesacheck.cli import main as cli_main

#: every distinct bad argv tried in this module (curated table and hypothesis examples).
TRIED = set()


def assert_rejected(argv, tmp_root):
    """The contract for one bad command line, end to end in a fresh sandbox under ``tmp_root``."""
    TRIED.add(tuple(argv))
    run_case(Case(tuple(argv), code=2, wired=True, wall=60), tmp_root)


CODE = [
    "__import__('os').system('touch /tmp/PWNED')",
    '__import__("os").system("touch /tmp/PWNED")',
    "exec(\"open('/tmp/PWNED','w')\")",
    "eval('1')",
    "lambda: __import__('os').system('touch /tmp/PWNED')",
    "(lambda x: x)(1)",
    "$(touch /tmp/PWNED)",
    "`touch /tmp/PWNED`",
    "${IFS}",
    "1${IFS}2",
    ";rm -rf /tmp/PWNED_nothing",
    "1;touch /tmp/PWNED",
    "1 && touch /tmp/PWNED",
    "1 | touch /tmp/PWNED",
    "{{7*7}}",
    "%(x)s",
    "\x00",
    "1\n2",
    "\u202e1",
    "os.system",
    "globals()",
]
NUMS_NONFINITE = ["nan", "NaN", "inf", "-inf", "+inf", "Infinity", "1e309", "-1e309"]
NOT_NUMBERS = ["", " ", "abc", "1,2", "0x10", "1/2", "10**100", "1e", "--", "one"]
HUGE_INT = str(10**100)
NOT_INTS = ["", "abc", "1.5", "2.0", "1e3x", "10**100", "0x10", "nan", "inf", "1e308", "5-1", "[3]", "None"]

SPEC_BAD = [
    "", " ", ":", "gaussian:", "gaussian:sigma", "gaussian:sigma=", "gaussian:=1", "gaussian:sigma==1",
    "gaussian:sigma=1,", "gaussian:sigma=1,sigma=2", "gaussian:sigma=1;", "gaussian:sigma=(1)",
    "gaussian:sigma=-1", "gaussian:sigma=0", "gaussian:sigma=nan", "gaussian:sigma=inf", "gaussian:sigma=oo",
    "gaussian:sigma=1e400", "gaussian:sigma=1e-400", "gaussian:sigma=" + HUGE_INT,
    "gaussian:sigma=10**100", "gaussian:sigma=1/0", "gaussian:mu=1", "gaussian:sigma=1:2",
    "gaussian sigma=1", "no-such-law", "no-such-law:c=1", "sparse:c=-1", "student-t:nu=-3",
    "laplace:b=0", "mixture:", "mixture:0.5*[1,0]+", "mixture:0.5*[1,0", "mixture:[1,0]", "mixture:x*[1]",
    'gaussian:sigma=__import__("os")', "gaussian:sigma=__import__('os').system('touch /tmp/PWNED')",
    "gaussian:sigma=lambda:1", "gaussian:sigma=${IFS}", "gaussian:sigma=1;rm -rf /tmp/x",
    "__import__('os').system('touch /tmp/PWNED')", "lambda: 1", "${IFS}", ";rm -rf /tmp/x",
    "gaussian:sigma=1\nrm", "gaussian:sigma=\u0661", "gaussian:sigma=" + "9" * 5000, "x" * 3000,
]
#: specs that parse but cannot be simulated (symbolic parameters / symbolic moments).
SPEC_SYMBOLIC = ["gaussian:sigma=s", "iid", "generic", "gaussian:sigma=__import__", "sparse:c=os"]

SIM = ["simulate", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "6", "--m", "20", "--m-test", "10",
       "--lr", "0.01", "--epochs", "2"]
BENCH = ["bench", "--m", "20", "--T", "6", "--d", "2", "--repeat", "1"]
DERIVE = ["derive", "limit", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "10"]
VERIFY = ["verify", "C1", "--quick"]
LATEX = ["latex", "C1", "-o", "report.tex"]
FLOW = ["flow", "--dist", "sparse:c=1", "--d", "2", "--T", "10", "--init", "0.1,0.1"]
REPRODUCE = ["reproduce", "gaussian-1", "--quick", "--out", "rep/"]
SWEEP = ["sweep", "derive-limit", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "10", "--out",
         "sweep-out/", "--serial", "--quiet"]
SWEEP_SIM = ["sweep", "simulate", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "6", "--lr", "0.01",
             "--epochs", "2", "--m", "20", "--m-test", "10", "--out", "sweep-out/", "--serial"]
BASES = {"simulate": SIM, "bench": BENCH, "derive": DERIVE, "verify": VERIFY, "latex": LATEX,
         "flow": FLOW, "reproduce": REPRODUCE, "dists": ["dists"], "sweep": SWEEP}


def with_value(base, flag, value):
    """``base`` with ``flag`` set to ``value`` (as --flag=value so that '-x' stays a value)."""
    args = list(base)
    if flag in args:
        i = args.index(flag)
        del args[i:i + 2]
    return args + [f"{flag}={value}"]


def cases():
    """(id, command, argv) for every curated bad command line."""
    out = []

    def add(cmd, argv):
        out.append((cmd, tuple(argv)))

    # ---- simulate ----
    ints = {"--d": "0", "--T": "2", "--m": "0", "--m-test": "0", "--epochs": "-1", "--eval-every": "0",
            "--seed": "-1"}
    for flag, low in ints.items():
        for v in [low, "-5"] + NOT_INTS:
            add("simulate", with_value(SIM, flag, v))
    for flag in ["--d", "--T", "--m", "--m-test", "--epochs"]:
        add("simulate", with_value(SIM, flag, HUGE_INT))
    for v in ["0", "-1", "-0.0", "1e-400"] + NUMS_NONFINITE + NOT_NUMBERS:
        add("simulate", with_value(SIM, "--lr", v))
    for v in ["0", "-1", "1e308"] + NUMS_NONFINITE + NOT_NUMBERS:
        add("simulate", with_value(SIM, "--dense-init", v))
    for v in ["1", "1,2,3", "a,b", ",", "nan,1", "1,inf", "1e309,0", "1e308,1e308", "0.1;0.1",
              "__import__('os'),1", "(0.1,0.1)"]:
        add("simulate", with_value(SIM, "--init", v))
    for v in SPEC_BAD + SPEC_SYMBOLIC + CODE:
        add("simulate", with_value(SIM, "--dist", v))
    add("simulate", with_value(SIM, "--dist", "gaussian:sigma=1e308"))
    add("simulate", with_value(SIM, "--dist", "gaussian:sigma=1e200"))
    add("simulate", with_value(SIM, "--dist", "gaussian:sigmas=1,2,3"))  # 3 coordinates but --d 2
    for path in ["/proc/nope/x.npz", "/nonexistent_dir/x.npz", "/", "/tmp", "/proc/version"]:
        add("simulate", SIM + ["--out", path])
    add("simulate", SIM + ["--init", "0.1,0.1", "--dense-init", "0.1"])
    add("simulate", [a for a in SIM if a not in ("--lr", "0.01")])
    add("simulate", SIM + ["--no-such-flag"])
    add("simulate", SIM + ["extra-positional"])
    add("simulate", SIM + ["--json=yes"])
    # ---- bench ----
    for flag, low in {"--m": "0", "--T": "2", "--d": "0", "--repeat": "0", "--seed": "-1"}.items():
        for v in [low, "-3", "", "abc", "1.5", "nan", "inf", "10**100"]:
            add("bench", with_value(BENCH, flag, v))
    for flag in ["--m", "--T", "--d", "--repeat"]:
        add("bench", with_value(BENCH, flag, HUGE_INT))
    add("bench", BENCH + ["--dist", "gaussian:sigma=1"])
    # ---- derive ----
    for what in ["nope", "", "LIMIT", "__import__('os').system('touch /tmp/PWNED')", "${IFS}", ";rm -rf /"]:
        add("derive", [DERIVE[0], what] + DERIVE[2:])
    for v in ["0", "-1", "65", HUGE_INT, "D", "dd", "x", "1.5", "", "nan", "inf", "1e308", "10**100",
              "d;rm -rf /", "__import__('os')"]:
        add("derive", with_value(DERIVE, "--d", v))
    for v in ["2", "0", "-1", str(10**6 + 1), HUGE_INT, "1e308", "nan", "-oo", "ooo", "inf;", "t", "",
              "10**100", "3.5", "__import__('os').system('touch /tmp/PWNED')"]:
        add("derive", with_value(DERIVE, "--T", v))
    for v in SPEC_BAD + CODE:
        if v != "gaussian:sigma=" + HUGE_INT:  # exact arithmetic: a huge scale is a valid derivation
            add("derive", with_value(DERIVE, "--dist", v))
    # (invariance at d = 5 and the diagonal system at T = oo are valid questions now)
    add("derive", ["derive", "invariance", "--dist", "gaussian:sigmas=1,2,3,4,5", "--d", "5", "--T", "10"])
    add("derive", ["derive", "diagonal", "--dist", "gaussian:sigma=1", "--d", "d", "--T", "10"])
    add("derive", ["derive", "limit", "--dist", "gaussian:sigmas=1,2,3", "--d", "2", "--T", "10"])
    add("derive", ["derive", "limit", "--dist", "gaussian:sigmas=1,2", "--d", "d", "--T", "10"])
    add("derive", ["derive"])
    add("derive", DERIVE + ["--out", "/proc/nope/x.json"])
    # ---- verify ----
    for claims in [["C9"], ["foo"], ["C0"], ["C8"], ["0"], ["c1", "C99"], [""], ["C1;rm -rf /"],
                   ["__import__('os').system('touch /tmp/PWNED')"], ["${IFS}"], ["C" + HUGE_INT],
                   ["C1.0"], ["CC1"], ["lambda: 1"]]:
        add("verify", ["verify", *claims, "--quick"])
    for flag, bads in {"--d": ["0", "-1", "x", "1.5", "nan"], "--T": ["2", "0", "x", "inf", "1e308", HUGE_INT],
                       "--seed": ["-1", "x", "1.5"], "--budget": ["0", "-1", "nan", "inf", "x", "1e309"]}.items():
        for v in bads:
            add("verify", with_value(VERIFY, flag, v))
    for v in ["no-such-law", "gaussian:sigma=-1", "gaussian:sigma=__import__('os')", "${IFS}", ""]:
        add("verify", with_value(VERIFY, "--dist", v))
    # ---- latex ----
    for path in ["/nonexistent_dir/x.tex", "/proc/nope/x.tex", "/proc/x.tex", "/proc/version/x.tex", "/tmp", "x.txt", "", "/", "x.tex/"]:
        add("latex", ["latex", "C1", "-o", path])
    add("latex", ["latex", "C1"])
    for claims in [["C9"], ["foo"], ["C1;rm -rf /"], ["__import__('os').system('touch /tmp/PWNED')"]]:
        add("latex", ["latex", *claims, "-o", LATEX[-1]])
    for v in ["no-such-law", "gaussian:sigma=-1", 'gaussian:sigma=__import__("os")', "${IFS}"]:
        add("latex", with_value(LATEX, "--dist", v))
    for flag, v in [("--d", "0"), ("--T", "2"), ("--seed", "-1"), ("--d", "nan"), ("--T", HUGE_INT)]:
        add("latex", with_value(LATEX, flag, v))
    # ---- dists ----
    for extra in [["--json=1"], ["gaussian"], ["--dist", "x"], ["__import__('os')"], ["a\nb"]]:
        add("dists", ["dists", *extra])
    # ---- top level ----
    for argv in [["no-such-command"], ["__import__('os').system('touch /tmp/PWNED')"], [";rm -rf /"],
                 ["--no-such-flag"], ["${IFS}"]]:
        add("top", argv)
    # ---- flow (module may still be missing) ----
    for flag, bads in {"--d": ["0", "-1", "x", HUGE_INT, "nan"], "--T": ["2", "x", "inf", HUGE_INT],
                       "--init": ["1", "a,b", "nan,1", "1,inf", "1e309,1", "1,2,3"]}.items():
        for v in bads:
            add("flow", with_value(FLOW, flag, v))
    for v in ["no-such-law", "gaussian:sigma=-1", 'gaussian:sigma=__import__("os")', "${IFS}", ";rm -rf /",
              "gaussian:sigma=nan", "lambda: 1", "gaussian:sigma=s", "iid"]:
        add("flow", with_value(FLOW, "--dist", v))
    # ---- sweep (every bad word of a list, family or option is bad input; only a family's own
    # refused laws become refused rows, which is not what these cases are) ----
    for what in ["nope", "", "LIMIT", "derive", "__import__('os').system('touch /tmp/PWNED')", ";rm -rf /"]:
        add("sweep", [SWEEP[0], what] + SWEEP[2:])
    for v in ["0", "-1", "65", HUGE_INT, "x", "1.5", "", "nan", "inf", "oo", "2..", "..3", "1..1000000",
              "2..8:0", "8..2", "1,,2", "1;rm -rf /", "__import__('os')", "10**100", "1e999999999"]:
        add("sweep", with_value(SWEEP, "--d", v))
    for v in ["2", "0", "-1", str(10**6 + 1), HUGE_INT, "nan", "-oo", "ooo", "3.5", "", "10**100", "3..",
              "__import__('os').system('touch /tmp/PWNED')"]:
        add("sweep", with_value(SWEEP, "--T", v))
    for v in SPEC_BAD + CODE + [
            "gaussian:sigmas=1..3", "gaussian:sigma=(1-q)", "gaussian:sigma=1; p=0.5",
            "mixture:p*[1,0]+(1-p)*[0,1]; p=__import__('os')", "mixture:1-p*[1,0]+p*[0,1]; p=1/2",
            "mixture:p*[1,0]+(1-p)*[0,1]; d=1/2", "gaussian:sigma=s; s=1; s=2", "gaussian:sigma=1..",
            "mixture:p*[1,0]+(1-p)*[0,1]; p=0..1:0", "gaussian:sigma=0.5,1; sigma=2"]:
        if v != "gaussian:sigma=" + HUGE_INT:  # exact arithmetic: a huge scale is a valid derivation
            add("sweep", with_value(SWEEP, "--dist", v))
    for flag, v in [("--lr", "0.01"), ("--seed", "1"), ("--init", "0.1,0.1"), ("--epochs", "3"), ("--m", "5")]:
        add("sweep", SWEEP + [flag, v])  # options the WHAT does not take
    for flag, bads in {"--budget": ["0", "-1", "nan", "inf", "x"], "--memory": ["0", "-5", "nan", "x"],
                       "--workers": ["0", "-1", "x", "1.5"], "--max-points": ["0", "x"],
                       "--time-limit": ["0", "-1", "inf"], "--plot-x": ["bogus", "__import__('os')"],
                       "--plot-lines": ["nope"], "--plot-metric": ["bogus", "Q"],
                       "--scheduler": ["x", "localhost:8786", "http://127.0.0.1:1", ";rm -rf /"]}.items():
        for v in bads:
            argv = with_value(SWEEP, flag, v)
            add("sweep", [a for a in argv if a != "--serial"] if flag == "--scheduler" else argv)
    for path in ["/proc/nope/x", "/nonexistent_dir/out/", "/proc/version", ""]:
        add("sweep", with_value(SWEEP, "--out", path))
    add("sweep", SWEEP[:-3])  # no --out
    add("sweep", ["sweep"])
    for flag, bads in {"--lr": ["0", "-1", "nan", "1e-400", "x", "2", "0..1"], "--epochs": ["-1", "x"],
                       "--init": ["1", "a,b", "nan,1", "1,2,3", "1e309,1", "(0.1,0.1)"],
                       "--seed": ["-1", "x", "1.5", str(2**32)]}.items():
        for v in bads:
            add("sweep", with_value(SWEEP_SIM, flag, v))
    add("sweep", [a for a in SWEEP_SIM if a not in ("--epochs", "2")])  # simulate needs --epochs
    add("sweep", [a for a in SWEEP_SIM if a not in ("--lr", "0.01")])  # and --lr
    # ---- reproduce ----
    for fig in ["no-such-figure", "", "__import__('os').system('touch /tmp/PWNED')", "${IFS}", ";rm -rf /",
                "../../etc/passwd"]:
        add("reproduce", ["reproduce", fig, "--quick", "--out", REPRODUCE[-1]])
    for path in ["/proc/nope/x", "/nonexistent_dir/out/", "/proc/version"]:
        add("reproduce", ["reproduce", "gaussian-1", "--quick", "--out", path])
    return out


CASES = cases()


def _id(cmd, argv):
    text = " ".join(argv)
    text = re.sub(r"\s+", " ", text.encode("ascii", "backslashreplace").decode())
    return text if len(text) < 90 else text[:60] + "..." + text[-25:]


@pytest.mark.parametrize("argv", [pytest.param(argv, id=_id(cmd, argv)) for cmd, argv in dict.fromkeys(CASES)])
def test_curated_bad_input(argv, tmp_path):
    assert_rejected(argv, tmp_path)


# --------------------------------------------------------------------------------------------------
# Hypothesis: generated bad values for typed options, and malformed / hostile specs
# --------------------------------------------------------------------------------------------------
INT_FLAGS = {  # command -> {flag: (min, max or None)}
    "simulate": {"--d": (1, None), "--T": (3, None), "--m": (1, None), "--m-test": (1, None),
                 "--epochs": (0, None), "--eval-every": (1, None), "--seed": (0, None)},
    "bench": {"--m": (1, None), "--T": (3, None), "--d": (1, None), "--repeat": (1, None), "--seed": (0, None)},
    "derive": {"--d": (1, 64), "--T": (3, 10**6)},
    "verify": {"--d": (1, None), "--T": (3, None), "--seed": (0, None)},
}
POS_FLOAT_FLAGS = {"simulate": ["--lr", "--dense-init"], "verify": ["--budget"]}
SPEC_FLAGS = {"simulate": SIM, "derive": DERIVE, "verify": VERIFY, "flow": FLOW}


def _is_int_in(text, lo, hi):
    try:
        value = int(text, 10)
    except ValueError:
        return False
    return value >= lo and (hi is None or value <= hi)


def _is_pos_finite(text):
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and value > 0


int_cases = st.sampled_from([(c, f, lim) for c, flags in INT_FLAGS.items() for f, lim in flags.items()])


@st.composite
def bad_int_argv(draw):
    cmd, flag, (lo, hi) = draw(int_cases)
    value = draw(st.one_of(
        st.integers(max_value=lo - 1).map(str),
        (st.integers(min_value=hi + 1).map(str) if hi is not None else st.integers(max_value=lo - 1).map(str)),
        st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not float(x).is_integer()).map(repr),
        st.text(max_size=12),
        st.sampled_from(CODE + NOT_INTS),
    ))
    if _is_int_in(value, lo, hi) or (cmd == "derive" and value.strip() in ("d", "oo", "inf", "infinity")
                                     or cmd == "derive" and value.strip().lower() in ("oo", "inf", "infinity")):
        value = "x" + value  # make sure it is bad
    return cmd, with_value(BASES[cmd], flag, value)


@st.composite
def bad_float_argv(draw):
    cmd = draw(st.sampled_from(sorted(POS_FLOAT_FLAGS)))
    flag = draw(st.sampled_from(POS_FLOAT_FLAGS[cmd]))
    value = draw(st.one_of(
        st.floats(max_value=0.0, allow_nan=False).map(repr),
        st.sampled_from(NUMS_NONFINITE + NOT_NUMBERS + CODE),
        st.text(max_size=12),
        st.integers(max_value=0).map(str),
    ))
    if _is_pos_finite(value):
        value = value + "x"
    base = BASES[cmd]
    if flag == "--dense-init":
        base = [a for a in base]
    return cmd, with_value(base, flag, value)


FAMILIES = ["gaussian", "sparse", "full-one", "uniform", "rademacher", "laplace", "student-t", "cgaussian",
            "mixture", "iid", "generic"]
GRAMMAR_CHARS = "abcsigmnu=,.*+-[]0123456789 e/"
FORBIDDEN = ["(", ")", "'", '"', "$", ";", "{", "}", "|", "&", "<", ">", "`", "\\", "__import__(", "lambda:",
             "${IFS}", ";rm -rf /", "\n;", "!", "#", "%", "@", "?", "~", "^"]


@st.composite
def bad_spec(draw):
    kind = draw(st.integers(0, 3))
    if kind == 0:  # a character the grammar never accepts, anywhere after the family name
        return (draw(st.sampled_from(FAMILIES)) + ":" + draw(st.text(GRAMMAR_CHARS, max_size=8))
                + draw(st.sampled_from(FORBIDDEN)) + draw(st.text(max_size=8)))
    if kind == 1:  # an unknown family name
        name = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,12}", fullmatch=True).filter(
            lambda n: n not in FAMILIES and n.lower() not in FAMILIES))
        return name + draw(st.sampled_from(["", ":c=1", ":sigma=1"]))
    if kind == 2:  # an out-of-range or non-finite number for a scale
        bad = draw(st.one_of(
            st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False).map(repr),
            st.sampled_from(["nan", "inf", "oo", "1e400", "1e-400", "-0.5", "10**100", "1e99999"]),
        ))
        return draw(st.sampled_from(["gaussian:sigma=", "sparse:c=", "laplace:b=", "uniform:c="])) + bad
    # hostile code as a whole spec
    return draw(st.sampled_from(CODE))


HYPO = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.function_scoped_fixture])


@HYPO
@given(case=bad_int_argv())
def test_hypothesis_bad_integers(case, tmp_path_factory):
    cmd, argv = case
    assert_rejected(argv, tmp_path_factory.mktemp("h"))


@HYPO
@given(case=bad_float_argv())
def test_hypothesis_bad_floats(case, tmp_path_factory):
    cmd, argv = case
    assert_rejected(argv, tmp_path_factory.mktemp("h"))


@HYPO
@given(cmd=st.sampled_from(sorted(SPEC_FLAGS)), spec=bad_spec())
def test_hypothesis_bad_specs(cmd, spec, tmp_path_factory):
    assert_rejected(with_value(SPEC_FLAGS[cmd], "--dist", spec), tmp_path_factory.mktemp("h"))


@HYPO
@given(cmd=st.sampled_from(["verify", "latex"]), claim=st.one_of(
    st.text(max_size=10), st.sampled_from(CODE), st.integers().map(lambda n: f"C{n}")))
def test_hypothesis_unknown_claims(cmd, claim, tmp_path_factory):
    from mesacheck.checks.runner import CLAIM_MODULES

    key = claim.strip().upper()
    if key in CLAIM_MODULES or (key.isdigit() and "C" + key in CLAIM_MODULES) or not claim.strip() \
            or claim.startswith("-"):
        claim = "Z" + claim + "Z"
    base = ["verify", claim, "--quick"] if cmd == "verify" else ["latex", claim, "-o", LATEX[-1]]
    assert_rejected(base, tmp_path_factory.mktemp("h"))




# --------------------------------------------------------------------------------------------------
# Every subcommand's base command line is valid (so the cases above test what they claim)
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", cli_main.SUBCOMMANDS)
def test_base_argv_parses(name):
    args = cli_main.build_parser().parse_args(BASES[name])
    assert args.command == name


def test_zz_count_distinct_bad_inputs(record_property):
    """Runs last in this module (pytest-xdist keeps a module on one worker: --dist loadscope):
    how many distinct bad command lines were tried."""
    record_property("summary", f"hostile grammar: distinct bad command lines tried: {len(TRIED)} "
                    f"(curated table: {len(set(CASES))})")
    assert len(TRIED) > 100
