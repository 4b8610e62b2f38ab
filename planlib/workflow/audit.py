"""
The workflow's audit log: one JSON object a line, each chained to the one before.

``audit.jsonl`` is append-only. Every line carries ``prev``, the sha256 of the previous
line's text, and ``hash``, the sha256 of its own text without the ``hash`` key, so an
edited, inserted or removed line breaks the chain at that line.

Public functions: ACTIONS, FIELDS, GENESIS, text_hash, new_line, verify_lines, read_log.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from planlib.errors import WorkflowError

__all__ = ["ACTIONS", "FIELDS", "GENESIS", "text_hash", "new_line", "verify_lines", "read_log"]

#: What a line records.
ACTIONS: tuple[str, ...] = ("template", "submit", "approve", "return", "lock", "refused", "tamper_detected")

#: A line's keys, in the order they are written (``hash`` last).
FIELDS: tuple[str, ...] = ("seq", "at", "by", "action", "region_id", "version", "note", "before", "after", "prev",
                           "hash")

#: ``prev`` of the first line.
GENESIS = "0" * 64


def text_hash(text: str | bytes) -> str:
    """The sha256 hex digest of a text (UTF-8) or bytes."""
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def _dump(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def new_line(previous: str | None, *, seq: int, at: str, by: str, action: str, region_id: str | None = None,
             version: str | None = None, note: str = "", before: str | None = None,
             after: str | None = None) -> tuple[dict[str, Any], str]:
    """
    The next line of the log, chained to ``previous``.

    Parameters
    ----------
    previous : str or None
        The text of the log's last line (without its newline); None for the first line.
    seq : int
        1 + the last line's ``seq``.
    at, by, action, region_id, version, note, before, after
        What happened (``action`` one of :data:`ACTIONS`), when (ISO 8601 with offset),
        who, where, and the sha256 of what it changed before and after.

    Returns
    -------
    (dict, str)
        The record and its line text (no newline).

    Raises
    ------
    WorkflowError
        An unknown action or an empty ``by``.

    Notes
    -----
    prev = sha256(previous line text) (:data:`GENESIS` for the first line);
    hash = sha256(the line's JSON without ``hash``), keys in :data:`FIELDS` order, UTF-8,
    no spaces.
    """
    if action not in ACTIONS:
        raise WorkflowError(f"unknown audit action {action!r}; expected one of {', '.join(ACTIONS)}")
    if not str(by).strip():
        raise WorkflowError("who did it is missing: pass --by NAME (or set $USER)")
    record: dict[str, Any] = {
        "seq": int(seq), "at": at, "by": str(by), "action": action, "region_id": region_id, "version": version,
        "note": str(note or ""), "before": before, "after": after,
        "prev": GENESIS if previous is None else text_hash(previous),
    }
    record["hash"] = text_hash(_dump(record))
    return record, _dump(record)


def verify_lines(lines: list[str], source: str = "audit.jsonl") -> tuple[list[dict[str, Any]], list[str]]:
    """
    Check a log's chain line by line.

    Parameters
    ----------
    lines : list of str
        The log's lines without newlines (an empty last line is ignored).
    source : str
        The file's name, for the messages.

    Returns
    -------
    (list of dict, list of str)
        The records up to the first bad line, and the problems (empty when the chain holds):
        each names the file, the line number and what is wrong.

    Notes
    -----
    Line i holds when it parses as a JSON object with the keys of :data:`FIELDS`,
    seq_i = i, prev_i = sha256(line_{i-1}) (:data:`GENESIS` for i = 1) and
    hash_i = sha256(line_i without ``hash``). Checking stops at the first bad line: what
    follows it cannot be trusted.
    """
    records: list[dict[str, Any]] = []
    previous: str | None = None
    for i, line in enumerate(lines, start=1):
        if not line.strip() and i == len(lines):
            break
        where = f"{source}: line {i}"
        try:
            rec = json.loads(line)
        except ValueError:
            return records, [f"{where}: not a JSON object (the line was edited or cut)"]
        if not isinstance(rec, dict) or list(rec) != list(FIELDS):
            return records, [f"{where}: expected the keys {', '.join(FIELDS)} in that order"]
        body = {k: v for k, v in rec.items() if k != "hash"}
        if rec["hash"] != text_hash(_dump(body)) or _dump(rec) != line:
            return records, [f"{where}: its hash does not match its text (the line was edited after it was written)"]
        expected_prev = GENESIS if previous is None else text_hash(previous)
        if rec["prev"] != expected_prev:
            return records, [f"{where}: does not follow line {i - 1} (a line before it was edited, removed or "
                             "inserted)"]
        if rec["seq"] != i:
            return records, [f"{where}: seq {rec['seq']}, expected {i} (a line was removed or inserted)"]
        records.append(rec)
        previous = line
    return records, []


def read_log(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """
    Read and verify ``audit.jsonl``.

    Parameters
    ----------
    path : path-like
        The log; a missing file is an empty log.

    Returns
    -------
    list of dict
        The records in order.

    Raises
    ------
    WorkflowError
        The chain is broken: the message names the file and the first bad line.
    """
    path = Path(path)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    records, problems = verify_lines(lines, str(path))
    if problems:
        raise WorkflowError(problems[0] + "; nothing was changed. `planlib plan log` reports it")
    return records
