"""
How fast does `planlib archive import` take a large sales file?

Usage:
    python benchmarks/bench_import.py [ROWS]     # default 1,000,000

Writes a CSV of ROWS monthly sales rows with the usual mess of real exports (Chinese
headers, `2024年3月` periods, thousands separators, `万`), imports it into a fresh
archive with regions and products, and prints the seconds and rows per second of the
first import and of a re-import (which must add nothing). For comparison, in the same
run: the straightforward way, DuckDB's own CSV reader inserting the same rows with no
normalisation, no validation and no rejects (it cannot read these values as numbers).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planlib import archive


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    work = Path(tempfile.mkdtemp())
    arc = archive.init_archive(work / "bench.duckdb")
    regions = pd.DataFrame(
        {"区域编码": ["HQ"] + [f"K{i:03d}" for i in range(200)], "名称": ["总部"] + [f"县{i}" for i in range(200)],
         "层级": ["hq"] + ["county"] * 200, "上级编码": [""] + ["HQ"] * 200}  # fmt: skip
    )
    regions.to_csv(work / "regions.csv", index=False)
    archive.import_files(arc, "regions", [work / "regions.csv"])
    products = pd.DataFrame({"产品编码": [f"S{i:02d}" for i in range(20)], "名称": "酒", "产品线": "白酒", "单价": "1,200"})
    products.to_csv(work / "products.csv", index=False)
    archive.import_files(arc, "products", [work / "products.csv"])

    rng = np.random.default_rng(1)
    months = pd.date_range("2020-01-01", "2025-12-01", freq="MS")
    n = rows
    # unique keys: region × sku × month × channel combinations, cycled
    idx = np.arange(n)
    frame = pd.DataFrame(
        {
            "月份": [f"{d.year}年{d.month}月" for d in months[idx % len(months)]],
            "区域编码": [f"K{i:03d}" for i in (idx // len(months)) % 200],
            "产品编码": [f"S{i:02d}" for i in (idx // (len(months) * 200)) % 20],
            "渠道": np.array(["商超", "团购", "餐饮", "烟酒店", "便利店"])[(idx // (len(months) * 4000)) % 5],
            "销量": [f"{v:,}" for v in rng.integers(1, 5000, n)],
            "销售额": [f"{v / 10000:.2f}万" for v in rng.integers(1000, 9_000_000, n)],
        }
    )
    src = work / "sales.csv"
    frame.to_csv(src, index=False, encoding="utf-8-sig")
    print(f"{n:,} rows, {src.stat().st_size / 1e6:.0f} MB CSV")

    t0 = time.perf_counter()
    report = archive.import_files(arc, "sales", [src])
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = archive.import_files(arc, "sales", [src])
    t_again = time.perf_counter() - t0
    print(f"planlib import     {t_first:7.2f} s  ({n / t_first:,.0f} rows/s)  imported {report.imported:,}, rejected {report.rejected:,}")
    print(f"planlib re-import  {t_again:7.2f} s  imported {again.imported:,}, unchanged {again.unchanged:,}")

    con = duckdb.connect(str(work / "raw.duckdb"))
    t0 = time.perf_counter()
    con.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv('{src}', all_varchar = true)")
    t_raw = time.perf_counter() - t0
    con.close()
    print(f"straightforward    {t_raw:7.2f} s  (DuckDB read_csv as text: no normalisation, no checks; "
          f"planlib costs {t_first / t_raw:.1f}x that)")


if __name__ == "__main__":
    main()
