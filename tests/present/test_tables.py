"""Report helpers: every data-derived string escaped, atomic writes, the portal."""

import html
import re

import numpy as np
import pandas as pd

from planlib.run import folder
from planlib.present import tables as report
from planlib.run import portal

HOSTILE = '<img src=x onerror=alert(1)><script>alert("x")</script>'


def test_table_html_escapes_cells_headers_and_caption():
    frame = pd.DataFrame({HOSTILE: [HOSTILE], "销量": [1234.5]})
    out = report.table_html(frame, caption=HOSTILE, labels={"销量": HOSTILE})
    assert "<script>" not in out and "<img" not in out
    assert out.count("&lt;script&gt;") == 4  # caption, two headers, one cell
    assert "1,234" in out


def test_table_html_formats_and_cuts_long_tables():
    frame = pd.DataFrame({"share": [0.25, 0.5, 0.25], "n": [1, 2, 3]})
    out = report.table_html(frame, formats={"share": "{:.1%}"}, max_rows=2)
    assert "25.0%" in out and "50.0%" in out
    assert "另有 1 行未显示" in out


def test_heading_and_note_escape():
    assert "<script>" not in report.heading(HOSTILE).data
    assert "&lt;img src=x onerror=alert(1)&gt;" in report.note(HOSTILE).data
    assert "&lt;b&gt;" in report.note("见 `<b>`").data and "<b>" not in report.note("见 `<b>`").data


def test_heading_shows_names_in_latin_letters_as_they_are():
    # a heading is data: the region's path and the plan's id; the English-gloss filter would drop them
    assert ">总部 / 山东省 / Macau · acme</h1>" in report.heading("总部 / 山东省 / Macau · acme", 1).data


def test_write_atomic_keeps_old_content_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "a.html"
    folder.write_atomic(target, "old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(folder.os, "replace", boom)
    try:
        folder.write_atomic(target, "new")
    except OSError:
        pass
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.html"]  # no temp file left behind


def test_render_portal_escapes_names_and_errors():
    manifest = {
        "plan_id": "p1",
        "run_id": "r1",
        "title": HOSTILE,
        "notebooks": ["10_review_archive"],
        "entries": [
            {"region_id": "K1", "notebook": "10_review_archive", "status": "succeeded", "seconds": 1.0,
             "html": "regions/K1/10_review_archive.html"},
            {"region_id": "K2", "notebook": "10_review_archive", "status": "failed", "seconds": 1.0,
             "error": {"cell": 3, "ename": "ValueError", "evalue": HOSTILE}, "html": None},
        ],
    }
    rows = [{"region_id": "K1", "name": HOSTILE, "level": "county"},
            {"region_id": "K2", "name": "章丘区", "level": "county"}]
    manifest["plan_steps"] = [{"step": "targets", "status": "succeeded", "outputs": ["p1-targets.xlsx"]}]
    page = portal.render_portal(manifest, rows)
    assert 'href="p1-targets.xlsx"' in page
    assert '<script>alert("x")' not in page and "<img" not in page
    assert 'href="regions/K1/10_review_archive.html"' in page
    assert "章丘区" in page and "市场分析 失败" in page
    assert "成功：1" in page and "失败：1" in page


def test_mark_complete_writes_marker_only_in_a_run(tmp_path):
    assert folder.mark_complete(None, "K1", "nb") is None
    marker = folder.mark_complete(tmp_path, "K1", "nb")
    assert marker == folder.completion_marker(tmp_path, "K1", "nb") and marker.exists()


def test_cells_read_as_a_manager_expects_yes_no_and_whole_unit_gaps():
    from planlib.labels import FORMATS
    from planlib.present.tables import _format_cell

    assert _format_cell(True, None) == ("是", False) and _format_cell(np.bool_(False), None) == ("否", False)
    # the gap table's volumes are whole units, signed for the gap, however small
    assert _format_cell(54.0, FORMATS["gap"])[0] == "+54" and _format_cell(-339.0, FORMATS["gap"])[0] == "-339"
    assert _format_cell(3307.4, FORMATS["bottom_up"])[0] == "3,307"


def test_every_block_is_left_alone_by_mathjax():
    """A ``$…$`` in a name is text: each block carries the classes MathJax 2 and 3 skip."""
    name = "平阴县$\\undefinedcommand$"
    blocks = [report.table_html(pd.DataFrame({"name": [name]})), report.heading(name).data, report.note(name).data,
              report.key_figures([(name, "1")]).data,
              report.swot_boxes(pd.DataFrame({"box": ["strengths"], "line": [name], "source": ["archive"]})).data]
    for block in blocks:
        assert name in block and f'{report.PLAIN_TEXT_CLASS}' in block
    assert "tex2jax_ignore" in report.PLAIN_TEXT_CLASS and "mathjax_ignore" in report.PLAIN_TEXT_CLASS


def test_replace_codes_is_pandas_replace_on_every_kind_of_column():
    from planlib import labels

    frame = pd.DataFrame({
        "category": pd.array(["labour", "media", None, "unknown", "labour"], dtype="str"),
        "chosen": pd.array(["input_output", "percent_of_sales", "a", None, "b"], dtype=pd.StringDtype("python")),
        "mixed": pd.Series(["a", 1, None, np.nan, "b"], dtype=object),
        "stop": ["a", "b", "a", "c", "x"],  # a chain: a -> b and b -> c, each value replaced once
        "amount": [1.0, np.nan, 3.0, -0.0, 5.0],
        "count": [1, 2, 3, 4, 5],
    })
    words = {"category": labels.CATEGORY_NAMES, "chosen": labels.LABELS, "mixed": {"a": "甲", "1": "one"}, "stop": {"a": "b", "b": "c"}, "amount": {"1.0": "x"},
             "count": {2: 20}, "absent": {"a": "b"}}
    before = frame.copy()
    got = report.replace_codes(frame, words)
    pd.testing.assert_frame_equal(got, frame.replace(words), check_exact=True)
    pd.testing.assert_frame_equal(frame, before, check_exact=True)  # the input is left as it was
    assert got["category"].tolist()[:2] == ["人力成本", "媒体投放"] and got["stop"].tolist() == ["b", "c", "b", "c", "x"]
    assert got["mixed"].tolist()[:2] == ["甲", 1] and got["count"].tolist() == [1, 20, 3, 4, 5]
    # a text column whose mapping gives a number is pandas' replace too (its dtype changes)
    pd.testing.assert_frame_equal(report.replace_codes(frame, {"category": {"labour": 1}}),
                                  frame.replace({"category": {"labour": 1}}), check_exact=True)
    empty = pd.DataFrame()
    pd.testing.assert_frame_equal(report.replace_codes(empty, {"flag": {"a": "b"}}), empty.replace({"flag": {"a": "b"}}))


def _rows_as_before(frame, formats=None, max_rows=200):
    """The table body as table_html built it row by row from display_values(frame).itertuples()."""
    formats = formats or {}
    shown = report.display_values(frame.head(max_rows))
    rows = []
    for row in shown.itertuples(index=False, name=None):
        cells = []
        for col, value in zip(shown.columns, row):
            text, numeric = report._format_cell(value, formats.get(col))
            cls = ' class="num"' if numeric else ""
            cells.append(f"<td{cls}>{html.escape(text, quote=True)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "".join(rows)


def _body(markup):
    return markup[markup.index("<tbody>") + len("<tbody>"):markup.index("</tbody>")]


def test_table_html_reads_columns_at_once_with_the_cells_of_itertuples():
    """Columns read at once (NumPy, Arrow text) and mapped value by value give the cells of the row-by-row way."""
    frame = pd.DataFrame({
        "category": pd.Series(["labour", None, "media", "土著"], dtype="str"),
        "item": pd.Series(["wages", "dm", None, "unknown_item"], dtype=object),
        "name": pd.Series(["合计 total", "东城", None, "西城"], dtype="string"),
        "stage": [1, 2, 3, 99],
        "basis": pd.Categorical(["去年 last year", "a", None, "a"]),
        "channel": pd.Categorical(["retail", "group_purchase", "retail", None]),
        "region_id": pd.Series(["P01", "P02", None, "P03"], dtype="str"),
        "volume": [1.0, 2345.678, np.nan, -0.5],
        "count": np.array([1, 2, 3, 4], dtype="int64"),
        "nullable": pd.array([1, None, 3, 4], dtype="Int64"),
        "flag": [True, False, True, False],
        "month": pd.to_datetime(["2027-01-01", "2027-02-01", None, "2027-04-01"]),
        "mixed": pd.Series([1, 2.5, "x", None], dtype=object),
        "message": pd.Series([1, 2.5, None, 3], dtype=object),  # a prose column holding numbers: pandas' way
    })
    formats = {"volume": "{:,.1f}"}
    for cut in (200, 2):
        assert _body(report.table_html(frame, formats=formats, max_rows=cut)) == _rows_as_before(frame, formats, cut)
    assert "土著" in report.table_html(frame) and "1.00" in _rows_as_before(frame[["message"]])


def test_a_column_of_amounts_shows_whole_numbers_and_an_exact_zero_shows_0():
    """A budget column read "0.00", "752.30" beside "752,491"; ratios below 1,000 keep their two decimals."""
    frame = pd.DataFrame({"amount": [-0.0, 752.3, 752491.0], "ratio": [0.0, 0.13, 1.0], "set": [0.5, 2.0, 3000.0],
                          # a share beside an index, a row of text: the cells keep their own rule
                          "value": [0.73, 2345.0, 12.5], "mixed": ["甲", 5000.0, 12.5]})
    body = _body(report.table_html(frame, formats={"set": "{:.1f}"}))
    rows = [re.findall(r"<td([^>]*)>([^<]*)</td>", r) for r in body.split("</tr>")[:-1]]
    assert [[text for _, text in r] for r in rows] == [["0", "0", "0.5", "0.73", "甲"],
                                                       ["752", "0.13", "2.0", "2,345", "5,000"],
                                                       ["752,491", "1.00", "3000.0", "12.50", "12.50"]]
    assert rows[0][4][0] == ""  # text is not set as a number


def test_write_csv_stores_text_that_looks_like_a_formula_as_text(tmp_path):
    # names from the archive a spreadsheet would run; amounts, a negative one among them, stay numbers
    frame = pd.DataFrame({
        "name": ["=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "金潭", None],
        "amount": [-5.5, 1.0, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        "volume": [-3, 1, 2, 3, 4, 5, 6, 7],
        "mixed": ["-1", -1, "=A1", 2.5, "a-b", "", None, "@x"],
    })
    before = frame.copy()
    raw = report.write_csv(frame, tmp_path / "x.csv", labels={"name": "名称"}).read_bytes()
    pd.testing.assert_frame_equal(frame, before)  # the input is not modified
    back = pd.read_csv(tmp_path / "x.csv", encoding="utf-8-sig", keep_default_na=False, dtype=str)
    assert list(back.columns) == ["名称", "amount", "volume", "mixed"]
    assert back["名称"].tolist() == ["'=cmd|' /C calc'!A0", "'+1", "'-2+3", "'@SUM(A1)", "'\t=1", "'\r=1", "金潭", ""]
    assert back["amount"].tolist() == ["-5.5", "1.0", "-2.0", "3.0", "4.0", "5.0", "6.0", "7.0"]
    assert back["volume"].tolist() == ["-3", "1", "2", "3", "4", "5", "6", "7"]
    assert back["mixed"].tolist() == ["'-1", "-1", "'=A1", "2.5", "a-b", "", "", "'@x"]
    assert raw.decode("utf-8-sig").splitlines()[1] == "'=cmd|' /C calc'!A0,-5.5,-3,'-1"


def test_write_csv_guards_a_header_that_looks_like_a_formula(tmp_path):
    # a pivot's columns are region names from the archive
    frame = pd.DataFrame({"=1+1": [1], "山东省": [2]})
    report.write_csv(frame, tmp_path / "x.csv")
    assert (tmp_path / "x.csv").read_text(encoding="utf-8-sig").splitlines() == ["'=1+1,山东省", "1,2"]
