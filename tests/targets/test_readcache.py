"""The targets step's archive reads kept between runs (targets.readcache): read back to the bit, never stale."""

from __future__ import annotations

import functools
import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest

from planlib import archive, params, targets
from planlib.archive.queries import targets as queries
from planlib.errors import PlanWarning
from planlib.hierarchy import RegionTree
from planlib.targets import readcache
from planlib.targets.readcache import ArchiveReads
from tests.conftest import PLAN_YAML, write_tiny_archive

QUERIES = ("children_monthly_volume", "region_sales_figures", "last_year_allocation_sales", "first_year_allocation_sales")


@pytest.fixture()
def runs(monkeypatch):
    """How often each query behind the kept reads ran (spies with the queries' own names: the same keys)."""
    count = dict.fromkeys(QUERIES, 0)
    for name in QUERIES:
        fn = getattr(queries, name)

        @functools.wraps(fn)
        def spy(*args, _fn=fn, _name=name, **kwargs):
            count[_name] += 1
            return _fn(*args, **kwargs)

        monkeypatch.setattr(queries, name, spy)
    return count


@pytest.fixture()
def tiny(tmp_path):
    """The tiny archive (HQ > P1 > C1 > K1, K2, K3; sales 2024-2025) and its tree."""
    path = write_tiny_archive(tmp_path / "tiny.duckdb")
    with archive.connect(path) as con:
        tree = archive.load_tree(con)
    return path, tree


def _reads(con, tree, cache):
    """The three kept reads of a national-style plan of the tiny archive, through one ArchiveReads."""
    reads = ArchiveReads(con, cache)
    monthly = reads.read(queries.children_monthly_volume, list(tree.subtree("HQ")), 2000, 2026, others=True)
    econ = reads.read(targets.region_economics, tree, "HQ", 2026, all_recorded_from=None)
    history = reads.read(targets.load_allocation_history, tree, "HQ", 2026, level="county")
    return monthly, econ, history


def _assert_same_frames(a, b):
    """Every frame and series of two read results equal to the bit, with the same dtypes, index and categories."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, check_categorical=True)
        assert list(a.dtypes) == list(b.dtypes) and list(a.columns) == list(b.columns)
        for col in a.columns:
            if isinstance(a[col].dtype, pd.CategoricalDtype):
                pd.testing.assert_index_equal(a[col].cat.categories, b[col].cat.categories, exact=True)
                assert a[col].cat.ordered == b[col].cat.ordered
        assert a.index.dtype == b.index.dtype
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True)
    elif isinstance(a, float):
        assert np.float64(a).tobytes() == np.float64(b).tobytes() or (np.isnan(a) and np.isnan(b))
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same_frames(x, y)
    elif hasattr(a, "__dataclass_fields__"):
        assert type(a) is type(b)
        for name in a.__dataclass_fields__:
            _assert_same_frames(getattr(a, name), getattr(b, name))
    else:
        assert a == b and type(a) is type(b)


def test_a_rerun_reads_back_the_same_frames_without_a_query(tiny, tmp_path, runs):
    path, tree = tiny
    # one DuckDB thread, as the targets step connects: the rows come in DuckDB's group order, which on
    # more threads differs from one query to the next (then the two fresh reads below differ in order)
    with archive.connect(path, threads=1) as con:
        fresh = _reads(con, tree, None)  # no cache: as the step read before
        assert all(runs[q] == 1 for q in QUERIES)
        first = _reads(con, tree, tmp_path / "cache")
    assert all(runs[q] == 2 for q in QUERIES)
    assert len(list((tmp_path / "cache").glob("reads-*.pickle"))) == 3
    with archive.connect(path, threads=1) as con:  # a new connection, as a rerun opens one
        again = _reads(con, tree, tmp_path / "cache")
    assert all(runs[q] == 2 for q in QUERIES)  # nothing queried: all three read back
    _assert_same_frames(fresh, first)
    _assert_same_frames(fresh, again)
    history = again[2]
    assert history.monthly["volume"].sum() > 0 and isinstance(history.channels["channel"].dtype, pd.CategoricalDtype)
    assert again[0][1] is None  # children_monthly_volume's ``others``: unknown when looked up row by row


def test_plan_targets_rerun_queries_nothing_and_gives_the_same_targets(tmp_path, runs):
    write_tiny_archive(tmp_path / "tiny.duckdb")
    (tmp_path / "tiny.yaml").write_text(PLAN_YAML + "split:\n  method: auto\n", encoding="utf-8")
    plan = params.load_plan(tmp_path / "tiny.yaml")
    out = []
    for _ in range(2):  # the first run reads the archive (the reads' frames equal to unkept ones: tests above)
        with archive.connect(plan.archive, threads=1) as con, warnings.catch_warnings():
            warnings.simplefilter("ignore", PlanWarning)
            out.append(targets.plan_targets(plan, archive.load_tree(con), con, cache_dir=tmp_path / "cache"))
        if len(out) == 1:
            ran = dict(runs)
    assert ran == dict.fromkeys(QUERIES, 1)  # auto: every region's months, the root's economics, the history
    assert runs == ran  # the rerun queried none of them
    assert len(list((tmp_path / "cache").glob("reads-*.pickle"))) == 3
    first, again = out
    pd.testing.assert_frame_equal(first.table, again.table, check_exact=True)
    pd.testing.assert_frame_equal(first.kinds, again.kinds, check_exact=True)
    pd.testing.assert_series_equal(first.month_shares, again.month_shares, check_exact=True)
    assert again.total_volume == first.total_volume and again.split.method == first.split.method
    assert again.split.reading == first.split.reading


@pytest.mark.parametrize("checkpoint", [True, False], ids=["checkpointed", "in-the-wal"])
def test_an_edit_that_keeps_counts_and_dates_is_a_miss(tiny, tmp_path, runs, checkpoint):
    path, tree = tiny
    cache = tmp_path / "cache"
    with archive.connect(path) as con:
        before = ArchiveReads(con, cache).read(targets.region_economics, tree, "HQ", 2026)
        print_before = archive.fingerprint(con)
    rw = duckdb.connect(str(path))
    if not checkpoint:
        rw.execute("PRAGMA disable_checkpoint_on_shutdown")
        rw.execute("SET wal_autocheckpoint = '1GB'")
    # one value of one row: the same counts and dates, so the same fingerprint
    rw.execute("UPDATE sales SET volume = volume + 1 WHERE region_id = 'K1' AND sku = 'S1' AND date = DATE '2025-03-01'")
    rw.close()
    assert path.with_name(path.name + ".wal").exists() is not checkpoint
    with archive.connect(path) as con:
        assert archive.fingerprint(con) == print_before  # the fingerprint alone would have read it back
        after = ArchiveReads(con, cache).read(targets.region_economics, tree, "HQ", 2026)
    assert runs["region_sales_figures"] == 2  # read again
    march = pd.Timestamp(2025, 3, 1)
    assert (after.monthly.set_index("date").loc[march, "volume"]
            == before.monthly.set_index("date").loc[march, "volume"] + 1)


def test_a_corrupt_or_short_entry_is_a_miss_and_is_replaced(tiny, tmp_path, runs):
    path, tree = tiny
    cache = tmp_path / "cache"
    with archive.connect(path) as con:
        reads = ArchiveReads(con, cache)
        want = reads.read(targets.region_economics, tree, "HQ", 2026)
        (entry,) = cache.glob("reads-region_economics-*.pickle")
        good = entry.read_bytes()
        flipped = bytearray(good)
        flipped[-20] ^= 0xFF  # a flipped bit of the payload: the digest no longer matches
        for bad in (bytes(flipped), good[:-7], b"", b"not an entry\n"):
            entry.write_bytes(bad)
            got = reads.read(targets.region_economics, tree, "HQ", 2026)
            _assert_same_frames(want, got)
            assert entry.read_bytes() == good  # replaced by the read
        assert runs["region_sales_figures"] == 5
        reads.read(targets.region_economics, tree, "HQ", 2026)
    assert runs["region_sales_figures"] == 5  # the replaced entry is read back


def test_another_root_year_level_or_tree_is_a_miss(tiny, tmp_path, runs):
    path, tree = tiny
    cache = tmp_path / "cache"
    with archive.connect(path) as con:
        reads = ArchiveReads(con, cache)
        for root, year, level in (("HQ", 2026, "county"), ("P1", 2026, "county"), ("HQ", 2025, "county"),
                                  ("HQ", 2026, "city"), ("HQ", 2026, "county")):
            reads.read(targets.load_allocation_history, tree, root, year, level=level)
        assert runs["last_year_allocation_sales"] == 4  # the last is the first again: read back
        renamed = tree.to_frame()
        renamed.loc[renamed["region_id"] == "K3", "name"] = "改名县"  # the same ids, another tree
        reads.read(targets.load_allocation_history, RegionTree(renamed[["region_id", "name", "level", "parent_id"]]),
                   "HQ", 2026, level="county")
        assert runs["last_year_allocation_sales"] == 5
        reads.read(queries.children_monthly_volume, ["K1"], 2000, 2026)
        reads.read(queries.children_monthly_volume, ["K1", "K2"], 2000, 2026)
        reads.read(queries.children_monthly_volume, ["K1", "K2"], 2000, 2026, others=True)
        reads.read(queries.children_monthly_volume, ("K1", "K2"), 2000, 2026, others=True)  # a tuple is not a list
        reads.read(queries.children_monthly_volume, ["K1", "K2"], 2000, 2026, others=True)
        assert runs["children_monthly_volume"] == 4
        with pytest.raises(TypeError, match="ndarray"):  # never keyed loosely
            reads.read(queries.children_monthly_volume, np.array(["K1"]), 2000, 2026)


def test_nothing_is_kept_without_a_folder_or_for_an_archive_in_memory(tiny, tmp_path, runs):
    path, tree = tiny
    with archive.connect(path) as con:
        reads = ArchiveReads(con, None)
        reads.read(targets.region_economics, tree, "HQ", 2026)
        reads.read(targets.region_economics, tree, "HQ", 2026)
    assert runs["region_sales_figures"] == 2
    with duckdb.connect() as mem:
        reads = ArchiveReads(mem, tmp_path / "cache")
        assert reads.read(lambda con, x: x + 1, 1) == 2 and reads.read(lambda con, x: x + 1, 1) == 2
    assert not (tmp_path / "cache").exists()


def warning_read(con, value):
    """A read that warns (module level: a kept read is keyed by its module and name)."""
    warnings.warn(f"read {value}", PlanWarning)
    return value


def test_a_read_that_warns_is_not_kept_and_warns_each_time(tiny, tmp_path):
    path, _ = tiny
    with archive.connect(path) as con:
        reads = ArchiveReads(con, tmp_path / "cache")
        for _ in range(2):
            with pytest.warns(PlanWarning, match="read 7"):
                assert reads.read(warning_read, 7) == 7
    assert list((tmp_path / "cache").glob("reads-*")) == []


def test_only_the_newest_entries_of_a_read_are_kept(tiny, tmp_path, monkeypatch, runs):
    path, tree = tiny
    monkeypatch.setattr(readcache, "KEEP_PER_READ", 2)
    cache = tmp_path / "cache"
    with archive.connect(path) as con:
        reads = ArchiveReads(con, cache)
        for year in (2024, 2025, 2026):
            reads.read(targets.region_economics, tree, "HQ", year)
        reads.read(queries.children_monthly_volume, ["K1"], 2000, 2026)  # another read's entries are its own
        assert len(list(cache.glob("reads-region_economics-*.pickle"))) == 2
        assert len(list(cache.glob("reads-children_monthly_volume-*.pickle"))) == 1
        reads.read(targets.region_economics, tree, "HQ", 2024)  # deleted: read again
        reads.read(targets.region_economics, tree, "HQ", 2026)  # kept: read back
    assert runs["region_sales_figures"] == 4
    assert not list(cache.glob("*.tmp"))
