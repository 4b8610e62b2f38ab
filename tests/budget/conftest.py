"""The budget tests' shared plan: the demo archive priced by a plan using every method."""

from __future__ import annotations

import warnings

import pytest

from planlib import budget, params, targets
from planlib.archive import store as archive

PLAN_YAML = """\
plan_id: demo-2026
title: 康源酒业 2026
year: 2026
archive: d.duckdb
scope:
  root: HQ
  levels: [hq, province, city, county]
notebooks: [30_build_budget]
budget:
  methods: {labour: marginal, office: percent_of_sales, media: input_output, channel: objective_task, promotion: zero_based}
  cap_ratio: 0.25
  activities:
    - {name: 品鉴会, category: promotion, item: premiums, cost: 60000, expected_return: 150000}
    - {name: 堆头, category: promotion, item: promo_materials, cost: 80000, expected_return: 160000}
"""


@pytest.fixture(scope="session")
def priced(tmp_path_factory, demo_copy):
    folder = tmp_path_factory.mktemp("costing")
    demo_copy(folder / "d.duckdb", start_year=2023)
    (folder / "plan.yaml").write_text(PLAN_YAML, encoding="utf-8")
    con = archive.connect(folder / "d.duckdb")
    tree = archive.load_tree(con)
    plan = params.load_plan(folder / "plan.yaml", tree=tree)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = targets.plan_targets(plan, tree, con).table
        pb = budget.plan_budget(plan, tree, con, table)
    yield {"pb": pb, "tree": tree, "plan": plan, "con": con, "targets": table, "folder": folder}
    con.close()
