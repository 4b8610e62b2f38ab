"""
Membership tiers: propose thresholds from a spend distribution, assign members, show the
tier shape, compare two tier tables.

DOMAIN.md §9 (source: 第10篇 §1): a step is worth trying when it sits about 20% above what
a customer already spends comfortably; a healthy membership is a diamond — few at the
threshold tier, few at the brand tier, most in the middle.

A tier table is a frame ``tier, at_least, discount`` (rising ``at_least``), made by hand,
by :func:`propose_tiers`, or from a rule table by :func:`tier_table`.

Public names
------------
tier_table      a scheme's tiered discount rule as a tier table
assign_tiers    each member's tier now and after stretching to a step within reach
tier_shape      members per tier, and is_diamond: most of them in a middle tier
propose_tiers   thresholds ~20% above each spend group's comfort line
compare_tiers   tier tables side by side: members, who moves up, top-ups, cost, shape
NO_TIER         the label of members below the first step
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from planlib.errors import DataError, ParamsError
from planlib.promotions.rules import Scheme

__all__ = [
    "NO_TIER",
    "tier_table",
    "assign_tiers",
    "tier_shape",
    "is_diamond",
    "propose_tiers",
    "compare_tiers",
]

#: The tier of a member below the first step.
NO_TIER = "未入会"
_TABLE = ["tier", "at_least", "discount"]


def tier_table(scheme: Scheme, rule: str | None = None) -> pd.DataFrame:
    """
    A scheme's tiered rule as a tier table.

    Parameters
    ----------
    scheme : Scheme
    rule : str, optional
        The rule's name; default the scheme's first tiered rule.

    Returns
    -------
    DataFrame
        ``tier`` (the tier's label), ``at_least``, ``discount`` (0 where the tier gives none).

    Raises
    ------
    ParamsError
        If the scheme has no tiered rule (of that name), or a tier but the last ends
        before the next begins (``below``: a gap a tier table cannot hold).
    """
    rules = [scheme.rule(rule)] if rule is not None else [r for r in scheme.rules if r.method == "tiered"]
    if not rules or rules[0].method != "tiered":
        raise ParamsError(f"{scheme.name}: no tiered rule{' ' + repr(rule) if rule else ''}; expected a rule with "
                          f"method: tiered")
    tiers = rules[0].tiers
    gaps = [t.label() for t in tiers[:-1] if t.below is not None]
    if gaps:
        raise ParamsError(f"{scheme.name}: tier {', '.join(gaps)} ends below the next tier (below); expected a tier "
                          f"table whose tiers run up to the next one")
    return pd.DataFrame({"tier": [t.label() for t in tiers], "at_least": [float(t.at_least or 0) for t in tiers],
                         "discount": [float(t.discount or 0.0) for t in tiers]})


def _check_table(table: pd.DataFrame, what: str = "table") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(table, pd.DataFrame) or not set(_TABLE) <= set(table.columns):
        raise ParamsError(f"{what}: expected a frame with the columns {', '.join(_TABLE)}")
    if table.empty:
        raise ParamsError(f"{what}: no tiers; expected at least one")
    labels = table["tier"].astype(str).to_numpy(dtype=object)
    at = pd.to_numeric(table["at_least"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    d = pd.to_numeric(table["discount"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if not np.isfinite(at).all() or (at < 0).any():
        raise ParamsError(f"{what}: at_least must be amounts >= 0")
    if (np.diff(at) <= 0).any():
        raise ParamsError(f"{what}: at_least must rise from tier to tier (tiers that do not overlap), got "
                          f"{', '.join(f'{x:g}' for x in at)}")
    if not np.isfinite(d).all() or (d < 0).any() or (d > 1).any():
        raise ParamsError(f"{what}: discount must be fractions from 0 to 1")
    if len(set(labels)) < len(labels) or NO_TIER in labels:
        raise ParamsError(f"{what}: tier labels must differ from each other and from {NO_TIER!r}")
    return labels, at, d


def _spend(units: pd.DataFrame, measure: str) -> tuple[pd.Index, np.ndarray]:
    if not isinstance(units, pd.DataFrame) or not {"unit_id", measure} <= set(units.columns):
        raise DataError(f"units: expected a frame with the columns unit_id and {measure}")
    spend = units.groupby(units["unit_id"].astype(str), sort=True)[measure].sum(min_count=1)
    x = pd.to_numeric(spend, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(x) | (x < 0)
    if bad.any():
        raise DataError(f"units: {measure} negative, empty or not a number for {', '.join(spend.index[bad][:10])}; "
                        f"expected amounts >= 0")
    return spend.index, x


def _level(x: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Index of the highest tier whose threshold x reaches (compared at the cent); -1 below the first."""
    return np.searchsorted(np.rint(at * 100), np.rint(x * 100), side="right") - 1


def assign_tiers(units: pd.DataFrame, table: pd.DataFrame, *, stretch: float = 0.0,
                 measure: str = "amount") -> pd.DataFrame:
    """
    Each member's tier at today's spend, and after stretching to the highest step within reach.

    Parameters
    ----------
    units : DataFrame
        ``unit_id`` and the spend (``measure``); several rows of a unit add up.
    table : DataFrame
        ``tier, at_least, discount``, at_least rising.
    stretch : float, default 0
        How far above today's spend a member will go to reach a step (0.2: 20%).
    measure : str, default "amount"

    Returns
    -------
    DataFrame
        By unit_id: ``unit_id, spend, tier_now, tier`` (labels; :data:`NO_TIER` below the
        first step), ``moved_up`` (bool), ``stored`` (what the member now stores),
        ``top_up`` (stored − spend), ``discount`` (the tier's rate) and ``cost``
        (discount × stored, to the cent).

    Notes
    -----
    tier_now = the last tier with at_least <= s; tier = the last with at_least <= s (1 + r),
    r the stretch; stored = max(s, at_least of tier); moved_up when tier is above tier_now.
    With r = 0 every member keeps tier_now and stored = s, and the cost equals the rule
    table's (:func:`planlib.promotions.cost_scheme`).
    """
    labels, at, d = _check_table(table)
    if isinstance(stretch, bool) or not np.isfinite(stretch) or stretch < 0:
        raise ParamsError(f"stretch must be a fraction >= 0 (0.2 for 20%), got {stretch!r}")
    ids, s = _spend(units, measure)
    now = _level(s, at)
    reach = _level(s * (1.0 + stretch), at)
    names = np.concatenate([[NO_TIER], labels])
    stored = np.where(reach >= 0, np.maximum(s, at[np.maximum(reach, 0)]), s)
    rate = np.where(reach >= 0, d[np.maximum(reach, 0)], 0.0)
    return pd.DataFrame({
        "unit_id": ids.astype(object), "spend": s, "tier_now": names[now + 1], "tier": names[reach + 1],
        "moved_up": reach > now, "stored": stored, "top_up": stored - s, "discount": rate,
        "cost": np.round(rate * stored, 2),
    })  # fmt: skip


def tier_shape(assigned: pd.DataFrame, table: pd.DataFrame, *, column: str = "tier") -> pd.DataFrame:
    """
    Members per tier: the membership's shape.

    Parameters
    ----------
    assigned : DataFrame
        :func:`assign_tiers` output.
    table : DataFrame
        The tier table it was assigned with.
    column : {"tier", "tier_now"}, default "tier"

    Returns
    -------
    DataFrame
        ``tier, at_least, members, share`` (of all units), :data:`NO_TIER` first
        (at_least 0), then the tiers in order; shares sum to 1 (0 with no units).
    """
    labels, at, _ = _check_table(table)
    counts = assigned[column].value_counts()
    names = [NO_TIER, *labels]
    members = np.array([int(counts.get(n, 0)) for n in names], dtype=np.int64)
    total = members.sum()
    return pd.DataFrame({"tier": names, "at_least": np.concatenate([[0.0], at]), "members": members,
                         "share": members / total if total else np.zeros(len(names))})


def is_diamond(shape: pd.DataFrame) -> bool:
    """
    Whether most members sit in a middle tier: the largest tier (members, not counting
    :data:`NO_TIER`) is neither the first nor the last and outnumbers both. Needs three tiers.
    """
    m = shape.loc[shape["tier"] != NO_TIER, "members"].to_numpy()
    if len(m) < 3:
        return False
    top = m.max()
    return bool(top > m[0] and top > m[-1])


def propose_tiers(units: pd.DataFrame, *, shares: Sequence[float] = (0.25, 0.55, 0.2), comfort: float = 0.25,
                  uplift: float = 0.2, step: float = 500.0, discounts: Sequence[float] | None = (0.1, 0.2, 0.3),
                  names: Sequence[str] | None = None, measure: str = "amount") -> pd.DataFrame:
    """
    Propose tier thresholds about 20% above the comfort line of each spend group.

    Parameters
    ----------
    units : DataFrame
        ``unit_id`` and the spend (``measure``): the members (or customers) today.
    shares : sequence of float, default (0.25, 0.55, 0.2)
        The groups, lowest spenders first, as shares of the members (summing to 1): the
        threshold tier, the main tier, the brand tier — the middle largest for a diamond.
    comfort : float, default 0.25
        The comfort line's place inside its group: the spend that all but this fraction of
        the group already reach (its lower quartile by default).
    uplift : float, default 0.2
        How far above the comfort line a step sits (the source's 20%).
    step : float, default 500
        Thresholds are rounded to whole steps (half up), at least one step, and rise by
        at least one step from tier to tier.
    discounts : sequence of float, optional
        One per group; default the source's redesign 9折/8折/7折 (0.1, 0.2, 0.3) — required
        when there are not three groups.
    names : sequence of str, optional
        Tier labels; default the discounts as 折 (``9折``).
    measure : str, default "amount"

    Returns
    -------
    DataFrame
        One row per group: ``tier, at_least, discount`` (a tier table) and ``members`` (in
        the group), ``comfort`` (its comfort line), ``lowest, highest`` (its spend range).

    Raises
    ------
    ParamsError
        Shares not positive or not summing to 1, discounts of the wrong number, a bad step.
    DataError
        Fewer members than groups, a spend negative or not a number.

    Notes
    -----
    Rank the n members by spend s (ties by unit_id) and cut them into groups of
    round(n * share) members (largest remainder). Group g's comfort line is its
    ``comfort`` quantile c_g (linear interpolation): all but that fraction of the group
    already spend c_g. Its threshold is t_g = step * floor(c_g (1 + uplift) / step + 1/2),
    then t_g = max(t_g, step, t_{g-1} + step). A member who stretches at most ``uplift``
    reaches t_g when s >= t_g / (1 + uplift) ~ c_g, so before rounding about
    (1 − comfort) of each group joins its tier and the rest the tier below — the shape
    follows the shares (:func:`tier_shape` on :func:`assign_tiers` with the same stretch
    shows it after rounding).
    """
    w = np.asarray(shares, dtype=float)
    if w.ndim != 1 or len(w) == 0 or not np.isfinite(w).all() or (w <= 0).any() or abs(w.sum() - 1) > 1e-9:
        raise ParamsError(f"shares must be positive fractions summing to 1, got {list(shares)}")
    if discounts is None or len(discounts) != len(w):
        raise ParamsError(f"discounts: {len(w)} groups need {len(w)} discounts, got "
                          f"{'none' if discounts is None else len(discounts)}")
    if not (0 <= comfort < 1) or not (0 <= uplift <= 1) or not (np.isfinite(step) and step > 0):
        raise ParamsError(f"comfort must be in [0, 1), uplift in [0, 1] and step > 0; got {comfort!r}, {uplift!r}, "
                          f"{step!r}")
    _, s = _spend(units, measure)
    if len(s) < len(w):
        raise DataError(f"units: {len(s)} members cannot form {len(w)} groups; expected at least one member a group")
    order = np.lexsort((np.arange(len(s)), s))  # ids are sorted: ties by unit_id
    sizes = np.floor(w * len(s)).astype(int)
    short = len(s) - sizes.sum()
    sizes[np.argsort(-(w * len(s) - sizes), kind="stable")[:short]] += 1
    sizes = np.maximum(sizes, 1)
    while sizes.sum() > len(s):  # every group keeps a member: take back from the largest
        sizes[np.argmax(sizes)] -= 1
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    rows, prev = [], 0.0
    for g in range(len(w)):
        group = s[order[bounds[g]:bounds[g + 1]]]
        c = float(np.quantile(group, comfort))
        t = step * np.floor(c * (1 + uplift) / step + 0.5)
        t = max(t, step, prev + step if g else step)
        prev = t
        d = float(discounts[g])
        label = names[g] if names is not None else f"{round(10 * (1 - d), 1):g}折"
        rows.append((label, float(t), d, len(group), c, float(group.min()), float(group.max())))
    out = pd.DataFrame(rows, columns=[*_TABLE, "members", "comfort", "lowest", "highest"])
    _check_table(out[_TABLE], "proposed tiers")
    return out


def compare_tiers(units: pd.DataFrame, tables: Mapping[str, pd.DataFrame], *, stretch: float = 0.2,
                  measure: str = "amount") -> pd.DataFrame:
    """
    Tier tables side by side on one spend distribution.

    Parameters
    ----------
    units : DataFrame
        ``unit_id`` and the spend.
    tables : mapping name -> tier table
    stretch : float, default 0.2
        How far members stretch to reach a step (:func:`assign_tiers`).
    measure : str, default "amount"

    Returns
    -------
    DataFrame
        One row per table, in the order given: ``table, tiers, members`` (in a tier),
        ``member_share``, ``moved_up``, ``moved_up_share`` (of all units), ``top_up``
        (stored value gained), ``stored``, ``cost`` (discounts on the stored value),
        ``cost_rate`` (cost / stored), ``largest_tier``, ``largest_share`` and ``diamond``.

    Notes
    -----
    Everything is :func:`assign_tiers` with the same stretch, summed; shares divide by the
    number of units (0 when there are none).
    """
    rows = []
    for name, table in tables.items():
        a = assign_tiers(units, table, stretch=stretch, measure=measure)
        shape = tier_shape(a, table)
        inside = shape[shape["tier"] != NO_TIER]
        n = len(a)
        members = int(inside["members"].sum())
        big = inside.iloc[int(np.argmax(inside["members"].to_numpy()))]
        stored, cost = float(a["stored"].sum()), float(a["cost"].sum())
        rows.append({
            "table": name, "tiers": len(table), "members": members, "member_share": members / n if n else 0.0,
            "moved_up": int(a["moved_up"].sum()), "moved_up_share": float(a["moved_up"].mean()) if n else 0.0,
            "top_up": float(a["top_up"].sum()), "stored": stored, "cost": cost,
            "cost_rate": cost / stored if stored > 0 else 0.0, "largest_tier": big["tier"],
            "largest_share": float(big["share"]), "diamond": is_diamond(shape),
        })  # fmt: skip
    return pd.DataFrame(rows)
