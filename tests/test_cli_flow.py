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
    ["flow", "--dist", "gaussian:sigma=1", "--d", "12", "--T", "100", "--full", "--max-memory", "1G"],  # ~4.5 GiB
    ["flow", "--dist", "gaussian:sigma=1", "--d", "40", "--T", "100", "--full"],  # ~1.6 TiB: over any default
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


def test_full_flow_paper_size_reports_limit(tmp_path, capsys):
    """The issue's command: full-one, d = 5, T = 100, --full --json: converged, learned blocks,
    stationarity, the Hessian verdict, the best on-set loss; heatmap written."""
    png = tmp_path / "blocks.png"
    argv = ["flow", "--dist", "full-one:c=1", "--d", "5", "--T", "100", "--init", "0.5,1.5", "--full", "--json",
            "--heatmap", str(png)]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    a = doc["analysis"]
    assert doc["converged"] and a["grad_norm"] < 1e-6
    assert a["hessian"]["negative"] == 0 and a["hessian"]["rescaling_in_null_space"]
    assert a["hessian"]["unexplained_zero_modes"] == 0 and a["hessian"]["verdict"].startswith("local minimum")
    assert sorted(a["predictor"]["nonzero_blocks"]) == ["A = W^KQ_21", "B = W^PV_1"]
    assert a["loss"] < doc["best_on_set_loss"] - 1.0
    assert "hessian_zero_modes" in doc["tolerances"] and png.stat().st_size > 10000


def test_masked_full_flow_is_not_stationary_for_the_unmasked_loss(capsys):
    argv = ["flow", "--dist", "full-one:c=1", "--d", "3", "--T", "20", "--init", "0.5,1.5", "--full", "--masked", "--json"]
    assert main(argv) == 0
    a = json.loads(capsys.readouterr().out)["analysis"]
    assert a["grad_norm"] < 1e-6 < 1e-2 < a["grad_norm_full"]


def test_symmetric_flow_and_gd_cli(tmp_path, capsys):
    assert main(["flow", "--dist", "full-one:c=1", "--d", "4", "--T", "30", "--init", "0.5,1.5", "--symmetric",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "symmetric" and doc["coordinates"] == ["A_diag", "A_off", "B_diag", "B_off"]
    plot = tmp_path / "gd.png"
    assert main(["flow", "--dist", "gaussian:sigma=1", "--d", "3", "--T", "20", "--init", "2,2", "--gd", "--lr", "1e-3",
                 "--epochs", "40", "--json", "--plot", str(plot)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["system"] == "reduced" and len(doc["per_epoch"]["ab"]) == 41 and plot.stat().st_size > 10000


def test_derive_symmetric_cli(capsys):
    assert main(["derive", "symmetric", "--dist", "gaussian:sigma=1", "--d", "3", "--T", "10", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)["derivation"]["results"]
    assert r["certified"]["value"] is True and "A_diag" in r["limit"]["items"]


@pytest.mark.parametrize("argv", [
    ["flow", "--dist", "gaussian:sigma=1", "--gd", "--epochs", "3"],
    ["flow", "--dist", "gaussian:sigma=1", "--lr", "0.1"],
    ["flow", "--dist", "gaussian:sigma=1", "--dense-init", "0.1"],
    ["flow", "--dist", "gaussian:sigma=1", "--heatmap", "x.png"],
    ["flow", "--dist", "gaussian:sigma=1", "--full", "--plot", "x.txt"],
    ["flow", "--dist", "full-one:c=1", "--d", "3", "--T", "10", "--gd", "--lr", "1e-3", "--epochs", "3",
     "--system", "reduced"],
])
def test_new_bad_inputs_exit_2(argv, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith("mesacheck: error:")
