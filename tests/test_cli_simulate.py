"""Command-line tests of ``mesacheck simulate`` and ``mesacheck bench``, in-process through main()."""
import json

import numpy as np
import pytest

from mesacheck.cli.main import main

BASE = ["simulate", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "6", "--m", "40", "--m-test", "30",
        "--lr", "0.01", "--epochs", "3"]


def _replace(args, flag, value):
    """BASE with ``flag``'s value replaced (or the flag appended)."""
    args = list(args)
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    return args


def _assert_one_line_error(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (argv, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mesacheck: error:"), err
    assert "Traceback" not in err


@pytest.mark.parametrize("flag,value", [
    ("--d", "0"), ("--T", "2"), ("--lr", "0"), ("--lr", "-1"), ("--lr", "nan"), ("--lr", "inf"),
    ("--m", "0"), ("--m-test", "0"), ("--init", "1"), ("--init", "a,b"), ("--init", "1,2,3"),
    ("--epochs", "-1"), ("--epochs", "1.5"), ("--eval-every", "0"), ("--seed", "-3"),
    ("--dense-init", "0"), ("--dist", "no-such-law"), ("--dist", "gaussian:sigma=-1"),
])
def test_bad_inputs_exit_2_with_one_line(capsys, flag, value):
    _assert_one_line_error(capsys, _replace(BASE, flag, value))


def test_unwritable_out_path(capsys, tmp_path):
    _assert_one_line_error(capsys, BASE + ["--out", str(tmp_path / "no" / "such" / "dir.npz")])
    _assert_one_line_error(capsys, BASE + ["--out", str(tmp_path)])  # a directory


def test_missing_required_and_conflicting_options(capsys):
    _assert_one_line_error(capsys, ["simulate", "--lr", "0.1", "--epochs", "1"])
    _assert_one_line_error(capsys, BASE + ["--init", "0.1,0.1", "--dense-init", "0.1"])


def test_text_output(capsys):
    assert main(BASE + ["--init", "0.5,1.5"]) == 0
    out, err = capsys.readouterr()
    assert "status: ok" in out and "a*b" in out and "init 0.5,1.5" in out
    assert len([ln for ln in out.splitlines() if ln.strip() and ln.split()[0].isdigit()]) == 4


def test_json_output_and_npz(capsys, tmp_path):
    path = tmp_path / "run.npz"
    assert main(BASE + ["--json", "--seed", "4", "--masked", "--out", str(path)]) == 0
    out, _ = capsys.readouterr()
    doc = json.loads(out)
    assert doc["seed"] == 4 and doc["command"][:2] == ["mesacheck", "simulate"]
    assert doc["settings"]["masked"] is True and doc["settings"]["m"] == 40
    assert doc["status"] == "ok" and doc["metrics"]["epoch"] == [0, 1, 2, 3]
    assert len(doc["final"]["kq"]) == 4
    with np.load(path) as z:
        assert list(z["epochs"]) == [0, 1, 2, 3]
    # Same seed, same JSON (byte-identical).
    assert main(BASE + ["--json", "--seed", "4", "--masked", "--out", str(path)]) == 0
    assert capsys.readouterr().out == out


def test_diverged_run_reports_status(capsys):
    from mesacheck.errors import EXIT_NUMERIC

    assert EXIT_NUMERIC == 4  # documented in `mesacheck --help` and the README
    assert main(_replace(BASE, "--lr", "1000") + ["--json"]) == EXIT_NUMERIC
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "diverged" and doc["diverged_epoch"] == 1
    assert "NaN" not in json.dumps(doc)


def test_bench_small(capsys):
    # d = 1: its scaling grid (d = 1, 2) reuses kernels the other tests compile.
    assert main(["bench", "--m", "30", "--T", "6", "--d", "1", "--repeat", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["agree"] is True and doc["max_rel_diff"]["fused_vs_naive"] < 1e-12
    assert set(doc["times_s"]) == {"fused", "structured", "generic", "naive", "last_prediction", "test_loss",
                                   "compile_or_load", "structured_prepare"}
    from mesacheck.setting.fused import epoch_flops
    assert doc["epoch_flops"] == epoch_flops(30, 6, 1)
    assert doc["floor_s"] == pytest.approx(doc["epoch_flops"] / (doc["gemm"]["gflops_best"] * 1e9))
    assert doc["floor_ratio"] == pytest.approx(doc["times_s"]["fused"] / doc["floor_s"])
    assert set(doc["scaling"]) == {"m", "T", "d"} and doc["scaling"]["d"]["sizes"] == [1, 2]
    assert "3-5x faster" in doc["baseline_note"]
    assert main(["bench", "--m", "30", "--T", "6", "--d", "2", "--repeat", "1", "--no-scaling", "--no-naive"]) == 0
    out = capsys.readouterr().out
    assert "speed-up" in out and "floor" in out and "scaling" not in out
    _assert_one_line_error(capsys, ["bench", "--T", "2"])
