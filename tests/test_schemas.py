"""The expense item catalogue: five categories, their items, a company's extension."""

import pytest

from planlib.errors import ParamsError
from planlib.labels import CATEGORY_NAMES
from planlib.schemas import CATEGORIES, ITEM_CATALOGUE, catalogue


# -- ITEM_CATALOGUE --------------------------------------------------------------------------
def test_item_catalogue_has_the_five_categories_in_schema_order():
    assert tuple(ITEM_CATALOGUE) == CATEGORIES
    for cat, entry in ITEM_CATALOGUE.items():
        assert entry["name_zh"] == CATEGORY_NAMES[cat]


def test_item_catalogue_controllability_follows_domain_table():
    got = {cat: entry["controllability"] for cat, entry in ITEM_CATALOGUE.items()}
    assert got == {"labour": "strong", "office": "strong", "media": "strong", "channel": "weak", "promotion": "weak"}


def test_item_catalogue_item_counts_and_unique_snake_case_codes():
    counts = {cat: len(entry["items"]) for cat, entry in ITEM_CATALOGUE.items()}
    assert counts == {"labour": 5, "office": 13, "media": 7, "channel": 5, "promotion": 3}
    codes = [code for entry in ITEM_CATALOGUE.values() for code in entry["items"]]
    assert len(codes) == len(set(codes))
    assert all(code.isascii() and code == code.lower() and " " not in code for code in codes)
    assert ITEM_CATALOGUE["channel"]["items"]["slotting"] == "进场费"


def test_item_catalogue_codes_are_the_archive_expense_item_codes():
    # the codes the demo company books in the archive's expenses table (category -> items)
    got = {cat: set(entry["items"]) for cat, entry in ITEM_CATALOGUE.items()}
    assert got == {
        "channel": {"slotting", "display", "promoter_wages", "event_gifts", "year_end_rebate"},
        "promotion": {"promo_materials", "temp_promoters", "premiums"},
        "office": {"office", "rent", "utilities", "telecom", "meetings", "hospitality", "depreciation",
                   "bad_debt", "consumables", "travel", "vehicles", "freight", "taxes"},
        "media": {"tv", "radio", "newspaper", "magazine", "dm", "vehicle_body", "outdoor"},
        "labour": {"wages", "welfare", "social_insurance", "training", "recruiting"},
    }  # fmt: skip


def test_item_catalogue_is_read_only():
    with pytest.raises(TypeError):
        ITEM_CATALOGUE["labour"]["items"]["bonus"] = "奖金"


# -- catalogue -------------------------------------------------------------------------------
def test_catalogue_without_extension_is_the_built_in():
    assert catalogue() is ITEM_CATALOGUE
    assert catalogue({}) is ITEM_CATALOGUE


def test_catalogue_adds_a_company_item_after_the_built_in_ones():
    out = catalogue({"channel": {"shelf_end": "端架费"}, "labour": {"bonus": "奖金"}})
    assert list(out["channel"]["items"]) == [*ITEM_CATALOGUE["channel"]["items"], "shelf_end"]
    assert out["channel"]["items"]["shelf_end"] == "端架费"
    assert out["labour"]["items"]["bonus"] == "奖金"
    assert out["channel"]["controllability"] == "weak" and out["channel"]["name_zh"] == "渠道费用"
    assert tuple(out) == CATEGORIES
    assert "shelf_end" not in ITEM_CATALOGUE["channel"]["items"]  # the built-in is untouched
    with pytest.raises(TypeError):
        out["channel"]["items"]["x"] = "y"


def test_catalogue_relabels_an_item_of_the_same_category():
    assert catalogue({"office": {"office": "办公费"}})["office"]["items"]["office"] == "办公费"


def test_catalogue_unknown_category_lists_the_valid_ones():
    with pytest.raises(ParamsError, match="unknown expense categories.*: logistics; valid categories: labour, office"):
        catalogue({"logistics": {"pallets": "托盘"}})


def test_catalogue_item_code_reused_across_categories_names_both():
    with pytest.raises(ParamsError, match=r"display \(in channel and media\)"):
        catalogue({"media": {"display": "展示"}})
    with pytest.raises(ParamsError, match=r"gifts \(in channel and promotion\)"):
        catalogue({"channel": {"gifts": "礼品"}, "promotion": {"gifts": "礼品"}})


def test_catalogue_rejects_codes_that_are_not_snake_case():
    with pytest.raises(ParamsError, match="'Shelf End' in channel must be snake_case"):
        catalogue({"channel": {"Shelf End": "端架费"}})


# -- the tables of tracking (#13) ------------------------------------------------------------
def test_people_and_person_events_come_last_after_what_they_reference():
    from planlib.schemas import TABLE_ORDER, TABLES

    assert TABLE_ORDER[-2:] == ("people", "person_events")
    for name in TABLE_ORDER:
        for ref_table, _ in TABLES[name].references.values():
            assert TABLE_ORDER.index(ref_table) <= TABLE_ORDER.index(name), (name, ref_table)


def test_people_key_has_a_nullable_terminal_and_person_events_a_code_kind():
    from planlib.schemas import CODE_PATTERN, TABLES, table_ddl

    people, events = TABLES["people"], TABLES["person_events"]
    assert people.key == ("person_id", "terminal_id") and people.nullable == ("terminal_id",)
    assert people.references == {"region_id": ("regions", "region_id"), "terminal_id": ("terminals", "terminal_id")}
    assert events.key == ("date", "person_id", "kind") and events.references == {"person_id": ("people", "person_id")}
    assert events.patterns["kind"] is CODE_PATTERN
    assert [CODE_PATTERN.fullmatch(k) is not None for k in ("late_days", "x1", "Late", "1x", "a-b")] == [
        True, True, False, False, False]
    ddl = table_ddl("people")
    assert "terminal_id VARCHAR\n" in ddl and "person_id VARCHAR NOT NULL" in ddl and "PRIMARY KEY" not in ddl


def test_header_aliases_of_one_table_come_before_the_common_ones():
    from planlib.archive.headers import map_headers
    from pathlib import Path

    got = map_headers(["月份", "工号", "指标", "数量"], "person_events", Path("x.csv")).columns
    assert got == {0: "date", 1: "person_id", 2: "kind", 3: "value"}
    assert map_headers(["月份", "区域编号", "产品编号", "渠道", "数量", "金额"], "sales", Path("x.csv")).columns[4] == "volume"
