"""The merged params file a panel shows, its diff, and the write that waits for the analyst's confirmation."""

from __future__ import annotations

import pytest
import yaml

from planlib.errors import ParamsError
from planlib.present.widgets.override_file import FileWriter, file_diff, merged_file, propose

REGION_FILE = """\
# Override for one county: 历城区.
swot:
  threats:
    - 竞品在商超渠道加大陈列投入   # seen in 2025
budget:                     # heavy display in every A terminal
  cap_ratio: 0.3
  channel:
    display: {A: 24000, B: 7200}
"""


def test_merged_file_merges_into_the_existing_section_once():
    text = merged_file(REGION_FILE, {"budget.ratios": {"media": 0.05}})
    assert text.count("budget:") == 1  # pasteable: no duplicate key
    data = yaml.safe_load(text)
    assert data["budget"] == {"cap_ratio": 0.3, "channel": {"display": {"A": 24000, "B": 7200}}, "ratios": {"media": 0.05}}
    # the untouched section keeps its text, comments included
    assert text.startswith("# Override for one county: 历城区.\nswot:\n  threats:\n    - 竞品在商超渠道加大陈列投入   # seen in 2025\n")


def test_merged_file_replaces_a_scalar_and_appends_a_new_section():
    text = merged_file(REGION_FILE, {"budget.cap_ratio": 0.25, "analysis.capture_rate": 0.15})
    data = yaml.safe_load(text)
    assert data["budget"]["cap_ratio"] == 0.25 and data["analysis"] == {"capture_rate": 0.15}
    assert data["swot"] == yaml.safe_load(REGION_FILE)["swot"]
    assert text.index("analysis:") > text.index("budget:")


def test_merged_file_without_a_file_is_the_override():
    assert merged_file(None, {"targets.stretch": 0.08}) == "targets:\n  stretch: 0.08\n"


def test_merged_file_refuses_bad_keys_and_unreadable_files():
    with pytest.raises(ParamsError, match="budget.nope"):
        merged_file(REGION_FILE, {"budget.nope": 1})
    with pytest.raises(ParamsError, match="cannot be read as YAML"):
        merged_file("budget: [\n", {"budget.cap_ratio": 0.2})


def test_file_diff_shows_only_the_change():
    new = merged_file(REGION_FILE, {"budget.cap_ratio": 0.25})
    diff = file_diff(REGION_FILE, new, "params/regions/K1.yaml")
    changed = [ln for ln in diff.splitlines()[2:] if ln.startswith(("-", "+"))]
    assert "-  cap_ratio: 0.3" in changed and "+  cap_ratio: 0.25" in changed
    assert not any("swot" in ln or "竞品" in ln for ln in changed)  # the untouched section is no part of the change
    assert file_diff(new, new, "x") == ""


def test_writer_writes_only_after_confirmation(tmp_path):
    path = tmp_path / "K1.yaml"
    path.write_text(REGION_FILE, encoding="utf-8")
    writer = FileWriter()
    writer.show(propose(path, "params/regions/K1.yaml", {"budget.cap_ratio": 0.25}))
    assert writer.button.disabled and not writer.confirm.disabled
    writer._on_click()  # a click without the tick writes nothing
    assert path.read_text(encoding="utf-8") == REGION_FILE
    writer.confirm.value = True
    assert not writer.button.disabled
    writer.button.click()
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["budget"]["cap_ratio"] == 0.25
    assert "已写入" in writer.status.value and writer.button.disabled and not writer.confirm.value


def test_writer_refuses_when_the_file_changed_after_the_diff(tmp_path):
    path = tmp_path / "K1.yaml"
    path.write_text(REGION_FILE, encoding="utf-8")
    writer = FileWriter()
    writer.show(propose(path, "params/regions/K1.yaml", {"budget.cap_ratio": 0.25}))
    path.write_text(REGION_FILE + "targets:\n  stretch: 0.1\n", encoding="utf-8")  # someone else's edit
    writer.confirm.value = True
    writer.button.click()
    assert path.read_text(encoding="utf-8").endswith("stretch: 0.1\n")
    assert "未写入" in writer.status.value


def test_writer_has_nothing_to_write_when_the_file_already_holds_the_values(tmp_path):
    path = tmp_path / "K1.yaml"
    path.write_text(REGION_FILE, encoding="utf-8")
    proposal = propose(path, "params/regions/K1.yaml", {"budget.cap_ratio": 0.3})
    assert proposal.diff == "" and "已包含" in proposal.html("x")
    writer = FileWriter()
    writer.show(proposal)
    assert writer.confirm.disabled and writer.button.disabled
