"""
Build the demo archive: the company, its history and the planted defects in one DuckDB file.

Public names: :data:`DEFAULT_SEED`, :data:`DEFAULT_START_YEAR`, :class:`DemoSummary`,
:func:`build_demo`.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from planlib.archive import refresh_summaries
from planlib.demo.actuals import PlanYearBuilder
from planlib.demo.company import SCALES, Company
from planlib.demo.defects import resolve_defects
from planlib.demo.history import HistoryBuilder
from planlib.errors import ParamsError
from planlib.schemas import TABLE_ORDER, TABLES, table_ddl

__all__ = ["DEFAULT_SEED", "DEFAULT_START_YEAR", "DemoSummary", "build_demo"]

#: The seed of ``planlib demo`` and ``make demo``.
DEFAULT_SEED = 20261127
#: First year of the demo history when none is given: 2024–2026, planned for 2027.
DEFAULT_START_YEAR = 2024


@dataclass(frozen=True)
class DemoSummary:
    """
    What :func:`build_demo` wrote.

    Attributes
    ----------
    path : Path
        The archive file.
    seed : int
    scale : str
    years : tuple of int
        The calendar years of history.
    counts : dict
        Table name -> row count (every archive table).
    planted_defects : tuple of dict
        :data:`PLANTED_DEFECTS` resolved for this build (dates, region ids, and the
        ``terminal_id`` where a terminal is involved).
    ineffective_activities : tuple of str
        Own activity ids that were given no sales effect.
    plan_year : int
        The year after the history, which the demo plans and tracks.
    actuals_until : datetime.date or None
        The last day of the plan year's actuals (complete months and weeks up to it); None
        when the build has none.
    tracking_patterns : dict
        Pattern name (:data:`planlib.demo.actuals.PATTERNS`) -> what this build planted for a
        tracker: ``description``, ``region_ids``, and per pattern ``terminal_ids``,
        ``person_ids`` and the figures that show it (``volume_vs_last_year`` …). Empty
        without actuals.
    """

    path: Path
    seed: int
    scale: str
    years: tuple[int, ...]
    counts: dict[str, int] = field(default_factory=dict)
    planted_defects: tuple[dict, ...] = ()
    ineffective_activities: tuple[str, ...] = ()
    plan_year: int = 0
    actuals_until: dt.date | None = None
    tracking_patterns: dict[str, dict] = field(default_factory=dict)


def _validate_until(actuals: bool, until, plan_year: int) -> dt.date | None:
    if not actuals:
        return None
    if until is None:
        return dt.date(plan_year, 6, 30)
    if isinstance(until, dt.datetime) or not isinstance(until, dt.date) or until.year != plan_year \
            or until < dt.date(plan_year, 1, 31):
        raise ParamsError(f"actuals_until must be a date of the plan year {plan_year} from {plan_year}-01-31 "
                          f"(at least one complete month), got {until!r}")
    return until


def _validate(seed, scale, start_year, years) -> tuple[int, str, int, int]:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParamsError(f"seed must be a non-negative integer, got {seed!r}")
    if scale not in SCALES:
        raise ParamsError(f"unknown scale {scale!r}; valid: {', '.join(SCALES)}")
    if isinstance(years, bool) or not isinstance(years, (int, np.integer)) or not 2 <= years <= 10:
        raise ParamsError(f"years must be an integer from 2 to 10 (the plan needs two years of history), got {years!r}")
    if start_year is None:
        start_year = DEFAULT_START_YEAR
    if isinstance(start_year, bool) or not isinstance(start_year, (int, np.integer)) or not 1901 <= start_year <= 2090:
        raise ParamsError(f"start_year must be an integer year from 1901 to 2090, got {start_year!r}")
    return int(seed), scale, int(start_year), int(years)


def build_demo(
    path: str | os.PathLike,
    *,
    seed: int = DEFAULT_SEED,
    scale: str = "small",
    start_year: int | None = None,
    years: int = 3,
    actuals: bool = False,
    actuals_until: dt.date | None = None,
    progress: bool = False,
) -> DemoSummary:
    """
    Build the demo archive: a deterministic synthetic liquor company.

    Parameters
    ----------
    path : str or PathLike
        The DuckDB file to write. Built in a temporary file in the same folder and
        moved into place at the end (an existing file is replaced only then; an
        interrupted build leaves nothing half-made).
    seed : int, default 20261127
        Seed of every random draw; the same seed gives identical tables.
    scale : {"small", "national"}
        See :data:`SCALES` and the module docstring.
    start_year : int, optional
        First year of history; default :data:`DEFAULT_START_YEAR` (2024).
    years : int, default 3
        Calendar years of monthly history, 2–10.
    actuals : bool, default False
        Add the plan year's actuals (the year after the history): own, weekly and
        competitor sales, expenses and the people's facts of its complete months up to
        ``actuals_until`` (:mod:`planlib.demo.actuals`). The ``people`` table is written
        either way. The history is the same with or without them.
    actuals_until : datetime.date, optional
        The last day of actuals; default 30 June of the plan year.
    progress : bool, default False
        Show a tqdm progress bar (one step per province) on stderr.

    Returns
    -------
    DemoSummary

    Raises
    ------
    ParamsError
        If an argument is out of range (the message says what is allowed).

    Notes
    -----
    Own monthly volume of terminal t, SKU s, month m (county c, line l, channel h):

        mean = level_t · v_s · (1 + g_c)^(m/12) · L_c,m · E_m · S_l,m · H_h,m · ε,
        volume = max(1, round(mean)),  ε ~ LogNormal(0, 0.12)

    with level_t = 5·exp(0.9 z_t)·k_h (the class is the quantile of z_t), v_s =
    sqrt(600 / price_s) clipped to [0.5, 1.6], g_c the county's growth rate, L the
    activity lifts 1 + Σ β·log1p(cost/scale)·overlap, E the economy, S the season
    (holiday windows from :mod:`planlib.calendar`, summed daily demand / 30.44) and H
    the channel events. Revenue = volume · price · (1 − d), d ~ U(0, 0.06).
    Market = own / share_c,l (share in [0.15, 0.40]) with
    market ≥ 1.02 · (own + competitor) on the clean data.
    """
    seed, scale, start_year, years = _validate(seed, scale, start_year, years)
    until = _validate_until(actuals, actuals_until, start_year + years)
    path = Path(path)
    if not path.parent.exists():
        raise ParamsError(f"folder {path.parent} does not exist")
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    for leftover in (tmp, Path(str(tmp) + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        company = Company(seed, scale, start_year, years)
        defects = resolve_defects(company)
        con = duckdb.connect(str(tmp))
        try:
            con.execute("SET preserve_insertion_order = false")
            for name in TABLE_ORDER:
                con.execute(table_ddl(name))
            con.execute("CREATE TABLE IF NOT EXISTS planlib_meta (key VARCHAR, value VARCHAR)")
            con.execute("INSERT INTO planlib_meta VALUES ('format_version', '1')")
            builder = HistoryBuilder(con, company, seed, defects)
            for table, frame in (("regions", company.regions), ("distributors", company.distributors),
                                 ("terminals", company.terminals), ("products", company.products)):
                con.register("_demo_df", frame)
                cols = ", ".join(TABLES[table].columns)
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _demo_df")
                con.unregister("_demo_df")
                builder.counts[table] = len(frame)
            from tqdm import tqdm

            bar = tqdm(range(company.n_prov), desc="demo provinces", unit="province", disable=not progress)
            try:
                for p in bar:
                    builder.province(p)
            finally:
                bar.close()
            builder.finish()
            patterns = PlanYearBuilder(con, company, builder, seed, defects, until).build()

            refresh_summaries(con)
            counts = {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLE_ORDER}
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, path)
    except BaseException:
        for leftover in (tmp, Path(str(tmp) + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    resolved = tuple(
        {k: v for k, v in d.items() if not k.startswith("_")} for d in defects
    )
    return DemoSummary(
        path=path,
        seed=seed,
        scale=scale,
        years=tuple(range(start_year, start_year + years)),
        counts=counts,
        planted_defects=resolved,
        ineffective_activities=tuple(sorted(builder.ineffective)),
        plan_year=start_year + years,
        actuals_until=until,
        tracking_patterns=patterns,
    )
