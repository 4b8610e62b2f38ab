"""The budget's reads and writes beside its own work: the history read on a thread of its own, the results tables written beside the workbooks; the same numbers and files, failures raised."""

from __future__ import annotations

import warnings
import zipfile
from concurrent.futures import Future

import pandas as pd
import pytest

import planlib.budget.plan as plan_module
from planlib import budget as costing
from planlib.errors import BudgetError
from planlib.run import folder as run_folder
from planlib.run import steps


class _OnTheCaller:
    """A ThreadPoolExecutor stand-in that runs each task at once, on the calling thread."""

    def __init__(self, max_workers=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args, **kwargs):
        done = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001  (handed to the caller, as a pool does)
            done.set_exception(exc)
        return done


def _price(priced):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return costing.plan_budget(priced["plan"], priced["tree"], priced["con"], priced["targets"])


def test_threaded_history_prices_the_plan_as_reading_it_first(priced, monkeypatch):
    monkeypatch.setattr(plan_module, "ThreadPoolExecutor", _OnTheCaller)
    alone = _price(priced)
    pb = priced["pb"]  # priced as plan_budget does: the history read on a thread of its own
    for name in ("table", "regions", "methods", "response"):
        pd.testing.assert_frame_equal(getattr(pb, name), getattr(alone, name), check_exact=True)
    assert pb.notes == alone.notes
    assert pb.io["margin_rate"] == alone.io["margin_rate"] and pb.io["limits"] == alone.io["limits"]
    pd.testing.assert_frame_equal(pb.io["curves"], alone.io["curves"], check_exact=True)


def test_a_failing_history_read_fails_the_pricing(priced, monkeypatch):
    def failing(*args, **kwargs):
        raise BudgetError("the archive went away")

    monkeypatch.setattr(plan_module, "budget_history", failing)
    with pytest.raises(BudgetError, match="the archive went away"):
        _price(priced)


def _names(priced):
    return {r: priced["tree"].name(r) for r in priced["tree"].ids}


def test_results_tables_written_beside_the_workbooks_are_the_same_files(priced, tmp_path, monkeypatch):
    names = _names(priced)
    beside = steps.write_budget(priced["pb"], tmp_path / "beside", plan_id="p", names=names,
                                targets=priced["targets"])
    monkeypatch.setattr(steps, "ThreadPoolExecutor", _OnTheCaller)
    alone = steps.write_budget(priced["pb"], tmp_path / "alone", plan_id="p", names=names, targets=priced["targets"])
    assert [p.relative_to(tmp_path / "beside") for p in beside] == [p.relative_to(tmp_path / "alone") for p in alone]
    assert [p.name for p in beside] == [run_folder.RESULTS_BUDGET, run_folder.RESULTS_REGIONS,
                                        run_folder.RESULTS_METHODS, "p-budget.xlsx"]
    for a, b in zip(beside[:3], alone[:3]):
        assert a.read_bytes() == b.read_bytes()
    for book in ("p-budget.xlsx", "p-targets.xlsx"):
        with zipfile.ZipFile(tmp_path / "beside" / book) as x, zipfile.ZipFile(tmp_path / "alone" / book) as y:
            assert x.namelist() == y.namelist()
            assert all(x.read(n) == y.read(n) for n in x.namelist())
    t, _, _ = run_folder.load_budget(tmp_path / "beside")
    pd.testing.assert_series_equal(t["amount"], priced["pb"].table["amount"], check_exact=True)


@pytest.mark.parametrize("write", ["budget", "targets"])
def test_a_failing_results_table_fails_the_write(priced, tmp_path, monkeypatch, write):
    def failing(frame, path):
        raise OSError(f"disk full: {path.name}")

    monkeypatch.setattr(steps, "write_results", failing)
    with pytest.raises(OSError, match="disk full"):
        if write == "budget":
            steps.write_budget(priced["pb"], tmp_path, plan_id="p", names=_names(priced))
        else:
            steps.write_targets(type("PT", (), {"table": priced["targets"]})(), tmp_path, plan_id="p",
                                names=_names(priced))
