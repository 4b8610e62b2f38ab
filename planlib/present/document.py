"""
The plan document (方案文本) rendered: one HTML page and one Word file leadership can print and sign.

Both show the same :class:`planlib.workflow.document.PlanDocument`: its title, five
sections of paragraphs and tables, and the signature block (编制 / 审核 / 批准, each with a
date line). Every string in the HTML is escaped (names are data); nothing loads from the
network. File names carry the region id, never its name: ``<region_id>-plan.html`` and
``<region_id>-plan.docx``. Control characters a name may hold (an archive written by
another tool: ``山东\x0b省``) are left out of both (:func:`planlib.labels.without_control_characters`):
Word's XML cannot hold them.

Public functions: document_html, write_docx, write_document.
"""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path

from planlib.labels import without_control_characters
from planlib.run.folder import write_atomic
from planlib.workflow.document import Paragraph, PlanDocument, Section, Table

__all__ = ["document_html", "write_docx", "write_document"]

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
max-width:960px;margin:24px auto;padding:0 20px;color:#1f2328;line-height:1.6}
h1{font-size:24px;text-align:center;margin-bottom:4px}
.sub{text-align:center;color:#57606a;font-size:13px;margin-bottom:24px}
h2{font-size:18px;border-bottom:2px solid #1f2328;padding-bottom:2px;margin-top:28px}
table{border-collapse:collapse;font-size:13px;margin:6px 0 14px 0}
th,td{border:1px solid #8c959f;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eaeef2}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td{font-weight:600}
caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0}
table.sign{width:100%;margin-top:36px}
table.sign td{border:none;padding:18px 8px;width:33%}
.foot{color:#57606a;font-size:12px;margin-top:24px}
@media print{body{margin:0}h2{page-break-after:avoid}table{page-break-inside:auto}}
"""


def _e(text: object) -> str:
    return html.escape(without_control_characters("" if text is None else str(text)), quote=True)


def _writable(doc: PlanDocument) -> PlanDocument:
    """The document with every text stripped of its control characters (tab and line breaks stay)."""
    clean = without_control_characters

    def block(b: Paragraph | Table) -> Paragraph | Table:
        if isinstance(b, Table):
            return dataclasses.replace(b, caption=clean(b.caption), columns=tuple(map(clean, b.columns)),
                                       rows=tuple(tuple(map(clean, row)) for row in b.rows))
        return dataclasses.replace(b, text=clean(b.text))

    sections = tuple(Section(clean(s.heading), tuple(map(block, s.blocks))) for s in doc.sections)
    return dataclasses.replace(doc, title=clean(doc.title), subtitle=clean(doc.subtitle), sections=sections,
                               signature=tuple(map(clean, doc.signature)), footer=clean(doc.footer))


def _table_html(t: Table) -> str:
    num = list(t.numeric) + [False] * (len(t.columns) - len(t.numeric))
    head = "".join(f"<th>{_e(c)}</th>" for c in t.columns)
    body = []
    for i, row in enumerate(t.rows):
        cls = ' class="total"' if t.total and i == len(t.rows) - 1 else ""
        cells = "".join(f'<td class="num">{_e(v)}</td>' if num[j] else f"<td>{_e(v)}</td>" for j, v in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><caption>{_e(t.caption)}</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def document_html(doc: PlanDocument) -> str:
    """
    The plan document as one self-contained HTML page (no scripts, no external loads), every string escaped.
    """
    parts = [f"<h1>{_e(doc.title)}</h1>", f'<p class="sub">{_e(doc.subtitle)}</p>']
    for section in doc.sections:
        parts.append(f"<h2>{_e(section.heading)}</h2>")
        for block in section.blocks:
            parts.append(_table_html(block) if isinstance(block, Table) else f"<p>{_e(block.text)}</p>")
    sign = "".join(f"<td>{_e(role)}：________________<br>日期：____年__月__日</td>" for role in doc.signature)
    parts.append(f'<table class="sign"><tr>{sign}</tr></table>')
    parts.append(f'<p class="foot">{_e(doc.footer)}</p>')
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(doc.title)}</title><style>{_CSS}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


def _east_asian(run_or_style, font: str = "SimSun") -> None:
    """Give a run or style an East Asian font, so Word shows the Chinese in it (python-docx sets only Latin)."""
    from docx.oxml.ns import qn

    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), font)


def write_docx(doc: PlanDocument, path: str | Path) -> Path:
    """
    Write the plan document as a Word file (python-docx), atomically; returns the path.

    Headings use Word's heading styles (a navigable outline); tables the "Table Grid" style
    with numbers right-aligned; the signature block is a borderless three-column table.
    Control characters in any text are left out (Word's XML cannot hold them); tab and
    line breaks stay.
    """
    import io

    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = _writable(doc)
    d = docx.Document()
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Caption"):
        _east_asian(d.styles[name], "SimHei" if name != "Normal" else "SimSun")
    d.styles["Normal"].font.size = Pt(10.5)
    title = d.add_heading(doc.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = d.add_paragraph(doc.subtitle)
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section in doc.sections:
        d.add_heading(section.heading, level=1)
        for block in section.blocks:
            if not isinstance(block, Table):
                d.add_paragraph(block.text)
                continue
            cap = d.add_paragraph()
            cap.add_run(block.caption).bold = True
            num = list(block.numeric) + [False] * (len(block.columns) - len(block.numeric))
            t = d.add_table(rows=1 + len(block.rows), cols=len(block.columns))
            t.style = "Table Grid"
            for j, c in enumerate(block.columns):
                cell = t.rows[0].cells[j]
                cell.text = ""
                cell.paragraphs[0].add_run(c).bold = True
            for i, row in enumerate(block.rows, start=1):
                cells = t.rows[i].cells
                for j, v in enumerate(row):
                    p = cells[j].paragraphs[0]
                    r = p.add_run(v)
                    r.bold = block.total and i == len(block.rows)
                    if num[j]:
                        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    d.add_paragraph()
    sign = d.add_table(rows=2, cols=len(doc.signature))
    for j, role in enumerate(doc.signature):
        sign.rows[0].cells[j].text = f"{role}：________________"
        sign.rows[1].cells[j].text = "日期：____年__月__日"
    foot = d.add_paragraph(doc.footer)
    foot.runs[0].font.size = Pt(8)
    buf = io.BytesIO()
    d.save(buf)
    return write_atomic(Path(path), buf.getvalue())


def write_document(doc: PlanDocument, out_dir: str | Path) -> tuple[Path, Path]:
    """
    Write ``<region_id>-plan.html`` and ``<region_id>-plan.docx`` into ``out_dir``.

    Returns
    -------
    (Path, Path)
        The HTML page and the Word file.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = write_atomic(out / f"{doc.region_id}-plan.html", document_html(doc))
    word = write_docx(doc, out / f"{doc.region_id}-plan.docx")
    return page, word
