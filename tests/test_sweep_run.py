"""Sweeps run point by point (scheduler='serial', the same budgeted worker code Dask runs): values
equal to the single library calls, resume without recomputation, failing points recorded with
their reason, the output files, the plot, and the command line."""
import json
import os
import subprocess
import sys
import time

import pandas as pd
import pytest
import sympy

from mesacheck.cli.main import main
from mesacheck.errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_TIMEOUT, ReductionError
from mesacheck.setting.distributions import parse_dist
from mesacheck.sweep import sweep, tasks
from mesacheck.symbolic import printing

SERIAL = {"scheduler": "serial", "progress": False}


# -- a stand-in WHAT whose every computation is counted (the count survives the point's process) -----
COUNTER = {"path": None, "sleep": 0.0}


def _counted(args):
    with open(COUNTER["path"], "a", encoding="utf-8") as fh:
        fh.write(f"{args.dist} d={args.d} T={args.T}\n")
    if args.d == 3:
        raise RuntimeError("boom")
    if args.d == 4:
        time.sleep(60)
    if args.d == 5:
        bytearray(2**31)  # 2 GiB, over a 200 MiB budget
    if args.d == 6:
        raise ReductionError("not exact for this law")
    time.sleep(COUNTER["sleep"])
    return {"value": sympy.Rational(args.d, 7) * parse_dist(args.dist).params["sigma"]}, {"even": args.d % 2 == 0}


@pytest.fixture
def counted(monkeypatch, tmp_path):
    path = tmp_path / "computations.log"
    path.write_text("")
    monkeypatch.setitem(COUNTER, "path", str(path))
    monkeypatch.setitem(tasks.TASKS, "derive-limit", tasks.Task(
        "derive-limit", _counted, "counted stand-in", settings={"masked": False}, metric="value",
        outputs=("value", "even")))
    return lambda: path.read_text().splitlines()


# -- values equal the single library calls ------------------------------------------------------------
def test_derive_limit_grid_equals_single_calls(tmp_path):
    from mesacheck.symbolic.reduced import derive_reduced

    df = sweep("derive-limit", "gaussian:sigma=1,2", "2", "5,oo", out=str(tmp_path), **SERIAL)
    assert len(df) == 4 and list(df["T"]) == ["5", "oo"] * 2
    for row in df.itertuples():
        expected = derive_reduced(parse_dist(row.dist), row.d, 5 if row.T == "5" else "oo").get("ab_limit")
        assert row.status == "ok" and row.ab_limit_exact == printing.text(expected)
        assert row.ab_limit == float(sympy.N(expected, 30)) and row.system == "scalar"
    # by hand from u* = (T-2) m4 / ((T-2) m6 + (d-1) m2 m4 H_{T-2}) with m2, m4, m6 = 1, 3, 15
    # (sigma = 1): 9 / (45 + 3 H_3) at d = 2, T = 5; sigma = 2 scales u* by 1/4; T -> oo: m4/m6
    assert list(df["ab_limit_exact"][:4]) == ["3/(H_3 + 15)", "1/5", "3/(4*(H_3 + 15))", "1/20"]
    # the three tables hold the same rows
    parquet = pd.read_parquet(tmp_path / "results.parquet")
    csv = pd.read_csv(tmp_path / "results.csv", keep_default_na=False, na_values=[""])
    jsonl = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert list(parquet["ab_limit_exact"].fillna("-")) == list(df["ab_limit_exact"].fillna("-"))
    assert list(csv["status"]) == list(df["status"]) == [r["status"] for r in jsonl]
    assert list(csv["ab_limit"].dropna()) == list(df["ab_limit"].dropna())
    assert sorted(os.listdir(tmp_path / "points")) == sorted(f"{k}.json" for k in df["key"])


def test_simulate_and_flow_grids_equal_single_calls():
    from mesacheck.numeric.flows import reduced_flow
    from mesacheck.numeric.simulator import simulate

    df = sweep("simulate", "gaussian:sigma=1", "2", "5", lr="0.01,0.02", seed="0,1", epochs=3, m=30, m_test=20,
               **SERIAL)
    assert len(df) == 4 and (df["status"] == "ok").all()
    for row in df.itertuples():
        res = simulate("gaussian:sigma=1", 2, 5, 30, row.lr, 3, init=(0.1, 0.1), seed=int(row.seed), m_test=20,
                       eval_every=3, progress=False)
        assert (row.ab, row.test_loss, row.ratio) == (res.ab[-1], res.test_loss[-1], res.ratio[-1])
    assert df["ab"].nunique() == 4  # the lr and seed axes really reached the simulation
    row, full_one = sweep("flow", ["laplace:b=1", "full-one:c=1"], "2", "6", init="0.5,1.5", **SERIAL).itertuples()
    res = reduced_flow("laplace:b=1", 2, 6, 0.5, 1.5)
    assert row.ab_limit == res.ab_limit and row.converged == "true"
    assert abs(row.ab_limit - row.u_star) <= 1e-9 * row.u_star  # the flow's own stated criterion
    # the library refuses a reduced flow the full flow leaves: recorded, not raised
    assert full_one.status == "refused" and "invariant under" in full_one.reason


# -- resume ---------------------------------------------------------------------------------------
def test_resume_after_a_stop_computes_each_point_once(tmp_path, counted):
    grid = ("derive-limit", "gaussian:sigma=1,2", "1,2,7", "5")
    first = sweep(*grid, out=str(tmp_path), max_points=4, **SERIAL)
    assert len(first) == 4 and first.attrs["pending"] == 2 and not first.attrs["complete"]
    assert len(pd.read_csv(tmp_path / "results.csv")) == 4 and len(counted()) == 4
    second = sweep(*grid, out=str(tmp_path), **SERIAL)
    assert len(second) == 6 and second.attrs["complete"]
    assert (second.attrs["computed"], second.attrs["reused"]) == (2, 4)
    log = counted()
    assert len(log) == 6 and len(set(log)) == 6  # no point computed twice
    assert second["run_id"].value_counts().to_dict() == {first.attrs["run_id"]: 4, second.attrs["run_id"]: 2}
    assert list(second["value_exact"]) == ["1/7", "2/7", "1", "2/7", "4/7", "2"]
    third = sweep(*grid, out=str(tmp_path), **SERIAL)
    assert third.attrs["computed"] == 0 and len(counted()) == 6
    manifest = json.loads((tmp_path / "sweep.json").read_text())
    assert [r["computed"] for r in manifest["runs"]] == [4, 2, 0]


def test_resume_after_a_time_limit(tmp_path, counted, monkeypatch):
    monkeypatch.setitem(COUNTER, "sleep", 0.4)
    grid = ("derive-limit", "gaussian:sigma=1,2", "1,2,7", "5")
    first = sweep(*grid, out=str(tmp_path), time_limit=1.0, **SERIAL)
    assert 1 <= first.attrs["computed"] <= 5 and first.attrs["pending"] == 6 - first.attrs["computed"]
    second = sweep(*grid, out=str(tmp_path), **SERIAL)
    assert len(second) == 6 and len(counted()) == 6 and len(set(counted())) == 6


def test_cli_stops_with_exit_3_and_resumes(tmp_path, counted, capsys):
    argv = ["sweep", "derive-limit", "--dist", "gaussian:sigma=1", "--d", "1", "2", "--T", "5,7", "--out",
            str(tmp_path), "--serial", "--quiet"]
    assert main(argv + ["--max-points", "3"]) == EXIT_TIMEOUT
    assert "1 points pending" in capsys.readouterr().out
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    assert "4 of 4 points: ok 4" in out and "(1 computed now, 3 from earlier runs)" in out
    assert len(counted()) == 4


# -- failing points ---------------------------------------------------------------------------------
def test_failing_points_are_recorded_and_the_rest_finish(tmp_path, counted):
    df = sweep("derive-limit", "gaussian:sigma=-1,1", "1..7", "5", out=str(tmp_path), budget=3, memory=200, **SERIAL)
    bad_law = df[df["param_sigma"] == -1]
    assert (bad_law["status"] == "refused").all() and bad_law["reason"].str.contains("sigma = -1 is out of range").all()
    rows = df[df["param_sigma"] == 1].set_index("d")
    assert list(rows["status"]) == ["ok", "ok", "failed", "timeout", "refused", "refused", "ok"]
    assert rows.loc[3, "reason"] == "RuntimeError: boom"
    assert rows.loc[4, "reason"] == "exceeded the time budget of 3 s"
    assert rows.loc[5, "reason"] == "exceeded the memory budget of 200 MiB"
    assert rows.loc[6, "reason"] == "not exact for this law"
    assert list(rows.loc[[1, 2, 7], "value_exact"]) == ["1/7", "2/7", "1"]
    assert len(counted()) == 7  # the refused law never reached a worker
    # a larger budget retries the budget-limited points only; a smaller one reuses them
    again = sweep("derive-limit", "gaussian:sigma=-1,1", "1..7", "5", out=str(tmp_path), budget=3, memory=200, **SERIAL)
    assert again.attrs["computed"] == 0
    more = sweep("derive-limit", "gaussian:sigma=1", "5", "5", out=str(tmp_path), budget=3, memory=300, **SERIAL)
    assert more.attrs["computed"] == 1 and len(counted()) == 8


def test_a_real_point_over_its_time_budget_is_a_timeout_then_computed_with_more(tmp_path):
    grid = ("derive-limit", "uniform:c=1", "2", "6")
    (slow,) = sweep(*grid, out=str(tmp_path), budget=0.001, **SERIAL).itertuples()
    assert slow.status == "timeout" and "0.001 s" in slow.reason
    (done,) = sweep(*grid, out=str(tmp_path), budget=120, **SERIAL).itertuples()
    from mesacheck.symbolic.reduced import derive_reduced

    expected = derive_reduced(parse_dist("uniform:c=1"), 2, 6).get("ab_limit")
    assert done.status == "ok" and done.ab_limit_exact == printing.text(expected)


# -- plot -------------------------------------------------------------------------------------------
def test_summary_plot_lines_and_heatmap(tmp_path, counted):
    import matplotlib.image

    df = sweep("derive-limit", "gaussian:sigma=1,2", "1,2,7", "5", out=str(tmp_path), **SERIAL)
    img = matplotlib.image.imread(tmp_path / "summary.png")
    assert img.shape[0] > 200 and img.shape[1] > 300 and img.std() > 0
    heat = tmp_path / "heat"
    sweep("derive-limit", "gaussian:sigma=1,2", "1,2,7", "5", out=str(heat), heatmap=True, plot_x="sigma",
          plot_lines="d", **SERIAL)
    assert matplotlib.image.imread(heat / "summary.png").shape[0] > 200
    assert len(df) == 6


# -- command line -----------------------------------------------------------------------------------
def test_cli_writes_the_table(tmp_path, counted, capsys):
    argv = ["sweep", "derive-limit", "--dist", "gaussian:sigma=0.5,1", "--d", "1..2", "--T", "5", "--out",
            str(tmp_path / "new"), "--serial", "--quiet"]
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    assert "4 of 4 points: ok 4" in out and out.count("wrote ") == 5
    df = pd.read_parquet(tmp_path / "new" / "results.parquet")
    assert list(df["value_exact"]) == ["1/14", "1/7", "1/7", "2/7"]


@pytest.mark.parametrize("extra", [
    ["--d", "2.."],
    ["--lr", "1e-3"],
    ["--epochs", "3"],
    ["--dist", "gaussian:sigmas=1..3"],
    ["--dist", "mixture:p*[1,0]+(1-p)*[0,1]; q=1"],
    ["--scheduler", "localhost:8786"],
    ["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"],
    ["--plot-x", "bogus"],
    ["--plot-metric", "bogus"],
    ["--budget", "-1"],
    ["--max-points", "0"],
    ["--T", "oo", "--init", "1"],
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, extra, capsys):
    argv = ["sweep", "derive-limit", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "5",
            "--out", str(tmp_path / "o"), "--serial", "--quiet"]
    if "--scheduler" in extra:
        argv.remove("--serial")
    assert main(argv + extra) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("mesacheck: error:") and err.count("\n") == 1
    assert not (tmp_path / "o" / "results.csv").exists()


def test_cli_out_must_be_a_folder(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["sweep", "invariance", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "5", "--out", str(target),
                 "--serial"]) == EXIT_BAD_INPUT
    assert "not a folder" in capsys.readouterr().err and target.read_text() == "x"


def test_an_interrupted_sweep_keeps_its_finished_points(tmp_path, counted, monkeypatch):
    from mesacheck.sweep import execute

    real, calls = execute.run_point, []

    def interrupt_third(payload):
        calls.append(payload["key"])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(payload)

    monkeypatch.setattr(execute, "run_point", interrupt_third)
    grid = ("derive-limit", "gaussian:sigma=1,2", "1,2", "5")
    with pytest.raises(KeyboardInterrupt):
        sweep(*grid, out=str(tmp_path), **SERIAL)
    assert len(pd.read_csv(tmp_path / "results.csv")) == 2 and len(counted()) == 2
    monkeypatch.setattr(execute, "run_point", real)
    done = sweep(*grid, out=str(tmp_path), **SERIAL)
    assert len(done) == 4 and done.attrs["computed"] == 2 and len(set(counted())) == len(counted()) == 4


def test_simulate_point_after_a_parallel_region_in_the_parent():
    """A sweep point is forked; a parent that has run the parallel fused kernel (m >= 2048 uses
    both threads) must not make the child abort (GNU OpenMP does: numba uses its workqueue layer).
    In a fresh interpreter, so that the parent's state does not depend on the test order."""
    code = ("from mesacheck.numeric.simulator import simulate\n"
            "simulate('gaussian:sigma=1', 2, 5, 3000, 0.01, 2, m_test=3000, progress=False)\n"
            "from mesacheck.sweep import sweep\n"
            "df = sweep('simulate', 'gaussian:sigma=1', '2', '5', lr='0.01', seed='0', epochs=2, m=3000,\n"
            "           m_test=3000, scheduler='serial', progress=False)\n"
            "print(df['status'][0], df['reason'][0])\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "ok", proc.stdout


def test_full_flow_point_over_the_tensor_budget_is_refused():
    """d = 12: 24 (2d)^6 bytes = 4.3 GiB of tensors, over the library's 2 GiB: refused before
    computing, with the estimate in the reason; d = 2 beside it runs."""
    df = sweep("full-flow", "full-one:c=1", "2,12", "10", **SERIAL)
    assert list(df["status"]) == ["ok", "refused"]
    assert "4.3 GiB" in df["reason"].iloc[1]
