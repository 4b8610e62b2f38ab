"""HTML reports: exported in-process, offline (nothing fetched from a CDN), figures embedded, no code."""

from __future__ import annotations

import base64
import os
import re
import threading
import warnings

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from planlib.run import export

# a 1x1 PNG
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5c8b8a5"
    "0000000049454e44ae426082")).decode()

# what a browser would fetch: a script, stylesheet, image, frame or module loaded from a URL
LOADS = re.compile(r"""<(?:script|link|img|iframe|source|embed)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//"""
                   r"""|import\(\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import\s+["'](?:https?:)?//""",
                   re.IGNORECASE)


def _executed(tmp_path):
    params = new_code_cell('region = "K1"')
    params.metadata["tags"] = ["parameters"]
    figure = new_code_cell("display(fig)", execution_count=2, outputs=[
        new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})])
    table = new_code_cell("show_table(df)", execution_count=3, outputs=[
        new_output("display_data", data={"text/html": "<table><tr><td>康源 12,345 箱</td></tr></table>",
                                         "text/plain": "table"})])
    widget = new_code_cell("if interactive: panel()", execution_count=4)
    widget.metadata["tags"] = ["remove_cell"]
    nb = new_notebook(cells=[new_markdown_cell("# 目标 The plan\n\nSee [the plan's page](https://example.com/plan)."),
                             params, figure, table, widget])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2,
                                                                           "version_minor": 0}}
    path = tmp_path / "10_review.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_report_loads_nothing_from_the_network(tmp_path):
    html = export.export_html(_executed(tmp_path), tmp_path / "r.html", title="10_review · K1").read_text(
        encoding="utf-8")
    assert LOADS.findall(html) == []
    for cdn in ("require.js", "mathjax", "mermaid.esm", "html-manager", "cdnjs", "jsdelivr", "unpkg"):
        assert cdn not in html.lower(), cdn
    assert '<a href="https://example.com/plan">' in html  # a plain link stays a link
    assert f"data:image/png;base64,{PNG}" in html  # the figure is in the page
    assert "康源 12,345 箱" in html and "<title>10_review · K1</title>" in html
    assert '<html lang="zh">' in html  # a Chinese page says so
    assert 'region = "K1"' not in html and "show_table(df)" not in html and "panel()" not in html  # no code


def test_the_stock_lab_template_would_load_scripts_the_offline_one_leaves_out(tmp_path):
    from nbconvert import HTMLExporter

    nb = nbformat.read(_executed(tmp_path), as_version=4)
    stock, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    assert len(LOADS.findall(stock)) >= 2  # require.js and MathJax at least: what the template must remove


def test_every_thread_exports_the_same_bytes(tmp_path):
    path = _executed(tmp_path)
    first = export.export_html(path, tmp_path / "a.html").read_bytes()
    again = export.export_html(path, tmp_path / "b.html").read_bytes()  # the exporter made once is reused
    other = threading.Thread(target=export.export_html, args=(path, tmp_path / "c.html"))
    other.start()
    other.join()
    assert first == again == (tmp_path / "c.html").read_bytes()
    assert export.html_exporter() is export.html_exporter()


def test_a_print_cut_by_the_kernels_flushes_gives_the_same_page(tmp_path):
    path = _executed(tmp_path)
    nb = nbformat.read(path, as_version=4)
    whole, cut = nb.copy(), nbformat.read(path, as_version=4)
    whole.cells[2].outputs.insert(0, new_output("stream", name="stdout", text="probe ran for K1\nrows: 3\n"))
    cut.cells[2].outputs[:0] = [new_output("stream", name="stdout", text="probe ran for K1\n"),
                                new_output("stream", name="stdout", text="rows: 3\n")]
    pages = []
    for name, notebook in (("whole", whole), ("cut", cut)):
        nbformat.write(notebook, tmp_path / f"{name}.ipynb")
        pages.append(export.export_html(tmp_path / f"{name}.ipynb", tmp_path / f"{name}.html", title="t").read_bytes())
    assert pages[0] == pages[1] and b"probe ran for K1\nrows: 3" in pages[0]


def _stock_exporter():
    """nbconvert's own HTMLExporter with the report's configuration (what ``jupyter nbconvert`` would do)."""
    import jinja2
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor, TagRemovePreprocessor

    cfg = export.html_config()
    stock = HTMLExporter(config=cfg, extra_loaders=[jinja2.DictLoader({export.TEMPLATE_FILE: export.OFFLINE_TEMPLATE})])
    stock.register_preprocessor(TagRemovePreprocessor(config=cfg), enabled=True)
    stock.register_preprocessor(CoalesceStreamsPreprocessor(config=cfg), enabled=True)
    return stock


def test_the_report_exporter_gives_nbconverts_page_byte_for_byte(tmp_path):
    nb = nbformat.read(_executed(tmp_path), as_version=4)
    # images with and without alt text, in outputs and markdown; divs of the classes nbconvert makes focusable,
    # inside and outside a jp-Notebook, with a tabindex already, with their class names split by tabs
    html = ('<div class="jp-Notebook\tx"><div class="jp-OutputArea-output" tabindex="7" id="a">in</div>'
            '<div class="y  jp-Cell-inputWrapper jp-OutputArea-output">both</div><img src="x.png"></div>'
            '<div class="jp-OutputArea-output">outside</div><img alt="kept" src="y.png"><IMG SRC="z.png">'
            '<p>unclosed <b>tags<td>stray</i> &amp; &lt;escaped&gt; &#39;quotes&#39; &nbsp;</p>')
    nb.cells.append(new_code_cell("show(html)", execution_count=5, outputs=[
        new_output("display_data", data={"text/html": html, "text/plain": "html"})]))
    nb.cells.append(new_markdown_cell('![a figure](data:image/png;base64,' + PNG + ') and <img src="w.png">'))
    nb.cells.append(new_code_cell("print(1)", execution_count=6, outputs=[
        new_output("stream", name="stdout", text="a\n"), new_output("stream", name="stdout", text="b\n")]))
    before = nbformat.from_dict(nb)
    resources = {"metadata": {"name": "10_review · K1"}}
    ours, _ = export.html_exporter().from_notebook_node(nb, resources=dict(resources))
    theirs, _ = _stock_exporter().from_notebook_node(nb, resources=dict(resources))
    assert ours == theirs
    assert nb == before  # the caller's notebook is not touched
    assert ours.count(export.NO_ALT) == 4 and ours.count('tabindex="0"') >= 3 and 'tabindex="7"' not in ours
    assert export.html_exporter().optimistic_validation  # validated once, after the preprocessors


def test_accessible_marks_what_nbconverts_selectors_find():
    from bs4 import BeautifulSoup

    page = ('<body><div class="jp-OutputArea-output">outside</div><img src="a.png"><main>'
            '<div class="jp-Notebook\tx"><div class="jp-OutputArea-output" tabindex="7" id="a">in</div>'
            '<div class="y  jp-Cell-inputWrapper jp-OutputArea-output">both</div><img src="x.png">'
            '<span><div class="jp-Cell-inputWrapper">deep</div></span><img alt="kept" src="y.png"><IMG SRC="z.png">'
            '<p class="jp-Cell-inputWrapper">not a div</p><div class="jp-Notebook"></div></div></main>'
            '<div class="jp-cell-inputwrapper">other case</div></body>')
    ours, theirs = BeautifulSoup(page, features="html.parser"), BeautifulSoup(page, features="html.parser")
    assert export.accessible(ours) == 3
    for elem in theirs.select("img:not([alt])"):  # what HTMLExporter.from_notebook_node does
        elem.attrs["alt"] = export.NO_ALT
    for elem in theirs.select(".jp-Notebook div.jp-Cell-inputWrapper"):
        elem.attrs["tabindex"] = "0"
    for elem in theirs.select(".jp-Notebook div.jp-OutputArea-output"):
        elem.attrs["tabindex"] = "0"
    assert str(ours) == str(theirs)
    assert str(ours).count('tabindex="0"') == 3 and '<div class="jp-OutputArea-output">outside</div>' in str(ours)


# markup page() must write as Beautiful Soup does: declarations, comments, whitespace, references, scripts,
# attributes (duplicated, quoted, multi-valued, empty), void and self-closed elements, stray and unclosed tags
MARKUP = [
    '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="UTF-8"><meta name="viewport" content="width=device-width">'
    '<title>计划 · K1</title></head><body></body></html>',
    '<!doctype html><p>x</p>', '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN">',
    '<!----><!-- a --><!--\n\n--><pre><!--  --></pre><!ELEMENT br EMPTY>',
    '<p>  </p>\n\n<div>\t</div> <span> a  b </span>\r\n<pre>  \n </pre><textarea>\n\n</textarea>'
    '<pre><b>  </b>\n<i> </i></pre>  ',
    '&amp; &lt; &gt; &quot; &nbsp; &unknown; &copy &#182; &#x4e2d; &#150; &#0; &#xZZ; &#12abc; &#12289; a &b',
    '<script>if (a < b && c > d) { x = "</p>"; }</script><style>a > b { content: "&amp;" }</style><script>  </script>',
    '<a href="1" HREF="2" title=\'He said "hi"\' data-x="it\'s &quot;q&quot;" class="  a\u00a0b\tc " rel="x  y" disabled>'
    'link</a><td headers="a  b" class="">c</td><form accept-charset="a b"></form><p title="&amp;&lt;&gt;">t</p>',
    '<br><br/><br></br></br><img src=x></img><input disabled><link rel="stylesheet  x" href=a><hr/>text',
    '<p><br><br>x</br></br></br>y<hr></hr></p>',
    '<div/><span class="x"/><svg><path d="M0 0"/><circle r="1"></circle></svg><p/>after',
    '<b><i>x</b>y</i></i><td>stray</table><div><p>open <ul><li>one<li>two',
    'a < b, a <3 b, 1<2>3 <> </> <a href=x>k</a >',
    '<template><p>&amp;</p></template><ruby>漢<rt>kan</rt><rp>(</rp></ruby>¶',
    '<div class="jp-Notebook"><div class="jp-Cell-inputWrapper"></div><div class="jp-OutputArea-output"/>'
    '<section><div class="x jp-OutputArea-output" tabindex="5">deep</div></section><img src="a"><img alt="" src="b">'
    '<img/></div><div class="jp-OutputArea-output">outside</div><div class="jp-NotebookX"><div '
    'class="jp-Cell-inputWrapper">not inside</div></div>',
    '<?xml version="1.0"?><p>pi</p>', '<p><![CDATA[x < y]]></p>',
    '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>old charset</p>',
]


def _soup_page(html):
    """What nbconvert's HTMLExporter does to its template's page: Beautiful Soup, its three selectors, str()."""
    import warnings

    from bs4 import BeautifulSoup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bs4's guesses that a snippet is XML, or a file name
        soup = BeautifulSoup(html, features="html.parser")
    for elem in soup.select("img:not([alt])"):
        elem.attrs["alt"] = export.NO_ALT
    for elem in soup.select(".jp-Notebook div.jp-Cell-inputWrapper"):
        elem.attrs["tabindex"] = "0"
    for elem in soup.select(".jp-Notebook div.jp-OutputArea-output"):
        elem.attrs["tabindex"] = "0"
    return str(soup)


def test_page_writes_what_beautiful_soup_writes():
    for html in [*MARKUP[:-3], "".join(MARKUP[:-3]), ""]:
        assert export.page(html) == _soup_page(html), html


def test_page_hands_what_it_does_not_write_itself_to_beautiful_soup():
    for html in MARKUP[-3:]:
        with pytest.raises(export._Irregular):
            export._page_parser()().page(html)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert export.page(html) == _soup_page(html)
    assert export._page_parser()().page(MARKUP[0]).startswith(  # written without Beautiful Soup
        '<!DOCTYPE html>\n\n<html lang="zh"><head><meta charset="utf-8"/><meta content="width=device-width" name="viewport"/>')


def test_page_warns_of_images_without_alt_as_nbconvert_does():
    class Log:
        warnings = []

        def warning(self, *args):
            self.warnings.append(args[0] % args[1:])

    export.page('<img src="a"><img alt="x"><p><IMG SRC="b"/></p>', Log())
    export.page('<img alt="x">', Log())
    assert Log.warnings == ["Alternative text is missing on 2 image(s)."]


# random markup from the pieces reports and hostile names are made of: page() must write what Beautiful Soup writes
_TAGS = ["div", "p", "span", "td", "tr", "table", "pre", "textarea", "script", "style", "img", "br", "a", "b", "svg", "path"]
_TEXT = st.sampled_from(["", " ", "  ", "\n", "\t\n ", "x", "平阴县", "a < b", "1 > 0", "R&D", "&amp;", "&lt;", "&nbsp;",
                         "&#39;", "&#x4e2d;", "&bogus;", "&", "\"q\"", "'s", "<script>alert(1)</script>", "<!-- c -->",
                         "</p>", "<br>", "<img src=x>", "$\\frac{1}{2}$", "\u00a0", "\r\n"])
_VALUES = st.sampled_from(["", "x", "a  b", " jp-Notebook ", "jp-OutputArea-output x", "jp-Cell-inputWrapper",
                           "say \"hi\"", "it's", "a&b", "<x>", "&amp;", "\t\n", "data:image/png;base64,AAAA"])
_ATTRS = st.lists(st.tuples(st.sampled_from(["class", "id", "title", "alt", "src", "href", "rel", "tabindex", "data-x"]),
                            _VALUES), max_size=3)


@st.composite
def _markup(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "element", "element", "void", "stray"] if depth < 3 else ["text", "void"]))
        if kind == "text":
            parts.append(draw(_TEXT))
            continue
        tag = draw(st.sampled_from(_TAGS))
        attrs = "".join(f' {k}="{v.replace(chr(34), "&quot;")}"' for k, v in draw(_ATTRS))
        if kind == "void":
            parts.append(f"<{tag}{attrs}/>" if draw(st.booleans()) else f"<{tag}{attrs}>")
        elif kind == "stray":
            parts.append(f"</{tag}>")
        else:
            inner = draw(_markup(depth=depth + 1))
            parts.append(f"<{tag}{attrs}>{inner}" + (f"</{tag}>" if draw(st.booleans()) else ""))
    return "".join(parts)


@settings(max_examples=int(os.environ.get("PLANLIB_PAGE_EXAMPLES", "200")), deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(_markup())
def test_page_writes_what_beautiful_soup_writes_for_any_markup(html):
    doc = f'<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"><title>t</title></head><body>{html}</body></html>'
    assert export.page(doc) == _soup_page(doc)
    assert export.page(html) == _soup_page(html)
