"""
A panel's tuned values as the whole params file they belong in, its diff, and a write after confirmation.

DESIGN.md §5: a panel shows the region (or scenario, or plan) file as it would read with the
tuned values merged in, pasteable as a whole, and writes it only after the analyst confirms
the shown diff. Pasting a bare ``budget:`` section under a file that already has one is a
duplicate key; the merged file is not.

Public names: :func:`merged_file`, :func:`file_diff`, :class:`FileProposal`, :func:`propose`, :class:`FileWriter`.
"""

from __future__ import annotations

import copy
import difflib
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ipywidgets
import yaml

from planlib import params
from planlib.errors import ParamsError
from planlib.present.widgets.markup import note
from planlib.run.folder import write_atomic

__all__ = ["merged_file", "file_diff", "FileProposal", "propose", "FileWriter"]

_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:")


def _merge(base: dict, overlay: Mapping) -> dict:
    """``overlay`` over ``base`` as the params resolve files: mappings key by key, the rest replaced."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _dump(data: Mapping) -> str:
    return yaml.dump(dict(data), Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


def merged_file(existing: str | None, values: Mapping[str, Any]) -> str:
    """
    A params file's text with tuned values merged in, as the params would resolve them.

    Parameters
    ----------
    existing : str or None
        The file's text (None or empty when there is no file yet).
    values : mapping
        Dotted key -> tuned value (as :func:`planlib.params.overrides_yaml`, which checks them).

    Returns
    -------
    str
        The whole file: the top-level sections the values do not touch keep their text
        (comments included); a touched section is written again with the values merged in
        (mappings key by key, lists and scalars replaced); new sections go at the end.

    Raises
    ------
    ParamsError
        If a key or value is not a valid override, or ``existing`` is not a YAML mapping.
    """
    tuned = yaml.safe_load(params.overrides_yaml(values) or "{}") or {}
    text = existing or ""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise ParamsError(f"the file cannot be read as YAML ({exc}); fix it before merging") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParamsError("the file is not a mapping of sections; expected e.g. 'budget:' at the top level")
    merged = _merge(data, tuned)
    # the file as blocks: its head, then one block per top-level key (up to the next one)
    blocks: list[list[str]] = [[]]
    keys: list[str | None] = [None]
    for line in text.splitlines(keepends=True):
        m = _TOP_KEY.match(line)
        if m:
            blocks.append([])
            keys.append(m.group(1))
        blocks[-1].append(line)
    out = []
    for key, lines in zip(keys, blocks):
        if key is None or merged.get(key) == data.get(key):
            out.append("".join(lines))
        else:
            trailing = "".join(ln for ln in _trailing_comments(lines))
            out.append(_dump({key: merged[key]}) + trailing)
    new = [k for k in merged if k not in data]
    body = "".join(out)
    if new:
        body = (body if not body or body.endswith("\n") else body + "\n") + _dump({k: merged[k] for k in new})
    if (yaml.safe_load(body) or {}) != merged:  # a layout the blocks cannot hold (flow style, anchors): whole
        body = _dump(merged)
    return body


def _trailing_comments(lines: list[str]) -> list[str]:
    """The comment and blank lines at a block's end (they head the next section)."""
    tail = []
    for line in reversed(lines[1:]):
        if line.strip() == "" or line.lstrip().startswith("#"):
            tail.append(line)
        else:
            break
    return list(reversed(tail))


def file_diff(old: str | None, new: str, name: str) -> str:
    """The unified diff from ``old`` to ``new`` (empty when they are equal)."""
    return "".join(difflib.unified_diff((old or "").splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"{name}（现在）", tofile=f"{name}（写入后）"))


@dataclass(frozen=True)
class FileProposal:
    """A file, its text when read, and its text with the tuned values merged in."""

    path: Path
    shown: str
    old: str | None
    new: str

    @property
    def diff(self) -> str:
        return file_diff(self.old, self.new, self.shown)

    def html(self, intro: str) -> str:
        """The note, the whole merged file and the diff, escaped."""
        if not self.diff:
            return note(f"{self.shown} 已包含这些设置 — the file already holds these values.")
        return (note(intro) + f"<pre>{html.escape(self.new)}</pre>"
                + note(f"与现有 {self.shown} 的差异 — the change to the file:") + f"<pre>{html.escape(self.diff)}</pre>")


def propose(path: Path, shown: str, values: Mapping[str, Any]) -> FileProposal:
    """The merged file for ``values`` (:func:`merged_file`) against the file as it is now."""
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    return FileProposal(path, shown, old, merged_file(old, values))


class FileWriter(ipywidgets.HBox):
    """
    Confirm, then write: a checkbox "I checked the diff" and a button that writes the shown file.

    The button is disabled until the box is ticked; it writes :attr:`proposal` atomically
    only if the file still reads as when the diff was shown (else it says so and writes
    nothing), then unticks the box. :attr:`status` says what happened.
    """

    def __init__(self, **kwargs: Any) -> None:
        self.proposal: FileProposal | None = None
        self.confirm = ipywidgets.Checkbox(value=False, description="已核对上面的差异 I checked the diff", indent=False,
                                           layout=ipywidgets.Layout(width="auto"))
        self.button = ipywidgets.Button(description="写入文件 Write the file", disabled=True, button_style="warning",
                                        layout=ipywidgets.Layout(width="auto"))
        self.status = ipywidgets.HTML()
        self.confirm.observe(self._on_confirm, names="value")
        self.button.on_click(self._on_click)
        super().__init__(children=[self.confirm, self.button, self.status], **kwargs)
        self.show(None)

    def show(self, proposal: FileProposal | None) -> None:
        """Offer ``proposal`` (None, or one without a diff: nothing to write); the box is unticked."""
        self.proposal = proposal if proposal is not None and proposal.diff else None
        self.confirm.value = False
        self.confirm.disabled = self.proposal is None
        self.button.disabled = True
        if self.proposal is not None:
            self.button.description = f"写入 {self.proposal.shown}"

    def _on_confirm(self, change: Mapping[str, Any]) -> None:
        self.button.disabled = not (change["new"] and self.proposal is not None)

    def _on_click(self, _button=None) -> None:
        p = self.proposal
        if p is None or not self.confirm.value:
            return
        now = p.path.read_text(encoding="utf-8") if p.path.is_file() else None
        if now != p.old:
            self.status.value = note(f"{p.shown} 在显示差异后已被修改，未写入 — the file changed since the diff was "
                                     "shown; nothing written. Change a value to see the new diff.")
        else:
            p.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(p.path, p.new)
            self.status.value = note(f"已写入 {p.shown} — written.")
        self.proposal = None
        self.confirm.value = False
        self.confirm.disabled = True
        self.button.disabled = True
