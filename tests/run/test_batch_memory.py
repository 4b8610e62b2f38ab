"""Heavy regions (a subtree of many counties) run their notebooks one at a time, alone, on a kernel dropped after each."""

from __future__ import annotations

import contextlib
import json
import threading
import time

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from planlib.hierarchy import RegionTree
from planlib.run import batch, executors, kernels, schedule, task
from tests.conftest import REGIONS
from tests.run.test_batch import write_probe


def _tree(rows) -> RegionTree:
    return RegionTree(pd.DataFrame(rows, columns=["region_id", "name", "level", "parent_id"]))


def _national_like() -> RegionTree:
    """HQ -> P1 (one city, 1,200 counties), P2 (one city, 10 counties)."""
    rows = [("HQ", "总部", "hq", None), ("P1", "甲省", "province", "HQ"), ("P2", "乙省", "province", "HQ"),
            ("P1C1", "甲市", "city", "P1"), ("P2C1", "乙市", "city", "P2")]
    rows += [(f"P1C1K{i:04d}", "县", "county", "P1C1") for i in range(1200)]
    rows += [(f"P2C1K{i:04d}", "县", "county", "P2C1") for i in range(10)]
    return _tree(rows)


def test_heavy_regions_hold_many_counties_whatever_their_level():
    tree = _national_like()
    regions = list(tree.subtree("HQ"))
    assert schedule.HEAVY_COUNTIES == 1000
    assert schedule.heavy_regions(tree, regions) == {"HQ", "P1", "P1C1"}  # 1,210, 1,200 and 1,200 counties
    assert schedule.heavy_regions(tree, regions, counties=1201) == {"HQ"}
    assert schedule.heavy_regions(tree, regions, counties=10) == {"HQ", "P1", "P2", "P1C1", "P2C1"}
    assert schedule.heavy_regions(tree, ["P2", "P1C1K0000"], counties=1) == {"P2", "P1C1K0000"}  # a county holds itself
    assert schedule.heavy_regions(tree, ["P2", "P2C1"]) == frozenset()  # only the regions asked about
    tiny = _tree(REGIONS)  # HQ -> P1 -> C1 -> K1, K2, K3
    assert schedule.heavy_regions(tiny, [r for r, *_ in REGIONS]) == frozenset()
    assert schedule.heavy_regions(tiny, [r for r, *_ in REGIONS], counties=3) == {"HQ", "P1", "C1"}


def test_the_batch_still_offers_the_schedules_names():
    """batch re-exports the heavy regions' names from schedule, where they live: the very same objects."""
    for name in ("HEAVY_COUNTIES", "heavy_regions", "wave_groups", "run_waves"):
        assert getattr(batch, name) is getattr(schedule, name), name
        assert name in batch.__all__ and name in schedule.__all__
    assert batch.blocked_tasks is schedule.blocked_tasks  # what the run calls


def _task(region: str, notebook: str, heavy: bool = False) -> dict:
    return {"region_id": region, "notebook": notebook, "heavy": heavy}


def test_wave_groups_put_light_tasks_together_then_each_heavy_one_alone():
    wave = [_task("HQ", "10", True), _task("X", "10"), _task("HQ", "20", True), _task("Y", "10"), _task("HQ", "30", True)]
    groups = schedule.wave_groups(wave)
    assert [[(t["region_id"], t["notebook"]) for t in g] for g in groups] == [
        [("X", "10"), ("Y", "10")], [("HQ", "10")], [("HQ", "20")], [("HQ", "30")]]
    assert schedule.wave_groups([_task("K1", "10"), _task("K2", "10")]) == [[_task("K1", "10"), _task("K2", "10")]]
    assert schedule.wave_groups([_task("HQ", "10", True)]) == [[_task("HQ", "10", True)]]
    assert schedule.wave_groups([]) == []


class ThreadPool:
    """An executor whose run_wave runs a group's tasks at once in threads, noting when each ran."""

    name = "threads"

    def __init__(self):
        self.spans: dict[tuple[str, str], tuple[float, float]] = {}
        self.groups: list[tuple[list[tuple[str, str]], bool]] = []

    def _run(self, t):
        start = time.monotonic()
        time.sleep(0.05)
        self.spans[(t["region_id"], t["notebook"])] = (start, time.monotonic())

    def run_wave(self, tasks, *, alone=False):
        self.groups.append(([(t["region_id"], t["notebook"]) for t in tasks], alone))
        threads = [threading.Thread(target=self._run, args=(t,)) for t in tasks]
        for th in threads:
            th.start()
        for t, th in zip(tasks, threads):
            th.join()
            yield t, {"region_id": t["region_id"], "notebook": t["notebook"], "status": "succeeded"}


def test_heavy_tasks_run_while_nothing_else_runs_and_children_before_parents():
    waves = {3: [_task("K1", "10"), _task("K2", "10"), _task("K1", "20"), _task("K2", "20")],
             2: [_task("C1", "10", True), _task("C1", "20", True), _task("C2", "10"), _task("C2", "20")],
             0: [_task("HQ", "10", True), _task("HQ", "20", True)]}
    pool = ThreadPool()
    done = [(t["region_id"], t["notebook"]) for t, _ in schedule.run_waves(pool, waves)]
    assert sorted(done) == sorted((t["region_id"], t["notebook"]) for w in waves.values() for t in w)
    assert len(done) == len(set(done)) == 10
    assert pool.groups == [([("K1", "10"), ("K2", "10"), ("K1", "20"), ("K2", "20")], False),
                           ([("C2", "10"), ("C2", "20")], False), ([("C1", "10")], True), ([("C1", "20")], True),
                           ([("HQ", "10")], True), ([("HQ", "20")], True)]
    spans = pool.spans
    for heavy in [("C1", "10"), ("C1", "20"), ("HQ", "10"), ("HQ", "20")]:
        start, end = spans[heavy]
        overlapping = [k for k, (s, e) in spans.items() if k != heavy and s < end and start < e]
        assert overlapping == [], heavy
    light = [spans[("K1", "10")], spans[("K2", "10")]]  # light tasks still run at once
    assert max(s for s, _ in light) < min(e for _, e in light)
    counties_end = max(spans[(r, n)][1] for r in ("K1", "K2") for n in ("10", "20"))
    assert counties_end <= min(s for (r, _), (s, _) in spans.items() if r in ("C1", "C2", "HQ"))
    assert max(spans[("C1", "20")][1], spans[("C2", "20")][1]) <= spans[("HQ", "10")][0]


class RecordingPool:
    """Takes the place of the local executor: records each group it gets and succeeds every task."""

    name = "local"

    def __init__(self):
        self.groups: list[tuple[list[dict], bool]] = []

    def run_wave(self, tasks, *, alone=False):
        self.groups.append((list(tasks), alone))
        for t in tasks:
            yield t, {**task.failed_entry(t, RuntimeError("-")), "status": "succeeded", "error": None, "seconds": 0.0}

    def stop(self):
        pass


def test_a_run_marks_the_heavy_regions_tasks_and_runs_each_alone(tiny_plan, tmp_path, monkeypatch):
    nb_dir = tmp_path / "nbs"
    write_probe(nb_dir, name="90_probe")
    write_probe(nb_dir, name="91_probe")
    pool = RecordingPool()
    monkeypatch.setattr(executors, "open_executor", lambda *a, **k: contextlib.nullcontext(pool))
    monkeypatch.setattr(schedule, "HEAVY_COUNTIES", 3)  # C1 and its ancestors hold the tiny tree's 3 counties
    result = batch.run_plan(tiny_plan, notebooks=["90_probe", "91_probe"], notebooks_dir=nb_dir,
                            regions=["K1", "K2", "C1", "P1"], runs_root=tmp_path / "runs", run_id="r1",
                            progress=False, workers=2)
    assert result.exit_code == 0
    groups = [([(t["region_id"], t["notebook"], t["heavy"]) for t in g], alone) for g, alone in pool.groups]
    assert groups == [
        ([("K2", "90_probe", False), ("K2", "91_probe", False), ("K1", "90_probe", False), ("K1", "91_probe", False)],
         False),
        ([("C1", "90_probe", True)], True), ([("C1", "91_probe", True)], True), ([("P1", "90_probe", True)], True),
        ([("P1", "91_probe", True)], True)]
    # the manifest lists the entries in the run's order, children first, as without heavy regions
    assert [(e["region_id"], e["notebook"]) for e in result.manifest["entries"]] == [
        (r, n) for r in ("K2", "K1", "C1", "P1") for n in ("90_probe", "91_probe")]
    on_disk = json.loads((result.run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk["entries"] == result.manifest["entries"]
    assert all("heavy" not in e for e in on_disk["entries"])


@pytest.mark.parametrize("heavy", [False, True])
def test_a_heavy_tasks_kernel_is_shut_down_after_its_notebook(tmp_path, monkeypatch, heavy):
    """A light task hands its warm kernel back for the next notebook; a heavy one has it shut down."""
    import papermill

    released = []

    class Kernel:
        manager = None

        def copy_log(self, path):
            pass

    monkeypatch.setattr(kernels, "acquire", lambda *a, **k: Kernel())
    monkeypatch.setattr(kernels, "release", lambda kernel, *, reuse: released.append(reuse))

    def execute_notebook(source, output, parameters, **kwargs):
        nb = new_notebook(cells=[new_code_cell("1 + 1")])
        nbformat.write(nb, output)
        task.folder.mark_complete(parameters["run_dir"], parameters["region"], "90_probe")
        return nb

    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)
    source = write_probe(tmp_path / "nbs", name="90_probe")
    entry = task.execute_task({"run_dir": str(tmp_path / "run"), "region_id": "HQ", "notebook": "90_probe",
                               "source": str(source), "cwd": str(tmp_path), "scenario": "base",
                               "params_file": "p.yaml", "timeout": 60, "inputs_hash": "h", "kernel_name": "python3",
                               "heavy": heavy})
    assert entry["status"] == "succeeded", entry["error"]
    assert released == [not heavy]


def test_the_local_executor_runs_tasks_alone_on_a_worker_of_their_own(monkeypatch):
    """Before tasks run alone the pool's workers exit (their kernels with them) and one worker serves them; then a new pool."""
    import concurrent.futures as cf

    pools = []

    class Pool(cf.ThreadPoolExecutor):  # the process pool's part that matters here: its size, and when it is shut down
        def __init__(self, workers):
            assert all(p.down for p in pools)  # the workers before exit first
            super().__init__(max_workers=workers)
            self.workers, self.down = workers, False
            pools.append(self)

        def submit(self, fn, *args):
            assert not self.down
            return super().submit(fn, *args)

        def shutdown(self, wait=True, **kwargs):
            self.down = True
            super().shutdown(wait=wait, **kwargs)

    ran = []
    monkeypatch.setattr(executors.LocalExecutor, "_new_pool", lambda self, workers: Pool(workers))
    monkeypatch.setattr(task, "execute_task", lambda t: ran.append((t["region_id"], len(pools))) or {"status": "ok"})
    pool = executors.LocalExecutor(2)
    for tasks, alone in ((["K1", "K2", "K3"], False), (["C1"], True), (["P1"], True), (["HQ"], False)):
        assert [e["status"] for _, e in pool.run_wave([{"region_id": r} for r in tasks], alone=alone)] == ["ok"] * len(tasks)
    pool.close()
    assert [p.workers for p in pools] == [2, 1, 2]
    assert all(p.down for p in pools)
    assert sorted(ran) == [("C1", 2), ("HQ", 3), ("K1", 1), ("K2", 1), ("K3", 1), ("P1", 2)]
