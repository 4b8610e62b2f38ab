"""Tests of planlib.params.strict_yaml: YAML 1.2 core scalars, no duplicates, aliases or tags."""

from __future__ import annotations

import os
import pickle
import re
import uuid
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from planlib.errors import ParamsError
from planlib.hierarchy import RegionTree
from planlib.params import StrictLoader, load_plan
from planlib.params.model import Section
from planlib.params import strict_yaml
from planlib.params.strict_yaml import read_yaml_file
from tests.params.conftest import PLAN, errors_of


def test_strict_loader_no_fails_where_a_bool_is_required():
    # a later stage section with a flag, built like every params section
    class Flags(Section):
        interactive: bool

    assert Flags.model_validate(yaml.load("interactive: true", Loader=StrictLoader)).interactive is True
    data = yaml.load("interactive: NO", Loader=StrictLoader)
    assert data == {"interactive": "NO"}
    with pytest.raises(ValidationError, match="bool"):
        Flags.model_validate(data)


def test_strict_loader_reads_yaml_1_2_core_scalars():
    text = "a: 1e3\nb: 1.0e3\nc: 0755\nd: 12:30\ne: NO\nf: true\ng: False\nh: ~\ni: -7\nj: .5\nk: 2027-01-01\nl: 0x1F\nm: .inf\n"
    assert yaml.load(text, Loader=StrictLoader) == {
        "a": 1000.0, "b": 1000.0, "c": "0755", "d": "12:30", "e": "NO", "f": True, "g": False,
        "h": None, "i": -7, "j": 0.5, "k": "2027-01-01", "l": "0x1F", "m": ".inf",
    }  # fmt: skip


def test_strict_loader_rejects_duplicates_aliases_and_tags():
    with pytest.raises(yaml.YAMLError, match="duplicate key"):
        yaml.load("a: 1\na: 2\n", Loader=StrictLoader)
    with pytest.raises(yaml.YAMLError, match="alias"):
        yaml.load("a: &x 1\nb: *x\n", Loader=StrictLoader)
    with pytest.raises(yaml.YAMLError, match="not allowed"):
        yaml.load("a: !!python/object/apply:os.system [id]\n", Loader=StrictLoader)
    with pytest.raises(yaml.YAMLError, match="not a string"):
        yaml.load("2027: x\n", Loader=StrictLoader)


def test_load_plan_duplicate_key_names_both_lines(plan: Path):
    plan.write_text(PLAN.replace("  history_years: 3", "  history_years: 3\n  history_years: 5"), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [
        f"{plan}:11: analysis.history_years: duplicate key (first at line 10); expected each key once"
    ]


def test_load_plan_yaml_no_stays_a_string(plan: Path):
    plan.write_text(PLAN.replace("[品牌强]", "[NO, yes, on]").replace("year: 2027", "year: NO"), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [
        f"{plan}:3: year: got the string 'NO' (only true and false are booleans); expected an integer year such as 2027"
    ]
    plan.write_text(PLAN.replace("[品牌强]", "[NO, yes, on]"), encoding="utf-8")
    assert load_plan(plan).swot.strengths == ("NO", "yes", "on")


def test_load_plan_leading_zero_is_an_error_for_an_integer(plan: Path):
    plan.write_text(PLAN.replace("history_years: 3", "history_years: 0755"), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [
        f"{plan}:10: analysis.history_years: got the string '0755' (a leading zero keeps a code as text); "
        "expected an integer >= 1 and <= 30"
    ]


def test_load_plan_leading_zero_code_stays_text(plan: Path, tree: RegionTree):
    plan.write_text(PLAN.replace("root: HQ", "root: 0755").replace("[hq, province, county]", "[county]")
                    .replace("[品牌强]", "[0755]"), encoding="utf-8")  # fmt: skip
    p = load_plan(plan, tree=tree)
    assert p.scope.root == "0755"
    assert p.swot.strengths == ("0755",)


def test_load_plan_sexagesimal_stays_text(plan: Path):
    plan.write_text(PLAN.replace("title: 测试方案", "title: 12:30"), encoding="utf-8")
    assert load_plan(plan).title == "12:30"
    plan.write_text(PLAN.replace("history_years: 3", "history_years: 12:30"), encoding="utf-8")
    with pytest.raises(ParamsError, match=r"analysis\.history_years: got the string '12:30'; expected an integer"):
        load_plan(plan)


def test_load_plan_float_exponent_is_a_number(plan: Path):
    plan.write_text(PLAN + "run:\n  timeout_seconds: 1e3\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r":16: run\.timeout_seconds: got the number 1000\.0; expected an integer > 0"):
        load_plan(plan)


def test_load_plan_yaml_syntax_error_names_the_line(plan: Path):
    plan.write_text(PLAN.replace("  history_years: 3", "  history_years: [3"), encoding="utf-8")
    with pytest.raises(ParamsError, match=rf"^{re.escape(str(plan))}:1\d: invalid YAML"):
        load_plan(plan)


# -- characters, sizes and tags (issue #12) ---------------------------------------------
REFUSED = "expected printable text (tab and newline are the only control characters"


def test_load_plan_nul_byte_is_a_params_error_with_line_and_key(plan: Path):
    plan.write_text(PLAN.replace("title: 测试方案", "title: 测试\x00方案"), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [
        f"{plan}:2: title: the character U+0000 (NUL) at column 10; {REFUSED}; "
        "U+2028, U+2029 and U+0085 are not line breaks in a params file)"
    ]


def test_load_plan_line_separator_reports_the_line_it_is_on(plan: Path):
    # YAML takes U+2028 for a line break, so every later line number moved by one
    plan.write_text(PLAN.replace("  history_years: 3", "  history_years: 3\u2028  history_yearz: 4"), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    (line,) = errors_of(exc)
    assert line.startswith(f"{plan}:10: analysis.history_years: the character U+2028 (LINE SEPARATOR) at column 19;")


def test_load_plan_next_line_in_a_title_is_refused_not_folded(plan: Path):
    # in a quoted title U+0085 was folded to a space: the title changed silently
    plan.write_text(PLAN.replace("title: 测试方案", 'title: "测试\x85方案"'), encoding="utf-8")
    with pytest.raises(ParamsError, match=rf"^{re.escape(str(plan))}:2: title: the character U\+0085 \(NEXT LINE\) at column 11;"):
        load_plan(plan)


@pytest.mark.parametrize("char", ["\x1b", "\x7f", "\x9b", "\u2029", "\ufeff", "\r"])
def test_load_plan_refuses_every_other_control_character(plan: Path, char: str):
    plan.write_text(PLAN.replace("[品牌强]", f"[品牌{char}强]"), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    (line,) = errors_of(exc)
    assert line.startswith(f"{plan}:12: swot.strengths[0]: the character U+{ord(char):04X}")


def test_load_plan_reads_tabs_and_windows_line_ends(plan: Path):
    plan.write_bytes(PLAN.replace("[品牌强]", "['品牌\t强']").replace("\n", "\r\n").encode("utf-8"))
    assert load_plan(plan).swot.strengths == ("品牌\t强",)


def test_load_plan_control_characters_on_many_lines_are_counted(plan: Path):
    plan.write_text(PLAN + "".join(f"# \x01 {i}\n" for i in range(30)), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    lines = errors_of(exc)
    assert len(lines) == 21 and lines[-1] == f"{plan}: … and 10 more lines like these"


def test_strict_loader_refuses_str_and_int_tags():
    for text in ("a: !!str 1\n", "a: !!int '5'\n", "a: !local x\n", "!!map {a: 1}\n", "a: !!binary aGk=\n"):
        with pytest.raises(yaml.YAMLError, match="is not allowed in params files"):
            yaml.load(text, Loader=StrictLoader)


def test_load_plan_tag_names_file_line_and_key(plan: Path):
    plan.write_text(PLAN.replace("history_years: 3", "history_years: !!int 3").replace("title: 测试方案", "title: !!str 测试方案"),
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [
        f"{plan}:2: title: the tag !!str is not allowed in params files; expected a plain value (quote it to make it text)",
        f"{plan}:10: analysis.history_years: the tag !!int is not allowed in params files; "
        "expected a plain value (quote it to make it text)",
    ]


def test_load_plan_refuses_a_file_over_the_size_limit(plan: Path):
    plan.write_text(PLAN.replace("title: 测试方案", "title: " + "长" * 400_000), encoding="utf-8")  # 1.2 MB
    with pytest.raises(ParamsError, match=rf"^{re.escape(str(plan))}:1: \(whole file\): 1,200,\d+ bytes; expected at most "
                                          "1,000,000 bytes$"):  # fmt: skip
        load_plan(plan)


def test_load_plan_refuses_a_long_line_and_a_long_text(plan: Path):
    plan.write_text(PLAN.replace("title: 测试方案", "title: " + "x" * 20_000), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [f"{plan}:2: title: a line of 20,007 characters; expected at most 10,000 per line"]
    plan.write_text(PLAN.replace("title: 测试方案", "title: " + "x" * 1_001), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [f"{plan}:2: title: a text of 1,001 characters; expected at most 1,000"]


def test_load_plan_refuses_a_long_list_and_a_large_mapping(plan: Path):
    lines = "".join(f"    - 第{i}条\n" for i in range(1_001))
    plan.write_text(PLAN.replace("  strengths: [品牌强]\n", "  strengths:\n" + lines), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [f"{plan}:12: swot.strengths: a list of 1,001 items; expected at most 1,000"]
    holds = "".join(f"    R{i}: 1\n" for i in range(10_001))
    plan.write_text(PLAN + "split:\n  holds:\n" + holds, encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    assert errors_of(exc) == [f"{plan}:16: split.holds: a mapping of 10,001 keys; expected at most 10,000"]


def test_load_plan_long_integer_stays_text_not_a_crash(plan: Path):
    plan.write_text(PLAN + "targets:\n  unit: " + "9" * 999 + "\n", encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    (line,) = errors_of(exc)
    assert line.startswith(f"{plan}:16: targets.unit: got the string '999")
    assert line.endswith("(more than 18 digits stay text); expected an integer >= 1 and <= 1,000,000")


@pytest.mark.parametrize("special", ["/dev/zero", "folder"])
def test_load_plan_refuses_what_is_not_a_regular_file(tmp_path: Path, special: str):
    path = Path(special) if special.startswith("/") else tmp_path
    with pytest.raises(ParamsError, match=rf"^{re.escape(str(path))}: not a regular file; expected a params YAML file$"):
        load_plan(path)


@pytest.mark.parametrize(("escape", "code"), [("\\0", "U+0000"), ("\\u2028", "U+2028"), ("\\N", "U+0085"), ("\\e", "U+001B")])
def test_load_plan_refuses_control_characters_written_as_escapes(plan: Path, escape: str, code: str):
    plan.write_text(PLAN.replace("title: 测试方案", f'title: "测试{escape}方案"'), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_plan(plan)
    (line,) = errors_of(exc)
    assert line.startswith(f"{plan}:2: title: the character {code} (")
    assert "(written as an escape) in the text; expected printable text" in line


def test_load_plan_named_pipe_is_refused_without_waiting(tmp_path: Path):
    fifo = tmp_path / "plan.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ParamsError, match=r"plan\.yaml: not a regular file; expected a params YAML file$"):
        load_plan(fifo)


# -- the YAML of a text composed once per process ----------------------------------------
@pytest.fixture
def composed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The loaders that composed a text (one item per composition) while the test runs: Python's or libyaml's."""
    calls: list[str] = []
    for cls in {StrictLoader, strict_yaml.CStrictLoader} - {None}:
        compose = cls.get_single_node

        def counted(self, compose=compose, name=cls.__name__):
            calls.append(name)
            return compose(self)

        monkeypatch.setattr(cls, "get_single_node", counted)
    return calls


def _unique(text: str) -> str:
    """``text`` with a last comment line no other test writes (the cache lives as long as the process)."""
    return f"{text}# {uuid.uuid4().hex}\n"


def test_read_yaml_file_composes_the_same_text_once_and_returns_fresh_copies(tmp_path: Path, composed: list[str]):
    text = _unique("a: 1\nb:\n  - x\n  - {c: 2.5, d: true}\ne: null\n")
    first, second = tmp_path / "one" / "params.resolved.yaml", tmp_path / "two" / "params.resolved.yaml"
    for path in (first, second):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
    expected = {"a": 1, "b": ["x", {"c": 2.5, "d": True}], "e": None}
    lines = {(): 1, ("a",): 1, ("b",): 2, ("b", 0): 3, ("b", 1): 4, ("b", 1, "c"): 4, ("b", 1, "d"): 4, ("e",): 5}
    doc = read_yaml_file(first, "one")
    assert (doc.data, doc.lines, doc.problems) == (expected, lines, [])
    assert len(composed) == 1
    doc.data["b"][1]["c"] = 0.0  # a caller's changes stay in its copy
    doc.data["b"].append("y")
    doc.lines.clear()
    doc.problems.append((1, (), "x"))
    again = read_yaml_file(second, "two")  # another file, the same text: not composed again
    assert len(composed) == 1
    assert (again.data, again.lines, again.problems) == (expected, lines, [])
    assert again.data is not doc.data and again.data["b"] is not doc.data["b"]
    assert yaml.load(text, Loader=StrictLoader) == expected


def test_read_yaml_file_composes_a_changed_text_again(tmp_path: Path, composed: list[str]):
    path = tmp_path / "plan.yaml"
    path.write_text(_unique("a: 1\n"), encoding="utf-8")
    assert read_yaml_file(path, "plan.yaml").data == {"a": 1}
    path.write_text(path.read_text(encoding="utf-8").replace("a: 1", "a: 2"), encoding="utf-8")  # same size
    assert read_yaml_file(path, "plan.yaml").data == {"a": 2}
    assert len(composed) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb: [2\n", ":4: invalid YAML: expected ',' or ']', but got '<stream end>'; expected well-formed YAML"),
        ("a:\n  b: !!int 3\n", ":2: a.b: the tag !!int is not allowed in params files; "
                               "expected a plain value (quote it to make it text)"),
        ("a: &x 1\nb: *x\n", ":2: invalid YAML: the alias *x is not allowed in params files; write the value out; "
                             "expected well-formed YAML"),
    ],
)  # fmt: skip
def test_read_yaml_file_refused_text_names_each_file_on_every_read(tmp_path: Path, composed: list[str],
                                                                   text: str, message: str):
    text = _unique(text)
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(text, encoding="utf-8")
    for name in ("a.yaml", "b.yaml", "a.yaml"):
        with pytest.raises(ParamsError) as exc:
            read_yaml_file(tmp_path / name, f"params/{name}")
        assert errors_of(exc) == [f"params/{name}{message}"]
    assert len(composed) == 1


def test_read_yaml_file_problems_are_kept_with_the_text(tmp_path: Path, composed: list[str]):
    text = _unique("a: 1\nb: 2\na: 3\n")
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(text, encoding="utf-8")
    docs = [read_yaml_file(tmp_path / name, name) for name in ("a.yaml", "b.yaml")]
    for doc in docs:
        assert doc.data == {"a": 1, "b": 2}
        assert doc.problems == [(3, ("a",), "duplicate key (first at line 1); expected each key once")]
    assert docs[0].problems is not docs[1].problems
    assert len(composed) == 1


def test_read_yaml_file_too_deep_is_refused_on_every_read(tmp_path: Path, composed: list[str]):
    text = _unique(("[" * 100 + "\n") * 10 + "]" * 1000 + "\n")  # 1,000 lists in lists
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(text, encoding="utf-8")
    for name in ("a.yaml", "b.yaml"):
        with pytest.raises(ParamsError) as exc:
            read_yaml_file(tmp_path / name, name)
        assert errors_of(exc) == [f"{name}: nested too deeply; expected a few levels of mappings"]
    assert len(composed) == 2  # not kept: how deep a text can go depends on the reader's stack


# -- libyaml and Python read a text the same ---------------------------------------------
_TEXTS = [
    "a: 1\nb:\n  - x\n  - {c: 2.5, d: true}\ne: null\n",
    "year: 2027\ncode: 0755\nflag: NO\nt: 12:30\nf: 1e3\ng: .5\nbig: 1234567890123456789\n",
    "a: 1\na: 2\nb: {1: x, [1]: y}\n",  # a duplicate key and keys that are no text: problems with their lines
    "name: \"引号里的 中文\"\nother: '单引号'\nblock: |\n  第一行\n  第二行\nfolded: >\n  a\n  b\n",
    "a: &x 1\nb: *x\n",  # an alias: refused
    "a: !!str 1\n",  # a tag: refused
    "a: [1, 2\n",  # a syntax error
    "- 1\n- 2\n",
    "",
    "a: " + "[" * 80 + "]" * 80 + "\n",  # deeper than the C composer is given
    "<<: {a: 1}\nb: ~\nc: True\nd: FALSE\n",
]


@pytest.mark.skipif(strict_yaml.CStrictLoader is None, reason="PyYAML without libyaml")
@pytest.mark.parametrize("text", _TEXTS)
def test_libyaml_reads_a_text_as_python_yaml_does(text: str, monkeypatch: pytest.MonkeyPatch):
    fast = strict_yaml._parse_text.__wrapped__(text)
    monkeypatch.setattr(strict_yaml, "_c_loader", lambda text: None)
    assert pickle.loads(fast) == pickle.loads(strict_yaml._parse_text.__wrapped__(text))


@pytest.mark.skipif(strict_yaml.CStrictLoader is None, reason="PyYAML without libyaml")
def test_libyaml_takes_only_texts_without_aliases_tags_or_deep_nesting():
    assert strict_yaml._c_loader("a: 1\n") is not None
    for text in ("a: &x 1\nb: *x\n", "a: !!str 1\n", "a: [1, 2\n", "a: " + "[" * 80 + "]" * 80):
        assert strict_yaml._c_loader(text) is None


@pytest.mark.skipif(strict_yaml.CStrictLoader is None, reason="PyYAML without libyaml")
@pytest.mark.parametrize("data", [
    {"b": ["0755", "NO", "12:30", "1e3", "true", "", None, 1.5, 10**17, "引号 '\"", "a\tb", "x" * 300]},
    {"z": {"y": [1, {"x": "第一行\n第二行"}]}, "a": "hello kitty（96.8%）"},
])
def test_libyaml_writes_what_python_yaml_writes(data):
    kw = {"sort_keys": True, "allow_unicode": True, "default_flow_style": False, "width": 100}
    text = yaml.dump(data, Dumper=strict_yaml.CStrictDumper, **kw)
    assert text == yaml.dump(data, Dumper=strict_yaml.StrictDumper, **kw)
    assert yaml.load(text, Loader=StrictLoader) == data
