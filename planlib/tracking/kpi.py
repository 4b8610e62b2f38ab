"""
KPI scoring: each region's and person's month scored by the plan's rule sets (DOMAIN.md §8).

A rule set (``tracking.kpi`` in the params, :mod:`planlib.params.tracking`) gives a base,
weighted indicators scored by the percentage points their completion (or ratio) lies off
target, deductions per counted event, shortfalls per unit short of a planned count, and
optionally a monthly pay rule. :func:`score` applies them to a long ``facts`` frame and
the people's events and says, line by line and in words, where every point came from.

Public names
------------
score
    The scores' lines: per entity, month and rule line its value, points or pay, the rule
    in words, then the entity's total, rank and payout.
ranking
    One row per entity and month: rule set, total, rank, payout.
region_facts
    The regions' facts from the tracking frame (their total lines' closed months), plus any
    further measures (coverage, expense ratio, new terminals).
region_extra_facts
    The regions' coverage and expense-ratio facts of the last closed month, from a tracked plan.
SCORE_COLUMNS, LINE_KINDS
    The lines' columns; the kinds of line (base, indicator, shortfall, deduction, pay,
    pay_deduction).
MEASURE_NAMES, EVENT_NAMES
    The Chinese names (and units) of the usual measures and event kinds; a rule's own
    ``label`` and ``unit`` win.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings

import numpy as np
import pandas as pd

from planlib.errors import DataError, PlanWarning
from planlib.params.tracking import Deduction, Indicator, Kpi, Pay, RuleSet
from planlib.rounding import format_amount
from planlib.tracking.progress import (
    check_as_of,
    closed_months,
    month_starts,
    plan_year_of,
)
from planlib.tracking.rollover import revise_matrix

__all__ = ["score", "ranking", "region_facts", "region_extra_facts", "SCORE_COLUMNS", "LINE_KINDS", "MEASURE_NAMES", "EVENT_NAMES"]

#: Measure -> (name, unit of one count; None for money, volumes and ratios).
MEASURE_NAMES: dict[str, tuple[str, str | None]] = {
    "volume": ("销量", None),
    "revenue": ("销售额", None),
    "collection": ("回款", None),
    "new_terminals": ("新增终端", "家"),
    "coverage": ("重点终端覆盖率", None),
    "expense_ratio": ("费用率", None),
    "new_customer": ("新客户", "个"),
}
#: Event kind -> (name, unit of one event).
EVENT_NAMES: dict[str, tuple[str, str]] = {
    "missing_report": ("缺报报表或资料", "项"),
    "lost_customer": ("流失客户", "个"),
    "late_days": ("回款逾期", "天"),
    "new_customer": ("新客户", "个"),
}
#: The kinds of line of an entity's month, in the order they are listed.
LINE_KINDS: tuple[str, ...] = ("base", "indicator", "shortfall", "deduction", "pay", "pay_deduction")
#: The columns of :func:`score` (``name``, ``role``, ``level`` follow ``entity_id`` when the facts have them).
SCORE_COLUMNS: tuple[str, ...] = (
    "entity_kind", "entity_id", "month", "rule_set", "line_kind", "line", "label", "scored", "value", "target",
    "actual", "weight", "points", "amount", "rule", "total", "rank", "payout",
)
_FACT_COLUMNS = ("entity_kind", "entity_id", "month", "measure", "target", "actual")
_EVENT_COLUMNS = ("month", "person_id", "kind", "value")
_EXTRA = ("name", "role", "level")
_KEY = ["entity_kind", "entity_id", "month"]
_ENTITY_KINDS = ("region", "person")
_MONEY_UNIT = 0.01  # rolled-over targets are revised in cents
_MINUS = "\u2212"


# -- words -------------------------------------------------------------------------------
def _num(x: float) -> str:
    """A number for a rule's words: thousands separators, at most two decimals, no trailing zeros."""
    if not math.isfinite(x):
        return str(x)
    r = round(float(x), 2)
    if r == int(r):
        return f"{int(r):,}"
    return f"{r:,.2f}".rstrip("0")


def _pts(x: float) -> str:
    """Signed points: ``+3 分``, ``−4 分``, ``0 分``."""
    r = round(float(x), 2)
    if r == 0:
        return "0 分"
    return f"{'+' if r > 0 else _MINUS}{_num(abs(r))} 分"


def _yuan(x: float) -> str:
    r = round(float(x), 2)
    return f"{_MINUS if r < 0 else ''}{format_amount(abs(r))} 元"


def _indicator_label(ind: Indicator) -> str:
    if ind.label:
        return ind.label
    name = MEASURE_NAMES.get(ind.measure, (ind.measure, None))[0]
    return name if ind.basis == "difference" else f"{name}完成率"


def _event_words(kind: str, rule: Deduction | None = None) -> tuple[str, str]:
    name, unit = EVENT_NAMES.get(kind, MEASURE_NAMES.get(kind, (kind, "次")))  # type: ignore[arg-type]
    return (rule.label if rule and rule.label else name), (rule.unit if rule and rule.unit else (unit or "个"))


# -- checks ------------------------------------------------------------------------------
def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")


def _check_facts(facts: pd.DataFrame) -> pd.DataFrame:
    _require(facts, _FACT_COLUMNS, "facts")
    f = facts.copy()
    f["entity_kind"] = f["entity_kind"].astype(str)
    f["entity_id"] = f["entity_id"].astype(str)
    f["measure"] = f["measure"].astype(str)
    f["month"] = pd.to_datetime(f["month"])
    bad = ~f["entity_kind"].isin(_ENTITY_KINDS)
    if bad.any():
        raise DataError(f"facts: {int(bad.sum())} row(s) with entity_kind "
                        f"{sorted(set(f.loc[bad, 'entity_kind']))[:5]}; expected region or person")
    for col in ("target", "actual"):
        v = pd.to_numeric(f[col], errors="raise").astype("float64")
        nan = ~np.isfinite(v.to_numpy())
        if nan.any():
            i = int(np.flatnonzero(nan)[0])
            raise DataError(f"facts: {int(nan.sum())} row(s) with {col} missing or infinite (first: row {i + 1}, "
                            f"{f['entity_id'].iloc[i]} {f['measure'].iloc[i]} {f['month'].iloc[i]:%Y-%m}); "
                            "expected a number (0 for nothing)")
        f[col] = v
    dup = f.duplicated(_KEY + ["measure"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(f"facts: {int(dup.sum())} duplicate row(s) of entity, month and measure (first: row {i + 1}, "
                        f"{f['entity_kind'].iloc[i]} {f['entity_id'].iloc[i]} {f['measure'].iloc[i]} "
                        f"{f['month'].iloc[i]:%Y-%m}); expected one row each")
    return f


# -- lines -------------------------------------------------------------------------------
def _lines(em: pd.DataFrame, **columns) -> pd.DataFrame:
    """Line rows for the entity-months ``em`` with the given columns (scalars or arrays)."""
    out = em[_KEY].reset_index(drop=True).copy()
    for k, v in columns.items():
        out[k] = v
    return out


def _asked_targets(rows: pd.DataFrame, f: pd.DataFrame, ind: Indicator, as_of: pd.Timestamp,
                   year: int) -> np.ndarray:
    """Each row's target as asked under the indicator's rollover (plan + what earlier months left undone)."""
    if ind.rollover == "none" or rows.empty:
        return rows["target"].to_numpy(dtype="float64")
    line = f[["entity_kind", "entity_id"]].drop_duplicates().reset_index(drop=True)
    line["line"] = np.arange(len(line))
    g = f.merge(line, on=["entity_kind", "entity_id"])
    col = g["month"].dt.month.to_numpy() - 1
    T = np.zeros((len(line), 12))
    A = np.zeros((len(line), 12))
    np.add.at(T, (g["line"].to_numpy(), col), g["target"].to_numpy())
    np.add.at(A, (g["line"].to_numpy(), col), g["actual"].to_numpy())
    A[:, as_of.month:] = 0.0  # nothing after the as-of date counts
    _, asked = revise_matrix(T, A, as_of, ind.rollover, _MONEY_UNIT, what=f"facts {ind.measure} targets")
    r = rows.merge(line, on=["entity_kind", "entity_id"], how="left")
    return np.asarray(asked, dtype="float64")[r["line"].to_numpy(), r["month"].dt.month.to_numpy() - 1]


def _indicator_lines(em: pd.DataFrame, facts: pd.DataFrame, ind: Indicator, as_of: pd.Timestamp,
                     year: int) -> pd.DataFrame:
    f = facts.loc[facts["measure"] == ind.measure, _KEY + ["target", "actual"]]
    f = f.merge(em[_KEY].drop_duplicates(), on=_KEY)
    rows = em[_KEY].merge(f, on=_KEY, how="left")
    has = rows["target"].notna().to_numpy()
    plan = rows["target"].fillna(0.0).to_numpy()
    asked = plan.copy()
    if has.any():
        asked[has] = _asked_targets(rows.loc[has], f, ind, as_of, year)
    actual = rows["actual"].fillna(0.0).to_numpy()
    if ind.basis == "completion":  # a completion needs a target; a ratio's target may be 0
        scored = has & (asked > 0)
        value = np.where(scored, actual / np.where(scored, asked, 1.0) * 100.0, 0.0)
        dev = np.where(scored, value - 100.0, 0.0)
    else:
        scored = has
        value = np.where(has, actual * 100.0, 0.0)
        dev = np.where(scored, (actual - asked) * 100.0, 0.0)
    dev = np.round(dev, 9)  # 96.00000000000001 % is 96 %
    sign = 1.0 if ind.better == "higher" else -1.0
    raw = np.where(dev > 0, sign * ind.per_point_above * dev, sign * ind.per_point_below * dev)
    raw = np.where(scored, raw, 0.0)
    lo = -math.inf if ind.floor is None else ind.floor
    hi = math.inf if ind.cap is None else ind.cap
    clipped = np.clip(raw, lo, hi)
    points = np.round(ind.weight * clipped, 2) + 0.0
    label = _indicator_label(ind)
    rules = [_indicator_words(ind, label, *x) for x in zip(has, scored, value, dev, plan, asked, actual, raw, clipped,
                                                            points)]
    return _lines(rows, line_kind="indicator", line=ind.measure, label=label, scored=scored,
                  value=np.where(scored, np.round(value, 6), np.nan),
                  target=np.where(has, asked, np.nan), actual=np.where(has, actual, np.nan),
                  weight=ind.weight, points=points, amount=0.0, rule=rules)


def _indicator_words(ind: Indicator, label: str, has: bool, scored: bool, value: float, dev: float, plan: float,
                     asked: float, actual: float, raw: float, clipped: float, points: float) -> str:
    if not has:
        return f"{label}：无数据，不计分"
    if not scored:
        return f"{label}：目标为 0，不计分"
    roll = ""
    if ind.rollover != "none" and round(asked - plan, 2) != 0:
        roll = f"，含滚入 {_num(asked - plan)}"
    if ind.basis == "completion":
        head = f"{label} {value:.1f}%（{_num(actual)} / 目标 {_num(asked)}{roll}）"
    else:
        head = f"{label} {value:.1f}%，目标 {asked * 100:.1f}%{roll}"
    if dev == 0:
        return f"{head}，达标不奖不扣：0 分"
    side = "高" if dev > 0 else "低"
    per = ind.per_point_above if dev > 0 else ind.per_point_below
    gain = (dev > 0) == (ind.better == "higher")
    text = f"{head}，每{side} 1 个百分点{'加' if gain else '扣'} {_num(per)} 分：{_pts(raw)}"
    if clipped < raw:
        text += f"，封顶 +{_num(clipped)} 分"
    elif clipped > raw:
        text += f"，最多扣 {_num(-clipped)} 分"
    if ind.weight != 1:
        text += f"，权重 {ind.weight:g}：{_pts(points)}"
    return text


def _shortfall_lines(em: pd.DataFrame, facts: pd.DataFrame, measure: str, rule: Deduction) -> pd.DataFrame:
    rows = em[_KEY].merge(facts.loc[facts["measure"] == measure, _KEY + ["target", "actual"]], on=_KEY, how="inner")
    short = np.maximum(rows["target"].to_numpy() - rows["actual"].to_numpy(), 0.0)
    raw = rule.points * short
    taken = np.minimum(raw, rule.cap) if rule.cap is not None else raw
    points = np.round(-taken, 2) + 0.0
    label, unit = _event_words(measure, rule)
    words = []
    for t, a, s, r, p in zip(rows["target"], rows["actual"], short, raw, points):
        head = f"{label}计划 {_num(t)} {unit}、完成 {_num(a)} {unit}"
        if s <= 0:
            words.append(f"{head}，未差：0 分")
            continue
        text = f"{head}，差 {_num(s)} {unit}，每差 1 {unit}扣 {_num(rule.points)} 分：{_pts(-r)}"
        words.append(text + (f"，本月最多扣 {_num(rule.cap)} 分" if p != round(-r, 2) else ""))
    return _lines(rows, line_kind="shortfall", line=measure, label=label, scored=True, value=short,
                  target=rows["target"].to_numpy(), actual=rows["actual"].to_numpy(), weight=np.nan,
                  points=points, amount=0.0, rule=words)


def _event_sums(em: pd.DataFrame, events: pd.DataFrame, kinds) -> pd.DataFrame:
    e = events.loc[events["kind"].isin(list(kinds))]
    e = pd.DataFrame({"entity_kind": "person", "entity_id": e["person_id"].astype(str).to_numpy(),
                      "month": pd.to_datetime(e["month"]).to_numpy(), "kind": e["kind"].astype(str).to_numpy(),
                      "value": e["value"].to_numpy(dtype="float64")})
    s = e.groupby(_KEY + ["kind"], as_index=False)["value"].sum()
    s = s.merge(em[_KEY], on=_KEY, how="inner")
    return s.loc[s["value"] != 0].sort_values(_KEY + ["kind"], kind="stable").reset_index(drop=True)


def _deduction_lines(em: pd.DataFrame, events: pd.DataFrame, rules: dict[str, Deduction]) -> pd.DataFrame:
    s = _event_sums(em, events, rules)
    pts = s["kind"].map({k: r.points for k, r in rules.items()}).to_numpy(dtype="float64")
    cap = s["kind"].map({k: (r.cap if r.cap is not None else np.inf) for k, r in rules.items()}).to_numpy(
        dtype="float64")
    raw = pts * s["value"].to_numpy()
    points = np.round(-np.minimum(raw, cap), 2) + 0.0
    words, labels = [], []
    for kind, v, r, p in zip(s["kind"], s["value"], raw, points):
        label, unit = _event_words(kind, rules[kind])
        text = f"{label} {_num(v)} {unit}，每 1 {unit}扣 {_num(rules[kind].points)} 分：{_pts(-r)}"
        words.append(text + (f"，本月最多扣 {_num(rules[kind].cap)} 分" if p != round(-r, 2) else ""))
        labels.append(label)
    return _lines(s, line_kind="deduction", line=s["kind"].to_numpy(), label=labels, scored=True,
                  value=s["value"].to_numpy(), target=np.nan, actual=s["value"].to_numpy(), weight=np.nan,
                  points=points, amount=0.0, rule=words)


def _pay_lines(em: pd.DataFrame, facts: pd.DataFrame, events: pd.DataFrame, pay: Pay) -> pd.DataFrame:
    rows = em[_KEY].merge(facts.loc[facts["measure"] == pay.measure, _KEY + ["target", "actual"]], on=_KEY,
                          how="left")
    has = rows["actual"].notna().to_numpy()
    actual = rows["actual"].fillna(0.0).to_numpy()
    target = np.full(len(rows), pay.target) if pay.target is not None else rows["target"].fillna(0.0).to_numpy()
    met = actual >= target - 1e-9
    steps = np.where(met, np.floor((actual - target) / pay.step + 1e-9), 0.0)
    amount = np.where(met, pay.base_pay + pay.per_step * steps, pay.base_pay * pay.below_factor)
    amount = np.where(has, np.round(amount, 2), 0.0) + 0.0
    name = MEASURE_NAMES.get(pay.measure, (pay.measure, None))[0]
    words = []
    for h, a, t, m, n, amt in zip(has, actual, target, met, steps, amount):
        if not h:
            words.append(f"{name}：无数据，不计工资")
        elif m and n == 0:
            more = f"，超出 {_yuan(a - t)} 不满 {_yuan(pay.step)}，无提成" if a - t > 0.005 else ""
            words.append(f"{name} {_yuan(a)}，达到月目标 {_yuan(t)}：正常工资 {_yuan(amt)}{more}")
        elif m:
            words.append(f"{name} {_yuan(a)}，达到月目标 {_yuan(t)}：正常工资 {_yuan(pay.base_pay)} + 超出 "
                         f"{_yuan(a - t)}，每满 {_yuan(pay.step)}提成 {_yuan(pay.per_step)} × {int(n)} = {_yuan(amt)}")
        else:
            words.append(f"{name} {_yuan(a)}，未达月目标 {_yuan(t)}：正常工资 {_yuan(pay.base_pay)} × "
                         f"{pay.below_factor * 100:g}% = {_yuan(amt)}")
    lines = _lines(rows, line_kind="pay", line=pay.measure, label="工资", scored=has, value=actual,
                   target=target, actual=actual, weight=np.nan, points=0.0, amount=amount, rule=words)
    s = _event_sums(em[_KEY].merge(rows.loc[has, _KEY], on=_KEY), events, pay.deductions)
    money = s["kind"].map(pay.deductions).to_numpy(dtype="float64")
    taken = np.round(-money * s["value"].to_numpy(), 2) + 0.0
    dwords, dlabels = [], []
    for kind, v, per, t in zip(s["kind"], s["value"], money, taken):
        label, unit = _event_words(kind)
        dwords.append(f"{label} {_num(v)} {unit}，每 1 {unit}扣 {_yuan(per)}：{_yuan(t)}")
        dlabels.append(label)
    ded = _lines(s, line_kind="pay_deduction", line=s["kind"].to_numpy(), label=dlabels, scored=True,
                 value=s["value"].to_numpy(), target=np.nan, actual=s["value"].to_numpy(), weight=np.nan,
                 points=0.0, amount=taken, rule=dwords)
    return pd.concat([lines, ded], ignore_index=True)


def _rule_set_lines(em: pd.DataFrame, facts: pd.DataFrame, events: pd.DataFrame, rs: RuleSet,
                    as_of: pd.Timestamp, year: int) -> list[pd.DataFrame]:
    out = [_lines(em, line_kind="base", line="base", label="基础分", scored=True, value=rs.base, target=np.nan,
                  actual=np.nan, weight=np.nan, points=rs.base, amount=0.0, rule=f"基础分 {_num(rs.base)} 分")]
    out += [_indicator_lines(em, facts, ind, as_of, year) for ind in rs.indicators]
    out += [_shortfall_lines(em, facts, m, r) for m, r in rs.shortfalls.items()]
    persons = em.loc[em["entity_kind"] == "person"]
    if rs.deductions:
        out.append(_deduction_lines(persons, events, rs.deductions))
    if rs.pay is not None:
        out.append(_pay_lines(em, facts, events.loc[events["person_id"].isin(persons["entity_id"])], rs.pay))
    return out


# -- the score -----------------------------------------------------------------------------
def score(facts: pd.DataFrame, events: pd.DataFrame, rules: Kpi, *, as_of: dt.date | None = None) -> pd.DataFrame:
    """
    Score every region's and person's month by the plan's KPI rule sets.

    Parameters
    ----------
    facts : DataFrame
        Long: entity_kind (``region`` or ``person``), entity_id, month (month start),
        measure, target, actual; one row per entity, month and measure, all in one plan
        year. Optional columns: ``role`` (picks a person's rule set), ``level`` (regions
        are ranked within their level), ``name``. :func:`planlib.tracking.people.person_facts`
        builds the people's.
    events : DataFrame
        ``person_events``: month, person_id, kind, value (counted facts for deductions).
    rules : Kpi
        ``params.tracking.kpi``: the rule sets, the one for regions, people and each role.
    as_of : date, optional
        The tracking date, for indicators with a rollover: the months closed by then roll
        their unmet part forward. Default: the last day of the facts' last month.

    Returns
    -------
    DataFrame
        :data:`SCORE_COLUMNS` (with name, role, level after entity_id when the facts have
        them), one row per entity, month and line, ordered entity, month, line kind:

        - ``base``: the rule set's base points;
        - ``indicator``: value (completion or ratio, in percent), target (as asked, with
          any rollover), actual, weight, points (weighted), and the rule in words, e.g.
          "回款完成率 96.0%（960,000 / 目标 1,000,000），每低 1 个百分点扣 1 分：−4 分";
          ``scored`` is False (0 points, value null) without a fact or with a zero target;
        - ``shortfall``: units short of a planned count and the points they cost;
        - ``deduction``: a person's events of a deducted kind (only months with some);
        - ``pay``, ``pay_deduction``: the pay rule's amount and its deductions (money in
          ``amount``, 0 points).

        ``total`` (the sum of the entity-month's points), ``rank`` (1 = best within
        entity kind, rule set, month and level; ties share the better rank) and
        ``payout`` (the sum of its amounts, at least 0; null without a pay rule or
        without the pay measure's fact) repeat on every line of the entity-month.
        Entities whose rule set is None (``regions: null``, a role without a set and
        ``people: null``) are not scored.

    Raises
    ------
    DataError
        A missing column, an unknown entity kind, a target or actual missing, a
        duplicate fact, facts over more than one year.
    ParamsError
        ``as_of`` outside the facts' year.

    Warns
    -----
    PlanWarning
        Events of deducted kinds for people without facts (they cannot be scored).

    Notes
    -----
    For an entity-month scored by rule set R::

        total = base + sum_i w_i * clip(p_i, floor_i, cap_i) − Σ_k d_k v_k − Σ_x s_x short_x

    Indicator i with target T (as asked: with ``rollover`` the plan's target plus what the
    closed months before left undone, :func:`planlib.tracking.rollover.revise_matrix`) and
    actual A: for ``basis: completion`` the deviation in percentage points is
    Δ = 100 A / T − 100; for ``basis: difference`` Δ = 100 (A − T). With ``better:
    higher`` p = a Δ above target and b Δ below (Δ < 0 gives −b |Δ|); ``better: lower``
    flips the sign. Deductions: d_k points per unit of the month's event values v_k of
    kind k (within the kind's cap); shortfalls: s_x points per unit of max(T_x − A_x, 0).
    Points are rounded to 0.01 per line and the total is the sum of the lines.

    Pay with monthly target P, base pay B, below factor f, step S and per step c, on the
    actual A of its measure: A >= P pays B + c ⌊(A − P) / S⌋ (partial steps earn
    nothing), A < P pays f B; each pay deduction subtracts its money per unit of the
    events' values; the payout is max(0, the sum), in cents.

    Examples
    --------
    The source's export clerk and salesperson pay, by hand: tests/tracking/test_kpi.py.
    """
    f = _check_facts(facts)
    _require(events, _EVENT_COLUMNS, "person_events")
    ev = events.assign(person_id=events["person_id"].astype(str), kind=events["kind"].astype(str),
                       month=pd.to_datetime(events["month"]))
    extra = [c for c in _EXTRA if c in f.columns]
    if f.empty:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in _columns(extra)})
    year = plan_year_of(f["month"], "facts.month")
    if as_of is None:
        last = f["month"].max()
        as_of_ts = last + pd.offsets.MonthEnd(0)
    else:
        as_of_ts = check_as_of(as_of, year)

    ent = f[["entity_kind", "entity_id", *extra]].drop_duplicates(["entity_kind", "entity_id"])
    role = ent["role"] if "role" in ent.columns else pd.Series(None, index=ent.index)
    ent = ent.assign(rule_set=[rules.rule_set_of(k, None if pd.isna(r) else str(r))
                               for k, r in zip(ent["entity_kind"], role)])
    em_all = f[_KEY].drop_duplicates().merge(ent, on=["entity_kind", "entity_id"])

    used = {k for rs in rules.all_rule_sets().values() for k in [*rs.deductions, *(rs.pay.deductions if rs.pay else ())]}
    lost = ev.loc[ev["kind"].isin(used) & ~ev["person_id"].isin(set(f.loc[f["entity_kind"] == "person", "entity_id"]))]
    if len(lost):
        warnings.warn(f"person_events: {len(lost)} event(s) of people without facts are not scored "
                      f"({', '.join(sorted(set(lost['person_id']))[:5])})", PlanWarning, stacklevel=2)

    parts = []
    for name, rs in rules.all_rule_sets().items():
        em = em_all.loc[em_all["rule_set"] == name]
        if em.empty:
            continue
        for part in _rule_set_lines(em, f, ev, rs, as_of_ts, year):
            parts.append(part.assign(rule_set=name))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in _columns(extra)})
    lines = pd.concat([p for p in parts if len(p)], ignore_index=True)
    lines["line_order"] = lines["line_kind"].map({k: i for i, k in enumerate(LINE_KINDS)})
    lines["points"] = lines["points"].astype("float64")
    lines["amount"] = lines["amount"].astype("float64")

    g = lines.groupby(_KEY, sort=False)
    lines["total"] = np.round(g["points"].transform("sum"), 2) + 0.0
    paid = lines["line_kind"].eq("pay") & lines["scored"].astype(bool)
    has_pay = paid.groupby([lines[k] for k in _KEY], sort=False).transform("any")
    payout = np.maximum(np.round(g["amount"].transform("sum"), 2), 0.0) + 0.0
    lines["payout"] = payout.where(has_pay.to_numpy())
    lines = lines.merge(em_all[_KEY + extra], on=_KEY, how="left")
    group = ["entity_kind", "rule_set", "month"] + (["level"] if "level" in extra else [])
    totals = lines.drop_duplicates(_KEY)[group + ["entity_id", "total"]]
    totals = totals.assign(rank=totals.groupby(group, dropna=False)["total"].rank(method="min", ascending=False)
                           .astype("int64"))
    lines = lines.merge(totals[_KEY + ["rank"]], on=_KEY, how="left")
    lines = lines.sort_values(["entity_kind", "entity_id", "month", "line_order"], kind="stable")
    lines["scored"] = lines["scored"].astype(bool)
    return lines[_columns(extra)].reset_index(drop=True)


def _columns(extra: list[str]) -> list[str]:
    cols = list(SCORE_COLUMNS)
    return cols[:2] + extra + cols[2:]


def _dtype(column: str) -> str:
    if column in ("value", "target", "actual", "weight", "points", "amount", "total", "payout"):
        return "float64"
    if column == "month":
        return "datetime64[ns]"
    if column == "rank":
        return "int64"
    if column == "scored":
        return "bool"
    return "object"


def ranking(scores: pd.DataFrame) -> pd.DataFrame:
    """
    One row per scored entity and month: its rule set, total, rank and payout.

    Parameters
    ----------
    scores : DataFrame
        The result of :func:`score`.

    Returns
    -------
    DataFrame
        entity_kind, entity_id, [name, role, level], month, rule_set, total, rank, payout;
        ordered by entity kind, month, rule set, rank, entity id.
    """
    extra = [c for c in _EXTRA if c in scores.columns]
    cols = ["entity_kind", "entity_id", *extra, "month", "rule_set", "total", "rank", "payout"]
    out = scores.drop_duplicates(_KEY)[cols]
    return out.sort_values(["entity_kind", "month", "rule_set", "rank", "entity_id"], kind="stable").reset_index(
        drop=True)


def region_facts(tracking: pd.DataFrame, as_of: dt.date, *, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """
    The regions' facts for :func:`score`: each region's total line, month by closed month.

    Parameters
    ----------
    tracking : DataFrame
        The tracking frame (:data:`planlib.tracking.lines.TRACKING_COLUMNS`): region_id,
        level, breakdown, key, month, measure, target, actual, …; its ``total`` lines are read.
    as_of : date
        The months closed by then are scored.
    extra : DataFrame, optional
        Further measures: region_id, month, measure, target, actual (coverage against its
        milestone goal, expense ratio against the budget's, new terminals against plan …).

    Returns
    -------
    DataFrame
        entity_kind ("region"), entity_id, level, month, measure, target, actual (float64);
        an actual missing in a closed month counts as 0.

    Raises
    ------
    DataError
        A missing column, or ``extra`` rows of a region the tracking frame does not have.
    """
    _require(tracking, ("region_id", "level", "breakdown", "month", "measure", "target", "actual"), "tracking")
    t = tracking.loc[tracking["breakdown"].astype(str) == "total"]
    year = plan_year_of(t["month"], "tracking.month") if len(t) else pd.Timestamp(as_of).year
    months = month_starts(year)[: closed_months(check_as_of(as_of, year))]
    t = t.loc[pd.to_datetime(t["month"]).isin(months)]
    parts = [pd.DataFrame({"region_id": t["region_id"].astype(str).to_numpy(), "month": pd.to_datetime(t["month"]).to_numpy(),
                           "measure": t["measure"].astype(str).to_numpy(),
                           "target": pd.to_numeric(t["target"]).to_numpy(dtype="float64", na_value=0.0),
                           "actual": pd.to_numeric(t["actual"]).to_numpy(dtype="float64", na_value=0.0)})]
    levels = dict(zip(tracking["region_id"].astype(str), tracking["level"].astype(str)))
    if extra is not None and len(extra):
        _require(extra, ("region_id", "month", "measure", "target", "actual"), "extra")
        e = extra.loc[pd.to_datetime(extra["month"]).isin(months)]
        unknown = sorted(set(e["region_id"].astype(str)) - set(levels))
        if unknown:
            raise DataError(f"extra facts: region(s) {', '.join(unknown[:10])} not in the tracking frame; "
                            "expected regions of the plan")
        parts.append(pd.DataFrame({"region_id": e["region_id"].astype(str).to_numpy(),
                                   "month": pd.to_datetime(e["month"]).to_numpy(),
                                   "measure": e["measure"].astype(str).to_numpy(),
                                   "target": e["target"].to_numpy(dtype="float64"),
                                   "actual": e["actual"].to_numpy(dtype="float64")}))
    f = pd.concat(parts, ignore_index=True)
    out = pd.DataFrame({"entity_kind": "region", "entity_id": f["region_id"], "level": f["region_id"].map(levels),
                        "month": f["month"], "measure": f["measure"], "target": f["target"], "actual": f["actual"]})
    return out.sort_values(["entity_id", "month", "measure"], kind="stable").reset_index(drop=True)


def region_extra_facts(milestones: pd.DataFrame, control: pd.DataFrame, dual: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """
    The regions' coverage and expense-ratio facts for the last closed month, from a tracked plan.

    Parameters
    ----------
    milestones : DataFrame
        :func:`planlib.tracking.milestone_coverage`: region_id, stage, date, goal, coverage.
    control, dual : DataFrame
        :func:`planlib.tracking.budget_control`'s totals (region_id, budget_to_date,
        spend_to_date) and the dual check on actuals (region_id, target_revenue_to_date,
        actual_revenue).
    as_of : date
        The tracking date; the facts are dated to the last month closed by then (none when
        no month is closed).

    Returns
    -------
    DataFrame
        region_id, month, measure, target, actual for :func:`region_facts`'s ``extra``:

        - ``coverage``: the key terminals' coverage to date against the goal of the stage in
          force (the first milestone dated on or after the closed month's end, else the last);
        - ``expense_ratio``: spend to date / actual revenue against the phased budget / the
          target revenue to date (lower is better in the rule set).

    Notes
    -----
    expense ratio actual = spend_to_date / actual_revenue; target = budget_to_date /
    target_revenue_to_date; a region without revenue to date has no expense-ratio fact.
    """
    columns = ["region_id", "month", "measure", "target", "actual"]
    k = closed_months(pd.Timestamp(as_of))
    if k == 0:
        return pd.DataFrame(columns=columns)
    month = month_starts(pd.Timestamp(as_of).year)[k - 1]
    month_end = month + pd.offsets.MonthEnd(0)
    parts = []
    if len(milestones):
        m = milestones.assign(date=pd.to_datetime(milestones["date"]), region_id=milestones["region_id"].astype(str))
        m = m.loc[m["key_terminals"] > 0].sort_values(["region_id", "date"], kind="stable")
        due = m.loc[m["date"] >= month_end].groupby("region_id", sort=False).head(1)
        rest = m.loc[~m["region_id"].isin(due["region_id"])].groupby("region_id", sort=False).tail(1)
        stage = pd.concat([due, rest], ignore_index=True)
        parts.append(pd.DataFrame({"region_id": stage["region_id"], "month": month, "measure": "coverage",
                                   "target": stage["goal"].astype("float64"),
                                   "actual": stage["coverage"].astype("float64")}))
    if len(control) and len(dual):
        c = control.assign(region_id=control["region_id"].astype(str)).set_index("region_id")
        d = dual.assign(region_id=dual["region_id"].astype(str)).set_index("region_id")
        ids = [r for r in d.index if r in c.index]
        rev = d.loc[ids, "actual_revenue"].to_numpy(dtype="float64")
        trev = d.loc[ids, "target_revenue_to_date"].to_numpy(dtype="float64")
        ok = (rev > 0) & (trev > 0)
        parts.append(pd.DataFrame({
            "region_id": np.asarray(ids, dtype=object)[ok], "month": month, "measure": "expense_ratio",
            "target": c.loc[ids, "budget_to_date"].to_numpy(dtype="float64")[ok] / trev[ok],
            "actual": c.loc[ids, "spend_to_date"].to_numpy(dtype="float64")[ok] / rev[ok]}))
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]
