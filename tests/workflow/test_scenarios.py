"""Scenarios side by side: hand-computed differences and the assumptions that differ."""

import pandas as pd
import pytest

from planlib.errors import DataError
from planlib.workflow import scenarios as sc


def _figures(volume, budget, profit, flag):
    # HQ and one child; the child is the same in every scenario
    return pd.DataFrame({"region_id": ["HQ", "P1"], "level": ["hq", "province"], "target_volume": [volume, 100],
                         "target_revenue": [volume * 10.0, 1000.0], "budget": [budget, 200.0],
                         "profit_at_target": [profit, 50.0], "flag": [flag, "both met"], "cap": [1.0, 1.0]})


def test_scenario_figures_keeps_the_compared_columns_and_names_a_missing_one():
    out = sc.scenario_figures(_figures(1000, 2000.0, 500.0, "both met"))
    assert out.columns.tolist() == list(sc.FIGURE_COLUMNS)
    with pytest.raises(DataError, match="flag"):
        sc.scenario_figures(_figures(1000, 2000.0, 500.0, "both met").drop(columns=["flag"]))


def test_compare_figures_differences_to_the_first():
    base = _figures(1000, 2000.0, 500.0, "both met")
    lean = _figures(950, 1500.0, 700.0, "sales met, profit missed")
    out = sc.compare_figures({"base": base, "lean": lean}).set_index(["region_id", "measure"])
    assert out.loc[("HQ", "target_volume"), "Δ lean"] == -50.0
    assert out.loc[("HQ", "target_revenue"), "Δ lean"] == -500.0
    assert out.loc[("HQ", "budget"), "Δ lean"] == -500.0
    assert out.loc[("HQ", "profit_at_target"), "Δ lean"] == 200.0
    assert out.loc[("HQ", "flag"), "Δ lean"] == "变化" and out.loc[("P1", "flag"), "Δ lean"] == ""
    assert out.loc[("P1", "budget"), "Δ lean"] == 0.0
    assert out.loc[("HQ", "budget"), "base"] == 2000.0 and out.loc[("HQ", "budget"), "lean"] == 1500.0


def test_a_scenario_against_itself_differs_by_nothing_and_a_missing_region_is_nan():
    base = _figures(1000, 2000.0, 500.0, "both met")
    out = sc.compare_figures({"a": base, "b": base.copy(), "c": base.iloc[:1]})
    numbers = out[out["measure"] != "flag"]
    assert (numbers["Δ b"] == 0).all()
    assert out.loc[(out["region_id"] == "P1") & (out["measure"] == "budget"), "Δ c"].isna().all()


def test_assumption_diff_lists_only_differing_dotted_keys():
    a = {"targets": {"stretch": 0.05, "unit": 1}, "budget": {"cap_ratio": 0.25, "ratios": {}}, "swot": {"threats": []},
         "source_files": ["a.yaml"]}
    b = {"targets": {"stretch": 0.0, "unit": 1}, "budget": {"cap_ratio": 0.25, "ratios": {"media": 0.02}},
         "swot": {"threats": ["新竞品"]}, "source_files": ["b.yaml"]}
    out = sc.assumption_diff({"base": a, "lean": b})
    assert out["key"].tolist() == ["budget.ratios", "budget.ratios.media", "swot.threats", "targets.stretch"]
    row = out.set_index("key")
    assert (row.loc["targets.stretch", "base"], row.loc["targets.stretch", "lean"]) == ("0.05", "0")
    assert (row.loc["budget.ratios.media", "base"], row.loc["budget.ratios.media", "lean"]) == ("—", "0.02")
    assert sc.assumption_diff({"base": a, "again": a}).empty


def test_headline_reads_the_root_row():
    out = sc.compare_figures({"base": _figures(1000, 2000.0, 500.0, "both met"),
                              "lean": _figures(950, 1500.0, 700.0, "both met")})
    assert sc.headline(out, "HQ") == [("base：目标销量 / 目标下利润", "1,000 箱 / 500 元"),
                                      ("lean：目标销量 / 目标下利润", "950 箱 / 700 元")]
    assert sc.headline(out, "NOPE") == []


@pytest.mark.parametrize("extra, words", [(["--resume"], "take one scenario"), (["--scenario", "base"], "named twice")])
def test_run_refuses_scenarios_it_cannot_compare(extra, words, capsys):
    from planlib import cli

    code = cli.main(["run", "params/demo.yaml", "--scenario", "base", "--scenario", "lean", *extra])
    assert code == 2 and words in capsys.readouterr().err
