"""End-to-end harness for hostile command lines (used by tests/test_hostile_*.py).

Every case runs the real ``mesacheck`` command - in-process through ``main(argv)``, or in a
subprocess for a sample - inside a sandbox:

    <root>/sandbox/   the working directory: good output files, symlinks (dangling and not) into
                      the decoy, a link to the decoy directory
    <root>/decoy/     files the links point at, which nothing may touch
    <root>/tmp/       TMPDIR / tempfile.tempdir: must be empty again afterwards

and asserts: the exit code; stderr is exactly one line with the prefix of that exit code (or, for
commands that print progress, that the last line is); no traceback; every file of the sandbox and
the decoy unchanged except the outputs the case asked for (content digests before and after); no
canary file; a bounded wall time; and a bounded address space (RLIMIT_AS, so that a memory blow-up
fails the test with a MemoryError instead of taking the machine down).
"""
import contextlib
import dataclasses
import hashlib
import io
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from typing import Optional

from mesacheck.cli import main as cli_main

CANARIES = ("/tmp/PWNED", "/tmp/PWNED2")
#: extra address space allowed to an in-process call, and the limit of a subprocess.
INPROCESS_EXTRA_AS = 6 * 2**30
SUBPROCESS_AS = 6 * 2**30
PREFIX = {2: "mesacheck: error:", 3: "mesacheck: timeout:"}
INTERNAL = "mesacheck: internal error:"


@dataclasses.dataclass
class Case:
    """One command line and what must happen.

    ``code``: the exit code (or a tuple of acceptable ones). ``writes``: sandbox-relative paths
    the command may create or change (they must exist afterwards when the code is 0). ``stderr``:
    'one' (exactly one line, with the code's prefix), 'last' (progress lines, then that line),
    'any' (no error line required: successes and results such as a diverged run).
    ``contains``: text the error line (or, on success, stdout) must contain. ``wired``: heavy
    entry points are tripwired (the refusal must come before any computation).
    """

    argv: tuple
    code: object = 2
    writes: tuple = ()
    stderr: str = "one"
    contains: Optional[str] = None
    wired: bool = False
    wall: float = 120.0
    note: str = ""

    @property
    def codes(self):
        return self.code if isinstance(self.code, tuple) else (self.code,)


# -- sandbox --------------------------------------------------------------------------------------
class Sandbox:
    """The directory tree of one case (see the module docstring)."""

    GOOD = {"good.npz": b"GOOD-NPZ", "good.tex": b"GOOD-TEX", "good.png": b"GOOD-PNG",
            "sub/keep.txt": b"keep", "out/old.txt": b"old"}
    DECOY = {"existing.npz": b"DECOY", "existing.tex": b"DECOY", "existing.png": b"DECOY",
             "nested/file.txt": b"DECOY"}
    LINKS = {"dangling.npz": "../decoy/missing.npz", "dangling.tex": "../decoy/missing.tex",
             "dangling.png": "../decoy/missing.png", "link.npz": "../decoy/existing.npz",
             "link.tex": "../decoy/existing.tex", "link.png": "../decoy/existing.png",
             "linkdir": "../decoy", "danglingdir": "../decoy/missing-dir"}

    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.sandbox = os.path.join(self.root, "sandbox")
        self.decoy = os.path.join(self.root, "decoy")
        self.tmp = os.path.join(self.root, "tmp")
        for base, files in ((self.sandbox, self.GOOD), (self.decoy, self.DECOY)):
            for rel, data in files.items():
                path = os.path.join(base, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as fh:
                    fh.write(data)
        for rel, target in self.LINKS.items():
            os.symlink(target, os.path.join(self.sandbox, rel))
        os.makedirs(self.tmp)

    def digest(self):
        """{(tree, relative path): description} of every entry of the sandbox, decoy and tmp."""
        out = {}
        for name, base in (("sandbox", self.sandbox), ("decoy", self.decoy), ("tmp", self.tmp)):
            for dirpath, dirnames, filenames in os.walk(base):
                for entry in dirnames + filenames:
                    path = os.path.join(dirpath, entry)
                    rel = os.path.relpath(path, base)
                    st = os.lstat(path)
                    if stat.S_ISLNK(st.st_mode):
                        out[(name, rel)] = ("link", os.readlink(path))
                    elif stat.S_ISDIR(st.st_mode):
                        out[(name, rel)] = ("dir", stat.S_IMODE(st.st_mode))
                    else:
                        with open(path, "rb") as fh:
                            out[(name, rel)] = ("file", stat.S_IMODE(st.st_mode),
                                                hashlib.sha256(fh.read()).hexdigest())
        return out


def changes(before, after):
    """Entries created, changed or removed between two digests: {(tree, rel): (before, after)}."""
    keys = set(before) | set(after)
    return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}


# -- running -----------------------------------------------------------------------------------------
class TookTooLong(BaseException):
    """Raised by the harness's alarm: a call ran longer than its wall-time bound."""


@dataclasses.dataclass
class Outcome:
    code: object
    out: str
    err: str
    seconds: float
    maxrss: Optional[int] = None


def _vm_size():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@contextlib.contextmanager
def _address_space(limit):
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    new = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (new, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@contextlib.contextmanager
def _alarm(seconds):
    def on_alarm(signum, frame):
        raise TookTooLong(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_inprocess(argv, sb, wall, wired=False):
    """``main(argv)`` with cwd = the sandbox, tempfile.tempdir = sb.tmp, RLIMIT_AS and an alarm."""
    from tripwires import tripwires

    out, err = io.StringIO(), io.StringIO()
    cwd, tempdir = os.getcwd(), tempfile.tempdir
    start = time.monotonic()
    try:
        os.chdir(sb.sandbox)
        tempfile.tempdir = sb.tmp
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
            # As in a real process: a warning reaches stderr (pytest would otherwise swallow it).
            warnings.simplefilter("always")
            warnings.showwarning = warnings._showwarning_orig
            with (tripwires() if wired else contextlib.nullcontext()), \
                    _address_space(_vm_size() + INPROCESS_EXTRA_AS), _alarm(wall):
                try:
                    code = cli_main.main(list(argv))
                except BaseException as exc:  # noqa: BLE001 - reported by the caller
                    code = exc
    finally:
        os.chdir(cwd)
        tempfile.tempdir = tempdir
    return Outcome(code, out.getvalue(), err.getvalue(), time.monotonic() - start)


def _limits():  # runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (SUBPROCESS_AS, SUBPROCESS_AS))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


#: the console entry point, reporting its own peak RSS (VmHWM of this process image: ru_maxrss would
#: include the forked pytest process's, which Linux carries across execve) into $HOSTILE_HWM.
ENTRY = """
import os, sys
from mesacheck.cli.main import main
try:
    code = main()
finally:
    try:
        with open("/proc/self/status") as fh:
            kib = next(line for line in fh if line.startswith("VmHWM:")).split()[1]
        with open(os.environ["HOSTILE_HWM"], "w") as out:
            out.write(kib)
    except (OSError, StopIteration, KeyError):
        pass
sys.exit(code)
"""


def run_subprocess(argv, sb, wall, env=None, command=None):
    """The real console entry point in a child process (argv straight to execve, no shell) with
    RLIMIT_AS, TMPDIR = sb.tmp and a wall-time kill; returns its peak RSS (VmHWM, when reported)."""
    io_dir = tempfile.mkdtemp(prefix="hostile-io-")
    out_path, err_path = os.path.join(io_dir, "out"), os.path.join(io_dir, "err")
    hwm_path = os.path.join(io_dir, "hwm")
    command = command or [sys.executable, "-c", ENTRY]
    environment = dict(os.environ, TMPDIR=sb.tmp, HOSTILE_HWM=hwm_path, **(env or {}))
    start = time.monotonic()
    with open(out_path, "wb") as out_fh, open(err_path, "wb") as err_fh:
        proc = subprocess.Popen(command + list(argv), cwd=sb.sandbox, env=environment, stdout=out_fh,
                                stderr=err_fh, stdin=subprocess.DEVNULL, preexec_fn=_limits)
        killer = threading.Timer(wall, proc.kill)
        killer.start()
        try:
            _, status = os.waitpid(proc.pid, 0)
        finally:
            killer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    with open(out_path, errors="replace") as fh:
        out = fh.read()
    with open(err_path, errors="replace") as fh:
        err = fh.read()
    code = proc.returncode if seconds < wall else TookTooLong(f"killed after {wall} s")
    peak = None
    if os.path.exists(hwm_path):
        with open(hwm_path) as fh:
            peak = int(fh.read()) * 1024
    shutil.rmtree(io_dir, ignore_errors=True)
    return Outcome(code, out, err, seconds, peak)


# -- the contract --------------------------------------------------------------------------------------
def check(case, outcome, before, after, sb):
    """Assert the contract of ``case`` on ``outcome`` (see the module docstring)."""
    shown = " ".join(map(repr, case.argv))
    res, out, err = outcome.code, outcome.out, outcome.err
    if isinstance(res, BaseException):
        raise AssertionError(f"{type(res).__name__}: {res!r} escaped main() (a traceback) for: mesacheck {shown}"
                             f"\nstderr: {err[-800:]}")
    assert res in case.codes, (f"exit {res}, expected {case.code} for mesacheck {shown}\n"
                               f"stdout: {out[-800:]}\nstderr: {err[-800:]}")
    assert "Traceback" not in err and "Traceback" not in out, f"traceback for mesacheck {shown}: {err[-800:]}"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    prefix = PREFIX.get(res)
    if case.stderr in ("one", "last") and prefix is not None:
        if case.stderr == "one":
            assert len(lines) == 1, f"stderr is not one line for mesacheck {shown}: {err!r}"
        assert lines and lines[-1].startswith(prefix) and lines[-1].strip() != prefix, (
            f"stderr does not end in one {prefix!r} line for mesacheck {shown}: {err[-800:]!r}")
        assert len(lines[-1]) <= cli_main.MAX_LINE + 40, f"error line of {len(lines[-1])} characters"
        if case.contains is not None:
            assert case.contains in lines[-1], f"{case.contains!r} not in {lines[-1]!r}"
    else:
        assert not any(ln.startswith(INTERNAL) for ln in lines), f"internal error for mesacheck {shown}: {err}"
        if case.contains is not None:
            assert case.contains in out, f"{case.contains!r} not in stdout of mesacheck {shown}: {out[-800:]}"
    for canary in CANARIES:
        assert not os.path.exists(canary), f"{canary} was created by mesacheck {shown}"
    allowed = {("sandbox", os.path.normpath(w)) for w in case.writes}
    allowed |= {("sandbox", os.path.dirname(os.path.normpath(w))) for w in case.writes
                if os.path.dirname(os.path.normpath(w))}
    extra = {k: v for k, v in changes(before, after).items()
             if not (k in allowed or any(k[0] == "sandbox" and k[1].startswith(w[1] + os.sep) for w in allowed))}
    assert not extra, f"files created/changed/removed outside the requested output by mesacheck {shown}: {extra}"
    if res == 0:
        for w in case.writes:
            assert os.path.exists(os.path.join(sb.sandbox, w)), f"{w} was not written by mesacheck {shown}"


def run_case(case, root, mode="inprocess"):
    """Build a sandbox under ``root``, run ``case`` there, check the contract; return the Outcome."""
    sb = Sandbox(root)
    before = sb.digest()
    if mode == "inprocess":
        outcome = run_inprocess(case.argv, sb, case.wall, wired=case.wired)
    else:
        outcome = run_subprocess(case.argv, sb, case.wall)
    after = sb.digest()
    check(case, outcome, before, after, sb)
    return outcome
