"""
The limits of a plan: how large its files, texts, lists and numbers may be, and where
the files it names may lie.

Every limit is documented in docs/params.md; a value beyond one is a ParamsError naming
the file, the line and the key.

Public names
------------
MAX_FILE_BYTES, MAX_LINE_CHARS, MAX_TEXT_CHARS, MAX_LIST_ITEMS, MAX_MAPPING_KEYS
    A params file: bytes, characters per line, characters per text or key, items per
    list, keys per mapping.
MAX_UNIT, MAX_VOLUME, MAX_MONEY, MAX_WEIGHT, MAX_TIMEOUT_SECONDS
    Numbers: the plan's unit, volumes, money, blend weights, a notebook's timeout.
MAX_PROPOSALS_BYTES
    A file a params key names (``split.proposals``).
params_root, check_file_inside
    The folder every file a plan names must lie in; the check of one such file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__: list[str] = []

#: A params file holds at most this many bytes (the demo plan has about 4 kB).
MAX_FILE_BYTES = 1_000_000
#: A line holds at most this many characters.
MAX_LINE_CHARS = 10_000
#: A text value or key (a title, a SWOT line, a path) holds at most this many characters.
MAX_TEXT_CHARS = 1_000
#: A list holds at most this many items.
MAX_LIST_ITEMS = 1_000
#: A mapping holds at most this many keys (``split.holds`` has at most one per region).
MAX_MAPPING_KEYS = 10_000
#: The plan's volume unit is a whole number of base units up to this (a million cases).
MAX_UNIT = 1_000_000
#: A volume (``split.holds``) is at most this many units.
MAX_VOLUME = 10**12
#: An amount of money (fees, costs, returns, caps) is at most this, in the plan currency.
MAX_MONEY = 1e12
#: A blend weight is at most this (weights are normalised to sum to 1).
MAX_WEIGHT = 100.0
#: A notebook may run at most a day.
MAX_TIMEOUT_SECONDS = 86_400
#: A file a params key names (``split.proposals``) holds at most this many bytes.
MAX_PROPOSALS_BYTES = 10_000_000


def params_root(plan_dir: Path) -> Path:
    """
    The folder every file a plan names must lie in: its params tree.

    Parameters
    ----------
    plan_dir : Path
        The plan file's folder.

    Returns
    -------
    Path
        The nearest folder named ``params`` holding the plan (``plan_dir`` itself
        for ``params/demo.yaml``), else ``plan_dir``; symbolic links resolved.
    """
    real = Path(os.path.realpath(plan_dir))
    return next((folder for folder in (real, *real.parents) if folder.name == "params"), real)


def check_file_inside(path: Path, root: Path, *, max_bytes: int) -> None:
    """
    Raise ValueError unless ``path`` is a regular file of at most ``max_bytes`` inside ``root``.

    Symbolic links are followed first, so a link out of ``root`` (or to ``/dev/zero``)
    is refused like the path it points to.
    """
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(root):
        raise ValueError(f"'{path}' is outside the plan's params folder {root}")
    try:
        info = real.stat()
    except OSError:
        raise ValueError(f"'{path}' does not exist") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"'{path}' is not a regular file")
    if info.st_size > max_bytes:
        raise ValueError(f"'{path}' has {info.st_size:,} bytes, more than {max_bytes:,}")
