"""
The targets step's archive reads kept between runs: each read once per state of the archive.

A rerun of a plan (an assumption changed at the top, the archive as it was) asks the archive
the same questions again: the allocation's history, every region's months, the root's
economics, about three seconds of DuckDB on the national archive. :class:`ArchiveReads` keeps
each answer in the plan's cache folder (beside the Holt-Winters fits, ``runs/<plan_id>/.cache``)
under a key of everything it depends on, and reads it back, the same objects to the bit, when
asked the same question of the same archive by the same code.

Public names
------------
ArchiveReads    the reads of one open archive, each kept in a cache folder under the key of what it depends on
archive_files   the archive file's identity and state on disk: path, inode, size, mtime, headers, write-ahead log
reads_version   the code and libraries the frames' values depend on, besides the archive
tree_digest     a hash of a region tree (every region's id, parent, level and name)
KEEP_PER_READ   how many kept entries of each read function stay in the folder
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import sys
import uuid
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from planlib import __version__, hierarchy, schemas
from planlib.archive import fingerprint, quality, sales_checks, store
from planlib.archive.queries import budget as budget_queries
from planlib.archive.queries import targets as queries
from planlib.hierarchy import RegionTree
from planlib.targets import history, kinds, table

__all__ = ["ArchiveReads", "archive_files", "reads_version", "tree_digest", "KEEP_PER_READ"]

#: Kept entries of each read function (the newest by use); older ones are deleted when one is written.
KEEP_PER_READ = 4
#: DuckDB's file header and its two database headers (a checkpoint rewrites one of them, its iteration counted up).
HEADER_BYTES = 3 * 4096
#: The modules whose source decides the kept values: the SQL (the targets' and the budget's history), the
#: frames built from it, their constants,
#: the region tree's order, the archive's opening and fingerprint, the quality checks (the plan-wide check,
#: :mod:`planlib.run.step_findings`), and this module (the key and the format).
READ_CODE = (queries, budget_queries, history, kinds, table, schemas, hierarchy, store, quality, sales_checks)
_MAGIC = b"planlib-reads 1\n"


def archive_files(path) -> dict:
    """
    The archive file's identity and state on disk.

    Parameters
    ----------
    path : path-like
        The DuckDB file.

    Returns
    -------
    dict
        ``path`` (resolved), ``file``: [device, inode, size, mtime_ns, sha256 of its first
        :data:`HEADER_BYTES`], ``wal``: the same and the sha256 of its whole content for
        ``<path>.wal``, None without one.

    Notes
    -----
    DuckDB writes a committed change to the write-ahead log (``.wal``: its size, time and
    bytes change) and a checkpoint into the file (its time changes and one of its two
    database headers is rewritten with its iteration counted up), so any committed write
    changes this dict, even one that keeps every count and date (which
    :func:`planlib.archive.fingerprint` alone would miss).
    """
    p = Path(path).resolve()
    out = {"path": str(p)}
    for part, f, whole in (("file", p, False), ("wal", p.with_name(p.name + ".wal"), True)):
        try:
            st = f.stat()
            with open(f, "rb") as fh:
                data = fh.read() if whole else fh.read(HEADER_BYTES)
        except FileNotFoundError:
            if part == "file":
                raise
            out[part] = None
            continue
        out[part] = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest()]
    return out


@functools.lru_cache(maxsize=1)
def reads_version() -> str:
    """
    What the kept frames' values depend on besides the archive and the arguments.

    planlib's version, the sha256 of the source of :data:`READ_CODE` and of this module, and
    the versions of Python, DuckDB, pandas, NumPy and pyarrow (a pickle is read back by the
    pandas that wrote it).
    """
    code = hashlib.sha256()
    for module in (*READ_CODE, sys.modules[__name__]):
        code.update(Path(module.__file__).read_bytes())
    return (f"planlib {__version__}; read code {code.hexdigest()}; python {sys.version}; duckdb {duckdb.__version__}; "
            f"pandas {pd.__version__}; numpy {np.__version__}; pyarrow {pa.__version__}")


def tree_digest(tree: RegionTree) -> str:
    """sha256 of every region's id, parent, level and name, in the tree's depth-first order."""
    parents, levels = tree.parents, tree.levels
    rows = [[r, parents[r], levels[r], tree.name(r)] for r in tree.ids]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


def _keyed(value, trees: dict):
    """
    An argument as plain JSON: None, bools, ints and texts as they are, floats exactly (as hex), a list
    item by item (a tuple marked as one), a tree by its digest.
    """
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return {"float": value.hex()}
    if type(value) in (list, tuple):
        items = list(value) if all(type(v) is str for v in value) else [_keyed(v, trees) for v in value]
        return {"tuple": items} if type(value) is tuple else items
    if isinstance(value, RegionTree):
        if id(value) not in trees:
            trees[id(value)] = (value, tree_digest(value))  # the tree kept: its id is not reused meanwhile
        return {"tree": trees[id(value)][1]}
    raise TypeError(f"a kept read cannot be keyed on a {type(value).__name__} argument")


class ArchiveReads:
    """
    The reads of one open archive, each kept in a cache folder under the key of what it depends on.

    Parameters
    ----------
    con : DuckDBPyConnection
        The open archive, passed to each read as its first argument.
    cache : path-like, optional
        The folder (the plan's ``runs/<plan_id>/.cache``); None: nothing is kept, every read
        runs (JupyterLab). An archive in memory is never kept either.

    Notes
    -----
    ``read(fn, *args, **kwargs)`` returns ``fn(con, *args, **kwargs)``, or the object a run
    kept under the same key: the sha256 of

    - the archive's state: :func:`archive_files` (resolved path, device, inode, size,
      mtime_ns and header bytes of the file; the same and the whole content of its ``.wal``),
      :func:`planlib.archive.fingerprint` (row counts and date spans) and every DuckDB setting
      of the connection (``threads`` decides the order doubles are summed in);
    - the code: :func:`reads_version` (the source of the queries, the history and economics
      modules, their constants, the tree, the store and this module; the libraries' versions);
    - the read: ``fn``'s module and name and every argument (None, bools, ints, texts, floats to
      the bit, lists and tuples of them, a region tree by :func:`tree_digest`; an argument of
      another type, a subclass or a NumPy number among them, raises TypeError: never keyed loosely).

    The archive's files are looked at again before each read (written since: the whole state
    is read again) and after a miss's read.

    An entry is ``reads-<fn name>-<key>.pickle``: a header line, the key, the sha256 and the
    length of the payload, then the payload (``fn``'s result pickled: every dtype, index,
    category and float bit as returned). It is written whole, then renamed into place, and
    only when the archive's files are the same after the read as before; a missing, short,
    corrupt or foreign entry is a miss (read again and replaced), a folder that cannot be
    written is not used. A read that warns is not kept (its warnings are given again as
    they came). Each write leaves the newest :data:`KEEP_PER_READ` entries of its read
    function (a hit counts as new). The folder holds what planlib wrote there, and is trusted
    as the plan's own files are (a pickle is code); it can be deleted at any time.
    """

    def __init__(self, con, cache=None):
        self.con = con
        self.folder = None if cache is None else Path(cache)
        self.state = None  # the archive's state, read once when first needed
        self.trees: dict = {}

    def read(self, fn, *args, **kwargs):
        """``fn(con, *args, **kwargs)``, read back when kept under the same key (see the class's Notes)."""
        if self.folder is None:
            return fn(self.con, *args, **kwargs)
        if self.state is None:
            path, settings = queries.archive_file(self.con)
            if not path or not os.path.exists(path):  # in memory: nothing identifies its state
                self.folder = None
                return fn(self.con, *args, **kwargs)
            self.state = {"files": archive_files(path), "fingerprint": fingerprint(self.con), "settings": settings}
        elif archive_files(self.state["files"]["path"]) != self.state["files"]:  # written since: its state again
            self.state = None
            return self.read(fn, *args, **kwargs)
        question = {"read": f"{fn.__module__}.{fn.__qualname__}", "args": _keyed(list(args), self.trees),
                    "kwargs": {k: _keyed(v, self.trees) for k, v in sorted(kwargs.items())}}
        key = hashlib.sha256(json.dumps({"archive": self.state, "code": reads_version(), **question},
                                        sort_keys=True).encode()).hexdigest()
        path = self.folder / f"reads-{fn.__name__}-{key}.pickle"
        kept = _read_entry(path, key)
        if kept is not None:
            return kept[0]
        with warnings.catch_warnings(record=True) as caught:  # the caller's filters: what it would see
            value = fn(self.con, *args, **kwargs)
        for w in caught:  # given again as they came, to the caller's filters
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
        if not caught and archive_files(self.state["files"]["path"]) == self.state["files"]:
            _write_entry(path, key, value, f"reads-{fn.__name__}-")
        return value


def _read_entry(path: Path, key: str) -> tuple | None:
    """(the kept object,) at ``path`` under ``key``, or None when missing, foreign, short or corrupt; a hit is touched."""
    try:
        with open(path, "rb") as f:
            if f.readline() != _MAGIC:
                return None
            head = json.loads(f.readline())
            payload = f.read()
        if (head["key"] != key or head["size"] != len(payload)
                or head["sha256"] != hashlib.sha256(payload).hexdigest()):
            return None
        value = pickle.loads(payload)
    except Exception:  # unreadable or not what was written: read from the archive again
        return None
    try:
        os.utime(path)  # newest by use: kept when older entries are deleted
    except OSError:
        pass
    return (value,)


def _write_entry(path: Path, key: str, value, prefix: str) -> None:
    """Keep ``value`` at ``path`` (written whole, then renamed), then delete all but the newest entries of ``prefix``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = pickle.dumps(value, protocol=5)
        head = json.dumps({"key": key, "size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()})
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
        try:
            with open(tmp, "xb") as f:
                f.write(_MAGIC)
                f.write(head.encode() + b"\n")
                f.write(payload)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        entries = []
        for p in path.parent.glob(f"{prefix}*.pickle"):
            try:
                entries.append((p.stat().st_mtime_ns, p.name, p))
            except OSError:  # deleted meanwhile by another run
                pass
        for _, _, old in sorted(entries, reverse=True)[KEEP_PER_READ:]:
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass
