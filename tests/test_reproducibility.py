"""Reproducibility of the command line: the same command with the same --seed prints byte-identical
JSON; every JSON document carries mesacheck_version, command, seed and tolerances; a simulation
with a too-large step reports 'diverged' with its epoch and no NaN.

Subcommands whose module does not exist yet are skipped by a skipif mark keyed on its presence.
"""
import contextlib
import importlib.util
import io
import json
import math

import pytest

from mesacheck import __version__
from mesacheck.cli.main import main

PROVENANCE = ("mesacheck_version", "command", "seed", "tolerances")


def needs(name):
    present = importlib.util.find_spec(f"mesacheck.cli.cmd_{name}") is not None
    return pytest.mark.skipif(not present, reason=f"mesacheck/cli/cmd_{name}.py does not exist yet")


def run_json(argv, expected_code=0):
    """Run main(argv) in-process; return (stdout text, parsed JSON)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    assert code == expected_code, (argv, code, err.getvalue()[-800:])
    text = out.getvalue()
    return text, json.loads(text)


SIM = ["simulate", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "8", "--m", "50", "--m-test", "30",
       "--lr", "0.01", "--epochs", "5", "--json"]
DERIVE = ["derive", "limit", "--dist", "gaussian:sigma=1", "--d", "3", "--T", "20", "--json"]
FLOW = ["flow", "--dist", "sparse:c=1", "--d", "2", "--T", "10", "--init", "0.1,0.1", "--json"]

SAME_SEED = [
    pytest.param(SIM + ["--seed", "7"], id="simulate"),
    pytest.param(SIM + ["--seed", "7", "--dense-init", "0.05", "--complex-params"], id="simulate-dense-complex"),
    pytest.param(DERIVE, id="derive-limit"),
    pytest.param(["derive", "limit", "--dist", "gaussian:sigma=s", "--d", "d", "--T", "oo", "--json"],
                 id="derive-limit-symbolic"),
    pytest.param(FLOW, id="flow", marks=needs("flow")),
    pytest.param(["dists", "--json"], id="dists"),
]


@pytest.mark.parametrize("argv", SAME_SEED)
def test_same_command_same_seed_byte_identical_json(argv):
    first, doc = run_json(argv)
    second, _ = run_json(argv)
    assert first == second
    assert doc["command"] == ["mesacheck", *argv]


def test_different_seed_changes_simulation():
    _, a = run_json(SIM + ["--seed", "1"])
    _, b = run_json(SIM + ["--seed", "2"])
    assert a["seed"] == 1 and b["seed"] == 2
    assert a["metrics"]["train_loss"] != b["metrics"]["train_loss"]


EVERY_JSON = [
    pytest.param(SIM + ["--seed", "3"], 3, id="simulate"),
    pytest.param(DERIVE, None, id="derive-limit"),
    pytest.param(["derive", "ode", "--dist", "iid-symmetric", "--d", "d", "--T", "oo", "--json"], None, id="derive-ode"),
    pytest.param(["dists", "--json"], None, id="dists"),
    pytest.param(["bench", "--m", "20", "--T", "6", "--d", "2", "--repeat", "1", "--seed", "4", "--json"], 4,
                 id="bench"),
    pytest.param(["verify", "C1", "--quick", "--seed", "5", "--json"], 5, id="verify"),
    pytest.param(FLOW, None, id="flow", marks=needs("flow")),
]


@pytest.mark.parametrize("argv,seed", EVERY_JSON)
def test_every_json_records_provenance(argv, seed):
    _, doc = run_json(argv)
    missing = [k for k in PROVENANCE if k not in doc]
    assert not missing, f"JSON of {' '.join(argv)} lacks {missing}"
    assert doc["mesacheck_version"] == __version__
    assert doc["command"] == ["mesacheck", *argv]
    assert isinstance(doc["tolerances"], dict)
    if seed is not None:
        assert doc["seed"] == seed


def _no_nan_anywhere(text, doc):
    assert "NaN" not in text and "nan" not in text.lower().replace("nan_", ""), text[:400]

    def walk(x):
        if isinstance(x, float):
            assert math.isfinite(x)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(doc)


@pytest.mark.parametrize("lr", ["1000", "1e6", "1e308"])
def test_too_large_step_reports_diverged_with_epoch_and_no_nan(lr):
    argv = ["simulate", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "6", "--m", "40", "--m-test", "30",
            "--lr", lr, "--epochs", "20", "--json"]
    text, doc = run_json(argv, expected_code=4)  # EXIT_NUMERIC: a diverged run
    assert doc["status"] == "diverged"
    epoch = doc["diverged_epoch"]
    assert isinstance(epoch, int) and 1 <= epoch <= 20
    # the metrics stop at the last healthy epoch, before the divergence
    assert doc["metrics"]["epoch"] and doc["metrics"]["epoch"][-1] < epoch
    _no_nan_anywhere(text, doc)
    assert "inf" not in text.lower()


def test_healthy_run_is_not_diverged():
    _, doc = run_json(SIM)
    assert doc["status"] == "ok" and doc["diverged_epoch"] is None
