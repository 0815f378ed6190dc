"""``reproduce``: the experiment table, the exact theory values, and one quick end-to-end run."""
import json
import os

import pytest

from mesacheck.cli.main import main
from mesacheck.errors import InputError
from mesacheck.numeric.reproduce import EXPERIMENTS, get_experiment, theory
from mesacheck.setting.distributions import parse_dist


def test_table_matches_experiments_md():
    assert set(EXPERIMENTS) == {"gaussian-0.5", "gaussian-1", "gaussian-2", "sparse-0.5", "sparse-1",
                                "sparse-2", "full-one", "full-one-masked"}
    assert (get_experiment("gaussian-2").lr, get_experiment("gaussian-2").epochs) == (2e-6, 201)
    assert (get_experiment("sparse-0.5").lr, get_experiment("sparse-0.5").epochs) == (3e-2, 200)
    assert get_experiment("full-one-masked").masked and "not recorded" in get_experiment("full-one").lr_source
    with pytest.raises(InputError, match="gaussian-1"):
        get_experiment("gaussian-3")


def test_theory_lines_from_exact_moments():
    th = theory(parse_dist("gaussian:sigma=2"))
    assert th["ab_inf"] == pytest.approx(1 / 20)            # 1/(5 sigma^2)
    assert th["ratio_inf"] == pytest.approx(0.2)             # u* sigma^2
    assert th["ab_T"] != th["ab_inf"]                        # finite T differs from the limit
    sp = theory(parse_dist("sparse:c=2"))
    assert sp["ab_inf"] == pytest.approx(1 / 4) and sp["loss_at_ab_T"] == pytest.approx(0, abs=1e-12)


@pytest.mark.slow
def test_reproduce_gaussian_quick_writes_pngs_and_json(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["reproduce", "gaussian-1", "--quick", "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    files = sorted(os.listdir(out))
    assert files == ["gaussian-1.json", "gaussian-1_ab.png", "gaussian-1_ratio.png"]
    assert all(os.path.getsize(out / f) > 1000 for f in files)
    saved = json.loads((out / "gaussian-1.json").read_text())
    assert saved["experiment"] == doc["experiment"] == "gaussian-1"
    assert len(doc["runs"]) == 3 and doc["quick"] and doc["m"] == 1000
    for run in doc["runs"]:
        assert run["final_ab"] == pytest.approx(doc["theory"]["ab_T"], rel=0.05)
        assert run["max_gap_ab_sim_vs_flow"] >= 0
    assert doc["max_gap_ab_sim_vs_flow"] == max(r["max_gap_ab_sim_vs_flow"] for r in doc["runs"])


def test_reproduce_bad_inputs_exit_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for argv in (["reproduce", "nope"], ["reproduce", "gaussian-1", "--out", str(blocker)],
                 ["reproduce", "gaussian-1", "--seed", "-1"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("mesacheck: error:")
    assert main(["reproduce", "list"]) == 0
    assert "full-one-masked" in capsys.readouterr().out
