"""Tests of planlib.tracking.people: a person's targets and actuals are the sums of what they carry."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planlib.errors import DataError, ParamsError, PlanWarning
from planlib.hierarchy import RegionTree
from planlib.tracking.people import person_facts

MONTHS = pd.date_range("2027-01-01", periods=3, freq="MS")
BREAKDOWN = ["product_line", "sku", "channel", "terminal_class", "terminal_id", "distributor_id"]


def tree() -> RegionTree:
    # HQ -> P1 -> C1 -> K1 (county) -> K1T (township); C1 -> K2 (county)
    return RegionTree(pd.DataFrame({
        "region_id": ["HQ", "P1", "C1", "K1", "K1T", "K2"],
        "name": ["总部", "省一", "市一", "县一", "镇一", "县二"],
        "level": ["hq", "province", "city", "county", "township", "county"],
        "parent_id": [None, "HQ", "P1", "C1", "K1", "C1"],
    }))


def targets() -> pd.DataFrame:
    """Monthly totals of every region and the named terminals of K1 (T1 A, T2 B) and K2 (T3 A)."""
    rows = []
    totals = {"K1": (100, 10000.0), "K1T": (40, 4000.0), "K2": (50, 5000.0)}
    totals["C1"] = (150, 15000.0)
    totals["P1"] = totals["HQ"] = totals["C1"]
    level = {"HQ": "hq", "P1": "province", "C1": "city", "K1": "county", "K1T": "township", "K2": "county"}
    for region, (v, r) in totals.items():
        for i, m in enumerate(MONTHS):
            rows.append({"region_id": region, "level": level[region], "month": m,
                         "target_volume": v + 10 * i, "target_revenue": r + 1000.0 * i})
    terms = {"T1": ("K1", "A", 30, 3000.0), "T2": ("K1", "B", 21, 2100.01), "T3": ("K2", "A", 10, 1000.0)}
    for t, (region, cls, v, r) in terms.items():
        for m in MONTHS:
            rows.append({"region_id": region, "level": "county", "month": m, "terminal_class": cls,
                         "terminal_id": t, "target_volume": v, "target_revenue": r})
    out = pd.DataFrame(rows)
    for c in BREAKDOWN:
        if c not in out:
            out[c] = None
    out["target_volume"] = out["target_volume"].astype("int64")
    return out[["region_id", "level", "month", *BREAKDOWN, "target_volume", "target_revenue"]]


def people() -> pd.DataFrame:
    # M1 carries the city C1 as a whole; S1 serves T1 and T2; S2 (in the township) shares T2; S3 serves T3
    return pd.DataFrame({
        "person_id": ["M1", "S1", "S1", "S2", "S3"],
        "name": ["王经理", "张三", "张三", "李四", "赵五"],
        "role": ["manager", "salesperson", "salesperson", "salesperson", "clerk"],
        "region_id": ["C1", "K1", "K1", "K1T", "K2"],
        "terminal_id": [None, "T1", "T2", "T2", "T3"],
    })


def sales() -> pd.DataFrame:
    return pd.DataFrame({
        "region_id": ["K1", "K1T", "K1", "K2", "K1", "K1T"],
        "month": pd.to_datetime(["2027-01-01"] * 4 + ["2027-02-01"] * 2),
        "sku": "S", "product_line": "L", "channel": "restaurant",
        "terminal_id": ["T1", "T2", None, "T3", "T1", "T2"],
        "volume": [25.0, 21.0, 40.0, 12.0, 35.0, 9.0],
        "revenue": [2500.0, 2100.0, 4000.0, 1200.0, 3500.0, 900.01],
    })


def events() -> pd.DataFrame:
    return pd.DataFrame({
        "month": pd.to_datetime(["2027-01-01", "2027-01-01", "2027-02-01", "2027-02-01", "2027-02-01"]),
        "person_id": ["S1", "S1", "S1", "S1", "S1"],
        "kind": ["collection_due", "collection", "collection_due", "collection", "missing_report"],
        "value": [4000.0, 3600.0, 4000.0, 4200.0, 1.0],
    })


AS_OF = dt.date(2027, 2, 28)


def facts_of(frame: pd.DataFrame, measure: str) -> dict[str, list[tuple[float, float]]]:
    f = frame[frame.measure == measure]
    return {pid: list(zip(g.target, g.actual)) for pid, g in f.groupby("entity_id")}


def test_person_facts_sum_what_each_person_carries():
    f = person_facts(people(), targets(), sales(), events(), AS_OF, tree=tree())
    assert list(f.columns) == ["entity_kind", "entity_id", "name", "role", "month", "measure", "target", "actual"]
    assert set(f.month) == set(MONTHS[:2])  # March is not closed on 28 February
    assert facts_of(f, "volume") == {
        # the city: C1's totals; its whole subtree's sales (K1, its township K1T, K2)
        "M1": [(150, 25 + 21 + 40 + 12), (160, 35 + 9)],
        # T1 + half of T2 (21 -> 11 to S1, 10 to S2: the odd unit to the lower person id)
        "S1": [(30 + 11, 25 + 11), (30 + 11, 35 + 5)],
        "S2": [(10, 10), (10, 4)],
        "S3": [(10, 12), (10, 0)],
    }
    assert facts_of(f, "revenue") == {
        "M1": [(15000.0, 9800.0), (16000.0, 4400.01)],
        "S1": [(3000.0 + 1050.01, 2500.0 + 1050.0), (3000.0 + 1050.01, 3500.0 + 450.01)],
        "S2": [(1050.0, 1050.0), (1050.0, 450.0)],
        "S3": [(1000.0, 1200.0), (1000.0, 0.0)],
    }
    # collection against collection_due, for the one person with planned collection
    assert facts_of(f, "collection") == {"S1": [(4000.0, 3600.0), (4000.0, 4200.0)]}
    assert set(f.measure) == {"volume", "revenue", "collection"}  # missing_report is a deduction, not a measure
    assert f.loc[f.entity_id == "S3", "role"].unique().tolist() == ["clerk"]
    assert (f.entity_kind == "person").all()


def test_person_facts_shared_terminal_adds_up_exactly_to_the_terminal():
    f = person_facts(people(), targets(), sales(), events(), AS_OF, tree=tree())
    v = f[(f.measure == "volume") & f.entity_id.isin(["S1", "S2"])].groupby("month")[["target", "actual"]].sum()
    # S1 + S2 = T1 + T2 exactly
    assert v.target.tolist() == [30 + 21, 30 + 21] and v.actual.tolist() == [25 + 21, 35 + 9]
    r = f[(f.measure == "revenue") & f.entity_id.isin(["S1", "S2"])].groupby("month")[["target", "actual"]].sum()
    assert r.target.round(2).tolist() == [5100.01, 5100.01] and r.actual.round(2).tolist() == [4600.0, 4400.01]


def test_person_facts_leave_inputs_unchanged():
    ins = [people(), targets(), sales(), events()]
    copies = [x.copy() for x in ins]
    person_facts(*ins, AS_OF, tree=tree())
    for a, b in zip(ins, copies):
        pd.testing.assert_frame_equal(a, b)


@settings(max_examples=25, deadline=None)
@given(k=st.integers(1, 5), volume=st.integers(-50, 10_000), cents=st.integers(0, 10**9))
def test_person_facts_equal_shares_sum_exactly(k: int, volume: int, cents: int):
    p = pd.DataFrame({"person_id": [f"S{i}" for i in range(k)], "name": "n", "role": "salesperson",
                      "region_id": "K2", "terminal_id": "T3"})
    s = pd.DataFrame({"region_id": ["K2"], "month": [MONTHS[0]], "terminal_id": ["T3"],
                      "volume": [float(volume)], "revenue": [cents / 100]})
    f = person_facts(p, targets(), s, events().iloc[:0], dt.date(2027, 1, 31), tree=tree())
    vol = f[f.measure == "volume"].actual.to_numpy()
    rev = f[f.measure == "revenue"].actual.to_numpy()
    assert vol.sum() == volume and np.ptp(vol) <= 1 and (vol == np.floor(vol)).all()
    assert round(rev.sum() * 100) == cents and np.ptp(np.rint(rev * 100)) <= 1


def test_person_facts_region_not_in_the_tree_names_person_region_and_row():
    p = people()
    p.loc[3, "region_id"] = "K9"
    with pytest.raises(DataError) as exc:
        person_facts(p, targets(), sales(), events(), AS_OF, tree=tree())
    assert str(exc.value) == (
        "people row 4 (person_id=S2, name=李四, role=salesperson, region_id=K9, terminal_id=T2): person 'S2': "
        "region_id 'K9' is not in the regions tree; expected a region id of the archive's regions table")


def test_person_facts_region_outside_the_plan_and_person_in_no_region():
    p = people()
    p.loc[0, "region_id"] = "K9"  # no tree given: the plan's targets are the tree
    with pytest.raises(DataError, match=r"people row 1 \(.*\): person 'M1': region_id 'K9' is not in the plan's targets"):
        person_facts(p, targets(), sales(), events(), AS_OF)
    p = people()
    p.loc[4, "region_id"] = None
    with pytest.raises(DataError, match=r"people row 5 \(person_id=S3, name=赵五, role=clerk, terminal_id=T3\): "
                                        r"person 'S3' is in no region"):
        person_facts(p, targets(), sales(), events(), AS_OF, tree=tree())


@pytest.mark.parametrize(("edit", "message"), [
    (lambda p: p.assign(name=["王经理", "张三", "张三丰", "李四", "赵五"]),
     r"people rows 2, 3: person 'S1' has 2 different name values; expected one name per person"),
    (lambda p: pd.concat([p, pd.DataFrame({"person_id": ["M1"], "name": ["王经理"], "role": ["manager"],
                                           "region_id": ["C1"], "terminal_id": ["T3"]})]),
     r"person 'M1' carries region 'C1' as a whole \(a row without terminal_id\) and terminals too"),
    (lambda p: pd.concat([p, p.iloc[[1]]]), r"people row 6 \(.*\): listed twice"),
    (lambda p: p.drop(columns="role"), r"people: missing column\(s\) role"),
])  # fmt: skip
def test_person_facts_inconsistent_people_are_data_errors(edit, message):
    with pytest.raises(DataError, match=message):
        person_facts(edit(people()), targets(), sales(), events(), AS_OF, tree=tree())


def test_person_facts_events_of_an_unknown_person():
    e = pd.concat([events(), pd.DataFrame({"month": [MONTHS[0]], "person_id": ["X9"], "kind": ["collection"],
                                           "value": [1.0]})])
    with pytest.raises(DataError, match=r"person_events: 1 row\(s\) of person\(s\) not in people: X9"):
        person_facts(people(), targets(), sales(), e, AS_OF, tree=tree())


def test_person_facts_terminal_without_target_warns_and_is_left_out():
    p = people()
    p.loc[4, "terminal_id"] = "T9"  # a C terminal: no target row carries it
    s = pd.concat([sales(), pd.DataFrame({"region_id": ["K2"], "month": [MONTHS[0]], "terminal_id": ["T9"],
                                          "volume": [7.0], "revenue": [700.0]})])
    p = pd.concat([p, pd.DataFrame({"person_id": ["S3"], "name": ["赵五"], "role": ["clerk"], "region_id": ["K2"],
                                    "terminal_id": ["T3"]})])
    with pytest.warns(PlanWarning, match=r"1 terminal\(s\) carried that no target carries \(S3/T9\)"):
        f = person_facts(p, targets(), s, events(), AS_OF, tree=tree())
    assert facts_of(f, "volume")["S3"] == [(10, 12), (10, 0)]  # T3 only: T9's 7 cases are left out


def test_person_facts_c_d_terminals_are_left_out_quietly_when_the_classes_are_known():
    p = pd.concat([people(), pd.DataFrame({"person_id": ["S3", "S3"], "name": ["赵五"] * 2, "role": ["clerk"] * 2,
                                           "region_id": ["K2"] * 2, "terminal_id": ["T8", "T9"]})])
    s = pd.concat([sales(), pd.DataFrame({"region_id": ["K2", "K2"], "month": [MONTHS[0]] * 2,
                                          "terminal_id": ["T8", "T9"], "volume": [5.0, 7.0],
                                          "revenue": [500.0, 700.0]})])
    classes = pd.DataFrame({"terminal_id": ["T1", "T2", "T3", "T8", "T9"], "terminal_class": ["A", "B", "A", "C", "A"]})
    # T8 is a C terminal (planned in its township's C/D line): no warning; T9 is an A terminal
    # the plan has no target for: warned
    with pytest.warns(PlanWarning, match=r"1 terminal\(s\) carried that no target carries \(S3/T9\)"):
        f = person_facts(p, targets(), s, events(), AS_OF, tree=tree(), terminals=classes)
    assert facts_of(f, "volume")["S3"] == [(10, 12), (10, 0)]  # T3 only: T8's 5 and T9's 7 cases are left out
    classes.loc[4, "terminal_class"] = "D"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = person_facts(p, targets(), s, events(), AS_OF, tree=tree(), terminals=classes)
    pd.testing.assert_frame_equal(quiet, f)


def test_person_facts_without_a_tree_count_own_rows_and_warn_above_county():
    with pytest.warns(PlanWarning, match=r"without a tree: the sales of C1 \(1 region\(s\) above county\)"):
        f = person_facts(people(), targets(), sales(), events(), AS_OF)
    assert facts_of(f, "volume")["M1"] == [(150, 0), (160, 0)]  # nothing is recorded at C1 itself
    assert facts_of(f, "volume")["S3"] == [(10, 12), (10, 0)]


def test_person_facts_as_of_outside_the_plan_year_and_no_closed_month():
    with pytest.raises(ParamsError, match="as_of 2026-12-31 is outside the plan year 2027"):
        person_facts(people(), targets(), sales(), events(), dt.date(2026, 12, 31), tree=tree())
    f = person_facts(people(), targets(), sales(), events(), dt.date(2027, 1, 30), tree=tree())
    assert f.empty and list(f.columns)[:3] == ["entity_kind", "entity_id", "name"]
