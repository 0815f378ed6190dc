"""Check that given tests kill given mutants, without a full ``mutmut run`` (triage helper).

mutmut 3 keeps every mutant in mutants/ behind a trampoline chosen by the MUTANT_UNDER_TEST
environment variable, so one mutant is one pytest run in that directory. For each mutant name:
run the given tests of the work tree against it (killed = pytest fails; the first failing test is
recorded), after checking that the same tests pass with no mutant active. Records results in
mutants/kills.json; mutmut's own cache
is not touched (a later ``mutmut run NAME`` re-tests the mutant with the full selection).

    python tools/mutation_kills.py NAME[,NAME...] -- tests/test_x.py::test_y [more pytest args]
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(mutant, tests):
    """(pytest exit code, the first failing test as tests/x.py::name or None) with ``mutant`` active."""
    env = dict(os.environ, MUTANT_UNDER_TEST=mutant)
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-rf", "-p", "no:cacheprovider", f"--rootdir={ROOT}"]
    cmd += [str(ROOT / t) if t.startswith("tests/") else t for t in tests]
    proc = subprocess.run(cmd, cwd=ROOT / "mutants", env=env, capture_output=True, text=True)
    # pytest names the test relative to the working directory mutants/
    failed = [ln.split()[1].removeprefix("../") for ln in proc.stdout.splitlines() if ln.startswith("FAILED ")]
    return proc.returncode, (failed[0] if failed else None)


def main(argv):
    if "--" not in argv or not (ROOT / "mutants").is_dir():
        print(__doc__, file=sys.stderr)
        return 2
    sep = argv.index("--")
    names = [n for a in argv[:sep] for n in a.split(",") if n]
    tests = argv[sep + 1:]
    if run("", tests)[0] != 0:
        print("mutation_kills: the tests fail with no mutant active", file=sys.stderr)
        return 1
    path = ROOT / "mutants" / "kills.json"
    record = json.loads(path.read_text()) if path.exists() else {}
    for name in names:
        code, first = run(name, tests)
        status = "killed" if code == 1 else ("survived" if code == 0 else f"error (pytest exit {code})")
        record[name] = {"status": status, "tests": tests, "killed_by": first}
        print(f"{status:9s} {name}" + (f"  by {first}" if first else ""))
    path.write_text(json.dumps(record, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
