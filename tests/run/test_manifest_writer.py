"""The run's journal and the throttled manifest: no finished task lost, no O(regions) rewrite per task."""

from __future__ import annotations

import json

import pytest

from planlib.run import batch, folder
from tests.run.test_batch import write_probe


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def entry(region: str, status: str = "succeeded") -> dict:
    return {"region_id": region, "notebook": "90_probe", "status": status, "seconds": 1.0}


def test_every_task_reaches_the_journal_and_the_manifest_only_when_due(tmp_path, monkeypatch):
    writes = []
    monkeypatch.setattr(batch, "_write_manifest", lambda run_dir, manifest, rows, shown=None:
                        writes.append([e["region_id"] for e in manifest["entries"]]))
    clock = Clock()
    manifest = {"entries": []}
    done: list[dict] = []
    w = batch.ManifestWriter(tmp_path, manifest, [], None, clock=clock)
    w.flush()  # the run's start
    assert writes == [[]]
    for i, r in enumerate(["K1", "K2", "K3"]):
        done.append(entry(r))
        clock.now = 0.5 * (i + 1)  # 0.5, 1.0, 1.5 s: within MANIFEST_MIN_INTERVAL of the start's rewrite
        w.finished(done[-1], lambda: list(done))
    assert writes == [[]]  # not yet rewritten ...
    assert list(batch.read_journal(tmp_path)) == [("K1", "90_probe"), ("K2", "90_probe"), ("K3", "90_probe")]
    done.append(entry("K4"))
    clock.now = batch.MANIFEST_MIN_INTERVAL + 0.01
    w.finished(done[-1], lambda: list(done))
    assert writes[-1] == ["K1", "K2", "K3", "K4"]  # ... until the interval has passed
    w.flush()
    assert len(writes) == 3


def test_a_slow_rewrite_is_spaced_by_its_own_cost(tmp_path, monkeypatch):
    clock = Clock()
    writes = []

    def slow_write(run_dir, manifest, rows, shown=None):
        writes.append(len(manifest["entries"]))
        clock.now += 1.0  # a rewrite of a national portal: about a second or two

    monkeypatch.setattr(batch, "_write_manifest", slow_write)
    done: list[dict] = []
    w = batch.ManifestWriter(tmp_path, {"entries": []}, [], None, clock=clock)
    w.flush()
    for i in range(100):
        done.append(entry(f"K{i}"))
        clock.now += 0.1
        w.finished(done[-1], lambda: list(done))
    # 10 s of tasks, a 1 s rewrite: at most one rewrite per MANIFEST_COST_FACTOR seconds of tasks
    assert len(writes) - 1 <= 10 / batch.MANIFEST_COST_FACTOR + 1
    assert len(batch.read_journal(tmp_path)) == 100


def test_the_journal_keeps_the_last_line_of_a_task_and_skips_a_line_cut_short(tmp_path):
    lines = [json.dumps(entry("K1", "failed")), json.dumps(entry("K2")), json.dumps(entry("K1")), '{"region_id": "K3", "note']
    (tmp_path / batch.JOURNAL).write_text("\n".join(lines), encoding="utf-8")
    got = batch.read_journal(tmp_path)
    assert set(got) == {("K1", "90_probe"), ("K2", "90_probe")}
    assert got[("K1", "90_probe")]["status"] == "succeeded"
    assert batch.read_journal(tmp_path / "missing") == {}


@pytest.mark.slow
def test_a_resume_skips_the_tasks_the_journal_holds_though_the_manifest_missed_them(tiny_plan, tmp_path):
    nb_dir, runs = tmp_path / "nbs", tmp_path / "runs"
    write_probe(nb_dir)
    kwargs = dict(notebooks=["90_probe"], notebooks_dir=nb_dir, runs_root=runs, progress=False, regions=["K1", "K2"])
    first = batch.run_plan(tiny_plan, run_id="r1", **kwargs)
    assert first.exit_code == 0 and not (first.run_dir / batch.JOURNAL).exists()  # the final manifest holds all
    # as if killed after both tasks finished but before the manifest's next rewrite
    manifest = folder.read_manifest(first.run_dir)
    finished = manifest["entries"]
    manifest.update(entries=[], status="running", finished=None)
    folder.write_atomic(folder.manifest_path(first.run_dir), json.dumps(manifest))
    (first.run_dir / batch.JOURNAL).write_text("".join(json.dumps(e) + "\n" for e in finished), encoding="utf-8")
    again = batch.run_plan(tiny_plan, resume=True, **kwargs)
    assert again.run_dir == first.run_dir
    assert sorted((e["region_id"], bool(e.get("resumed"))) for e in again.manifest["entries"]) == [("K1", True), ("K2", True)]
