"""The local and the Dask executor: same tasks, same order, same manifest, same files; a lost worker's task reruns."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from planlib import cli
from planlib.errors import RunError
from planlib.run import batch, executors
from tests.run.test_batch import write_probe

pytestmark = pytest.mark.slow

distributed = pytest.importorskip("distributed")

REGIONS = ["C1", "K1", "K2"]

# a probe named like the budget notebook: the run computes the plan-wide targets and budget
# (results/*.parquet), and the probe shows its region's rows of them
SHOW_BUDGET = """\
import pandas as pd
rows = pd.read_parquet(os.path.join(run_dir, "results", "budget_regions.parquet"))
print(rows[rows["region_id"] == region].to_string())
"""


def _local_cluster():
    return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    scheduler_port=0, dashboard_address="127.0.0.1:0")


def _statuses(result) -> list[tuple[str, str, str]]:
    return [(e["region_id"], e["notebook"], e["status"]) for e in result.manifest["entries"]]


def _files(run_dir: Path, pattern: str) -> dict[str, bytes]:
    return {p.relative_to(run_dir).as_posix(): p.read_bytes() for p in sorted(run_dir.glob(pattern))}


def test_local_and_dask_executors_write_the_same_run(tiny_plan, tmp_path):
    nb_dir = tmp_path / "nbs"
    write_probe(nb_dir, name="30_build_budget", extra=SHOW_BUDGET)
    runs = {}
    for kind in ("local", "dask"):  # dask: a LocalCluster started for the run
        runs[kind] = batch.run_plan(tiny_plan, notebooks=["30_build_budget"], notebooks_dir=nb_dir,
                                    regions=REGIONS, runs_root=tmp_path / kind, run_id="r1", progress=False,
                                    workers=2, executor=kind)
    local, dask = runs["local"], runs["dask"]
    assert local.exit_code == dask.exit_code == 0, dask.manifest["entries"]
    assert _statuses(local) == _statuses(dask)  # same entries in the same (children-first) order
    assert [e["region_id"] for e in dask.manifest["entries"]] == ["K2", "K1", "C1"]
    assert (local.manifest["executor"], dask.manifest["executor"]) == ("local", "dask")
    same_keys = ("html", "error", "failed_notebook", "retries")  # inputs_hash holds the code version: a commit between runs
    assert [{k: e[k] for k in same_keys} for e in local.manifest["entries"]] == \
           [{k: e[k] for k in same_keys} for e in dask.manifest["entries"]]
    results = _files(local.run_dir, "results/*.parquet")
    assert {"results/targets.parquet", "results/budget_regions.parquet"} <= set(results)
    assert results == _files(dask.run_dir, "results/*.parquet")
    html = _files(local.run_dir, "regions/*/*.html")
    assert len(html) == len(REGIONS) and html == _files(dask.run_dir, "regions/*/*.html")  # byte for byte
    assert b"budget" in html["regions/K1/30_build_budget.html"]


def test_a_worker_killed_mid_notebook_has_its_task_rerun_elsewhere(tiny_plan, tmp_path, monkeypatch):
    nb_dir, pids = tmp_path / "nbs", tmp_path / "pids.txt"
    write_probe(nb_dir)
    monkeypatch.setenv("PLANLIB_TEST_SLOW", "K1")
    monkeypatch.setenv("PLANLIB_TEST_SLEEP", "4")
    monkeypatch.setenv("PLANLIB_TEST_PIDS", str(pids))
    killed = []

    def kill_k1_worker() -> None:  # the worker whose kernel sleeps in K1, once
        deadline = time.monotonic() + 300  # a loaded machine (the suite on 2 cores) starts the kernels late
        while time.monotonic() < deadline:
            lines = pids.read_text(encoding="utf-8").split("\n") if pids.exists() else []
            k1 = [line.split()[1] for line in lines if line.startswith("K1 ")]
            if k1:
                time.sleep(0.5)
                os.kill(int(k1[0]), signal.SIGKILL)
                killed.append(int(k1[0]))
                return
            time.sleep(0.1)

    with _local_cluster() as cluster:  # env set above: its workers and their kernels inherit it
        watcher = threading.Thread(target=kill_k1_worker, daemon=True)
        watcher.start()
        result = batch.run_plan(tiny_plan, notebooks=["90_probe"], notebooks_dir=nb_dir, regions=["K1", "K2", "C1"],
                                runs_root=tmp_path / "runs", progress=False, executor="dask",
                                scheduler=cluster.scheduler_address)
        watcher.join(timeout=5)
    assert killed, "the K1 kernel never started"
    started = [line.split() for line in pids.read_text(encoding="utf-8").splitlines()]
    k1_workers = [int(pid) for region, pid in started if region == "K1"]
    assert len(k1_workers) == 2 and k1_workers[0] == killed[0] != k1_workers[1]  # rerun on another worker
    assert result.exit_code == 0, result.manifest["entries"]
    assert _statuses(result) == [("K2", "90_probe", "succeeded"), ("K1", "90_probe", "succeeded"),
                                 ("C1", "90_probe", "succeeded")]
    k1 = result.run_dir / "regions" / "K1"
    assert sorted(p.name for p in k1.iterdir()) == [".90_probe.complete", "90_probe.html", "90_probe.ipynb",
                                                     "90_probe.kernel.log", "params.resolved.yaml"]
    assert b"probe ran for K1" in (k1 / "90_probe.html").read_bytes()
    assert list(result.run_dir.rglob("*.tmp*")) == [] and list(result.run_dir.rglob("*.failed.ipynb")) == []


def test_a_run_cluster_starts_beside_a_cluster_that_holds_the_dashboard_port(tmp_path):
    import socket
    import warnings

    with socket.socket() as taken:
        try:
            taken.bind(("127.0.0.1", 8787))  # another Dask dashboard's default port
        except OSError:
            pass  # already taken by someone else: the case under test either way
        else:
            taken.listen()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "Port 8787 is already in use" failed the cluster's start
            dask_executor = executors.DaskExecutor(None, 1)
        try:
            link = dask_executor.dashboard_link
            assert link.startswith("http://127.0.0.1:") and ":8787/" not in link
        finally:
            dask_executor.close()


def test_an_unreachable_scheduler_refuses_the_run_quickly(tiny_plan, tmp_path, capsys):
    t0 = time.monotonic()
    code = cli.main(["run", str(tiny_plan), "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1",
                     "--runs-dir", str(tmp_path / "runs"), "--quiet"])
    assert code == 2 and time.monotonic() - t0 < 4 * executors.SCHEDULER_CONNECT_SECONDS
    err = capsys.readouterr().err
    assert "--scheduler tcp://127.0.0.1:1: no Dask scheduler answered" in err
    assert not (tmp_path / "runs").exists()  # nothing ran, no run folder


def test_a_scheduler_is_for_the_dask_executor_only(tiny_plan, tmp_path, capsys):
    assert cli.main(["run", str(tiny_plan), "--scheduler", "tcp://127.0.0.1:1", "--quiet"]) == 2
    assert "a scheduler is for --executor dask" in capsys.readouterr().err
    with pytest.raises(RunError, match="expected one of local, dask"), executors.open_executor("spark"):
        pass
