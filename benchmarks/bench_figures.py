"""
Time every figure kind the notebooks draw, as a report draws it: built, then rendered to PNG.

Run by hand: ``.venv/bin/python benchmarks/bench_figures.py [--repeat N] [--ref DIR] [--check]``.
Each figure is built by its function and rendered as the notebooks show it (the IPython
formatter's :func:`planlib.present.plots.figure_png` with ``bbox_inches="tight"``), from
synthetic frames of a report's sizes and shapes (a province's review, a county's targets,
budget, promotions and tracking). Prints the best and the median CPU milliseconds
(``time.process_time``; garbage collected before each figure, outside the timing) per figure
kind over N rounds after one warm-up round, and their sums.

``--ref DIR``: also time the figure modules found in DIR (copies of ``plots.py``,
``profit_plots.py``, ``promotion_plots.py`` from another commit, e.g. ``git show
OLD:planlib/present/plots.py > DIR/plots.py``), imported by path, interleaved with the
current ones in the same process, and print the ratio. ``--check`` also compares the PNG
bytes of the two for every figure (the same figures, byte for byte).

``--level L``: also time the current figures written at zlib level L (``pil_kwargs``; figure_png's
own level is :data:`planlib.present.style._PNG_LEVEL`), interleaved, as the reference; ``--check``
then compares the figures' pixels (the bytes differ).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("agg")

from planlib.present import plots, profit_plots, promotion_plots

MODULES = ("plots", "profit_plots", "promotion_plots")


def _inputs() -> list[tuple[str, str, str, tuple, dict]]:
    """(label, module, function, args, kwargs) of every figure a report draws, in report order."""
    rng = np.random.default_rng(7)
    years = [2024, 2025, 2026]
    months = pd.DataFrame([(y, m, float(rng.integers(19_000, 37_000)), float(rng.uniform(8e6, 1.8e7)))
                           for y in years for m in range(1, 13)], columns=["year", "month", "volume", "revenue"])
    dates = pd.date_range("2024-01-01", periods=157, freq="7D")
    weekly = pd.DataFrame({"date": dates.repeat(2), "terminal_class": pd.array(["A", "B"] * 157, dtype="string"),
                           "volume": rng.integers(800, 5000, 314).astype(float)})
    weekly["revenue"] = weekly["volume"] * 460.0
    weekly["terminals"] = 25

    def composition(column, names):
        rows = [(y, n, float(rng.uniform(1e7, 9e7))) for y in years for n in names]
        frame = pd.DataFrame(rows, columns=["year", column, "revenue"]).astype({column: "string"})
        frame["share"] = frame["revenue"] / frame.groupby("year")["revenue"].transform("sum")
        return frame

    lines = composition("product_line", ["低度酒", "保健酒", "白酒"])
    channels = composition("channel", ["烟酒店", "餐饮", "商超", "团购", "便利店"])
    calendar = pd.DataFrame([(y, s, f"{s}月", 0.05 + 0.1 * rng.random()) for y in years for s in range(1, 13)],
                            columns=["year", "slot", "label", "share"])
    festival = pd.DataFrame([(y, s, "春节档" if s == 1 else f"档后第{s - 1}月", 0.05 + 0.1 * rng.random())
                             for y in years[1:] for s in range(1, 13)], columns=["year", "slot", "label", "share"])
    share = pd.DataFrame([(y, g, 0.17 + 0.05 * rng.random()) for y in years for g in ["济南市", "潍坊市", "临沂市"]],
                         columns=["year", "group", "own_share"]).astype({"group": "string"})
    brands = pd.DataFrame([(y, b, float(rng.integers(2e5, 3.3e5))) for y in years for b in ["本品", "古泉", "金潭"]],
                          columns=["year", "brand", "volume"]).astype({"brand": "string"})
    points = pd.DataFrame({
        "kind": ["region", "channel", "region", "region", "channel", "channel", "channel", "channel", "terminal",
                 "terminal"],
        "name": ["临沂市", "烟酒店", "济南市", "潍坊市", "餐饮", "商超", "团购", "便利店", "大润生活超市", "新世纪购物广场"],
        "attainable": [54673.7, 46953.0, 42042.8, 41966.1, 31065.0, 23758.9, 21367.1, 15796.8, 386.0, 175.2]})
    effects = pd.DataFrame([(g, e, float(rng.normal(0, 5e6))) for g in ["全部", "低度酒", "保健酒", "白酒"]
                            for e in ["volume", "mix", "price", "total"]], columns=["group", "effect", "amount"])
    ratios = pd.DataFrame([(y, c, 0.02 + 0.06 * rng.random()) for y in years
                           for c in ["labour", "office", "media", "channel", "promotion", "全部"]],
                          columns=["year", "category", "ratio"])
    target = pd.DataFrame({"month": pd.date_range("2027-01-01", periods=12, freq="MS"),
                           "target_volume": rng.integers(700, 1300, 12),
                           "last_year_volume": rng.integers(700, 1700, 12).astype(float)})
    # the targets notebook passes the children with their region ids, a categorical of every region
    regions = pd.CategoricalDtype([f"P{p:02d}C{c:03d}K{k:03d}" for p in range(1, 32) for c in range(1, 11)
                                   for k in range(1, 11)])
    children = pd.DataFrame({
        "region_id": pd.Series([f"P01C001K00{k}" for k in range(1, 7)], dtype=regions),
        "name": pd.array(["长川县", "清塘县", "丰河县", "平桥县", "安岗市", "龙桥区"], dtype="string"),
        "last_year": [10843.0, 19677.0, 5545.0, 10965.0, 24010.0, 10586.0],
        "target": [10993, 20771, 5322, 11722, 24987, 11726],
        "potential": [24108.84, 44982.84, 14727.30, 21381.36, 38886.96, 24714.48]})
    cats = ["labour", "office", "media", "channel", "promotion"]
    budget = pd.DataFrame({"month": range(1, 13), **{c: rng.uniform(900, 30_000, 12) for c in cats}})
    names = {"labour": "人力成本", "office": "办公管理", "media": "媒体投放", "channel": "渠道费用", "promotion": "推广费用"}
    curves = pd.DataFrame({"kind": ["media", "promotion", "tasting"], "curve": ["exponential"] * 3,
                           "a": [5.55e6, 1.51e5, 3.16e4], "b": [651305.2, 62913.1, 26680.2], "slope": [8.5, 2.4, 1.2]})
    detail = pd.DataFrame({"kind": ["display", "media", "promotion", "tasting"], "spend": [14398.2, 926136.4, 9870.5, 0.0],
                           "marginal_return": [1.0, 1.0, 1.0, 0.576], "stop": ["marginal"] * 3 + ["does not pay"]})
    limits = {"display": 326800.0, "media": 6727000.0, "promotion": 642200.0, "tasting": 169000.0}
    steps = pd.DataFrame({"label": ["目标销售额", "产品成本", "人力成本", "办公管理", "媒体投放", "渠道费用", "推广费用", "目标下利润"],
                          "amount": [4999778.0, -2578663.0, -314959.1, -202868.8, -13954.8, -137595.6, -94789.1, 1656948.0],
                          "kind": ["total"] + ["change"] * 6 + ["total"]})
    promotions = pd.DataFrame({"name": ["中秋订货陈列补贴", "春节进货刮奖券"], "cost": [8000.0, 3000.0],
                               "expected_lift": [18924.87, 4936.84], "break_even_lift": [16407.45, 6152.80]})
    promo_names = {"cost": "预计费用（元）", "expected_lift": "预计拉动销售额（元）", "break_even_lift": "保本拉动销售额（元）"}
    tiers = pd.DataFrame({"scheme": ["s1"] * 3 + ["s2"] * 2, "name": ["订货返利"] * 3 + ["陈列奖励"] * 2,
                          "tier": ["一档", "二档", "三档", "A", "B"], "members": [12, 7, 3, 20, 9]})
    tracking = pd.DataFrame({"month": pd.date_range("2027-01-01", periods=12, freq="MS"),
                             "target": rng.uniform(700, 1300, 12), "actual": [*rng.uniform(700, 1300, 7), *[None] * 5],
                             "revised_target": rng.uniform(700, 1300, 12)})
    submitted = pd.DataFrame([(n, k, float(rng.integers(5e3, 3e4))) for n in ["长川县", "清塘县", "丰河县", "平桥县"]
                              for k in ["分配目标", "提报"]], columns=["name", "kind", "volume"])
    return [
        ("review: monthly_lines", "plots", "monthly_lines", (months,),
         {"value": "revenue", "title": "月度销售额（按年）", "ylabel": "销售额（元）"}),
        ("review: weekly_lines", "plots", "weekly_lines", (weekly,), {"title": "A/B 类核心终端周销量"}),
        ("review: stacked_shares", "plots", "stacked_shares", (lines,),
         {"index": "year", "columns": "product_line", "value": "share", "title": "产品线结构（销售额占比）"}),
        ("review: stacked_shares 5", "plots", "stacked_shares", (channels,),
         {"index": "year", "columns": "channel", "value": "share", "title": "渠道结构（含团购，销售额占比）"}),
        ("review: seasonal_compare", "plots", "seasonal_compare", (calendar, festival), {}),
        ("review: share_bars", "plots", "share_bars", (share,), {"title": "各下级区域本品份额（占品类销量）"}),
        ("review: grouped_bars", "plots", "grouped_bars", (brands,),
         {"x": "year", "y": "volume", "hue": "brand", "title": "本品与竞品销量", "ylabel": "销量（箱）"}),
        ("review: growth_points", "plots", "growth_points", (points,), {"title": "可争取增量"}),
        ("review: effects_bars", "plots", "effects_bars", (effects,), {"title": "2025→2026 销售额变动分解"}),
        ("review: expense_ratio_lines", "plots", "expense_ratio_lines", (ratios,), {"title": "各类费用率"}),
        ("targets: target_months", "plots", "target_months", (target,), {"title": "月度目标与去年（箱）"}),
        ("targets: children_targets", "plots", "children_targets", (children,), {"title": "下级目标、去年与潜力（箱）"}),
        ("budget: waterfall", "profit_plots", "waterfall", (steps,), {"title": "从目标销售额到目标下利润（元）"}),
        ("budget: break_even", "profit_plots", "break_even", (454.81, 256.98, 517827.88),
         {"target_volume": 10993.0, "title": "保本分析"}),
        ("budget: response_points", "plots", "response_points", (curves, detail),
         {"margin_rate": 0.486, "title": "每次活动的毛利回报（毛利率 48.6%）与选定投入",
          "names": {"media": "媒体活动", "promotion": "促销活动", "tasting": "品鉴活动"}, "limits": limits}),
        ("budget: budget_months", "plots", "budget_months", (budget,), {"title": "月度费用预算（元）", "names": names}),
        ("promotions: promotion_lift", "promotion_plots", "promotion_lift", (promotions,),
         {"title": "预计拉动与保本拉动（元）", "names": promo_names}),
        ("promotions: tier_shape", "promotion_plots", "tier_shape", (tiers,), {"title": "各档人数", "names": {}}),
        ("tracking: tracking_months", "plots", "tracking_months", (tracking,), {"title": "长川县 月度销量：目标、实际与调整后目标"}),
        ("consolidate: grouped_bars", "plots", "grouped_bars", (submitted,),
         {"x": "name", "y": "volume", "hue": "kind", "title": "分配目标与下级提报（箱）", "ylabel": "销量（箱）"}),
    ]


def _load_ref(folder: Path) -> dict:
    """The figure modules of ``folder`` imported by path (their ``planlib.present.plots`` is the folder's)."""
    current = sys.modules["planlib.present.plots"]
    loaded = {}
    try:
        for name in MODULES:
            spec = importlib.util.spec_from_file_location(f"bench_ref_{name}", folder / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            loaded[name] = module
            if name == "plots":  # what the other two import
                sys.modules["planlib.present.plots"] = module
    finally:
        sys.modules["planlib.present.plots"] = current
    return loaded


def _draw(modules: dict, module: str, function: str, args: tuple, kwargs: dict) -> bytes:
    fig = getattr(modules[module], function)(*args, **kwargs)
    return modules["plots"].figure_png(fig, bbox_inches="tight", **modules.get("savefig", {}))


def _pixels(png: bytes) -> bytes:
    import io

    from PIL import Image

    return Image.open(io.BytesIO(png)).convert("RGBA").tobytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (after one warm-up round)")
    parser.add_argument("--ref", type=Path, help="a folder with the reference plots.py, profit_plots.py, promotion_plots.py")
    parser.add_argument("--check", action="store_true", help="compare the PNG bytes with the reference's")
    parser.add_argument("--level", type=int, help="the reference: the current figures written at this zlib level")
    args = parser.parse_args()

    sets = {"new": {"plots": plots, "profit_plots": profit_plots, "promotion_plots": promotion_plots}}
    if args.ref:
        sets = {"ref": _load_ref(args.ref), **sets}
    elif args.level is not None:
        sets = {"ref": {**sets["new"], "savefig": {"pil_kwargs": {"compress_level": args.level}}}, **sets}
    figures = _inputs()
    times = {(name, label): [] for name in sets for label, *_ in figures}
    pngs = {}
    for round_ in range(args.repeat + 1):
        for label, module, function, a, k in figures:
            for name, modules in sets.items():
                modules["plots"].set_style()
                gc.collect()
                start = time.process_time()
                png = _draw(modules, module, function, a, k)
                if round_:
                    times[(name, label)].append(time.process_time() - start)
                else:
                    pngs[(name, label)] = png
    width = max(len(label) for label, *_ in figures)
    has_ref = "ref" in sets
    head = "  ".join(f"{n + ' ' + k:>10}" for k in ("best", "median") for n in sets)
    print(f"{'figure (CPU ms, ' + str(args.repeat) + ' rounds)':{width}}  {head}" + ("  ratio best/median" if has_ref else ""))
    totals = {(n, k): 0.0 for n in sets for k in ("best", "median")}
    for label, *_ in figures:
        ms = {}
        for n in sets:
            ms[(n, "best")] = 1000 * min(times[(n, label)])
            ms[(n, "median")] = 1000 * statistics.median(times[(n, label)])
        for key, value in ms.items():
            totals[key] += value
        print(f"{label:{width}}  " + "  ".join(f"{ms[(n, k)]:10.1f}" for k in ("best", "median") for n in sets)
              + _ratios(ms, has_ref) + _same(args.check and has_ref, pngs, label, args.level is not None))
    print(f"{'all ' + str(len(figures)) + ' figures':{width}}  "
          + "  ".join(f"{totals[(n, k)]:10.1f}" for k in ("best", "median") for n in sets) + _ratios(totals, has_ref))


def _ratios(ms: dict, has_ref: bool) -> str:
    if not has_ref:
        return ""
    return "  " + " / ".join(f"{ms[('new', k)] / ms[('ref', k)]:.2f}" for k in ("best", "median"))


def _same(check: bool, pngs: dict, label: str, pixels: bool = False) -> str:
    if not check:
        return ""
    if pixels:
        return "  same pixels" if _pixels(pngs[("ref", label)]) == _pixels(pngs[("new", label)]) else "  PIXELS DIFFER"
    return "  same bytes" if pngs[("ref", label)] == pngs[("new", label)] else "  BYTES DIFFER"


if __name__ == "__main__":
    main()
