"""Tests of planlib.params.tracking: the strict ``tracking`` section and its KPI rule sets."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from planlib.errors import ParamsError
from planlib.params import Kpi, RuleSet, Tracking, load_plan, load_snapshot, write_snapshot
from planlib.params.tracking import STANDARD_RULE_SET, Indicator
from tests.params.conftest import MESSAGE, PLAN, REPO, errors_of, write

# The test plan's lines 1-14, then this section from line 15: 15 tracking, 16 rollover, 17 kpi,
# 18 rule_sets, 19 clerk, 20 label, 21 indicators, 22 the first indicator, 23 the second
SECTION = """\
tracking:
  rollover: spread
  kpi:
    rule_sets:
      clerk:
        label: 业务员考核
        indicators:
          - {measure: collection, weight: 0.6}
          - {measure: volume, weight: 0.3}
    regions: clerk
    people: clerk
"""

VALID = SECTION.replace("weight: 0.3", "weight: 0.4")  # the same section with weights summing to 1


def with_tracking(plan: Path, section: str = SECTION) -> None:
    plan.write_text(PLAN + textwrap.dedent(section), encoding="utf-8")


def test_tracking_defaults_score_everyone_with_the_standard_rule_set(plan: Path):
    t = load_plan(plan).tracking
    assert (t.rollover, t.over_budget) == ("next_month", "warn")
    assert t.kpi.rule_sets == {} and t.kpi.all_rule_sets() == {"standard": STANDARD_RULE_SET}
    assert t.kpi.rule_set_of("region") == "standard" and t.kpi.rule_set_of("person", "anyone") == "standard"
    assert [i.measure for i in STANDARD_RULE_SET.indicators] == [
        "volume", "revenue", "collection", "new_terminals", "coverage", "expense_ratio"]
    assert math.fsum(i.weight for i in STANDARD_RULE_SET.indicators) == pytest.approx(1.0, abs=1e-12)


def test_tracking_weights_not_summing_to_one_name_file_line_key_and_sum(plan: Path):
    with_tracking(plan)
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [
        f"{plan}:21: tracking.kpi.rule_sets.clerk.indicators: the weights sum to 0.9, not 1 "
        "(collection 0.6 + volume 0.3); expected a list of indicators (measure, weight, …), each measure once, "
        "whose weights sum to 1"
    ]
    assert MESSAGE.match(errors_of(exc)[0])


def test_tracking_weights_summing_to_one_load(plan: Path):
    with_tracking(plan, VALID)
    t = load_plan(plan).tracking
    assert t.rollover == "spread"
    clerk = t.kpi.rule_sets["clerk"]
    assert [(i.measure, i.weight, i.per_point_below, i.rollover) for i in clerk.indicators] == [
        ("collection", 0.6, 1.0, "none"), ("volume", 0.4, 1.0, "none")]
    assert clerk.base == 100.0 and clerk.pay is None


@pytest.mark.parametrize(("old", "new", "lines"), [
    ("{measure: volume, weight: 0.4}", "{measure: volume, weigth: 0.4}", [
        "23: tracking.kpi.rule_sets.clerk.indicators[1].weight: missing; expected a number > 0 and <= 1",
        "23: tracking.kpi.rule_sets.clerk.indicators[1].weigth: unknown key; expected one of measure, weight, label, "
        "basis, better, per_point_above, per_point_below, cap, floor, rollover"]),
    ("weight: 0.6", 'weight: "0.6"', [
        "22: tracking.kpi.rule_sets.clerk.indicators[0].weight: got the string '0.6'; expected a number > 0 and <= 1"]),
    ("rollover: spread", "rollover: carry", [
        "16: tracking.rollover: got the string 'carry'; expected one of none, next_month, spread"]),
    ("{measure: volume, weight: 0.4}", "{measure: Volume, weight: 0.4}", [
        "23: tracking.kpi.rule_sets.clerk.indicators[1].measure: got the string 'Volume'; "
        "expected a code of lower-case letters, digits and '_', starting with a letter"]),
    ("{measure: volume, weight: 0.4}", "{measure: volume, weight: 0.4, floor: 5}", [
        "23: tracking.kpi.rule_sets.clerk.indicators[1].floor: got the integer 5; "
        "expected a number >= -1000.0 and <= 0 or nothing"]),
    ("    people: clerk\n", "    people: clerk\n    colour: red\n", [
        "26: tracking.kpi.colour: unknown key; expected one of rule_sets, regions, people, roles"]),
])  # fmt: skip
def test_tracking_unknown_keys_and_wrong_types_name_file_line_and_dotted_key(plan, old, new, lines):
    assert old in VALID
    with_tracking(plan, VALID.replace(old, new))
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [f"{plan}:{line}" for line in lines]
    assert all(MESSAGE.match(line) for line in errors_of(exc))


def test_tracking_measure_listed_twice(plan: Path):
    with_tracking(plan, SECTION.replace("measure: volume, weight: 0.3", "measure: collection, weight: 0.4"))
    with pytest.raises(ParamsError, match=r":21: tracking\.kpi\.rule_sets\.clerk\.indicators: collection listed twice;"):
        load_plan(plan)


def test_tracking_unknown_rule_set_named(plan: Path):
    section = VALID.replace("people: clerk", "people: sales") + \
        "    roles: {经理: boss}\n"
    with_tracking(plan, section)
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [
        f"{plan}:17: tracking.kpi: people: 'sales' is not a rule set; roles.经理: 'boss' is not a rule set; "
        "expected one of the rule sets: standard, clerk"
    ]


def test_tracking_standard_stays_beside_a_plan_s_own_rule_sets_and_a_set_of_its_name_replaces_it(plan: Path):
    with_tracking(plan, VALID.replace("    regions: clerk\n    people: clerk\n", ""))
    kpi = load_plan(plan).tracking.kpi
    assert list(kpi.all_rule_sets()) == ["standard", "clerk"] and kpi.rule_set_of("region") == "standard"
    with_tracking(plan, VALID.replace("clerk", "standard"))
    kpi = load_plan(plan).tracking.kpi
    assert list(kpi.all_rule_sets()) == ["standard"] and kpi.all_rule_sets()["standard"].label == "业务员考核"


def test_tracking_region_file_overrides_rollover_and_a_weight(plan: Path):
    with_tracking(plan, VALID)
    write(plan.parent, "regions/K1.yaml", "tracking:\n  rollover: none\n  over_budget: stop\n")
    t = load_plan(plan, region="K1").tracking
    assert (t.rollover, t.over_budget) == ("none", "stop")
    assert load_plan(plan, region="K2").tracking.rollover == "spread"


def test_tracking_pay_rule_is_strict(plan: Path):
    section = VALID + textwrap.indent(textwrap.dedent("""\
        pay_rules: {}
        """), "    ")
    with_tracking(plan, section)
    with pytest.raises(ParamsError, match=r":26: tracking\.kpi\.pay_rules: unknown key"):
        load_plan(plan)
    with_tracking(plan, VALID.replace(
        "        indicators:", "        pay: {target: 80000, base_pay: 0}\n        indicators:"))
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [
        f"{plan}:21: tracking.kpi.rule_sets.clerk.pay.base_pay: got the integer 0; "
        "expected a number > 0 and <= 1,000,000,000,000"
    ]


def test_rule_set_built_in_python_checks_the_same():
    with pytest.raises(ValidationError, match=r"the weights sum to 1\.1, not 1 \(volume 0\.5 \+ revenue 0\.6\)"):
        RuleSet(label="x", indicators=(Indicator(measure="volume", weight=0.5), Indicator(measure="revenue", weight=0.6)))
    with pytest.raises(ValidationError, match="at least 1 item"):
        RuleSet(label="x", indicators=())
    rs = RuleSet(label="x", indicators=tuple(Indicator(measure=f"m{i}", weight=0.1) for i in range(10)))
    assert len(rs.indicators) == 10  # ten times 0.1 is 0.9999999999999999 in floats: within the tolerance
    with pytest.raises(ValidationError):
        Tracking(kpi=Kpi(regions="nope"))


def test_demo_plan_holds_both_worked_rule_sets():
    kpi = load_plan(REPO / "params" / "demo.yaml").tracking.kpi
    assert list(kpi.all_rule_sets()) == ["standard", "export_clerk", "promoter"]
    assert kpi.all_rule_sets()["standard"] == STANDARD_RULE_SET  # the plan writes the built-in set out
    clerk = kpi.rule_sets["export_clerk"]
    (collection,) = clerk.indicators
    assert (collection.measure, collection.weight, collection.per_point_above, collection.per_point_below,
            collection.rollover) == ("collection", 1.0, 1.0, 1.0, "next_month")
    assert clerk.shortfalls["new_customer"].points == 2
    assert {k: d.points for k, d in clerk.deductions.items()} == {"lost_customer": 5, "late_days": 1, "missing_report": 2}
    pay = kpi.rule_sets["promoter"].pay
    assert (pay.target, pay.below_factor, pay.step, pay.per_step, pay.deductions) == (
        80000, 0.9, 10000, 300, {"missing_report": 50})
    assert kpi.rule_set_of("person", "clerk") == "export_clerk"
    assert kpi.rule_set_of("person", "promoter") == "promoter"
    assert kpi.rule_set_of("person", "salesperson") == "standard" and kpi.rule_set_of("region") == "standard"


def test_demo_tracking_survives_the_snapshot(tmp_path: Path):
    p = load_plan(REPO / "params" / "demo.yaml")
    q = load_snapshot(write_snapshot(p, tmp_path / "params.resolved.yaml"))
    assert q.tracking == p.tracking and q.params_hash() == p.params_hash()
