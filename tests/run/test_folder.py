"""The run folder: one atomic write, every path built from checked ids and kept inside the run."""

from __future__ import annotations

import pandas as pd
import pytest

from planlib.errors import ParamsError, RunError
from planlib.run import folder


def test_atomic_path_moves_the_file_into_place_only_on_success(tmp_path):
    target = tmp_path / "results" / "t.parquet"
    frame = pd.DataFrame({"a": [1, 2]})
    with folder.atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(".") and tmp.suffix == ".parquet"
        frame.to_parquet(tmp, index=False)
        assert not target.exists()
    pd.testing.assert_frame_equal(pd.read_parquet(target), frame)
    with pytest.raises(ZeroDivisionError), folder.atomic_path(target) as tmp:
        tmp.write_bytes(b"half a file")
        1 / 0  # noqa: B018 - the writer fails midway
    pd.testing.assert_frame_equal(pd.read_parquet(target), frame)  # the old content, untouched
    assert sorted(p.name for p in target.parent.iterdir()) == ["t.parquet"]  # no temporary left


def test_write_atomic_writes_text_and_bytes(tmp_path):
    assert folder.write_atomic(tmp_path / "a" / "x.txt", "中文").read_text(encoding="utf-8") == "中文"
    assert folder.write_atomic(tmp_path / "a" / "x.txt", b"\x00\x01").read_bytes() == b"\x00\x01"


def test_paths_are_built_from_checked_ids(tmp_path):
    run = tmp_path / "runs" / "p" / "r1"
    assert folder.region_dir(run, "P01C01") == (run / "regions" / "P01C01").resolve()
    assert folder.workbook_path(run, "demo-2027") == (run / "demo-2027-targets.xlsx").resolve()
    assert folder.results_path(run, folder.RESULTS_TARGETS) == (run / "results" / "targets.parquet").resolve()
    out = folder.notebook_outputs(run, "K1", "20_split_targets")
    assert out.html == (run / "regions" / "K1" / "20_split_targets.html").resolve()
    assert out.marker == folder.completion_marker(run, "K1", "20_split_targets")
    assert folder.run_relative(run, out.failed) == "regions/K1/20_split_targets.failed.ipynb"
    for bad in ("..", "../x", "/etc", "a/b", ".hidden", ""):
        with pytest.raises(ParamsError, match="cannot name a folder"):
            folder.region_dir(run, bad)
        with pytest.raises(ParamsError, match="cannot name a folder"):
            folder.run_path(tmp_path / "runs", "p", bad)
        with pytest.raises(ParamsError, match="cannot name a folder"):
            folder.executed_notebook_path(run, bad)


def test_inside_refuses_a_symlink_out_of_the_run(tmp_path):
    run = tmp_path / "run"
    (run / "regions").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (run / "regions" / "K1").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(RunError, match="outside the run folder"):
        folder.region_dir(run, "K1")


def test_latest_run_is_the_last_with_a_manifest(tmp_path):
    assert folder.latest_run(tmp_path) is None
    for run_id in ("20260101-000000", "20260102-000000"):
        folder.write_atomic(folder.manifest_path(tmp_path / run_id), "{}")
    (tmp_path / "20260103-000000").mkdir()  # no manifest: not a run
    assert folder.latest_run(tmp_path) == tmp_path / "20260102-000000"
    assert folder.read_manifest(tmp_path / "20260102-000000") == {}


def test_create_run_gives_runs_started_in_the_same_second_their_own_folders(tmp_path):
    import datetime as dt

    now = dt.datetime(2027, 1, 5, 9, 30, 0)
    first = folder.create_run(tmp_path, "p", now=now)
    second = folder.create_run(tmp_path, "p", now=now)
    assert (first.name, second.name) == ("20270105-093000", "20270105-093000-2")
    for run in (first, second):
        folder.write_atomic(folder.manifest_path(run), "{}")
    assert folder.latest_run(tmp_path / "p") == second
    folder.create_run(tmp_path, "p", "r1")
    with pytest.raises(RunError, match="exists"):
        folder.create_run(tmp_path, "p", "r1")


def test_hold_run_refuses_a_second_holder_and_tells_a_killed_run(tmp_path):
    import subprocess
    import sys
    import time

    run = folder.create_run(tmp_path, "p", "r1")
    manifest = {"status": "running", "finished": None}
    assert folder.run_status(run, manifest) == "interrupted"  # nobody holds it: killed
    with folder.hold_run(run):
        assert folder.run_is_live(run)
    assert not folder.run_is_live(run)
    # another process holds it: a second holder is refused, naming the pid
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from planlib.run import folder\n"
        f"with folder.hold_run({str(run)!r}):\n    print('held', flush=True); time.sleep(30)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert folder.run_status(run, manifest) == "running"
        with pytest.raises(RunError, match=f"pid {holder.pid}"), folder.hold_run(run):
            pass
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert folder.run_status(run, manifest) == "interrupted"  # killed: the lock went with it
    assert folder.run_status(run, {"status": "interrupted"}) == "interrupted"
    assert folder.run_status(run, {"finished": "2027-01-05T09:30:00"}) == "finished"
