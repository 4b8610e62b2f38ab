"""
A deterministic synthetic company: 康源酒业, a liquor and health-wine maker.

:func:`build_demo` writes a complete information archive (the tables of
DESIGN.md §3 plus ``planlib_meta``) to one DuckDB file, so that every notebook,
the batch, the quality report and the tracking of a signed plan can be shown end
to end without real data. The same seed always gives the same tables.

The company
-----------
- Regions: 总部 (``HQ``) → provinces (``P01`` 山东省 …) → cities (``P01C01`` 济南市)
  → counties (``P01C01K01`` 历城区) → 2–4 townships each (``P01C01K01T01`` …镇).
  ``scale="small"``: 4 provinces, 10 cities, 42 counties (fixed layout, real names).
  ``scale="national"``: 31 provinces, ~330 cities, ~2,800 counties with three-digit
  city and county codes (``P01C001K001``).
- Terminals (``T000001`` …, e.g. 鑫源烟酒店, 华联超市): ~2,000 (small) or ~100,000
  (national) in townships or county seats; classes A–D (5/15/30/50 %) follow each
  terminal's sales level, except ~3 % recorded one class off, as in real archives;
  channels from :data:`planlib.schemas.CHANNELS`, ``group_purchase`` included.
- Distributors: tier 1 per city, tier 2 per county (plus a few extra, two of which
  sell nothing at small scale); every terminal is served by one.
- Products: 12 own SKUs in three lines (白酒, 保健酒, 低度酒; prefixes ``KY-BJ``,
  ``KY-YS``, ``KY-DD``); competitors 金潭 (``JT-``) and 古泉 (``GQ-``) with three
  SKUs each and no variable cost. Volume is in cases (箱), prices per case.

The history
-----------
``years`` full calendar years (default 2024–2026, so the demo plans 2027; fixed, not
taken from today, so the same seed always builds the same archive), monthly:

- own sales per terminal × SKU (each terminal sells a subset: 3–5 SKUs small,
  2–4 national) with trend (regional growth, some counties declining), seasonality
  (Spring Festival demand in the 21 days before the lunar new year, ramping up
  towards it, so the monthly peak moves between January and February with the
  real calendar; Mid-Autumn and National Day peaks; a summer high for 低度酒),
  activity lifts, events and noise. Revenue = volume × price × (1 − discount),
  discount uniform in [0, 6 %).
- weekly own sales (``grain='week'``, Monday dates) for core terminals, spread from
  the monthly figures by daily demand: A and B terminals at small scale, A only at
  national scale (to bound size).
- competitor sales per county × competitor SKU × channel (3 channels per county and
  brand, terminal_id NULL, distributor_id set for ~40 %); ~5 % of counties have no
  competitor data in the first year (a collection gap the quality report shows).
- market per county × product line: own share 15–40 % by region,
  market_volume ≥ 1.02 × (own + competitor) on the clean data.
- expenses in all five categories (DOMAIN.md §6) per county, plus city, province
  and HQ items and terminal-level channel fees (display, promoter wages, slotting)
  for core terminals; about 20 % of revenue.
- activities: own promotions, tastings, displays per county and media campaigns per
  province, lifting sales in their window by ``beta * log1p(cost / scale)``
  (diminishing returns); ~12 % of own activities have no effect at all
  (:attr:`DemoSummary.ineffective_activities`) so later analysis can show spend
  that did not pay. Competitor activities lift competitor sales.
- events: Spring Festival, Mid-Autumn and National Day (HQ, ``holiday``), a
  限酒令 in 河南省 (``P02``) from March of year 2 cutting group-purchase sales by
  45 %, an economic slowdown (−5 %, July of year 2 to March of year 3) and a flood
  in one county (July of year 1, −40 % that month).

The plan year
-------------
With ``actuals=True`` (``planlib demo``), the year after the history (2027 by default)
gets its actuals through 30 June (``actuals_until``): monthly own sales from the same
model continued (trend, the plan year's real Spring Festival, 6 Feb 2027, noise), weekly
rows of the core terminals, competitor sales, expenses of every level and the people's
counted facts (``person_events``). The ``people`` table (2–3 salespeople per county, each
serving a share of its terminals; a manager per city carrying the city) is written either
way. Not one row of the history changes: the plan year draws from random streams of its
own. Patterns for a tracker are planted and listed in
:attr:`DemoSummary.tracking_patterns` (:data:`planlib.demo.actuals.PATTERNS`): counties
ahead (+12–20 % on last year) and behind (−10–20 %), a county whose March falls 40 %, one
whose key terminals mostly stop buying (the 40 %-by-June coverage milestone missed; the
quality report lists them as stopped series), one whose hospitality spend runs 50 % above
last year's pace, one that meets sales and misses profit (deep discounts, twice the
promotion spend), and salespeople with high and low scores.

Planted defects
---------------
Seven small, deterministic faults in the monthly own sales (:data:`PLANTED_DEFECTS`,
dates given for a history starting in 2023 and shifted with ``start_year``;
:func:`planted_defects` resolves them for a build, naming the terminal where one is
involved; region ids are the small layout's and map to ``P01C001K002`` style
nationally):

(a) ``missing_month`` 平阴县 ``P01C01K02`` × 白酒, 2024-03: the rows are deleted.
(b) ``duplicate_upload`` 中牟县 ``P02C01K01``, 2023-06: every row's volume and revenue doubled.
(c) ``outlier`` in 寿光市 ``P01C02K01``, ``KY-BJ-01``, 2024-06: one terminal's volume ×20.
(d) ``price_typo`` in 正定县 ``P03C01K02``, ``KY-YS-01``, 2023-08: revenue 100 × volume × price.
(e) ``series_stop`` in 偃师区 ``P02C02K01``: one terminal stops buying from 2024-09.
(f) ``level_shift`` 丰县 ``P04C01K01``: volume halves from 2024-05 on.
(g) ``volume_without_revenue`` in 涿州市 ``P03C02K01``, ``KY-DD-01``, 2024-02: revenue 0.

Each entry's ``check`` names the :mod:`planlib.archive.quality` check that should find it.

Modules: :mod:`~planlib.demo.company` (the structure), :mod:`~planlib.demo.history`
(the tables over time), :mod:`~planlib.demo.actuals` (the plan year, the people),
:mod:`~planlib.demo.defects` (the planted faults), :mod:`~planlib.demo.builder`
(:func:`build_demo`).
"""

from planlib.demo.actuals import PATTERNS
from planlib.demo.builder import (
    DEFAULT_SEED,
    DEFAULT_START_YEAR,
    DemoSummary,
    build_demo,
)
from planlib.demo.company import SCALES
from planlib.demo.defects import PLANTED_DEFECTS, planted_defects

__all__ = [
    "SCALES",
    "PATTERNS",
    "PLANTED_DEFECTS",
    "DemoSummary",
    "build_demo",
    "planted_defects",
    "DEFAULT_SEED",
    "DEFAULT_START_YEAR",
]
