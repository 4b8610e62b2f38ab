"""
How fast is the whole plan's budget on the national archive, with channel fees terminal by terminal?

Usage:
    python benchmarks/bench_budget.py [ARCHIVE]     # default /tmp/national.duckdb (built if missing)

Sets the plan's targets once (planlib.targets.plan_targets, not timed as budget), then times
planlib.costing.plan_budget: every county's budget by the demo plan's methods (labour marginal,
media input-output, channel objective-task per A/B terminal, the rest percent of sales), capped,
phased by month exactly and consolidated to HQ, with CVP and the dual check per region.
For comparison, the straightforward way in the same run: a loop over the counties calling
budget.objective_task for each county's terminals (the channel fees alone).
Goal (issue 5): under 5 s for all counties.
"""

from __future__ import annotations

import resource
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planlib.archive import store as archive
from planlib.budget import methods as budget
from planlib.budget import plan as costing
from planlib import demo
from planlib import params
from planlib import targets


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/national.duckdb")
    if not path.exists():
        print(f"building the national archive at {path} (about a minute) …")
        demo.build_demo(path, scale="national")
    con = archive.connect(path)
    tree = archive.load_tree(con)
    text = (ROOT / "params" / "demo.yaml").read_text(encoding="utf-8")
    tmp = Path("/tmp/bench_budget_plan.yaml")
    tmp.write_text(text.replace("archive: ../data/demo.duckdb", f"archive: {path}").replace("cap: 1.0 ", "cap: null ")
                   .replace("region_overrides: regions", "").replace("scenarios: scenarios", ""), encoding="utf-8")
    plan = params.load_plan(tmp, tree=tree)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        table = targets.plan_targets(plan, tree, con).table
        t_targets = time.perf_counter() - t0
        t0 = time.perf_counter()
        pb = costing.plan_budget(plan, tree, con, table)
        t_budget = time.perf_counter() - t0
    units = pb.regions[pb.regions["level"] == "county"]
    terms = pb.table["terminal_id"].notna()
    print(f"targets (not part of the budget): {t_targets:.2f} s")
    print(f"plan_budget: {t_budget:.2f} s for {len(units):,} counties, {pb.table.loc[terms, 'terminal_id'].nunique():,} "
          f"A/B terminals' channel fees, {len(pb.table):,} budget rows, {len(pb.regions):,} regions with CVP")
    over = (units["budget"] > units["cap"] + 1e-6).sum()
    print(f"  counties over their cap: {over}; flagged sales met, profit missed: "
          f"{(pb.regions['flag'] == 'sales met, profit missed').sum()}")

    # the straightforward way: one objective_task call per county
    from planlib.targets import breakdown_of

    kind = breakdown_of(table)
    lines = budget.terminal_lines(table, kind, {r: tree.ancestor_at(r, "county") if tree.level(r) != "county" else r
                                                  for r in set(table.loc[kind == "terminal", "region_id"].astype(str))})
    rates = budget.channel_rates(plan.budget)
    t0 = time.perf_counter()
    for unit, g in lines.groupby("unit"):
        budget.objective_task(g.drop(columns=["target_revenue"]).assign(region_id=unit), rates=rates)
    t_loop = time.perf_counter() - t0
    t0 = time.perf_counter()
    budget.objective_task(lines.drop(columns=["target_revenue"]).assign(region_id=lines["unit"]), rates=rates)
    t_vec = time.perf_counter() - t0
    print(f"channel fees alone: one call for all terminals {t_vec:.2f} s; a loop over the counties {t_loop:.2f} s "
          f"({t_loop / t_vec:.1f}x slower)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"goal: plan_budget < 5 s — {'met' if t_budget < 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
