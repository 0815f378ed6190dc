"""Sweeps on Dask: a LocalCluster of two worker processes started here, and the --scheduler path
against a scheduler and a worker started here on 127.0.0.1 (each stopped by the test)."""
import json
import os
import subprocess
import sys
import time

import pandas as pd
import pytest

from mesacheck.cli.main import main
from mesacheck.sweep import sweep

distributed = pytest.importorskip("distributed")

GRID = dict(what="simulate", dist=["gaussian:sigma=-1,1", "sparse:c=1"], d="2", T="5", lr="0.01",
            seed="0,1", epochs=3, m=30, m_test=20)
OUTPUTS = ["status", "reason", "ab", "ratio", "test_loss", "sim_status"]


@pytest.fixture(scope="module")
def serial_table():
    return sweep(**GRID, scheduler="serial", progress=False)


def test_local_cluster_gives_the_serial_values(tmp_path, serial_table):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster:
        df = sweep(**GRID, out=str(tmp_path), scheduler=cluster.scheduler_address, progress=False)
    assert len(df) == 6 and df.attrs["executor"]["workers"] == 2
    pd.testing.assert_frame_equal(df[OUTPUTS].reset_index(drop=True), serial_table[OUTPUTS].reset_index(drop=True))
    assert list(df["status"]) == ["refused", "refused", "ok", "ok", "ok", "ok"]  # sigma = -1 refused
    computed = df[df["status"] == "ok"]
    pids = {int(w.rsplit(":", 1)[1]) for w in computed["worker"]}
    assert os.getpid() not in pids  # computed on the workers, not here
    assert len(os.listdir(tmp_path / "points")) == 6


def _wait_for(path, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            try:
                return json.load(open(path))
            except ValueError:
                pass
        time.sleep(0.2)
    raise TimeoutError(f"{path} did not appear")


def test_cli_on_an_existing_scheduler(tmp_path, capsys, serial_table):
    sched_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "error"}
    procs = []
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(sched_file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        address = _wait_for(sched_file)["address"]
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1", "--nthreads", "1",
             "--no-dashboard", "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        out = tmp_path / "out"
        argv = ["sweep", "simulate", "--dist", *GRID["dist"], "--d", "2", "--T", "5", "--lr", "0.01",
                "--seed", "0,1", "--epochs", "3", "--m", "30", "--m-test", "20", "--out", str(out),
                "--scheduler", address, "--quiet"]
        assert main(argv) == 0
        printed = capsys.readouterr().out
        assert "6 of 6 points: ok 4, refused 2" in printed
        df = pd.read_parquet(out / "results.parquet")
        pd.testing.assert_frame_equal(df[OUTPUTS], serial_table[OUTPUTS], check_dtype=False)
        manifest = json.loads((out / "sweep.json").read_text())
        assert manifest["runs"][-1]["executor"] == "dask" and manifest["complete"]
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_unreachable_scheduler_is_bad_input(tmp_path, capsys, monkeypatch):
    from mesacheck.sweep import execute

    monkeypatch.setattr(execute, "CONNECT_TIMEOUT", "1s")
    argv = ["sweep", "derive-limit", "--dist", "gaussian:sigma=1", "--d", "2", "--T", "5", "--out",
            str(tmp_path), "--scheduler", "tcp://127.0.0.1:9", "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--scheduler tcp://127.0.0.1:9: cannot connect" in err and err.count("\n") == 1
