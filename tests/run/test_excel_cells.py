"""The workbook writer's cells: column-at-a-time (Arrow, each distinct text once) and the plain per-cell rules give the same XML."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import pytest

from planlib.run import excel

# -- the rules, cell by cell (as the writer stated them before it worked a column at a time) ----

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))


def _text_cell(v) -> str:
    if _missing(v) or v == "":
        return "<c/>"
    s = v if isinstance(v, str) else str(v)
    style = ' s="2"' if s.startswith(excel.FORMULA_TRIGGERS) else ""
    space = ' xml:space="preserve"' if s[:1].isspace() or s[-1:].isspace() else ""
    return f'<c t="inlineStr"{style}><is><t{space}>{escape(_ILLEGAL.sub(chr(0xFFFD), s))}</t></is></c>'


def _number_cell(v: float, xf: int) -> str:
    style = f' s="{xf}"' if xf else ""
    if not np.isfinite(v):
        return f"<c{style}/>"
    whole = v == np.round(v) and abs(v) < 1e15
    return f"<c{style}><v>{int(v) if whole else repr(float(v))}</v></c>"


def _reference(col: pd.Series, xf: int) -> list[str]:
    if isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(object)
    if pd.api.types.is_bool_dtype(col.dtype):
        return [f'<c t="b"><v>{int(v)}</v></c>' for v in col.tolist()]
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        days = (col.to_numpy(dtype="datetime64[ns]") - np.datetime64("1899-12-30", "D")) / np.timedelta64(1, "D")
        return [_number_cell(v, xf) for v in np.asarray(days, dtype=float).tolist()]
    if pd.api.types.is_numeric_dtype(col.dtype):
        return [_number_cell(v, xf) for v in col.to_numpy(dtype=float, na_value=np.nan).tolist()]
    values = col.tolist()
    kinds = {type(v) for v in values if not _missing(v)}
    if kinds and all(issubclass(k, (int, float, np.integer, np.floating)) and not issubclass(k, bool) for k in kinds):
        return [_number_cell(v, xf) for v in pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)]
    if kinds and all(issubclass(k, (dt.date, np.datetime64)) for k in kinds):
        return _reference(pd.to_datetime(col), xf or excel._XF_OF_FORMAT["yyyy-mm-dd"])
    return [_text_cell(v) for v in values]


def _sheet_cells(path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    rows = re.findall(r'<row r="(\d+)">(.*?)</row>', xml, flags=re.DOTALL)
    assert [int(r) for r, _ in rows] == list(range(1, len(rows) + 1))
    return [body for _, body in rows[1:]]


TEXTS = ["东城区", "=HYPERLINK(\"x\")", "+1", "-2", "@A1", "\t=1", "\r", " 空格", "尾 ", "\u3000全角", "a\x1fb",
         "\x00nul", "<&>\"'", "", "\ufffe", "终端\n换行", "plain", "plain"]


def _hostile(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    floats = rng.normal(0, 1e6, n) * 10.0 ** rng.integers(-6, 12, n)
    floats[rng.random(n) < 0.2] = np.round(floats[rng.random(n) < 0.2].mean())  # some whole
    specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e15, 1e15 - 1, -1e15, 999999999999999.5, 1e16, 5e-324,
                         2.0**53, 0.1, 1e-5, 123456.789])
    floats[: len(specials)] = specials[: min(n, len(specials))]
    texts = np.array(TEXTS, dtype=object)[rng.integers(0, len(TEXTS), n)]
    no_nul = np.array([t for t in TEXTS if "\x00" not in t], dtype=object)[rng.integers(0, len(TEXTS) - 1, n)]
    with_missing = texts.copy()
    with_missing[rng.random(n) < 0.2] = None
    with_missing[rng.random(n) < 0.1] = np.nan
    mixed = np.array(["x", 1, 1.0, True, None, np.nan, "1", dt.date(2027, 1, 1), pd.NaT], dtype=object)[
        rng.integers(0, 9, n)]
    numbers = np.array([1, 2.5, None, np.nan, np.int64(7), -3], dtype=object)[rng.integers(0, 6, n)]
    return pd.DataFrame({
        "文本": pd.Series(texts, dtype=object),
        "文本缺失": pd.Series(with_missing, dtype=object),
        "无NUL": pd.Series(no_nul, dtype=object),  # escaped in one pass over the distinct texts
        "str列": pd.Series(with_missing, dtype="str"),
        "类别": pd.Categorical(texts),
        "混合": pd.Series(mixed, dtype=object),
        "数对象": pd.Series(numbers, dtype=object),
        "小数": floats,
        "整数": rng.integers(-10**12, 10**12, n),
        "可空整数": pd.array(np.where(rng.random(n) < 0.3, None, rng.integers(0, 99, n)), dtype="Int64"),
        "是否": rng.random(n) < 0.5,
        "日期": pd.to_datetime(np.where(rng.random(n) < 0.2, None, "2027-03-01")),
    })


@pytest.mark.parametrize("n,seed", [(1, 0), (37, 1), (400, 2)])
def test_sheet_cells_follow_the_per_cell_rules(tmp_path, monkeypatch, n, seed):
    monkeypatch.setattr(excel, "_CHUNK_ROWS", 16)  # rows formatted 16 at a time: the rows go on across chunks
    frame = _hostile(n, seed)
    formats = {"小数": "#,##0.00", "整数": "#,##0", "日期": "yyyy-mm-dd"}
    path = excel.write_workbook(tmp_path / "t.xlsx", [excel.Sheet("表", frame, formats)])
    xf = {c: excel._XF_OF_FORMAT[formats[c]] if c in formats else 0 for c in frame.columns}
    xf["日期"] = excel._XF_OF_FORMAT["yyyy-mm-dd"]
    columns = [_reference(frame[c], xf[c]) for c in frame.columns]
    want = ["".join(cells) for cells in zip(*columns)]
    got = _sheet_cells(path)
    assert len(got) == n
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, (i, frame.iloc[i].to_dict())


def test_a_text_column_with_a_nul_is_escaped_value_by_value(tmp_path):
    frame = pd.DataFrame({"a": pd.Series(["x\x00y", "<b>", "\x00", "ok"], dtype=object)})
    path = excel.write_workbook(tmp_path / "t.xlsx", [excel.Sheet("表", frame)])
    assert _sheet_cells(path) == [_text_cell(v) for v in frame["a"]]
    assert "x\ufffdy" in _sheet_cells(path)[0] and "&lt;b&gt;" in _sheet_cells(path)[1]
