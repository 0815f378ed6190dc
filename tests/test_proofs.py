"""Every proof script exits 0 on the paper's settings and non-zero on a false setting."""
import importlib.util
import pathlib

import pytest

PROOFS = pathlib.Path(__file__).resolve().parents[1] / "proofs"
SCRIPTS = ["c1_one_step_gd", "c2_emergence", "c3_capability", "c4_gaussian_fails",
           "c5_sparse_succeeds", "c6_full_one", "c7_beyond"]


def load(name):
    spec = importlib.util.spec_from_file_location(f"proof_{name}", PROOFS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", SCRIPTS)
def test_proof_passes_on_paper_setting(name, capsys):
    assert load(name).main(["--quick"]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("name, dist", [
    ("c3_capability", "gaussian:sigma=1"),
    ("c2_emergence", "full-one:c=1"),
    ("c5_sparse_succeeds", "gaussian:sigma=1"),
])
def test_proof_fails_on_false_setting(name, dist, capsys):
    assert load(name).main(["--quick", "--dist", dist]) != 0
    out = capsys.readouterr().out
    assert "FAIL" in out


def test_proof_bad_spec_is_input_error(capsys):
    assert load("c2_emergence").main(["--quick", "--dist", "nosuchlaw:x=1"]) == 2
