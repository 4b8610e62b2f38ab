"""
Time the panels' redraws on the demo archive: review (county, province), split and budget (county).

Run by hand: ``.venv/bin/python benchmarks/bench_widgets.py [--archive PATH] [--redraws N]``.
Uses ``data/demo.duckdb`` when it exists, else builds the small demo in a temporary
folder. For each region, cycles the panel's controls (period, product line, alignment,
capture rate) over N redraws and prints median and p95 milliseconds of
:func:`planlib.widgets.review_view` alone, of the view plus its figure
(:func:`planlib.widgets.seasonal_figure`), and of the panel's full redraw (which also
renders the PNG and the escaped tables). Then, with the demo plan (params/demo.yaml), the
targets notebook's split panel (stretch, blend weights, floor, cap, a hold) and the budget
notebook's panel (a category's method and ratio, the cap, price and volume) for a county.
Goal (issues 3, 4, 5): every redraw under 200 ms.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

import numpy as np

from planlib.archive import store as archive_mod
from planlib import budget as costing
from planlib import demo
from planlib import params
from planlib.present import plots
from planlib.review import region as review
from planlib import targets
from planlib.present import widgets
from planlib.present.workbook import open_workbook

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ARCHIVE = ROOT / "data" / "demo.duckdb"
REGIONS = {"county": "P01C01K01", "province": "P01"}

PLAN = """\
plan_id: bench-widgets
title: bench
year: {year}
archive: {archive}
currency: CNY
scope:
  root: HQ
  levels: [hq, province, city, county]
notebooks: [10_review_archive]
"""


def _ms(seconds: list[float]) -> str:
    a = np.asarray(seconds) * 1000.0
    return f"median {np.median(a):7.1f} ms   p95 {np.percentile(a, 95):7.1f} ms"


def _options(rv: review.RegionReview) -> list[list]:
    """Values to cycle through, per control: period, product line, alignment, capture rate."""
    y = rv.years
    periods = list(dict.fromkeys([(y[0], y[-1]), (y[-2], y[-1]), (y[0], y[-2])])) if len(y) >= 2 else [(y[0], y[0])]
    lines = [widgets.ALL_LINES, *sorted(rv.monthly["product_line"].dropna().unique().tolist())]
    return [periods, lines, list(widgets.ALIGNMENTS), [0.05, 0.1, 0.2]]


def bench_region(plan: Path, region: str, redraws: int) -> None:
    wb = open_workbook(region, "base", plan, None, True)
    t0 = time.perf_counter()
    data = review.load_region_data(wb.archive, wb.tree, region)
    rv = review.review_region(data, wb.tree)
    setup_s = time.perf_counter() - t0
    print(f"{wb.level:<9} {region:<10} {len(rv.monthly):>7,} monthly rows   load+review {setup_s:.1f} s")
    options = _options(rv)

    view_s, figure_s = [], []
    combos = itertools.cycle(itertools.product(*options))
    for _, (period, line, align, rate) in zip(range(redraws), combos):
        t0 = time.perf_counter()
        view = widgets.review_view(rv, years=period, product_line=line, align=align, capture_rate=rate)
        t1 = time.perf_counter()
        widgets.seasonal_figure(view["seasonal"], align=align, title=f"{line} {period[0]}–{period[1]}")
        t2 = time.perf_counter()
        view_s.append(t1 - t0)
        figure_s.append(t2 - t0)

    panel = widgets.review_panel(wb, rv, data)
    controls = (panel.period, panel.product_line, panel.align, panel.capture_rate)
    movable = [k for k, values in enumerate(options) if len(values) > 1]
    step = [0] * len(options)
    redraw_s = []
    for i in range(redraws):
        # one user action: one control moves to its next value, which redraws once
        k = movable[i % len(movable)]
        step[k] += 1
        value = options[k][step[k] % len(options[k])]
        t0 = time.perf_counter()
        controls[k].value = value
        redraw_s.append(time.perf_counter() - t0)

    print(f"  review_view            {_ms(view_s)}")
    print(f"  review_view + figure   {_ms(figure_s)}")
    print(f"  panel redraw (+PNG)    {_ms(redraw_s)}")


def _timed_moves(moves) -> list[float]:
    out = []
    for control, value in moves:
        t0 = time.perf_counter()
        control.value = value
        out.append(time.perf_counter() - t0)
    return out


def bench_plan_panels(archive: Path, tmp: Path, region: str, redraws: int) -> None:
    text = (ROOT / "params" / "demo.yaml").read_text(encoding="utf-8")
    plan_file = tmp / "demo-plan.yaml"
    plan_file.write_text(text.replace("archive: ../data/demo.duckdb", f"archive: {archive.resolve()}")
                         .replace("region_overrides: regions", "").replace("scenarios: scenarios", ""), encoding="utf-8")
    wb = open_workbook(region, "base", plan_file, None, True)
    con = archive_mod.connect(wb.archive)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = targets.plan_targets(wb.params, wb.tree, con).table
        pb = costing.plan_budget(wb.params, wb.tree, con, table)
    total = int(table[(table["region_id"] == region) & table[["product_line", "channel", "terminal_class",
                                                               "terminal_id"]].isna().all(axis=1)]["target_volume"].sum())
    inputs = targets.split_inputs(con, wb.tree, region, wb.params.year, total=total, stretch=wb.params.targets.stretch)
    panel = widgets.split_panel(wb, inputs)
    moves = []
    for i in range(redraws):
        moves.append([(panel.stretch, 0.03 + 0.01 * (i % 8)), (panel.floor, 0.1 + 0.05 * (i % 4)),
                      (panel.weights["equal"], 0.1 * (i % 5)), (panel.use_cap, bool(i % 2))][i % 4])
    print(f"split panel   {region:<10} {_ms(_timed_moves(moves))}   ({len(inputs.names)} children)")
    rb = costing.region_budget(pb.table, pb.regions, pb.methods, wb.tree, region)
    bpanel = widgets.budget_panel(wb, rb)
    moves = []
    for i in range(redraws):
        moves.append([(bpanel.cap, 0.15 + 0.01 * (i % 8)), (bpanel.price_change, -0.01 * (i % 6)),
                      (bpanel.volume_change, -0.02 * (i % 6)), (bpanel.use_ratio["promotion"], bool(i % 2)),
                      (bpanel.ratio["promotion"], 0.01 + 0.002 * (i % 5))][i % 5])
    print(f"budget panel  {region:<10} {_ms(_timed_moves(moves))}")
    con.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--archive", type=Path, default=None, help="an existing archive (default data/demo.duckdb)")
    ap.add_argument("--redraws", type=int, default=20)
    args = ap.parse_args(argv)
    plots.set_style()
    with tempfile.TemporaryDirectory(prefix="planlib-bench-") as tmp:
        archive = args.archive or DEFAULT_ARCHIVE
        if not archive.is_file():
            archive = Path(tmp) / "demo.duckdb"
            t0 = time.perf_counter()
            demo.build_demo(archive)
            print(f"built {archive} in {time.perf_counter() - t0:.1f} s")
        else:
            print(f"archive {archive}")
        plan = Path(tmp) / "plan.yaml"
        plan.write_text(PLAN.format(year=2027, archive=archive.resolve()), encoding="utf-8")
        print(f"{args.redraws} redraws per region")
        for region in REGIONS.values():
            bench_region(plan, region, args.redraws)
        bench_plan_panels(archive, Path(tmp), REGIONS["county"], args.redraws)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
