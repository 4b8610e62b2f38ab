"""Allocation down the pyramid: exact at every level, month and breakdown; holds; zero history; Excel."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import warnings

import pytest

from planlib.targets import AllocationHistory, TARGET_COLUMNS, allocate_plan, breakdown_of, load_allocation_history, validate_targets
from planlib.targets.fitting import fit_cells, round_cells
from planlib.run.excel import export_targets_excel
from planlib.archive.store import load_tree
from planlib.errors import ParamsError, PlanWarning, SplitError
from planlib.hierarchy import RegionTree
from planlib.targets import fit_table

pytestmark = pytest.mark.xdist_group("allocate")  # the module fixtures are built once, on one worker

PLAN_YEAR = 2026
# a liquor season: Spring Festival and autumn peaks
MONTH_SHARES = pd.Series([1.6, 1.3, 0.8, 0.8, 0.9, 0.9, 0.8, 0.8, 1.1, 1.2, 0.9, 0.9], index=range(1, 13)) / 12.0


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_copy):
    """The small demo archive (2023–2025), its tree, the 2026 history and an HQ allocation."""
    path = tmp_path_factory.mktemp("alloc") / "d.duckdb"
    demo_copy(path, start_year=2023)
    tree = load_tree(path)
    history = load_allocation_history(path, tree, tree.root, PLAN_YEAR)
    ly_total = history.monthly.loc[pd.DatetimeIndex(history.monthly["month"]).year == PLAN_YEAR - 1, "volume"].sum()
    total = int(round(ly_total * 1.08))
    targets = allocate_plan(history, tree, root=tree.root, total_volume=total, month_shares=MONTH_SHARES,
                            plan_year=PLAN_YEAR)
    return {"path": path, "tree": tree, "history": history, "targets": targets, "total": total}


def _totals(targets: pd.DataFrame) -> pd.DataFrame:
    return targets[breakdown_of(targets) == "total"]


def _wide(frame: pd.DataFrame, by) -> pd.Series:
    return frame.groupby(by, observed=True)["target_volume"].sum()


# -- the table ------------------------------------------------------------------------------
def test_allocate_plan_has_the_design_columns_and_plan_year_months(demo):
    t = demo["targets"]
    assert list(t.columns) == list(TARGET_COLUMNS)
    assert sorted(pd.DatetimeIndex(t["month"]).unique()) == [pd.Timestamp(PLAN_YEAR, m, 1) for m in range(1, 13)]
    assert t["target_volume"].dtype == np.int64 and (t["target_volume"] >= 0).all()
    # a breakdown row carries exactly one dimension (terminal lines: class and id together)
    dims = t[["product_line", "sku", "channel", "terminal_class", "distributor_id"]].notna().sum(axis=1)
    assert dims.max() == 1
    assert set(breakdown_of(t).unique()) == {"total", "product_line", "sku", "channel", "terminal_class",
                                              "distributor_id", "terminal"}


def test_allocate_plan_children_sum_to_parent_at_every_level_and_month(demo):
    tree, t = demo["tree"], demo["targets"]
    tot = _totals(t)
    assert set(tot["level"].unique()) == {"hq", "province", "city", "county"}
    by_region_month = tot.set_index(["region_id", "month"])["target_volume"]
    kids = tot[tot["level"] != "hq"].assign(parent=lambda f: f["region_id"].astype(str).map(tree.parent))
    summed = kids.groupby(["parent", "month"])["target_volume"].sum()
    pd.testing.assert_series_equal(summed, by_region_month.reindex(summed.index), check_names=False)
    # months sum to the annual total; the root's year is the target
    annual = tot.groupby("region_id", observed=True)["target_volume"].sum()
    assert annual[tree.root] == demo["total"]
    for level in ("province", "city", "county"):
        assert annual[tot.loc[tot["level"] == level, "region_id"].unique()].sum() == demo["total"]
    # the root's months are the exact largest-remainder rounding of total x month shares
    hq = tot[tot["region_id"] == tree.root].sort_values("month")["target_volume"].to_numpy()
    assert np.abs(hq - demo["total"] * MONTH_SHARES.to_numpy()).max() < 1
    validate_targets(t, tree)


@pytest.mark.parametrize("dim", ["product_line", "sku", "channel", "terminal_class"])
def test_allocate_plan_breakdown_sums_exactly_to_region_month_totals(demo, dim):
    t = demo["targets"]
    part = t[breakdown_of(t) == dim]
    tot = _wide(_totals(t), ["region_id", "month"])
    summed = _wide(part, ["region_id", "month"])
    assert len(summed) == len(tot)  # every region-month has this breakdown
    pd.testing.assert_series_equal(summed.sort_index(), tot.sort_index())


def test_allocate_plan_distributor_lines_sum_exactly_to_region_month_totals(demo):
    t = demo["targets"]
    part = t[breakdown_of(t) == "distributor_id"]
    tot = _wide(_totals(t), ["region_id", "month"])
    summed = _wide(part, ["region_id", "month"])
    # one line per region and distributor it had sales through; every region-month with a
    # target has lines (at every level), and they add up to it exactly
    assert set(part["level"].astype(str)) == {"hq", "province", "city", "county"}
    assert set(tot[tot > 0].index) <= set(summed.index)
    pd.testing.assert_series_equal(summed.reindex(tot.index, fill_value=0), tot)
    assert (part.groupby(["region_id", "distributor_id"], observed=True).size() == 12).all()


def test_allocate_plan_sku_split_follows_last_years_county_mix(demo):
    t, tree = demo["targets"], demo["tree"]
    county = sorted(t.loc[t["level"] == "county", "region_id"].astype(str).unique())[0]
    # hand check from the archive: the county's own sales by SKU last year
    import duckdb
    from planlib.schemas import OWN_BRAND
    with duckdb.connect(str(demo["path"]), read_only=True) as con:
        ly = con.execute(
            "SELECT sku, sum(volume) FROM sales WHERE grain = 'month' AND brand = ? AND region_id LIKE ? "
            "AND date >= DATE '2025-01-01' AND date < DATE '2026-01-01' GROUP BY sku",
            [OWN_BRAND, county + "%"]).fetchall()
    mix = pd.Series(dict(ly), dtype=float)
    rows = t[(breakdown_of(t) == "sku") & (t["region_id"] == county)]
    annual = rows.groupby(rows["sku"].astype(str))["target_volume"].sum()
    total = int(_totals(t).loc[lambda f: f["region_id"] == county, "target_volume"].sum())
    assert annual.sum() == total
    expected = total * mix / mix.sum()  # largest remainder: each SKU within one case of its exact share
    assert (np.abs(annual.reindex(expected.index, fill_value=0) - expected) < 1).all()
    assert (annual.drop(expected.index, errors="ignore") == 0).all()  # no sales last year: no target
    ly_by_sku = rows.groupby(rows["sku"].astype(str))["last_year_volume"].sum()
    np.testing.assert_allclose(ly_by_sku.reindex(mix.index), mix.to_numpy())
    # a SKU line's revenue is its volume at that SKU's own realised price last year
    sku = mix.idxmax()
    with duckdb.connect(str(demo["path"]), read_only=True) as con:
        price = con.execute(
            "SELECT sum(revenue) / sum(volume) FROM sales WHERE grain = 'month' AND brand = ? AND region_id LIKE ? "
            "AND sku = ? AND date >= DATE '2025-01-01' AND date < DATE '2026-01-01'",
            [OWN_BRAND, county + "%", sku]).fetchone()[0]
    line = rows[rows["sku"].astype(str) == sku]
    np.testing.assert_allclose(line["target_revenue"], np.round(line["target_volume"] * price, 2), atol=0.006)


def test_load_allocation_history_puts_sales_without_distributor_in_the_direct_bucket(demo, tmp_path):
    import shutil

    import duckdb
    from planlib.targets.table import DIRECT
    from planlib.schemas import OWN_BRAND
    path = tmp_path / "direct.duckdb"
    shutil.copy(demo["path"], path)
    tree = demo["tree"]
    county = sorted(r for r in tree.subtree(tree.root) if tree.level(r) == "county")[0]
    # the county's own sales through its first channel (by name) now have no distributor
    with duckdb.connect(str(path)) as con:
        chan = con.execute("SELECT min(channel) FROM sales WHERE brand = ? AND region_id LIKE ?",
                           [OWN_BRAND, county + "%"]).fetchone()[0]
        con.execute("UPDATE sales SET distributor_id = NULL WHERE brand = ? AND region_id LIKE ? AND channel = ?",
                    [OWN_BRAND, county + "%", chan])
        direct_ly = con.execute(
            "SELECT sum(volume) FROM sales WHERE grain = 'month' AND brand = ? AND region_id LIKE ? AND channel = ? "
            "AND date >= DATE '2025-01-01' AND date < DATE '2026-01-01'", [OWN_BRAND, county + "%", chan]).fetchone()[0]
    history = load_allocation_history(path, tree, tree.root, PLAN_YEAR)
    d = history.distributors
    ly = history.monthly[pd.DatetimeIndex(history.monthly["month"]).year == PLAN_YEAR - 1]
    assert d["volume"].sum() == pytest.approx(ly["volume"].sum())  # every unit has a distributor bucket
    in_county = d["region_id"].astype(str).str.startswith(county)
    assert d.loc[in_county & (d["distributor_id"] == DIRECT), "volume"].sum() == pytest.approx(direct_ly)
    assert not (d.loc[~in_county, "distributor_id"] == DIRECT).any()
    t = allocate_plan(history, tree, root=tree.root, total_volume=demo["total"], month_shares=MONTH_SHARES,
                      plan_year=PLAN_YEAR)
    validate_targets(t, tree)
    lines = t[(breakdown_of(t) == "distributor_id") & (t["region_id"] == county)]
    assert (lines["distributor_id"] == DIRECT).sum() == 12 and lines.loc[
        lines["distributor_id"] == DIRECT, "target_volume"].sum() > 0


def test_sales_whose_skus_the_products_table_lacks_are_named_not_called_missing(demo, tmp_path):
    """An archive with sales but an empty products table: the error says which SKUs to import, not 'no sales'."""
    import shutil

    import duckdb

    from planlib.errors import DataError

    path = tmp_path / "no_products.duckdb"
    shutil.copy(demo["path"], path)
    with duckdb.connect(str(path)) as con:
        con.execute("DELETE FROM products")
        own = con.execute("SELECT count(*) FROM sales WHERE grain = 'month' AND brand = 'own' "
                          "AND year(date) BETWEEN 2024 AND 2025").fetchone()[0]
        first = con.execute("SELECT min(sku) FROM sales WHERE brand = 'own'").fetchone()[0]
    with pytest.raises(DataError, match=rf"{own:,} of {own:,} own monthly sales rows of 2024–2025 name a SKU "
                                        rf"the products table lacks \({first}, .*import products"):
        load_allocation_history(path, demo["tree"], demo["tree"].root, PLAN_YEAR)


def test_load_allocation_history_sums_the_recorded_regions_into_the_plan_level(demo):
    # read by township (where most sales are recorded) and by county (the default): the
    # county frames are the township frames with each township replaced by its county
    tree = demo["tree"]
    fine = load_allocation_history(demo["path"], tree, tree.root, PLAN_YEAR, level="township")
    coarse = demo["history"]
    assert (coarse.level, fine.level) == ("county", "township")
    county_of = {r: (tree.ancestor_at(r, "county") or r) for r in tree.subtree(tree.root)}
    assert set(fine.monthly["region_id"].astype(str).map(tree.level)) == {"county", "township"}
    assert set(coarse.monthly["region_id"].astype(str).map(tree.level)) == {"county"}
    for name, dim in (("monthly", None), ("product_lines", "product_line"), ("skus", "sku"),
                      ("channels", "channel"), ("terminal_classes", "terminal_class"),
                      ("distributors", "distributor_id")):
        keys = ["region_id", "month"] + ([dim] if dim else [])
        f = getattr(fine, name).assign(region_id=lambda x: x["region_id"].astype(str).map(county_of))
        f = f.astype({k: str for k in keys if k != "month"})
        c = getattr(coarse, name).astype({k: str for k in keys if k != "month"})
        want = f.groupby(keys)[["volume", "revenue"]].sum()
        got = c.set_index(keys)[["volume", "revenue"]].sort_index()
        assert len(got) == len(want), name
        pd.testing.assert_frame_equal(got, want.reindex(got.index), check_exact=False, rtol=1e-12)
    # the terminal lines keep the recorded region: a township's C/D terminals are its own line
    pd.testing.assert_frame_equal(coarse.terminals, fine.terminals)
    assert "township" in set(coarse.terminals.loc[coarse.terminals["terminal_id"].isna(), "region_id"]
                             .astype(str).map(tree.level))


def test_allocate_plan_refuses_a_history_summed_above_its_deepest_level(demo):
    tree = demo["tree"]
    with pytest.raises(ParamsError, match="level='township'"):
        allocate_plan(demo["history"], tree, root=tree.root, total_volume=demo["total"], month_shares=MONTH_SHARES,
                      plan_year=PLAN_YEAR, levels=("province", "city", "county", "township"))
    with pytest.raises(ParamsError, match="unknown level 'village'"):
        load_allocation_history(demo["path"], tree, tree.root, PLAN_YEAR, level="village")


@pytest.mark.parametrize("floor", [-0.1, 1.5, float("nan")])
def test_allocate_plan_floor_must_be_a_fraction(demo, floor):
    with pytest.raises(SplitError, match="floor must be a fraction between 0 and 1"):
        allocate_plan(demo["history"], demo["tree"], root=demo["tree"].root, total_volume=demo["total"],
                      month_shares=MONTH_SHARES, plan_year=PLAN_YEAR, floor=floor)


def test_allocate_plan_floored_split_of_each_parent_is_constrain_splits(demo):
    # the constrained path runs constrain_split's core on arrays per parent: for HQ's
    # provinces it must give what the public function gives on the same shares and bounds
    from planlib.targets import constrain_split, shares_for

    tree, history = demo["tree"], demo["history"]
    ly = history.monthly[pd.DatetimeIndex(history.monthly["month"]).year == PLAN_YEAR - 1]
    total = int(0.97 * ly["volume"].sum())  # 3% below last year: the floor binds for the fastest grower
    t = allocate_plan(history, tree, root=tree.root, total_volume=total, month_shares=MONTH_SHARES,
                      plan_year=PLAN_YEAR, floor=0.05, levels=("province",))
    province = history.monthly.assign(child=history.monthly["region_id"].astype(str).map(
        lambda r: tree.ancestor_at(r, "province")))
    tidy = province.groupby(["child", "month"], as_index=False)["volume"].sum().rename(columns={"volume": "value"})
    kids = list(tree.children(tree.root))
    months = pd.DatetimeIndex(tidy["month"])
    shares = shares_for("proportion_averages", tidy, children=kids, window=(months.min(), months.max()))
    last = tidy[months.year == PLAN_YEAR - 1].groupby("child")["value"].sum()
    want = constrain_split(total, shares, last_year=last, floor=0.05)
    got = _wide(_totals(t), "region_id").reindex(kids)
    assert (got.to_numpy() == want.reindex(kids).to_numpy()).all()
    # a province held at its floor (it would get less by its share), so this is not the plain split
    at_floor = np.ceil(0.95 * last.reindex(kids).to_numpy() - 1e-9)
    assert ((want.reindex(kids).to_numpy() == at_floor) & (shares.reindex(kids).to_numpy() * total < at_floor)).any()


@pytest.mark.parametrize("dim", ["product_line", "sku", "channel", "terminal_class", "distributor_id"])
def test_allocate_plan_parent_breakdowns_are_their_childrens_sums(demo, dim):
    # a province's 白酒 (or SKU, channel, class, distributor) in March is its cities' sum
    t, tree = demo["targets"], demo["tree"]
    part = t[breakdown_of(t) == dim].assign(region_id=lambda f: f["region_id"].astype(str),
                                            key=lambda f: f[dim].astype(str))
    kids = part[part["level"] != "hq"].assign(parent=lambda f: f["region_id"].map(tree.parent))
    summed = kids.groupby(["parent", "month", "key"])[["target_volume", "target_revenue"]].sum()
    own = part.set_index(["region_id", "month", "key"])[["target_volume", "target_revenue"]]
    own.index.names = summed.index.names
    own = own.reindex(summed.index)
    assert own["target_volume"].notna().all()
    assert (own["target_volume"] == summed["target_volume"]).all()
    np.testing.assert_allclose(own["target_revenue"], summed["target_revenue"], atol=0.005)


def test_validate_targets_catches_a_parent_line_that_is_not_its_childrens_sum(demo):
    # move one unit between two SKUs of one county-month: the county still adds up, its city does not
    t, tree = demo["targets"], demo["tree"]
    b = breakdown_of(t)
    county = t.loc[(b == "total") & (t["level"] == "county"), "region_id"].iloc[0]
    rows = t.index[(b == "sku") & (t["region_id"] == county) & (t["month"] == t["month"].min())
                   & (t["target_volume"] > 0)][:2]
    moved = t.copy()
    moved.loc[rows[0], "target_volume"] += 1
    moved.loc[rows[1], "target_volume"] -= 1
    with pytest.raises(SplitError, match="children's sku lines do not sum to their parent's") as err:
        validate_targets(moved, tree)
    assert "breakdown off its totals" not in str(err.value)


def test_allocate_plan_product_lines_are_their_skus_sums(demo):
    t, history = demo["targets"], demo["history"]
    validate_targets(t, demo["tree"], sku_lines=history.sku_lines)
    b = breakdown_of(t)
    sk = t[b == "sku"].assign(line=lambda f: f["sku"].astype(object).map(history.sku_lines))
    by_line = sk.groupby(["region_id", "month", "line"], observed=True)[["target_volume", "target_revenue"]].sum()
    pl = t[b == "product_line"].set_index(["region_id", "month", "product_line"])[["target_volume", "target_revenue"]]
    pl.index.names = by_line.index.names
    pl = pl.reindex(by_line.index)
    assert (pl["target_volume"] == by_line["target_volume"]).all()  # volume to the unit
    np.testing.assert_allclose(pl["target_revenue"], by_line["target_revenue"], atol=0.005)  # revenue to the cent
    # and a table whose line and SKUs disagree is caught
    off = t.copy()
    first_line = (b == "product_line").to_numpy().nonzero()[0][0]
    off.iloc[first_line, off.columns.get_loc("target_volume")] += 1
    with pytest.raises(SplitError, match="SKUs do not sum to their product line"):
        validate_targets(off, demo["tree"], sku_lines=history.sku_lines)


def test_allocate_plan_terminal_lines_sum_exactly_to_county_months(demo):
    tree, t, history = demo["tree"], demo["targets"], demo["history"]
    lines = t[breakdown_of(t) == "terminal"]
    county = lines["region_id"].astype(str).map(lambda r: tree.ancestor_at(r, "county"))
    summed = lines.groupby([county.to_numpy(), lines["month"].to_numpy()])["target_volume"].sum()
    tot = _totals(t)
    tot = tot[tot["level"] == "county"].set_index(["region_id", "month"])["target_volume"]
    assert (summed.reindex(tot.index) == tot).all()
    # every A/B terminal by name, twelve months each; C/D as one line per township, no id
    named = lines[lines["terminal_id"].notna()]
    assert set(named["terminal_id"].astype(str)) == set(history.terminal_list["terminal_id"])
    assert (named.groupby("terminal_id", observed=True).size() == 12).all()
    assert set(named["terminal_class"].astype(str)) <= {"A", "B"}
    cd = lines[lines["terminal_id"].isna()]
    assert set(cd["terminal_class"].astype(str)) == {"CD"}
    assert set(cd["level"].astype(str)) <= {"township", "county"}
    assert (cd.groupby(["region_id", "month"], observed=True).size() == 1).all()


def test_allocate_plan_revenue_is_volume_times_last_years_price(demo):
    t, history, tree = demo["targets"], demo["history"], demo["tree"]
    tot = _totals(t).assign(region_id=lambda f: f["region_id"].astype(str))
    ly = history.monthly[pd.DatetimeIndex(history.monthly["month"]).year == PLAN_YEAR - 1]
    # a county (a planned unit) at its own realised price last year, in cents
    county = tot.loc[tot["level"] == "county", "region_id"].iloc[0]
    mine = ly[ly["region_id"].astype(str) == county]
    price = mine["revenue"].sum() / mine["volume"].sum()
    rows = tot[tot["region_id"] == county]
    np.testing.assert_allclose(rows["target_revenue"], np.round(rows["target_volume"] * price, 2), atol=1e-9)
    # a parent's revenue is its children's sum, month by month, to the cent
    kids = tot[tot["level"] != "hq"].assign(parent=lambda f: f["region_id"].map(tree.parent))
    summed = kids.groupby(["parent", "month"])["target_revenue"].sum()
    own = tot.set_index(["region_id", "month"])["target_revenue"].reindex(summed.index)
    np.testing.assert_allclose(own.to_numpy(), summed.to_numpy(), atol=0.005)
    # so HQ's price is the children's mix: near its own realised price, not equal to it
    hq = tot[tot["region_id"] == tree.root]
    hq_price = ly["revenue"].sum() / ly["volume"].sum()
    assert hq["target_revenue"].sum() / hq["target_volume"].sum() == pytest.approx(hq_price, rel=0.01)
    assert (t["target_revenue"] >= 0).all() and t["target_revenue"].notna().all()


def test_allocate_plan_basis_columns_explain_each_line(demo):
    t, history = demo["targets"], demo["history"]
    tot = _totals(t)
    hq = tot[tot["region_id"] == demo["tree"].root]
    ly = history.monthly[pd.DatetimeIndex(history.monthly["month"]).year == PLAN_YEAR - 1]
    assert hq["last_year_volume"].sum() == pytest.approx(ly["volume"].sum())
    # shares of a region's children add to 1
    prov = tot[(tot["level"] == "province") & (tot["month"] == tot["month"].min())]
    assert prov["share"].sum() == pytest.approx(1.0)
    assert t["share"].between(0, 1).all()


def test_allocate_plan_leaves_its_inputs_unchanged(demo):
    before = demo["history"].monthly.copy()
    shares = MONTH_SHARES.copy()
    allocate_plan(demo["history"], demo["tree"], root="P01", total_volume=10_000, month_shares=shares,
                  plan_year=PLAN_YEAR)
    pd.testing.assert_frame_equal(demo["history"].monthly, before)
    pd.testing.assert_series_equal(shares, MONTH_SHARES)


def test_allocate_plan_from_a_province_plans_only_its_subtree(demo):
    tree = demo["tree"]
    t = allocate_plan(demo["history"], tree, root="P01", total_volume=10_000, month_shares=MONTH_SHARES,
                      plan_year=PLAN_YEAR)
    assert set(t["region_id"].astype(str)) <= set(tree.subtree("P01"))
    assert _wide(_totals(t)[lambda f: f["region_id"] == "P01"], "region_id").iloc[0] == 10_000
    validate_targets(t, tree)


# -- constraints ----------------------------------------------------------------------------
def test_allocate_plan_holds_are_respected_and_the_rest_respread(demo):
    tree = demo["tree"]
    held_county = tree.children(tree.children(tree.children(tree.root)[0])[0])[0]
    t = allocate_plan(demo["history"], tree, root=tree.root, total_volume=demo["total"], month_shares=MONTH_SHARES,
                      plan_year=PLAN_YEAR, holds={held_county: 12_345, "P02": 50_000})
    annual = _wide(_totals(t), "region_id")
    assert annual[held_county] == 12_345
    assert annual["P02"] == 50_000
    assert annual[tree.root] == demo["total"]
    validate_targets(t, tree)


def test_allocate_plan_floor_limits_the_shrink_against_last_year(demo):
    tree, history = demo["tree"], demo["history"]
    ly = history.monthly[pd.DatetimeIndex(history.monthly["month"]).year == PLAN_YEAR - 1]
    total = int(ly["volume"].sum())  # a flat plan: declining regions meet their floors
    t = allocate_plan(history, tree, root=tree.root, total_volume=total, month_shares=MONTH_SHARES,
                      plan_year=PLAN_YEAR, floor=0.05)
    tot = _totals(t)
    annual = _wide(tot, "region_id")
    last = tot.groupby("region_id", observed=True)["last_year_volume"].sum()
    assert (annual >= np.ceil(0.95 * last[annual.index] - 1e-9)).all()
    validate_targets(t, tree)


def test_allocate_plan_without_binding_constraints_matches_split_down(demo):
    # floor=1.0 allows any shrink: the constrained path must give the plain split
    t = allocate_plan(demo["history"], demo["tree"], root=demo["tree"].root, total_volume=demo["total"],
                      month_shares=MONTH_SHARES, plan_year=PLAN_YEAR, floor=1.0)
    pd.testing.assert_series_equal(_wide(_totals(t), "region_id"), _wide(_totals(demo["targets"]), "region_id"))


def test_allocate_plan_infeasible_holds_name_the_conflict(demo):
    with pytest.raises(SplitError, match="holds"):
        allocate_plan(demo["history"], demo["tree"], root=demo["tree"].root, total_volume=1000,
                      month_shares=MONTH_SHARES, plan_year=PLAN_YEAR, holds={"P01": 5000})


def test_allocate_plan_unknown_method_lists_the_valid_ones(demo):
    with pytest.raises(ParamsError, match="proportion_averages"):
        allocate_plan(demo["history"], demo["tree"], root=demo["tree"].root, total_volume=1000,
                      month_shares=MONTH_SHARES, plan_year=PLAN_YEAR, method="flat_20_percent")


def test_allocate_plan_rejects_month_shares_that_do_not_sum_to_one(demo):
    with pytest.raises(SplitError, match="sum to 1"):
        allocate_plan(demo["history"], demo["tree"], root=demo["tree"].root, total_volume=1000,
                      month_shares=MONTH_SHARES * 2, plan_year=PLAN_YEAR)


# -- zero history (hand-built) ----------------------------------------------------------------
def _tiny():
    """HQ -> P1 (K1 60%, K2 40% of sales) and P2 (K3, K4: no sales at all, no terminals)."""
    tree = RegionTree(pd.DataFrame(
        [("HQ", "总部", "hq", None), ("P1", "甲省", "province", "HQ"), ("P2", "乙省", "province", "HQ"),
         ("C1", "甲市", "city", "P1"), ("C2", "乙市", "city", "P2"),
         ("K1", "一县", "county", "C1"), ("K2", "二县", "county", "C1"),
         ("K3", "三县", "county", "C2"), ("K4", "四县", "county", "C2")],
        columns=["region_id", "name", "level", "parent_id"]))
    months = [pd.Timestamp(y, m, 1) for y in (2024, 2025) for m in range(1, 13)]
    monthly = pd.DataFrame({
        "region_id": ["K1"] * 24 + ["K2"] * 24, "month": months * 2,
        "volume": [60.0] * 24 + [40.0] * 24, "revenue": [600.0] * 24 + [400.0] * 24})
    ly = monthly[pd.DatetimeIndex(monthly["month"]).year == 2025]
    product_lines = ly.assign(product_line="白酒")[["region_id", "month", "product_line", "volume", "revenue"]]
    channels = ly.assign(channel="supermarket")[["region_id", "month", "channel", "volume", "revenue"]]
    classes = ly.assign(terminal_class="A")[["region_id", "month", "terminal_class", "volume", "revenue"]]
    terminals = ly.assign(terminal_id=ly["region_id"].map({"K1": "T1", "K2": "T2"}), terminal_class="A")[
        ["terminal_id", "terminal_class", "region_id", "month", "volume", "revenue"]]
    history = AllocationHistory(
        plan_year=2026, monthly=monthly, product_lines=product_lines, channels=channels,
        terminal_classes=classes, terminals=terminals,
        terminal_list=pd.DataFrame({"terminal_id": ["T1", "T2"], "name": ["甲店", "乙店"],
                                    "region_id": ["K1", "K2"], "terminal_class": ["A", "A"]}),
        unit_prices=pd.Series({"白酒": 10.0}), names={"T1": "甲店", "T2": "乙店"})
    return tree, history


def test_allocate_plan_region_without_history_splits_evenly_with_a_warning():
    tree, history = _tiny()
    even = pd.Series(1 / 12, index=range(1, 13))
    # P2's whole subtree has no history: every level splits evenly, months spread evenly
    with pytest.warns(PlanWarning) as record:
        t = allocate_plan(history, tree, root="P2", total_volume=1201, month_shares=even, plan_year=2026)
    assert any("no basis" in str(w.message) for w in record)
    annual = _wide(_totals(t), "region_id")
    assert annual["C2"] == 1201 and sorted([annual["K3"], annual["K4"]]) == [600, 601]
    k3 = _totals(t)[lambda f: f["region_id"] == "K3"]["target_volume"]
    assert k3.max() - k3.min() <= 1
    validate_targets(t, tree)


def test_allocate_plan_county_added_last_year_is_split_by_its_months_since_opening():
    tree, history = _tiny()
    # K2 opened in January 2025: no sales in 2024 (its 2024 rows dropped)
    opened = history.monthly[~((history.monthly["region_id"] == "K2")
                               & (pd.DatetimeIndex(history.monthly["month"]).year == 2024))]
    history = AllocationHistory(**{**history.__dict__, "monthly": opened})
    even = pd.Series(1 / 12, index=range(1, 13))
    with pytest.warns(PlanWarning, match=r"first sales: K2 \(2025-01\)"):
        t = allocate_plan(history, tree, root="P1", total_volume=1000, month_shares=even, plan_year=2026,
                          floor=0.5)
    annual = _wide(_totals(t), "region_id")
    # K2 sold 40 of every 100 since it opened: 400 of 1,000 (over both years it would be 250)
    assert annual["K1"] == 600 and annual["K2"] == 400
    validate_targets(t, tree)


def test_allocate_plan_hands_a_parents_own_channel_sales_down_to_its_counties():
    # 甲市 (C1) books key-account sales itself: 30 a month through channel KA
    tree, history = _tiny()
    ka = pd.DataFrame({"region_id": "C1", "month": [pd.Timestamp(2025, m, 1) for m in range(1, 13)],
                       "channel": "KA", "volume": 30.0, "revenue": 300.0})
    history = AllocationHistory(**{**history.__dict__, "channels": pd.concat([history.channels, ka], ignore_index=True)})
    even = pd.Series(1 / 12, index=range(1, 13))
    t = allocate_plan(history, tree, root="P1", total_volume=1300, month_shares=even, plan_year=2026)
    validate_targets(t, tree)
    ch = t[breakdown_of(t) == "channel"].groupby(["region_id", "channel"], observed=True)["target_volume"].sum()
    # the counties carry KA in proportion to their targets (60 : 40), and the city's KA is their sum
    assert ch[("K1", "KA")] > 0 and ch[("K2", "KA")] > 0
    assert ch[("C1", "KA")] == ch[("K1", "KA")] + ch[("K2", "KA")]
    assert ch[("K1", "KA")] / ch[("C1", "KA")] == pytest.approx(0.6, abs=0.01)
    # 360 of 1,560 units last year were KA (23%): the plan keeps about that share
    assert ch[("C1", "KA")] / 1300 == pytest.approx(360 / 1560, abs=0.01)


def test_allocate_plan_warns_of_a_parent_selling_in_its_own_name_above_its_counties():
    # 甲市 (C1) sold 30 a month itself last year, in neither county: the split hands it to K1 and K2
    tree, history = _tiny()
    own = pd.DataFrame({"region_id": "C1", "month": [pd.Timestamp(2025, m, 1) for m in range(1, 13)],
                        "volume": 30.0, "revenue": 300.0})
    history = AllocationHistory(**{**history.__dict__, "monthly": pd.concat([history.monthly, own], ignore_index=True)})
    even = pd.Series(1 / 12, index=range(1, 13))
    with pytest.warns(PlanWarning, match=r"1 planned region\(s\) sold last year in their own name, in none of their "
                                         r"children \(C1 23% of their volume\)"):
        t = allocate_plan(history, tree, root="P1", total_volume=1560, month_shares=even, plan_year=2026)
    annual = _wide(_totals(t), "region_id")
    assert annual["K1"] + annual["K2"] == 1560  # the counties carry the city's own 360 between them
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlanWarning)  # without the city's own sales: no warning
        allocate_plan(_tiny()[1], tree, root="P1", total_volume=1200, month_shares=even, plan_year=2026)


def test_allocate_plan_sibling_without_history_gets_nothing_unless_held():
    tree, history = _tiny()
    even = pd.Series(1 / 12, index=range(1, 13))
    t = allocate_plan(history, tree, root="HQ", total_volume=1201, month_shares=even, plan_year=2026)
    annual = _wide(_totals(t), "region_id")
    # proportion_averages: P2 has no history, so P1 takes the whole
    assert annual["P1"] == 1201 and annual["P2"] == 0
    assert annual["K1"] == 721 and annual["K2"] == 480  # 60 / 40 of 1201, largest remainder
    # hold P2 at 100: its two no-history counties split that evenly, with a warning
    with pytest.warns(PlanWarning):
        t = allocate_plan(history, tree, root="HQ", total_volume=1200, month_shares=even, plan_year=2026,
                          holds={"P2": 100})
    annual = _wide(_totals(t), "region_id")
    assert annual["P1"] == 1100 and annual["K3"] == 50 and annual["K4"] == 50
    validate_targets(t, tree)


# -- the sparse fit and rounding agree with split.fit_table ------------------------------------
def test_allocate_plan_region_without_distributor_history_takes_its_parents_distributors():
    tree, history = _tiny()
    ly = history.monthly[pd.DatetimeIndex(history.monthly["month"]).year == 2025]
    # K1 sold through D1 (2/3) and directly (1/3); K2's sales carry no distributor record at all
    k1 = ly[ly["region_id"] == "K1"]
    dist = pd.concat([k1.assign(distributor_id="D1", volume=k1["volume"] * 2 / 3),
                      k1.assign(distributor_id="直供", volume=k1["volume"] / 3)])
    history = AllocationHistory(**{**history.__dict__, "distributors": dist[
        ["region_id", "month", "distributor_id", "volume", "revenue"]]})
    even = pd.Series(1 / 12, index=range(1, 13))
    with pytest.warns(PlanWarning, match="distributor"):
        t = allocate_plan(history, tree, root="HQ", total_volume=1200, month_shares=even, plan_year=2026)
    validate_targets(t, tree)
    lines = t[breakdown_of(t) == "distributor_id"]
    annual = lines.groupby([lines["region_id"].astype(str), lines["distributor_id"].astype(str)])[
        "target_volume"].sum()
    # K1 (720) by its mix; K2 (480) has no history: its parent C1's two distributors, evenly
    assert annual[("K1", "D1")] == 480 and annual[("K1", "直供")] == 240
    assert annual[("K2", "D1")] == 240 and annual[("K2", "直供")] == 240
    # a distributor line that no longer adds up is caught
    broken = t.copy()
    broken.loc[lines.index[0], "target_volume"] += 1
    with pytest.raises(SplitError, match="distributor_id breakdown"):
        validate_targets(broken, tree)


def test_fit_cells_matches_fit_table_and_rounding_keeps_margins():
    rng = np.random.default_rng(7)
    seed = pd.DataFrame(rng.uniform(0.1, 5, (6, 12)))
    r = pd.Series(rng.integers(100, 1000, 6).astype(float))
    c = pd.Series(round_parts := np.full(12, r.sum() / 12))
    c.iloc[0] += r.sum() - c.sum()
    expected = fit_table(seed, r, c)
    row, col = np.repeat(np.arange(6), 12), np.tile(np.arange(12), 6)
    x, ok_r, ok_c = fit_cells(row, col, seed.to_numpy().ravel(), r.to_numpy(), c.to_numpy())
    assert ok_r.all() and ok_c.all()
    np.testing.assert_allclose(x.reshape(6, 12), expected.to_numpy(), rtol=1e-9)
    del round_parts
    # integer margins: controlled rounding is exact on rows and columns, each cell floor or ceil
    ri = r.to_numpy(dtype=np.int64)
    ci = np.full(12, ri.sum() // 12)
    ci[: ri.sum() - ci.sum()] += 1
    x, _, _ = fit_cells(row, col, seed.to_numpy().ravel(), ri.astype(float), ci.astype(float))
    k = round_cells(row, col, x, ri, ci)
    assert (np.bincount(row, k) == ri).all() and (np.bincount(col, k) == ci).all()
    assert (np.abs(k - x) < 1).all()


# -- Excel ----------------------------------------------------------------------------------------
def test_export_targets_excel_sheets_match_the_table(demo, tmp_path):
    tree, t = demo["tree"], demo["targets"]
    names = {rid: tree.name(rid) for rid in tree.ids} | dict(demo["history"].names)
    path = export_targets_excel(t, tmp_path / "targets.xlsx", names=names)
    assert path.exists() and [p.name for p in tmp_path.iterdir()] == ["targets.xlsx"]  # no temp file left
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["总部", "省区", "城市", "区县", "终端"]
    tot = _totals(t)
    for sheet, level in (("总部", "hq"), ("省区", "province"), ("城市", "city"), ("区县", "county")):
        rows = list(wb[sheet].iter_rows(values_only=True))
        assert rows[0][:4] == ("区域编码", "区域名称", "全年销量（箱）", "全年销售额（元）")
        assert rows[0][4:] == tuple(f"{m}月" for m in range(1, 13))
        body = {r[0]: r for r in rows[1:]}
        expected = _wide(tot[tot["level"] == level], ["region_id", "month"]).unstack("month")
        revenue = tot[tot["level"] == level].groupby("region_id")["target_revenue"].sum()
        assert set(body) == set(expected.index.astype(str))
        for rid, r in body.items():
            assert list(r[4:16]) == expected.loc[rid].tolist()
            assert r[2] == sum(r[4:16])
            assert r[3] == pytest.approx(revenue[rid], abs=1e-6)
            assert r[1] == tree.name(rid)
    term = list(wb["终端"].iter_rows(values_only=True))
    head = term[0]
    lines = t[breakdown_of(t) == "terminal"]
    year = head.index("全年销量（箱）")
    assert sum(r[year] for r in term[1:]) == lines["target_volume"].sum() == demo["total"]
    assert sum(sum(r[year + 2:year + 14]) for r in term[1:]) == demo["total"]
    named = [r for r in term[1:] if r[0]]
    assert len(named) == lines["terminal_id"].nunique()
    with_names = [r for r in named if r[0] in names]
    assert with_names and all(r[1] == names[r[0]] != r[0] for r in with_names)  # names, not codes
    wb.close()
    ws = openpyxl.load_workbook(path)["区县"]
    assert ws.freeze_panes == "C2" and ws["A1"].font.bold and ws["C2"].number_format == "#,##0"


# -- caps against potential, blends -------------------------------------------------------------
def test_allocate_plan_cap_holds_every_region_within_its_potential_and_respreads(demo):
    tree = demo["tree"]
    plain = _wide(_totals(demo["targets"]), "region_id")
    # potential: 10% above the plain target for every region but P01, which is held 10% below its plain target
    potential = (plain * 1.10).astype(float)
    potential["P01"] = float(plain["P01"]) * 0.9
    t = allocate_plan(demo["history"], tree, root=tree.root, total_volume=demo["total"], month_shares=MONTH_SHARES,
                      plan_year=PLAN_YEAR, potential=potential, cap=1.0)
    annual = _wide(_totals(t), "region_id")
    assert annual[tree.root] == demo["total"]
    assert annual["P01"] <= potential["P01"]
    assert annual["P01"] == int(potential["P01"])  # the cap binds, floored to the unit
    assert (annual.drop(tree.root) <= potential[annual.drop(tree.root).index] + 1e-9).all()
    # the excess went to P01's siblings, whose targets rose
    for sib in ("P02", "P03", "P04"):
        if sib in annual.index:
            assert annual[sib] >= plain[sib]
    validate_targets(t, tree)


def test_allocate_plan_cap_without_potential_is_a_params_error(demo):
    with pytest.raises(ParamsError, match="potential"):
        allocate_plan(demo["history"], demo["tree"], root=demo["tree"].root, total_volume=1000,
                      month_shares=MONTH_SHARES, plan_year=PLAN_YEAR, cap=1.0)


def test_allocate_plan_caps_below_the_target_give_way_and_say_so(demo):
    tree = demo["tree"]
    potential = pd.Series(1.0, index=list(tree.subtree(tree.root)))  # a market table that says nobody can take anything
    with pytest.warns(PlanWarning, match=r"caps allow \d+ but [\d,]+ is to split: each raised"):
        t = allocate_plan(demo["history"], tree, root=tree.root, total_volume=demo["total"],
                          month_shares=MONTH_SHARES, plan_year=PLAN_YEAR, potential=potential, cap=1.0)
    assert _wide(_totals(t), "region_id")[tree.root] == demo["total"]
    validate_targets(t, tree)


def test_allocate_plan_blend_with_weights_is_exact(demo):
    tree = demo["tree"]
    t = allocate_plan(demo["history"], tree, root=tree.root, total_volume=demo["total"], month_shares=MONTH_SHARES,
                      plan_year=PLAN_YEAR, method="blend", weights={"proportion_averages": 0.5, "equal": 0.5})
    annual = _wide(_totals(t), "region_id")
    provinces = list(tree.children(tree.root))
    plain = _wide(_totals(demo["targets"]), "region_id")[provinces]
    # half of an even split pulls every province towards the mean
    even = demo["total"] / len(provinces)
    assert (np.abs(annual[provinces] - even) <= np.abs(plain - even) + 1).all()
    assert annual[provinces].sum() == demo["total"]
    validate_targets(t, tree)


def test_validate_targets_names_each_fault(demo):
    t, tree = demo["targets"], demo["tree"]
    validate_targets(t, tree)  # the allocation itself re-aggregates
    tot = breakdown_of(t) == "total"
    county = t.loc[tot & (t["level"] == "county"), "region_id"].iloc[0]
    jan = t["month"] == t["month"].min()
    one_more = t.copy()
    one_more.loc[tot & jan & (t["region_id"] == county), "target_volume"] += 1
    with pytest.raises(SplitError, match="children do not sum to their parent") as err:
        validate_targets(one_more, tree)
    assert "breakdown off its totals" in str(err.value)  # the county's own lines no longer reach it
    a_cent = t.copy()
    a_cent.loc[tot & jan & (t["region_id"] == tree.root), "target_revenue"] += 0.01
    with pytest.raises(SplitError, match="children's revenue does not sum to their parent's"):
        validate_targets(a_cent, tree)


# -- growth points weight the split (#11) ----------------------------------------------------
def test_allocate_plan_growth_weight_blends_the_growth_points_into_the_shares(demo):
    tree, history, total = demo["tree"], demo["history"], demo["total"]
    provinces = list(tree.children(tree.root))
    first = provinces[0]
    growth = pd.Series({first: 1000.0, **{p: 0.0 for p in provinces[1:]}})  # only the first can grow
    plain = _wide(_totals(demo["targets"]).query("level == 'province'"), "region_id")
    for w in (0.5, 1.0):
        t = allocate_plan(history, tree, root=tree.root, total_volume=total, month_shares=MONTH_SHARES,
                          plan_year=PLAN_YEAR, growth=growth, growth_weight=w)
        got = _wide(_totals(t).query("level == 'province'"), "region_id")
        # p = (1 - w) p_method + w * g / sum g: the first province gets w of the total on top of (1 - w) of its share
        assert got[first] == pytest.approx((1 - w) * plain[first] + w * total, abs=len(provinces))
        assert got.sum() == total
    with pytest.raises(ParamsError, match="growth_weight"):
        allocate_plan(history, tree, root=tree.root, total_volume=total, month_shares=MONTH_SHARES,
                      plan_year=PLAN_YEAR, growth=growth, growth_weight=1.5)


def test_allocate_plan_calendar_seasonality_runs_exact_and_unknown_is_refused(demo):
    tree, history, total = demo["tree"], demo["history"], demo["total"]
    t = allocate_plan(history, tree, root=tree.root, total_volume=total, month_shares=MONTH_SHARES,
                      plan_year=PLAN_YEAR, seasonality="calendar")
    validate_targets(t, tree, sku_lines=history.sku_lines)
    assert _wide(_totals(t).query("region_id == @tree.root"), "month").sum() == total
    with pytest.raises(ParamsError, match="seasonality"):
        allocate_plan(history, tree, root=tree.root, total_volume=total, month_shares=MONTH_SHARES,
                      plan_year=PLAN_YEAR, seasonality="lunar")


# -- validate_targets checks on integer codes, names the faults on labels ---------------------------
def _moved(t: pd.DataFrame, rows, by: int) -> pd.DataFrame:
    out = t.copy()
    out.loc[rows[0], "target_volume"] += by
    out.loc[rows[1], "target_volume"] -= by
    return out


@pytest.mark.parametrize("kind", ["product_line", "sku", "channel", "terminal_class", "distributor_id"])
def test_validate_targets_catches_each_breakdown_off_its_total_and_its_parent(demo, kind):
    t, tree = demo["targets"], demo["tree"]
    b = breakdown_of(t)
    jan = t["month"] == t["month"].min()
    county = t.loc[(b == "total") & (t["level"] == "county"), "region_id"].iloc[0]
    lines = t.index[(b == kind) & (t["region_id"] == county) & jan & (t["target_volume"] > 0)]
    one_more = t.copy()
    one_more.loc[lines[0], "target_volume"] += 1
    with pytest.raises(SplitError, match=f"{kind} breakdown off its totals: \\[\\('{county}'"):
        validate_targets(one_more, tree)
    if len(lines) > 1:  # the county adds up, its city's line of those values does not
        with pytest.raises(SplitError, match=f"children's {kind} lines do not sum to their parent's") as err:
            validate_targets(_moved(t, lines, 1), tree)
        assert "breakdown off its totals" not in str(err.value)


def test_validate_targets_catches_terminal_lines_off_their_county(demo):
    t, tree = demo["targets"], demo["tree"]
    b = breakdown_of(t)
    line = t.index[(b == "terminal") & (t["month"] == t["month"].min()) & (t["target_volume"] > 0)][0]
    county = tree.ancestor_at(str(t.loc[line, "region_id"]), "county") or str(t.loc[line, "region_id"])
    off = t.copy()
    off.loc[line, "target_volume"] += 2
    with pytest.raises(SplitError, match=f"terminal breakdown off its totals: \\[\\('{county}'"):
        validate_targets(off, tree)


def test_validate_targets_revenue_bound_is_half_a_cent(demo):
    t, tree = demo["targets"], demo["tree"]
    root_jan = (breakdown_of(t) == "total") & (t["month"] == t["month"].min()) & (t["region_id"] == tree.root)
    for cents, faulty in ((0.004, False), (-0.004, False), (0.006, True), (-0.006, True)):
        moved = t.copy()
        moved.loc[root_jan, "target_revenue"] += cents
        if faulty:
            with pytest.raises(SplitError, match="children's revenue does not sum to their parent's"):
                validate_targets(moved, tree)
        else:
            validate_targets(moved, tree)


def test_validate_targets_catches_skus_off_their_product_line_and_duplicate_totals(demo):
    t, tree, history = demo["targets"], demo["tree"], demo["history"]
    lines = history.sku_lines
    sold = lines[lines.index.isin(t["sku"].dropna().astype(object).unique())]
    first, other = sold.index[0], sold[sold != sold.iloc[0]].index[0]  # two SKUs of the table, of two lines
    swapped = lines.copy()
    swapped[first], swapped[other] = lines[other], lines[first]
    with pytest.raises(SplitError, match="SKUs do not sum to their product line"):
        validate_targets(t, tree, sku_lines=swapped)
    validate_targets(t, tree, sku_lines=lines)
    total = t[breakdown_of(t) == "total"].iloc[[0]]
    with pytest.raises((SplitError, ValueError)):
        validate_targets(pd.concat([t, total], ignore_index=True), tree)


def test_launched_months_fill_a_skus_months_before_its_launch_at_its_share_since():
    from planlib.targets.breakdowns import launched_months

    vol = np.zeros((1, 12, 2))
    vol[0, :, 0] = 100.0  # A: all year
    vol[0, 6:, 1] = 50.0  # B: first sold in July
    rev = vol * np.array([10.0, 20.0])
    got_vol, got_rev = launched_months(vol, rev, np.array([1, 7]))
    # B's share of the node's months since July: 300 / 900 = 1/3, held over January–June (100 a month then)
    np.testing.assert_allclose(got_vol[0, :6, 1], 100.0 / 3)
    np.testing.assert_allclose(got_vol[0, 6:, 1], 50.0)
    np.testing.assert_array_equal(got_vol[0, :, 0], vol[0, :, 0])  # A as sold
    np.testing.assert_allclose(got_rev[0, :6, 1], 20.0 * 100.0 / 3)  # at B's own price
    assert vol[0, :6, 1].sum() == 0.0  # the inputs are not changed
    # a node that sold nothing of B since its launch keeps zeros
    idle = np.zeros((1, 12, 2))
    idle[0, :, 0] = 5.0
    assert launched_months(idle, idle, np.array([1, 7]))[0][0, :, 1].sum() == 0.0


def test_a_sku_launched_during_last_year_is_planned_for_the_whole_plan_year(demo):
    history, tree = demo["history"], demo["tree"]
    skus = history.skus
    sku = skus.groupby(skus["sku"].astype(str))["volume"].sum().idxmax()
    h1 = (skus["sku"].astype(str) == sku) & (pd.DatetimeIndex(skus["month"]).month < 7)
    launched = AllocationHistory(**{**history.__dict__, "skus": skus[~h1]})  # as if first sold in July
    kw = dict(root=tree.root, total_volume=demo["total"], month_shares=MONTH_SHARES, plan_year=PLAN_YEAR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        half = allocate_plan(launched, tree, **kw)
        whole = allocate_plan(AllocationHistory(**{**launched.__dict__, "sku_launch": pd.Series({sku: 7})}), tree, **kw)

    def hq_months(t):
        rows = t[(breakdown_of(t) == "sku") & (t["region_id"] == tree.root) & (t["sku"].astype(str) == sku)]
        return rows.set_index(pd.DatetimeIndex(rows["month"]).month)["target_volume"].sort_index()

    before, after = hq_months(half), hq_months(whole)
    assert before.loc[1:6].sum() < 0.02 * before.sum()  # without the launch known: next to nothing before July
    assert (after.loc[1:6] > 0).all()
    # its year is a whole year's, near the plan of the same SKU sold all year (the demo's SKU did), not half of it
    sold_all_year = hq_months(demo["targets"]).sum()
    assert after.sum() == pytest.approx(sold_all_year, rel=0.15)  # the SKU's share since July held over its first half
    assert before.sum() < 0.6 * sold_all_year
    validate_targets(whole, tree, sku_lines=history.sku_lines)  # still exact at every level, month and line
