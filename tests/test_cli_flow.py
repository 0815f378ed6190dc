"""``mesacheck flow``: output, JSON, plot, and one-line errors with exit code 2."""
import json

import pytest

from mesacheck.cli.main import main


def test_reduced_flow_text(capsys):
    assert main(["flow", "--dist", "gaussian:sigma=1", "--d", "5", "--T", "100", "--init", "0.5,1.5"]) == 0
    out = capsys.readouterr().out
    assert "converged: yes" in out and "Radau" in out and "criterion" in out


def test_full_flow_json_and_plot(tmp_path, capsys):
    png = tmp_path / "f.png"
    argv = ["flow", "--dist", "full-one:c=1", "--d", "2", "--T", "5", "--full", "--init=0.5,1.5",
            "--json", "--plot", str(png)]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "full" and doc["converged"] and doc["offdiag_max"] > 1e-3
    assert doc["command"][0] == "mesacheck" and "criterion" in doc["tolerances"]
    assert len(doc["trajectory"]["tau"]) == len(doc["trajectory"]["ab"])
    assert png.stat().st_size > 1000


def test_empirical_flow_cli(capsys):
    argv = ["flow", "--dist", "sparse:c=1", "--d", "2", "--T", "5", "--empirical", "--m", "200",
            "--seed", "3", "--tau", "0.5", "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["m"] == 200 and doc["seed"] == 3 and doc["tau_end"] == pytest.approx(0.5)


@pytest.mark.parametrize("argv", [
    ["flow", "--dist", "gaussian:sigma=1", "--d", "12", "--T", "100", "--full"],
    ["flow", "--dist", "bogus"],
    ["flow", "--dist", "gaussian:sigma=s", "--d", "2", "--T", "5"],
    ["flow", "--dist", "gaussian:sigmas=1,2", "--d", "2", "--T", "5"],
    ["flow", "--dist", "gaussian:sigma=1", "--init", "1"],
    ["flow", "--dist", "gaussian:sigma=1", "--init", "nan,1"],
    ["flow", "--dist", "gaussian:sigma=1", "--d", "0"],
    ["flow", "--dist", "gaussian:sigma=1", "--T", "2"],
    ["flow", "--dist", "gaussian:sigma=1", "--tau", "-1"],
    ["flow", "--dist", "gaussian:sigma=1", "--masked"],
    ["flow", "--dist", "gaussian:sigma=1", "--full", "--empirical"],
    ["flow", "--dist", "gaussian:sigma=1", "--plot", "/nonexistent/dir/f.png"],
])
def test_bad_inputs_exit_2_with_one_line(argv, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith("mesacheck: error:")
    assert captured.out == ""
