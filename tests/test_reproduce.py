"""``reproduce``: the experiment table, the exact theory values, the sampling standard error, the
population-GD hook, and ``reproduce all --quick`` end to end (reduced size) with safe output."""
import csv
import json
import os
import sys
import types

import numpy as np
import pytest

from mesacheck.cli.main import main
from mesacheck.errors import InputError
from mesacheck.numeric import reproduce as rep
from mesacheck.numeric import sampling_error as se
from mesacheck.numeric.simulator import simulate, training_batch
from mesacheck.numeric.reproduce import EXPERIMENTS, get_experiment, theory
from mesacheck.setting.distributions import parse_dist

N_ROWS = len(EXPERIMENTS) * len(rep.INITS)


def test_table_matches_experiments_md():
    assert set(EXPERIMENTS) == {"gaussian-0.5", "gaussian-1", "gaussian-2", "sparse-0.5", "sparse-1",
                                "sparse-2", "full-one", "full-one-masked"}
    assert (get_experiment("gaussian-0.5").lr, get_experiment("gaussian-0.5").epochs) == (1e-3, 200)
    assert (get_experiment("gaussian-1").lr, get_experiment("gaussian-1").epochs) == (1e-4, 150)
    assert (get_experiment("gaussian-2").lr, get_experiment("gaussian-2").epochs) == (2e-6, 201)
    assert (get_experiment("sparse-0.5").lr, get_experiment("sparse-0.5").epochs) == (3e-2, 200)
    assert (get_experiment("sparse-1").lr, get_experiment("sparse-1").epochs) == (1e-3, 200)
    assert (get_experiment("sparse-2").lr, get_experiment("sparse-2").epochs) == (1e-4, 121)
    assert get_experiment("full-one-masked").masked and not get_experiment("full-one").masked
    assert "not recorded" in get_experiment("full-one").lr_source
    assert rep.INITS == ((0.1, 0.1), (0.5, 1.5), (2.0, 2.0))
    assert (rep.M, rep.M_TEST, rep.D, rep.T) == (10000, 10000, 5, 100)
    assert rep.sizes(get_experiment("gaussian-1"), quick=False) == (10000, 10000, 100, 150, 1)
    with pytest.raises(InputError, match="gaussian-1"):
        get_experiment("gaussian-3")


def test_theory_lines_from_exact_moments():
    th = theory(parse_dist("gaussian:sigma=2"))
    assert th["ab_inf"] == pytest.approx(1 / 20)            # 1/(5 sigma^2)
    assert th["ratio_inf"] == pytest.approx(0.2)             # u* sigma^2
    assert th["ab_T"] != th["ab_inf"]                        # finite T differs from the limit
    sp = theory(parse_dist("sparse:c=2"))
    assert sp["ab_inf"] == pytest.approx(1 / 4) and sp["loss_at_ab_T"] == pytest.approx(0, abs=1e-12)


def _fake_population_gd(calls):
    """A stand-in for the other branch's population_gd: ab(epoch) = 0.5 for every epoch."""
    def population_gd(dist, d, T, init, lr, epochs, masked):
        calls.append((dist.spec, d, T, tuple(init), lr, epochs, masked))
        return {"ab": np.full(epochs + 1, 0.5), "loss": np.zeros(epochs + 1)}
    return population_gd


def test_population_gd_hook(monkeypatch):
    """Absent module -> None; present -> called with the run's settings and checked for length."""
    monkeypatch.setitem(sys.modules, "mesacheck.numeric.population_gd", None)
    assert rep.population_gd_reference(parse_dist("gaussian:sigma=1"), 5, 100, (0.1, 0.1), 1e-4, 3, False) is None
    calls = []
    fake = types.ModuleType("mesacheck.numeric.population_gd")
    fake.population_gd = _fake_population_gd(calls)
    monkeypatch.setitem(sys.modules, "mesacheck.numeric.population_gd", fake)
    out = rep.population_gd_reference(parse_dist("gaussian:sigma=1"), 5, 100, (0.1, 0.1), 1e-4, 3, True)
    assert np.array_equal(out["ab"], np.full(4, 0.5)) and calls[0][3:] == ((0.1, 0.1), 1e-4, 3, True)
    fake.population_gd = lambda *a: (np.zeros(2), None)
    with pytest.raises(InputError, match="expected 4"):
        rep.population_gd_reference(parse_dist("gaussian:sigma=1"), 5, 100, (0.1, 0.1), 1e-4, 3, True)


def test_replicates_give_per_epoch_standard_errors_and_the_hook_fills_its_columns(monkeypatch):
    calls = []
    fake = types.ModuleType("mesacheck.numeric.population_gd")
    fake.population_gd = _fake_population_gd(calls)
    monkeypatch.setitem(sys.modules, "mesacheck.numeric.population_gd", fake)
    p = rep.run_experiment("gaussian-1", quick=True, seed=3, replicates=3, progress=False)
    dist = parse_dist(p["dist"])
    stats = [se.diagonal_statistics(training_batch(dist, 5, p["T"], p["m"], s)) for s in p["seeds"]]
    assert p["seeds"] == [3, 4, 5] and p["se_method"] == rep.SE_REPLICATES and len(calls) == 3
    for run in p["runs"]:
        n = len(run["epoch"])
        assert run["ab_se"].shape == (n,) and np.all(run["ab_se"][1:] > 0) and run["ab_se"][0] == 0
        assert run["final"]["se"] == pytest.approx(max(run["ab_se"][-1], 1e-10))
        assert run["final"]["se_sandwich"] > 0
        assert np.array_equal(run["popgd_ab"], np.full(n, 0.5))
        # population GD (faked: 0.5) against each run, in units of the run's own trajectory SE
        traj = [se.trajectory_standard_error(st, run["init"], p["lr"], p["epochs"]) for st in stats]
        finals = [simulate(dist, 5, p["T"], p["m"], p["lr"], p["epochs"], init=run["init"], seed=s,
                           m_test=p["m_test"], progress=False).ab[-1] for s in p["seeds"]]
        assert np.mean(finals) == pytest.approx(run["final"]["ab"], rel=1e-12)
        gaps = [abs(f - 0.5) / t["se"][-1] for f, t in zip(finals, traj)]
        assert run["popgd_gap_se"][-1] == pytest.approx(max(gaps), rel=1e-9)
        rms = np.sqrt(np.mean([t["se"][-1] ** 2 for t in traj]))
        assert run["final"]["dev_popgd_se"] == pytest.approx((np.mean(finals) - 0.5) / (rms / np.sqrt(3)))
        assert run["final"]["popgd_gap_se_max"] == pytest.approx(np.max(run["popgd_gap_se"]))
        assert run["final"]["popgd_gap_method"] == rep.SE_TRAJECTORY
        diag = [abs(f - t["ab"][-1]) / t["se"][-1] for f, t in zip(finals, traj)]
        assert run["diag_gap_se"][-1] == pytest.approx(max(diag), rel=1e-9)
        lin = [abs(t["ab"][-1] - 0.5) / t["se"][-1] for t in traj]
        assert run["diag_popgd_gap_se"][-1] == pytest.approx(max(lin), rel=1e-9)
    rows = rep.summary_rows([p])
    assert len(rows) == 3 and all(r["dev_popgd_se"] is not None for r in rows)


def test_reproduce_all_quick_end_to_end(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["reproduce", "all", "--quick", "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert "reproduce [24/24]" in captured.err and "wall time" in captured.err
    files = set(os.listdir(out))
    for name, e in EXPERIMENTS.items():
        assert {f"{name}.json", f"{name}_ab.png", f"{name}_{e.metric}.png"} <= files
        if e.family == "full-one":
            assert f"{name}_weights.png" in files
    assert {"summary.csv", "summary.json", "summary_deviations.png"} <= files
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".mesacheck")]  # no staging left
    assert all(os.path.getsize(out / f) > 200 for f in files)
    with open(out / "summary.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == N_ROWS == len(doc["summary"])
    assert [r["configuration"] for r in rows[::3]] == list(EXPERIMENTS)
    for row, jrow in zip(rows, doc["summary"]):
        assert float(row["ab_final"]) == jrow["ab_final"]
        if row["configuration"] == "full-one":  # set left: no exact value, no sandwich SE
            assert row["ab_exact_T"] == "" and row["se"] == "" and row["dev_exact_se"] == ""
        else:
            ab, exact, se = float(row["ab_final"]), float(row["ab_exact_T"]), float(row["se"])
            assert se > 0 and float(row["dev_exact_se"]) == pytest.approx((ab - exact) / se)
    saved = json.loads((out / "gaussian-1.json").read_text())
    assert saved["quick"] and saved["m"] == rep.QUICK["m"] and len(saved["runs"]) == 3
    assert "SE:" in json.loads((out / "summary.json").read_text())["se_note"]


def test_reproduce_output_is_staged_and_removed_on_failure(tmp_path, monkeypatch, capsys):
    """A failure after computing leaves no folder (and no staging folder) behind; an existing folder
    keeps its unrelated files and gets complete files only."""
    from mesacheck.output import reproduce_report

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    out = tmp_path / "new"
    monkeypatch.setattr(reproduce_report, "summary_csv", boom)
    assert main(["reproduce", "gaussian-1", "--quick", "--out", str(out)]) == 130
    assert os.listdir(tmp_path) == []
    monkeypatch.undo()
    existing = tmp_path / "old"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    assert main(["reproduce", "sparse-1", "--quick", "--out", str(existing)]) == 0
    assert (existing / "keep.txt").read_text() == "mine"
    assert {"sparse-1.json", "sparse-1_ab.png", "sparse-1_test_loss.png", "summary.csv"} <= set(os.listdir(existing))
    assert sorted(os.listdir(tmp_path)) == ["old"]
    capsys.readouterr()


def test_reproduce_bad_inputs_exit_2_before_computing(tmp_path, capsys, monkeypatch):
    def tripwire(*a, **k):
        raise AssertionError("started computing")

    monkeypatch.setattr(rep, "run_experiment", tripwire)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    for argv in (["reproduce", "nope"], ["reproduce", "gaussian-1", "--out", str(blocker)],
                 ["reproduce", "all", "--out", str(link)], ["reproduce", "all", "--out", str(tmp_path / "a" / "b")],
                 ["reproduce", "gaussian-1", "--seed", "-1"], ["reproduce", "all", "--replicates", "0"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("mesacheck: error:")
    assert not (tmp_path / "nowhere").exists() and blocker.read_text() == "x"
    assert main(["reproduce", "list"]) == 0
    assert "full-one-masked" in capsys.readouterr().out


def test_help_states_default_folder_lr_choice_se_and_ratio(capsys):
    with pytest.raises(SystemExit):
        main(["reproduce", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "mesacheck-reproduce" in text and "5e-4" in text and "sandwich" in text and "x_{T,j} != 0" in text
