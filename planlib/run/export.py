"""
What a run hands to people: HTML reports without code (the Excel workbooks: :mod:`planlib.run.excel`).

Reports are exported in the worker's process, offline: JupyterLab's template without the
scripts it would load from a CDN (:data:`OFFLINE_TEMPLATE`).

Public functions: html_config, accessible, page, html_exporter, export_html.
"""

from __future__ import annotations

import functools
import re
import threading
from pathlib import Path
from typing import Any

from planlib.run.folder import write_atomic

__all__ = ["REMOVE_TAG", "OFFLINE_TEMPLATE", "TEMPLATE_FILE", "NO_ALT", "html_config", "accessible", "page",
           "html_exporter", "export_html"]


#: Cells with this tag (widgets, setup) are removed from the exported HTML.
REMOVE_TAG = "remove_cell"


#: The report template: JupyterLab's (``lab``) with every script it would fetch from a CDN
#: left out (require.js, MathJax, mermaid, the widget manager), so a report opens offline,
#: from a mail or an intranet, and makes no request. Figures are embedded PNGs already.
#: Without MathJax a ``$…$`` in a markdown cell shows as typed; reports write no formulas
#: in TeX.
OFFLINE_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""

#: The template's name for nbconvert (``template_file``).
TEMPLATE_FILE = "planlib_report.html.j2"


def html_config():
    """
    The nbconvert configuration of a report: no code, no prompts, removed cells dropped, offline.

    Cells tagged ``remove_cell`` (widgets), ``parameters`` and ``injected-parameters`` are
    dropped; inputs and prompts are excluded; consecutive stream outputs are merged (a
    print cut in two by the kernel's output flushes reads as one, so the page does not
    depend on timing); the template is :data:`OFFLINE_TEMPLATE`
    (given to the exporter as an extra loader, :func:`html_exporter`). The same
    configuration in a ``jupyter nbconvert --config`` file gives the same bytes
    (``benchmarks/bench_kernels.py``).
    """
    from traitlets.config import Config

    cfg = Config()
    cfg.TagRemovePreprocessor.remove_cell_tags = {REMOVE_TAG, "parameters", "injected-parameters"}
    cfg.TagRemovePreprocessor.enabled = True
    # one stream output however the kernel's flushes cut it: the same text gives the same page
    cfg.CoalesceStreamsPreprocessor.enabled = True
    cfg.HTMLExporter.exclude_input = True
    cfg.HTMLExporter.exclude_input_prompt = True
    cfg.HTMLExporter.exclude_output_prompt = True
    cfg.HTMLExporter.template_name = "lab"
    cfg.HTMLExporter.template_file = TEMPLATE_FILE
    # the pages speak Chinese (planlib.labels): <html lang="zh"> for screen readers, fonts and translators
    cfg.HTMLExporter.language_code = "zh"
    return cfg


_EXPORTERS = threading.local()

#: What nbconvert writes into an image without alternative text (``HTMLExporter``'s words).
NO_ALT = "No description has been provided for this image"

#: A class attribute's names when it is text (soupsieve's split: ASCII whitespace only).
_CLASS_NAMES = re.compile(r"[^ \t\r\n\f]+")


def _class_names(tag) -> list[str]:
    names = tag.get("class", [])
    return _CLASS_NAMES.findall(names) if isinstance(names, str) else names


def accessible(soup) -> int:
    """
    Mark a report's page up as nbconvert's ``HTMLExporter`` does after rendering; the number of images without alt.

    Every ``img`` without ``alt`` gets nbconvert's :data:`NO_ALT`; every ``div`` of class
    ``jp-Cell-inputWrapper`` or ``jp-OutputArea-output`` inside an element of class
    ``jp-Notebook`` gets ``tabindex="0"``. nbconvert finds them with three CSS selectors
    (``img:not([alt])``, ``.jp-Notebook div.jp-Cell-inputWrapper``, ``.jp-Notebook
    div.jp-OutputArea-output``, soupsieve matching every selector against every element);
    here one walk over the ``img`` and ``div`` elements finds the same elements and sets the
    same attributes (an attribute already there keeps its place), about five times faster.
    """
    missing = 0
    for tag in soup.find_all(("img", "div")):
        if tag.name == "img":
            if "alt" not in tag.attrs:
                tag.attrs["alt"] = NO_ALT
                missing += 1
            continue
        names = _class_names(tag)
        if ("jp-Cell-inputWrapper" in names or "jp-OutputArea-output" in names) \
                and any("jp-Notebook" in _class_names(p) for p in tag.parents):
            tag.attrs["tabindex"] = "0"
    return missing


class _Irregular(Exception):
    """Markup :func:`page` leaves to Beautiful Soup (a processing instruction, a CDATA block, an old charset meta)."""


@functools.cache
def _page_parser():
    """The class of :func:`page`'s parser: ``html.parser`` as Beautiful Soup drives it, writing the page as it reads."""
    from html.parser import HTMLParser

    from bs4.builder import HTMLTreeBuilder
    from bs4.builder._htmlparser import BeautifulSoupHTMLParser
    from bs4.dammit import EntitySubstitution
    from bs4.element import nonwhitespace_re

    void = frozenset(HTMLTreeBuilder.DEFAULT_EMPTY_ELEMENT_TAGS)
    lists = HTMLTreeBuilder.DEFAULT_CDATA_LIST_ATTRIBUTES
    universal, preserve = frozenset(lists.get("*", ())), frozenset(HTMLTreeBuilder.DEFAULT_PRESERVE_WHITESPACE_TAGS)
    entities, charref = EntitySubstitution.HTML_ENTITY_TO_CHARACTER, BeautifulSoupHTMLParser._dereference_numeric_character_reference
    escape, quoted = EntitySubstitution.substitute_xml, EntitySubstitution.quoted_attribute_value
    ascii_spaces = " \n\t\f\r"
    multi_valued = {tag: universal | frozenset(names) for tag, names in lists.items()}  # else universal

    class PageParser(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=False)
            self.out: list[str] = []
            self.text: list[str] = []
            self.stack: list[tuple[str, list[str]]] = []  # the open elements: name, class names
            self.closed_void: dict[str, int] = {}  # void elements closed at their start tag: a later end tag is dropped
            self.preserved = 0  # open <pre>/<textarea>: their whitespace is kept
            self.missing = 0

        def updatepos(self, i, j):  # the line and column of each token: read by nothing here (getpos)
            return j

        def flush(self, wrap: tuple[str, str] | None = None) -> None:  # BeautifulSoup.endData
            if not self.text:
                return
            data, self.text = "".join(self.text), []
            if not self.preserved and not data.strip(ascii_spaces):
                data = "\n" if "\n" in data else " "
            if wrap is not None:
                self.out.append(wrap[0] + data + wrap[1])
            else:
                self.out.append(data if self.stack and self.stack[-1][0] in ("script", "style") else escape(data))

        def handle_starttag(self, tag, attrs, closed=False):
            if self.text:
                self.flush()
            values: dict[str, Any] = {}
            for key, value in attrs:
                values[key] = "" if value is None else value
            for key in multi_valued.get(tag, universal):
                if key in values:
                    values[key] = nonwhitespace_re.findall(values[key])
            if tag == "meta" and "charset" in values:
                values["charset"] = "utf-8"  # CharsetMetaAttributeValue, written as the page's encoding
            elif tag == "meta" and "content" in values and "http-equiv" in values:
                raise _Irregular("meta http-equiv")
            names = values.get("class", [])
            if tag == "img" and "alt" not in values:
                values["alt"] = NO_ALT
                self.missing += 1
            elif tag == "div" and ("jp-Cell-inputWrapper" in names or "jp-OutputArea-output" in names) \
                    and any("jp-Notebook" in n for _, n in self.stack):
                values["tabindex"] = "0"
            attributes = []
            for k, v in sorted(values.items()):
                if isinstance(v, list):
                    v = " ".join(v)
                if "&" in v or "<" in v or ">" in v:
                    v = escape(v)
                attributes.append(f' {k}="{v}"' if '"' not in v else f" {k}={quoted(v)}")
            attributes = "".join(attributes)
            if tag in void:
                self.out.append(f"<{tag}{attributes}/>")
                if not closed:
                    self.closed_void[tag] = self.closed_void.get(tag, 0) + 1
            elif closed:
                self.out.append(f"<{tag}{attributes}></{tag}>")
            else:
                self.out.append(f"<{tag}{attributes}>")
                self.stack.append((tag, names))
                self.preserved += tag in preserve

        def handle_startendtag(self, tag, attrs):
            self.handle_starttag(tag, attrs, closed=True)

        def handle_endtag(self, tag):
            if self.closed_void.get(tag):
                self.closed_void[tag] -= 1
                return
            if self.text:
                self.flush()
            if self.stack and self.stack[-1][0] == tag:
                self.preserved -= tag in preserve
                self.stack.pop()
                self.out.append(f"</{tag}>")
            elif any(name == tag for name, _ in self.stack):  # closes the elements left open inside it too
                while True:
                    name, _ = self.stack.pop()
                    self.preserved -= name in preserve
                    self.out.append(f"</{name}>")
                    if name == tag:
                        break

        def handle_data(self, data):
            self.text.append(data)

        def handle_entityref(self, name):
            self.text.append(entities.get(name, f"&{name}"))

        def handle_charref(self, name):
            character, _, rest = charref(name)
            self.text += [character, rest]

        def handle_comment(self, data):
            self.flush()
            self.text.append(data)
            self.flush(("<!--", "-->"))

        def handle_decl(self, decl):
            self.flush()
            self.text.append(decl[len("DOCTYPE "):])
            self.flush(("<!DOCTYPE ", ">\n"))

        def unknown_decl(self, data):
            raise _Irregular("declaration")

        def handle_pi(self, data):
            raise _Irregular("processing instruction")

        def page(self, html: str) -> str:
            self.feed(html)
            self.close()
            self.flush()
            while self.stack:
                self.out.append(f"</{self.stack.pop()[0]}>")
            return "".join(self.out)

    return PageParser


def page(html: str, log=None) -> str:
    """
    The page nbconvert's ``HTMLExporter`` makes of its template's ``html``: read and written back by Beautiful Soup, marked up by :func:`accessible`.

    ``str(BeautifulSoup(html, "html.parser"))`` after :func:`accessible`, without the tree:
    the markup is read by the same parser (``html.parser``, as Beautiful Soup drives it) and
    written as it is read, as Beautiful Soup writes its tree (attributes sorted and quoted,
    multi-valued ones such as ``class`` split on whitespace and joined by one space,
    ``&``, ``<`` and ``>`` escaped except in scripts and styles, character references
    replaced by their characters, runs of whitespace between tags kept as one space or one
    newline except inside ``pre`` and ``textarea``, empty elements closed with ``/>``, end
    tags that close nothing dropped, unclosed elements closed). What it does not write
    itself (a processing instruction, a CDATA block, a ``<meta http-equiv>`` charset) is
    handed to Beautiful Soup. The same bytes (tests/run/test_export_html.py checks them against
    Beautiful Soup's on nbconvert's pages and on hand-made markup), in 0.013-0.020 s of CPU
    for a demo report instead of 0.047-0.074.
    ``log`` gets nbconvert's warning about images without alternative text.
    """
    parser = _page_parser()()
    try:
        body = parser.page(html)
        missing = parser.missing
    except _Irregular:
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(html, features="html.parser")
        missing = accessible(soup)
        body = str(soup)
    if missing and log is not None:
        log.warning("Alternative text is missing on %s image(s).", missing)
    return body


@functools.cache
def _report_exporter():
    """The class of the report exporter: nbconvert's ``HTMLExporter``, its work after rendering done cheaper."""
    import copy

    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
    from nbformat import validator

    class ReportExporter(HTMLExporter):
        """
        ``HTMLExporter`` giving the same page with less work: the notebook copied twice, not
        three times (the exporter's own copy is the one the preprocessors work on), validated
        once after the preprocessors (``optimistic_validation``), not after each of them, and
        the rendered page read and written back with its accessibility attributes in one pass,
        without a Beautiful Soup tree (:func:`page`).
        """

        def from_notebook_node(self, nb, resources=None, **kw):
            # HTMLExporter.from_notebook_node (nbconvert 7.17), with accessible() for its three soup.select
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                     resources=resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return page(html, self.log), resources

        def _preprocess(self, nb, resources):
            # Exporter._preprocess without its deep copy: ``nb`` is already Exporter.from_notebook_node's own
            # copy, and normalize copies it once more before the preprocessors touch it
            resc = copy.deepcopy(resources)
            _, nbc = validator.normalize(nb)
            preprocessor = None
            for preprocessor in self._preprocessors:
                nbc, resc = preprocessor(nbc, resc)
                if not self.optimistic_validation:
                    self._validate_preprocessor(nbc, preprocessor)
            if self.optimistic_validation:
                self._validate_preprocessor(nbc, preprocessor)
            return nbc, resc

    return ReportExporter


def html_exporter():
    """
    The report exporter, made once per thread (its templates are read and compiled once).

    An ``HTMLExporter`` with :func:`html_config`, :data:`OFFLINE_TEMPLATE` as an extra
    loader, the tag-removing preprocessor and stream coalescing (consecutive prints of a cell
    are one output, however the kernel flushed them). It holds no report's data between calls;
    an exporter is not thread-safe, hence one per thread (a Dask worker's threads).
    """
    exporter = getattr(_EXPORTERS, "exporter", None)
    if exporter is not None:
        return exporter
    import jinja2
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor, TagRemovePreprocessor

    cfg = html_config()
    cfg.Exporter.optimistic_validation = True  # the notebook validated once, after the preprocessors
    exporter = _report_exporter()(config=cfg, extra_loaders=[jinja2.DictLoader({TEMPLATE_FILE: OFFLINE_TEMPLATE})])
    exporter.register_preprocessor(TagRemovePreprocessor(config=cfg), enabled=True)
    # a cell's consecutive prints arrive as one stream output or several, by the kernel's flush timing
    # (a warm kernel flushes differently from a fresh one): merged, the same notebook gives the same page
    exporter.register_preprocessor(CoalesceStreamsPreprocessor(config=cfg), enabled=True)
    _EXPORTERS.exporter = exporter
    return exporter


def export_html(notebook, html_path: Path, *, title: str | None = None) -> Path:
    """
    Export an executed notebook to an offline HTML report without code, prompts or removed cells.

    ``notebook`` is the notebook's path, or the notebook itself (papermill's result, not
    read again). In this process (no ``jupyter nbconvert`` subprocess), with
    :func:`html_exporter`. Cells tagged ``remove_cell`` (widgets), ``parameters`` and
    ``injected-parameters`` are dropped; inputs are excluded; nothing is loaded from the
    network (:data:`OFFLINE_TEMPLATE`). Written atomically.
    """
    import nbformat

    if isinstance(notebook, (str, Path)):
        nb, name = nbformat.read(str(notebook), as_version=4), Path(notebook).stem
    else:
        nb, name = notebook, "notebook"
    resources = {"metadata": {"name": title or name}}
    body, _ = html_exporter().from_notebook_node(nb, resources=resources)
    return write_atomic(Path(html_path), body)
