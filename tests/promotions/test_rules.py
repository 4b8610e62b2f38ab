"""Rule tables: the source's schemes load; every bad table names file, line and key."""

from __future__ import annotations

import pytest

from planlib.errors import ParamsError
from planlib.promotions import (
    Rule,
    Scheme,
    Tier,
    load_scheme,
    load_schemes,
)
from tests.promotions.conftest import PARAMS, messages

GOOD = """
name: 洗车票
unit: customer
eligible:
  start: "2027-01-01"
  end: "2027-03-31"
items:
  洗车票: 25
rules:
  - name: 新客户
    method: per_step
    eligible: {customers: [new]}
    step: 30000
    gives: {洗车票: 1}
"""


def test_load_schemes_reads_every_source_table_in_the_plan_year():
    schemes = load_schemes(PARAMS, plan_year=2027)
    assert set(schemes) >= {"deposit_tickets", "prize_draw", "transaction_reward", "lead_contest",
                            "salon_tiers_old", "salon_tiers_new", "demo_spring_tickets", "demo_order_reward"}
    deposit = schemes["deposit_tickets"]
    assert [(r.name, r.step, r.eligible.customers) for r in deposit.rules] == [
        ("新客户一年期定存", 30000.0, ("new",)), ("老客户定存或转存", 20000.0, ("existing",))]
    assert [t.at_least for t in schemes["prize_draw"].rules[0].tiers] == [1000, 2000, 3000, 4000]
    assert [(t.at_least, t.discount) for t in schemes["salon_tiers_old"].rules[0].tiers] == [
        (1000, 0.05), (2000, 0.10), (4000, 0.15), (8000, 0.20), (10000, 0.25), (12000, 0.30)]
    assert [(t.at_least, t.discount) for t in schemes["salon_tiers_new"].rules[0].tiers] == [
        (2000, 0.10), (5000, 0.20), (8000, 0.30)]
    assert schemes["lead_contest"].forfeits[0].below == 40


def test_source_tables_are_dated_in_the_demo_year_only():
    with pytest.raises(ParamsError, match=r"deposit_tickets\.yaml:\d+: eligible\.start: '2027-01-01' is outside "
                                          r"the plan year 2028"):
        load_scheme(PARAMS / "deposit_tickets.yaml", plan_year=2028)


def test_scheme_is_frozen(write_scheme):
    scheme = load_scheme(write_scheme(GOOD), plan_year=2027)
    with pytest.raises(Exception, match="frozen"):
        scheme.name = "x"  # type: ignore[misc]
    assert isinstance(scheme.rules, tuple)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # an unknown key, in a rule
        ("    step: 30000\n", "    step: 30000\n    stepp: 1\n",
         "scheme.yaml:13: rules[0].stepp: unknown key; expected one of name, method, measure"),
        # an unknown key at the top
        ("unit: customer\n", "unit: customer\nbudget: 5\n", "scheme.yaml:3: budget: unknown key; expected one of name"),
        # a negative amount: the item's cost
        ("  洗车票: 25\n", "  洗车票: -25\n",
         "scheme.yaml:7: items['洗车票']: got the integer -25; expected an amount >= 0"),
        # a negative quantity
        ("gives: {洗车票: 1}", "gives: {洗车票: -1}",
         "scheme.yaml:13: rules[0].gives['洗车票']: got the integer -1; expected a quantity >= 0"),
        # a negative step
        ("step: 30000", "step: -30000",
         "scheme.yaml:12: rules[0].step: got the integer -30000; expected a step > 0 (an amount or a count)"),
        # a reward without a threshold
        ("    step: 30000\n", "",
         "scheme.yaml:9: rules[0]: a reward without a threshold: a per_step rule needs step; expected step:"),
        # dates outside the plan year
        ('  end: "2027-03-31"', '  end: "2028-03-31"',
         "scheme.yaml:5: eligible.end: '2028-03-31' is outside the plan year 2027; expected an ISO date"),
        # a date that does not exist
        ('  end: "2027-03-31"', '  end: "2027-02-30"', "scheme.yaml:5: eligible.end: '2027-02-30' is not a date"),
        # dates out of order
        ('  end: "2027-03-31"', '  end: "2026-12-31"', None),
        # a rule outside the scheme's dates
        ("    eligible: {customers: [new]}", '    eligible: {customers: [new], end: "2027-04-30"}',
         "scheme.yaml:11: rules[0].eligible.end: 2027-04-30 is after the scheme's end 2027-03-31"),
        # an item without a cost
        ("gives: {洗车票: 1}", "gives: {油卡: 1}", ("scheme.yaml:13: rules[0].gives['油卡']: '油卡' has no cost; expected "
                                                   "an item listed in items (洗车票) with its cost each")),
        # an unknown method and rounding
        ("method: per_step", "method: per_stap",
         "scheme.yaml:10: rules[0].method: got the string 'per_stap'; expected one of per_unit, per_step, tiered"),
        # a customer class that does not exist
        ("customers: [new]", "customers: [vip]",
         "scheme.yaml:11: rules[0].eligible.customers[0]: got the string 'vip'; expected one of new, existing"),
        # a string for a number
        ("step: 30000", 'step: "30000"', "scheme.yaml:12: rules[0].step: got the string '30000'; expected a step > 0"),
        # a duplicate key (the strict YAML reader)
        ("    step: 30000\n", "    step: 30000\n    step: 20000\n",
         "scheme.yaml:13: rules[0].step: duplicate key (first at line 12)"),
    ],
)
def test_load_scheme_bad_table_names_file_line_and_key(write_scheme, old, new, expected):
    assert old in GOOD
    path = write_scheme(GOOD.replace(old, new))
    with pytest.raises(ParamsError) as exc:
        load_scheme(path, plan_year=2027)
    if expected is None:
        assert messages(exc) == [("scheme.yaml:5: eligible.end: '2026-12-31' is outside the plan year 2027; "
                                  "expected an ISO date such as 2027-06-30, in the plan year")]
    else:
        assert any(m.startswith(expected) for m in messages(exc)), messages(exc)


def test_load_scheme_end_before_start_in_the_year(write_scheme):
    path = write_scheme(GOOD.replace('  end: "2027-03-31"', '  end: "2027-02-28"').replace(
        '  start: "2027-01-01"', '  start: "2027-03-01"'))
    with pytest.raises(ParamsError) as exc:
        load_scheme(path, plan_year=2027)
    assert messages(exc) == [("scheme.yaml:5: eligible.end: 2027-02-28 is before start 2027-03-01; expected an end on "
                             "or after the start")]


TIERED = """
name: 抽奖
unit: branch
items: {洗衣机: 1200, 豆浆机: 300}
rules:
  - name: 抽奖
    method: tiered
    measure: count
    tiers:
      - {at_least: 1000, gives: {豆浆机: 5}}
      - {at_least: 2000, gives: {洗衣机: 2}}
"""


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # two tiers from the same threshold
        ("at_least: 2000", "at_least: 1000",
         [("scheme.yaml:10: rules[0].tiers[1].at_least: tiers[1] (1,000) overlaps tiers[0] (1,000 up to the next "
          "tier); expected tiers that do not overlap")]),
        # a tier whose range runs into the next
        ("{at_least: 1000, gives", "{at_least: 1000, below: 2500, gives",
         [("scheme.yaml:10: rules[0].tiers[1].at_least: tiers[1] (2,000) overlaps tiers[0] (1,000 up to 2,500); "
          "expected tiers that do not overlap")]),
        # listed out of order
        ("at_least: 2000", "at_least: 500",
         [("scheme.yaml:10: rules[0].tiers[1].at_least: 500 is below tiers[0]'s 1,000; expected tiers listed by "
          "rising at_least")]),
        # a tier with a reward but no threshold
        ("{at_least: 2000, gives", "{gives",
         [("scheme.yaml:10: rules[0].tiers[1]: a reward without a threshold; expected at_least: the measure from "
          "which the tier applies")]),
        # a tier without a reward
        (", gives: {洗衣机: 2}}", "}",
         [("scheme.yaml:10: rules[0].tiers[1]: a tier without a reward; expected gives: {item: quantity} or "
          "discount: a fraction")]),
        # below not above at_least
        ("{at_least: 1000, gives", "{at_least: 1000, below: 1000, gives",
         [("scheme.yaml:9: rules[0].tiers[0].below: 1,000 is not above at_least 1,000; expected below > "
          "at_least")]),
        # a fraction of a prize
        ("{豆浆机: 5}", "{豆浆机: 2.5}",
         ["scheme.yaml:9: rules[0].tiers[0].gives['豆浆机']: 2.5 is not a whole number; expected whole items per tier"]),
        # a negative threshold
        ("at_least: 1000", "at_least: -1000",
         [("scheme.yaml:9: rules[0].tiers[0].at_least: got the integer -1000; expected a threshold >= 0 (an amount "
          "or a count)")]),
        # a discount above 1
        ("{at_least: 1000, gives: {豆浆机: 5}}", "{at_least: 1000, discount: 1.5}",
         [("scheme.yaml:9: rules[0].tiers[0].discount: got the number 1.5; expected a fraction from 0 to 1 (0.1 for "
          "9折)")]),
        # a step on a tiered rule
        ("    measure: count\n", "    measure: count\n    step: 100\n",
         ["scheme.yaml:8: rules[0].step: not used by a tiered rule; expected it only in per_step rules"]),
    ],
)
def test_load_scheme_bad_tiers(write_scheme, old, new, expected):
    assert old in TIERED
    with pytest.raises(ParamsError) as exc:
        load_scheme(write_scheme(TIERED.replace(old, new)))
    assert messages(exc) == expected


def test_load_scheme_reports_every_problem_at_once(write_scheme):
    text = TIERED.replace("at_least: 2000", "at_least: 1000").replace("洗衣机: 1200", "洗衣机: -1").replace(
        "unit: branch", "unit: branch\ncolour: red")
    with pytest.raises(ParamsError) as exc:
        load_scheme(write_scheme(text))
    got = messages(exc)
    assert [m.split(":")[1] for m in got] == ["3", "4", "11"]  # in line order
    assert got[0].startswith("scheme.yaml:3: colour: unknown key")
    assert got[1].startswith("scheme.yaml:4: items['洗衣机']: got the integer -1")
    assert "overlaps" in got[2]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("  - {name: r, method: per_unit, gives: {洗车票: 1}}",
         "scheme.yaml:6: rules[0]: a reward without a threshold: a per_unit rule needs minimum"),
        ("  - {name: r, method: per_step, step: 100}",
         "scheme.yaml:6: rules[0].gives: nothing given; expected a mapping of item -> quantity per step"),
        ("  - {name: r, method: tiered}", "scheme.yaml:6: rules[0].tiers: no tiers; expected a list of tiers"),
        ("  - {name: r, method: per_step, step: 100, minimum: 50, gives: {洗车票: 1}}",
         "scheme.yaml:6: rules[0].minimum: 50 is below one step (100), which floor rounding never rewards"),
        ("  - {name: r, method: per_step, step: 100, gives: {洗车票: 1}, cap: {油卡: 2}}",
         "scheme.yaml:6: rules[0].cap['油卡']: r gives no '油卡'; expected a cap on an item the rule gives"),
        ("  - {name: r, method: per_step, step: 100, gives: {洗车票: 1}, eligible: {customers: []}}",
         "scheme.yaml:6: rules[0].eligible.customers: got a list of 0 items; expected a list of new, existing"),
    ],
)
def test_load_scheme_rule_needs_its_threshold_and_reward(write_scheme, rule, expected):
    text = f"name: s\nunit: customer\nitems: {{洗车票: 5}}\npool: {{}}\nrules:\n{rule}\n"
    with pytest.raises(ParamsError) as exc:
        load_scheme(write_scheme(text))
    assert any(m.startswith(expected) for m in messages(exc)), messages(exc)


def test_load_scheme_pool_and_names(write_scheme):
    text = GOOD + "  - {name: 新客户, method: per_step, step: 20000, gives: {洗车票: 1}}\npool: {油卡: 10}\n"
    with pytest.raises(ParamsError) as exc:
        load_scheme(write_scheme(text), plan_year=2027)
    assert messages(exc) == [
        "scheme.yaml:14: rules[1].name: '新客户' is also rules[0]; expected each rule named once",
        "scheme.yaml:15: pool['油卡']: '油卡' has no cost; expected an item listed in items",
    ]


def test_load_scheme_not_a_mapping_and_missing_keys(write_scheme):
    with pytest.raises(ParamsError) as exc:
        load_scheme(write_scheme("- a\n- b\n"))
    assert messages(exc) == [("scheme.yaml:1: (top level): got a list of 2 items; expected a mapping with the keys "
                             "name, unit, kind, source, eligible, items, rules, pool, forfeits, labels")]
    with pytest.raises(ParamsError) as exc:
        load_scheme(write_scheme("name: s\nunit: customer\n"))
    assert messages(exc) == ["scheme.yaml:1: rules: missing; expected a list of rules (at least one)"]


def test_load_scheme_missing_file(tmp_path):
    with pytest.raises(ParamsError, match=r"nope\.yaml: no such file"):
        load_scheme(tmp_path / "nope.yaml")


def test_load_schemes_reports_every_file(tmp_path, write_scheme):
    write_scheme(GOOD, "a.yaml")
    write_scheme(GOOD.replace("step: 30000", "step: 0"), "b.yaml")
    write_scheme(GOOD.replace("unit: customer", "unit: shop"), "c.yaml")
    with pytest.raises(ParamsError) as exc:
        load_schemes(tmp_path, plan_year=2027)
    assert [m.split(":")[0] for m in messages(exc)] == ["b.yaml", "c.yaml"]
    with pytest.raises(ParamsError, match="no such folder"):
        load_schemes(tmp_path / "missing")


def test_models_check_when_built_in_python():
    with pytest.raises(ValueError, match="a reward without a threshold"):
        Rule(name="r", method="per_step", gives={"x": 1})
    with pytest.raises(ValueError, match="overlaps"):
        Rule(name="r", method="tiered", tiers=(Tier(at_least=1, gives={"x": 1}), Tier(at_least=1, gives={"x": 2})))
    rule = Rule(name="r", method="per_step", step=10, gives={"x": 1})
    with pytest.raises(ValueError, match="'x' has no cost"):
        Scheme(name="s", unit="customer", rules=(rule,))
