"""The tiny company of the archive tests: its files, its archive, and helpers to import text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from planlib.archive import ImportReport, import_files, init_archive, load_table

# A tiny company: CN (hq) -> GD (province) -> SZ (city) -> NS (county) -> YH (township),
# one distributor in SZ, terminal T1 in NS (via D1), T2 in YH (direct), skus 0755 and NA
# (codes that plain readers turn into 755 and a missing value).
REGIONS = """region_id,name,level,parent_id
CN,总部,hq,
GD,广东,province,CN
SZ,深圳,city,GD
NS,南山,county,SZ
YH,粤海,township,NS
"""
DISTRIBUTORS = "distributor_id,name,region_id,tier\nD1,深圳经销商,SZ,1\n"
TERMINALS = """terminal_id,name,region_id,terminal_class,channel,distributor_id
T1,南山超市,NS,A,supermarket,D1
T2,粤海餐厅,YH,B,restaurant,
"""
PRODUCTS = """sku,name,product_line,spec,unit_price,unit_variable_cost
0755,啤酒,beer,500ml,6.5,3.2
NA,矿泉水,water,,2,0.8
"""
SALES_HEADER = "date,region_id,sku,channel,volume,revenue\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="session")
def company_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny company's archive, built once through import_files itself."""
    folder = tmp_path_factory.mktemp("company")
    path = init_archive(folder / "acme.duckdb")
    for table, text in [
        ("regions", REGIONS), ("distributors", DISTRIBUTORS), ("terminals", TERMINALS), ("products", PRODUCTS)
    ]:
        report = import_files(path, table, [write(folder / f"{table}.csv", text)])
        assert report.exit_code == 0, report.lines()
    return path


@pytest.fixture
def arc(company_archive: Path, tmp_path: Path) -> Path:
    """A fresh copy of the tiny company's archive at <tmp_path>/data/acme.duckdb."""
    path = tmp_path / "data" / "acme.duckdb"
    path.parent.mkdir()
    shutil.copyfile(company_archive, path)
    return path


def imp(arc: Path, table: str, text: str, name: str = "input.csv", encoding: str = "utf-8") -> ImportReport:
    """Import one CSV given as text; assert the counts add up."""
    src = write(arc.parent.parent / name, text, encoding)
    report = import_files(arc, table, [src])
    for f in report.files:
        assert f.read == f.imported + f.unchanged + f.rejected
    return report


def rejects(report: ImportReport) -> pd.DataFrame:
    assert report.rejects_path is not None
    return pd.read_csv(report.rejects_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def sales(arc: Path) -> pd.DataFrame:
    return load_table(arc, "sales")
