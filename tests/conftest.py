"""Shared fixtures: a tiny archive written straight through DuckDB, and a plan for it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from planlib.schemas import TABLE_ORDER, table_ddl

HOSTILE_NAME = '<img src=x onerror=alert(1)><script>alert("planlib")</script>'

# HQ -> P1 -> C1 -> K1 (sales), K2 (hostile name, sales), K3 (no sales at all)
REGIONS = [
    ("HQ", "总部", "hq", None),
    ("P1", "山东省", "province", "HQ"),
    ("C1", "济南市", "city", "P1"),
    ("K1", "历城区", "county", "C1"),
    ("K2", HOSTILE_NAME, "county", "C1"),
    ("K3", "新设县", "county", "C1"),
]


def write_tiny_archive(path: Path) -> Path:
    """Two years of monthly own and competitor sales in K1 and K2; K3 has none."""
    con = duckdb.connect(str(path))
    for name in TABLE_ORDER:
        con.execute(table_ddl(name))
    con.execute("CREATE TABLE planlib_meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO planlib_meta VALUES ('format_version', '1')")
    regions = pd.DataFrame(REGIONS, columns=["region_id", "name", "level", "parent_id"])
    products = pd.DataFrame(
        {
            "sku": ["S1", "S2", "X1"],
            "name": ["康源500ml", "康源养生酒", "金潭500ml"],
            "product_line": ["白酒", "保健酒", "白酒"],
            "spec": ["500ml×6", "750ml×6", "500ml×6"],
            "unit_price": [50.0, 80.0, 45.0],
            "unit_variable_cost": [30.0, 40.0, None],
        }
    )
    rows = []
    for region, level in (("K1", 100.0), ("K2", 60.0)):
        for year in (2024, 2025):
            for month in range(1, 13):
                date = pd.Timestamp(year, month, 1)
                lift = 1.5 if month in (1, 2, 9) else 1.0
                for sku, price, share in (("S1", 50.0, 0.7), ("S2", 80.0, 0.3)):
                    v = round(level * share * lift * (1.1 if year == 2025 else 1.0), 1)
                    ch = "group_purchase" if sku == "S2" else "supermarket"
                    rows.append((date, "month", region, sku, ch, "own", None, None, v, v * price))
                v = round(level * 0.8 * lift, 1)
                rows.append((date, "month", region, "X1", "supermarket", "金潭", None, None, v, v * 45.0))
    sales = pd.DataFrame(
        rows,
        columns=["date", "grain", "region_id", "sku", "channel", "brand", "terminal_id", "distributor_id", "volume", "revenue"],
    )
    market = sales.assign(product_line=sales["sku"].map({"S1": "白酒", "S2": "保健酒", "X1": "白酒"}))
    market = market.groupby(["date", "region_id", "product_line"], as_index=False)[["volume", "revenue"]].sum()
    market = market.rename(columns={"volume": "market_volume", "revenue": "market_revenue"})
    market[["market_volume", "market_revenue"]] *= 3
    for name, frame in (("regions", regions), ("products", products), ("sales", sales), ("market", market)):
        con.register("frame", frame)
        cols = ", ".join(frame.columns)
        con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM frame")
        con.unregister("frame")
    con.close()
    return path


PLAN_YAML = """\
plan_id: tiny-2026
title: 测试方案 2026
year: 2026
archive: tiny.duckdb
currency: CNY
scope:
  root: HQ
  levels: [hq, province, city, county]
notebooks: [10_review_archive]
run:
  timeout_seconds: 300
  workers: 1  # one worker, one warm kernel: the tests that are about workers ask for two
analysis:
  history_years: 2
"""


@pytest.fixture()
def tiny_plan(tmp_path) -> Path:
    """A plan file beside a tiny archive in a fresh folder."""
    write_tiny_archive(tmp_path / "tiny.duckdb")
    plan = tmp_path / "tiny.yaml"
    plan.write_text(PLAN_YAML, encoding="utf-8")
    return plan


@pytest.fixture(scope="session")
def demo_copy(tmp_path_factory):
    """
    ``demo_copy(path, start_year=None)``: the demo archive built by ``build_demo`` with that
    start year (its default seed), copied to ``path``; returns ``build_demo``'s summary.

    Each archive is built once per test session, whatever the number of xdist workers: the
    first worker to ask builds it into the session's shared folder under a file lock (then a
    rename, so no worker copies half a file); the others wait and copy it. ``build_demo`` is
    deterministic (tests/test_demo.py checks it), so a copy is the archive the test would have
    built itself, and the tests that need a demo archive no longer build one each (~5 s each).
    """
    import dataclasses
    import fcntl
    import pickle
    import shutil

    from planlib.demo import build_demo

    # under xdist every worker has its own basetemp in one shared folder; alone, it is the basetemp
    worker = tmp_path_factory.getbasetemp()
    shared = worker.parent if worker.name.startswith("popen-gw") else worker
    cache = shared / "demo-archives"
    cache.mkdir(exist_ok=True)

    def copy(path, start_year: int | None = None):
        stem = cache / f"demo-{start_year or 'default'}"
        archive, summary = stem.with_suffix(".duckdb"), stem.with_suffix(".summary.pickle")
        with open(stem.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not summary.exists():
                building = stem.with_suffix(".building.duckdb")
                building.unlink(missing_ok=True)
                built = build_demo(building, start_year=start_year)
                building.rename(archive)
                summary.write_bytes(pickle.dumps(built))
        shutil.copyfile(archive, path)
        return dataclasses.replace(pickle.loads(summary.read_bytes()), path=Path(path))

    return copy


@pytest.fixture(scope="session")
def demo_plan(tmp_path_factory, demo_copy) -> Path:
    """
    params/demo.yaml beside its own demo archive, built here (as ``make demo`` builds data/demo.duckdb).

    The plan folder is copied whole (regions, scenarios, promotions), so the plan reads as in the
    repository; its ``archive: ../data/demo.duckdb`` names the archive built beside it. Tests that
    need the demo never depend on a ``make demo`` having run before ``make test``.
    """
    import shutil

    root = tmp_path_factory.mktemp("demo")
    shutil.copytree(Path(__file__).resolve().parents[1] / "params", root / "params")
    (root / "data").mkdir()
    demo_copy(root / "data" / "demo.duckdb")
    return root / "params" / "demo.yaml"


def pytest_collection_finish(session) -> None:
    """
    Refuse to run when ``--dist loadgroup`` has lost the ``xdist_group`` marks.

    A grouped module's fixtures (a demo run, a demo archive) are built once because its tests run
    on one worker; a pytest/pytest-xdist pair that drops the groups (pytest-dev/pytest-xdist#1386)
    would still pass, only minutes slower, so it is stopped here instead.
    """
    if not getattr(session.config.option, "loadgroup", False):
        return
    lost = [item.nodeid for item in session.items if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
    if lost:
        raise pytest.UsageError(f"--dist loadgroup ignored the xdist_group mark of {len(lost)} tests (e.g. {lost[0]}): "
                                "this pytest-xdist does not group with this pytest; use the versions pinned in pyproject.toml")
