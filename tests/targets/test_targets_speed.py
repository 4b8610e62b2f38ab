"""The plan-wide targets step's by-products and speed-ups (helper targets-speed): same numbers as before."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planlib import archive, params, targets
from planlib.schemas import LEVEL_DEPTH

pytestmark = pytest.mark.xdist_group("targets_speed")  # the module fixtures are built once, on one worker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_targets(demo_plan):
    """The demo plan's plan-wide targets step, on a demo archive built for the tests."""
    plan = params.load_plan(demo_plan)
    con = archive.connect(plan.archive, threads=1)
    try:
        tree = archive.load_tree(con)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pt = targets.plan_targets(plan, tree, con)
        yield plan, tree, con, pt
    finally:
        con.close()


def test_plan_targets_baselines_are_children_baselines_on_the_demo(demo_targets):
    plan, tree, con, pt = demo_targets
    assert plan.split.reconcile is not None and plan.split.proposals is None
    assert pt.baselines is not None and len(pt.baselines)
    root = plan.scope.root
    deepest = max(LEVEL_DEPTH[lv] for lv in plan.scope.levels)
    parents = [r for r in tree.subtree(root) if any(LEVEL_DEPTH[tree.level(k)] <= deepest for k in tree.children(r))]
    seen = []
    for parent in parents:
        want = targets.children_baselines(con, tree, parent, plan.year)
        want = want[[LEVEL_DEPTH[tree.level(k)] <= deepest for k in want.index]]
        got = pt.baselines.reindex(want.index)
        np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())  # to the bit
        seen.extend(want.index)
    # every region the step fitted is some planned parent's child
    assert sorted(pt.baselines.index) == sorted(seen)
    assert pt.baselines.index.is_unique and root not in pt.baselines.index


def test_plan_targets_baselines_none_without_own_trend(tiny_plan):
    plan = params.load_plan(tiny_plan)
    con = archive.connect(plan.archive)
    try:
        tree = archive.load_tree(con)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pt = targets.plan_targets(plan, tree, con)
    finally:
        con.close()
    assert plan.split.reconcile is None  # top-down only: no child's own trend is fitted
    assert pt.baselines is None


# -- the Holt-Winters fits kept between runs -----------------------------------------------------
def _series(seed: int, count: int = 4, months: int = 36):
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    season = np.tile([30, 20, -5, -10, -10, -5, 0, 0, 10, 5, -10, -25], months // 12 + 1)[:months]
    return [100 + 2 * t + season + rng.normal(0, 3, months) * (k + 1) for k in range(count)], [12] * count


def test_fits_key_changes_with_the_history_and_the_horizon():
    from planlib.targets.holtwinters_many import fits_key

    series, horizons = _series(0)
    key = fits_key(series, horizons)
    assert key == fits_key([s.copy() for s in series], list(horizons))
    changed = [s.copy() for s in series]
    changed[2][17] += 1e-9  # one month of one region's history
    assert fits_key(changed, horizons) != key
    assert fits_key(series, [12, 12, 12, 24]) != key
    assert fits_key(series[:3], horizons[:3]) != key
    assert fits_key([s[1:] for s in series], horizons) != key


def test_fit_cache_reads_its_own_file_and_refits_a_stale_or_corrupt_one(tmp_path):
    import json

    from planlib.targets.holtwinters_many import fit_annual_many, fits_key

    series, horizons = _series(1)
    fresh = fit_annual_many(series, horizons)
    assert fit_annual_many(series, horizons, cache=tmp_path) == fresh  # fitted and kept
    path = tmp_path / f"holtwinters-{fits_key(series, horizons)}.json"
    assert path.exists() and len(list(tmp_path.glob("holtwinters-*.json"))) == 1
    assert [p.name for p in tmp_path.glob("hwindex-*.json")] == [f"hwindex-{fits_key(series, horizons)}.json"]
    assert fit_annual_many(series, horizons, cache=tmp_path) == fresh  # read back
    # the file is what is read: a number planted under the right key comes back
    kept = json.loads(path.read_text())
    kept["fits"][0][0] = 12345.5
    path.write_text(json.dumps(kept))
    assert fit_annual_many(series, horizons, cache=tmp_path)[0] == (12345.5, "")
    # stale (another key inside, another version, too few results) or corrupt: fitted again and replaced
    for bad in ({**kept, "key": "0" * 64}, {**kept, "version": "planlib 0.0.0"}, {**kept, "fits": kept["fits"][:3]},
                {**kept, "fits": [["1.0", ""]] * 4}, {"fits": kept["fits"]}):
        path.write_text(json.dumps(bad))
        assert fit_annual_many(series, horizons, cache=tmp_path) == fresh
        assert json.loads(path.read_text())["fits"] == [[a, w] for a, w in fresh]
    for junk in (b"\x00\xff garbage", b"", b'{"key": '):
        path.write_bytes(junk)
        assert fit_annual_many(series, horizons, cache=tmp_path) == fresh
        assert fit_annual_many(series, horizons, cache=tmp_path) == fresh
    # other history: its own key, its own file, its own fits
    other, _ = _series(2)
    assert fit_annual_many(other, horizons, cache=tmp_path) == fit_annual_many(other, horizons)
    assert len(list(tmp_path.glob("holtwinters-*.json"))) == 2
    assert not list(tmp_path.glob("*.tmp"))


def test_one_series_of_a_kept_batch_is_read_back_when_fitted_alone(tmp_path, monkeypatch):
    """A report fits its region's series alone: the plan's targets step fitted it in its batch, the same number."""
    import json

    from planlib.targets import holtwinters_many as hm

    series, horizons = _series(4)
    batch = hm.fit_annual_many(series, horizons, cache=tmp_path)
    alone = [hm.fit_annual_many([s], [h]) for s, h in zip(series, horizons)]
    assert [a[0] for a in alone] == batch  # a batch gives each series what it gets alone
    index = tmp_path / f"hwindex-{hm.fits_key(series, horizons)}.json"
    kept = json.loads(index.read_text())
    assert sorted(kept["series"]) == sorted(hm.fits_key([s], [h]) for s, h in zip(series, horizons))

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted again")

    with monkeypatch.context() as m:  # read from the index: nothing fitted, nothing written
        m.setattr(hm, "_setups", no_fit)
        m.setattr(hm, "fit_annual", no_fit)
        for s, h, want in zip(series, horizons, batch):
            assert hm.fit_annual_many([s], [h], cache=tmp_path) == [want]
    assert len(list(tmp_path.glob("holtwinters-*.json"))) == 1
    # the index is what is read: a number planted under a series' key comes back
    key = hm.fits_key([series[0]], [horizons[0]])
    index.write_text(json.dumps({**kept, "series": {**kept["series"], key: [12345.5, ""]}}))
    assert hm.fit_annual_many([series[0]], [horizons[0]], cache=tmp_path) == [(12345.5, "")]
    # a stale or corrupt index is not read: the series is fitted alone (and kept under its own key)
    for bad in ({**kept, "version": "planlib 0.0.0"}, {**kept, "series": {key: ["1.0", ""]}}, {"series": kept["series"]}):
        index.write_text(json.dumps(bad))
        (tmp_path / f"holtwinters-{key}.json").unlink(missing_ok=True)
        assert hm.fit_annual_many([series[0]], [horizons[0]], cache=tmp_path) == alone[0]
    index.write_bytes(b"\x00 garbage")
    (tmp_path / f"holtwinters-{key}.json").unlink()
    assert hm.fit_annual_many([series[0]], [horizons[0]], cache=tmp_path) == alone[0]


def test_fit_cache_in_a_folder_that_cannot_be_written_fits_anyway(tmp_path):
    from planlib.targets.holtwinters_many import fit_annual_many

    series, horizons = _series(3)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert fit_annual_many(series, horizons, cache=blocker / "cache") == fit_annual_many(series, horizons)


def test_plan_targets_with_a_fit_cache_gives_the_same_targets(tiny_plan, tmp_path):
    tiny_plan.write_text(tiny_plan.read_text(encoding="utf-8") + "split:\n  reconcile: scale_bottom_up\n",
                         encoding="utf-8")
    plan = params.load_plan(tiny_plan)
    con = archive.connect(plan.archive, threads=1)
    try:
        tree = archive.load_tree(con)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plain = targets.plan_targets(plan, tree, con)
            first = targets.plan_targets(plan, tree, con, cache_dir=tmp_path / ".cache")
            again = targets.plan_targets(plan, tree, con, cache_dir=tmp_path / ".cache")
    finally:
        con.close()
    for pt in (first, again):
        pd.testing.assert_frame_equal(pt.table, plain.table)
        pd.testing.assert_series_equal(pt.baselines, plain.baselines)
    assert plain.baselines is not None
    # the fits were kept, then read: one file for the planned regions' batch, one for the root's own fit
    assert len(list((tmp_path / ".cache").glob("holtwinters-*.json"))) == 2
    for pt in (first, again):
        assert (pt.baseline.annual, pt.baseline.method) == (plain.baseline.annual, plain.baseline.method)
        pd.testing.assert_series_equal(pt.baseline.monthly, plain.baseline.monthly)


def test_breakdown_codes_name_breakdown_of_rows():
    from planlib.targets.table import BREAKDOWNS, CD_LINE, breakdown_codes, breakdown_of

    na = None
    t = pd.DataFrame({
        "region_id": ["A"] * 8,
        "product_line": [na, "L1", na, na, na, na, na, na],
        "sku": [na, na, "S1", na, na, na, na, na],
        "channel": [na, na, na, "C1", na, na, na, na],
        "terminal_class": [na, na, na, na, "A", na, CD_LINE, "B"],
        "terminal_id": [na, na, na, na, na, na, na, "T1"],
        "distributor_id": [na, na, na, na, na, "D1", na, na],
    }).astype("category")
    assert breakdown_of(t).tolist() == ["total", "product_line", "sku", "channel", "terminal_class", "distributor_id",
                                        "terminal", "terminal"]
    assert breakdown_of(t).dtype == object and breakdown_of(t).name == "breakdown"
    names = np.array(("total", *BREAKDOWNS), dtype=object)
    assert names[breakdown_codes(t)].tolist() == breakdown_of(t).tolist()
    old = t.drop(columns="distributor_id")  # a table written before the distributor breakdown
    assert breakdown_of(old).tolist()[5] == "total"


@pytest.mark.parametrize("share", [0.0, 0.5, 0.9, 1.0])
def test_grid_scan_marking_dropped_points_keeps_what_cutting_keeps(monkeypatch, share):
    """The scan's kept points and scores do not depend on when dropped points are cut out (GRID_CUT_SHARE)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    from planlib.targets import holtwinters_many as hm

    series, _ = _series(4, count=3, months=40)
    series.append(np.r_[series[0][:20], 1e200, series[0][21:]])  # scores overflow on the way
    setups = hm._setups(series)
    points = ExponentialSmoothing._setup_brute(np.array([True] * 3 + [False] * 15), np.array([[0.0, 1.0]] * 3),
                                               setups[0]["alpha"])
    with np.errstate(all="ignore"):
        _check_scan_cuts(hm, monkeypatch, setups, points, share)


def _check_scan_cuts(hm, monkeypatch, setups, points, share):
    for setup in setups:
        y, base = setup["y"], setup["params"]
        bound = float(np.min(hm._scan(points[::16], y, base, None)[0]))
        limit = bound * 1.5 if np.isfinite(bound) else 1e300
        monkeypatch.setattr(hm, "GRID_CUT_SHARE", 1.01)  # every drop cut at once (the scan as it was)
        want = hm._scan(points, y, base, limit)
        monkeypatch.setattr(hm, "GRID_CUT_SHARE", share)
        got = hm._scan(points, y, base, limit)
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_array_equal(got[0], want[0])
        assert len(want[1]) < len(points)
