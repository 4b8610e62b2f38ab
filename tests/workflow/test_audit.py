"""The audit log's chain: each line hashed, each chained to the one before."""

from __future__ import annotations

import json

import pytest

from planlib.errors import WorkflowError
from planlib.workflow import audit


def _log(n=3):
    lines, prev = [], None
    for i in range(1, n + 1):
        _, text = audit.new_line(prev, seq=i, at=f"2026-12-0{i}T10:00:00+00:00", by="张三", action="submit",
                                 region_id="K1", note=f"第{i}次")
        lines.append(text)
        prev = text
    return lines


def test_new_line_hashes_itself_and_its_predecessor():
    lines = _log(2)
    first, second = (json.loads(x) for x in lines)
    assert first["prev"] == audit.GENESIS
    assert second["prev"] == audit.text_hash(lines[0])
    body = {k: v for k, v in second.items() if k != "hash"}
    assert second["hash"] == audit.text_hash(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
    assert list(second) == list(audit.FIELDS)


def test_verify_lines_accepts_an_intact_log():
    records, problems = audit.verify_lines(_log(3) + [""])
    assert problems == [] and [r["seq"] for r in records] == [1, 2, 3]


def test_verify_lines_names_an_edited_line():
    lines = _log(3)
    lines[1] = lines[1].replace("第2次", "第9次")
    records, problems = audit.verify_lines(lines, "a.jsonl")
    assert len(records) == 1
    assert problems == ["a.jsonl: line 2: its hash does not match its text (the line was edited after it was written)"]


def test_verify_lines_names_a_removed_line():
    lines = _log(3)
    del lines[1]
    _, problems = audit.verify_lines(lines, "a.jsonl")
    assert problems and problems[0].startswith("a.jsonl: line 2: does not follow line 1")


def test_verify_lines_catches_a_rehashed_edit_by_the_chain():
    lines = _log(3)
    rec = json.loads(lines[0])
    _, forged = audit.new_line(None, seq=1, at=rec["at"], by="李四", action="submit", region_id="K1", note=rec["note"])
    _, problems = audit.verify_lines([forged, *lines[1:]], "a.jsonl")
    assert problems and "line 2: does not follow line 1" in problems[0]


def test_new_line_refuses_unknown_action_and_nobody():
    with pytest.raises(WorkflowError, match="unknown audit action"):
        audit.new_line(None, seq=1, at="x", by="a", action="delete")
    with pytest.raises(WorkflowError, match="--by NAME"):
        audit.new_line(None, seq=1, at="x", by=" ", action="submit")


def test_read_log_raises_naming_file_and_line(tmp_path):
    path = tmp_path / "audit.jsonl"
    lines = _log(2)
    path.write_text("\n".join([lines[0], lines[1].replace("张三", "王五")]) + "\n", encoding="utf-8")
    with pytest.raises(WorkflowError, match=r"audit.jsonl: line 2"):
        audit.read_log(path)
    assert audit.read_log(tmp_path / "none.jsonl") == []
