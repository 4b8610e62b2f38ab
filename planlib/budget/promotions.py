"""
The plan's promotion schemes in its budget (issue #17; docs/promotions.md).

A scheme (a rule table of ``params/promotions/``) is costed once on the terminals of the
regions where it runs (:func:`planlib.promotions.plan.plan_schemes`); its cost per region
comes here as a frame, so the budget never reads a rule table itself.

Public names
------------
SCHEME_METHOD       the ``method`` of a scheme's rows in results/budget.parquet
scheme_unit_costs   each planning unit's cost of each scheme (its terminals' regions summed)
add_schemes         the schemes' rows beside the priced categories, by the category's method
phase_with_schemes  every row over the months: a scheme's by its own month profile
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from planlib.budget.caps import CENT, phase_rows, to_cents
from planlib.budget.methods import zero_based

__all__ = ["SCHEME_METHOD", "scheme_unit_costs", "add_schemes", "phase_with_schemes"]

#: The method of a scheme's budget rows (results/budget.parquet; the scheme is named in
#: results/promotions.parquet, the scheme's item in KIND_ITEMS).
SCHEME_METHOD = "scheme"
_ROW_COLUMNS = ["region_id", "terminal_id", "category", "item", "amount", "method"]


def scheme_unit_costs(costs: pd.DataFrame, unit_of: Mapping[str, str]) -> pd.DataFrame:
    """
    Each planning unit's cost of each scheme.

    Parameters
    ----------
    costs : DataFrame
        Per scheme and region its terminals are booked to: ``scheme, name, category, item,
        region_id, net_cost, expected_return`` (:attr:`planlib.promotions.plan.PlanSchemes.costs`).
    unit_of : mapping
        Region id -> the planning unit it belongs to (every region of a unit's subtree).

    Returns
    -------
    DataFrame
        ``unit, scheme, name, category, item, amount, expected_return``, one row per unit
        and scheme with a cost; ``amount`` in whole cents.

    Notes
    -----
    amount_{u,s} = round(sum over the regions r below u of max(net_cost_{r,s}, 0), cents).
    A scheme is costed on terminals, so a parent's cost is the sum of its units' (the
    budget's consolidation) and no terminal counts twice. A region outside every unit
    (above the plan's units) books nothing here.
    """
    cols = ["unit", "scheme", "name", "category", "item", "amount", "expected_return"]
    if costs is None or costs.empty:
        return pd.DataFrame(columns=cols)
    c = costs.assign(unit=costs["region_id"].map(unit_of), net=costs["net_cost"].clip(lower=0.0))
    c = c.dropna(subset=["unit"])
    out = c.groupby(["unit", "scheme", "name", "category", "item"], as_index=False, sort=True).agg(
        amount=("net", "sum"), expected_return=("expected_return", "sum"))
    out["amount"] = to_cents(out["amount"].to_numpy()) * CENT
    return out.loc[out["amount"] > 0, cols].reset_index(drop=True)


def add_schemes(unit_rows: pd.DataFrame, scheme_costs: pd.DataFrame, methods_of: Mapping[str, Mapping[str, str]],
                activities_of: Mapping[str, tuple], room: Mapping[str, float | None]) -> tuple[pd.DataFrame, list[str]]:
    """
    The schemes' rows beside the units' priced categories, as the category's method takes them.

    Parameters
    ----------
    unit_rows : DataFrame
        The units' budget rows before the caps (``region_id, terminal_id, category, item,
        amount, method``).
    scheme_costs : DataFrame
        :func:`scheme_unit_costs`.
    methods_of : mapping
        Unit -> its ``budget.methods`` (category -> method).
    activities_of : mapping
        Unit -> its zero-based activity list (:class:`planlib.params.model.Activity`).
    room : mapping
        Unit -> its cap (None: none), as ``zero_based`` funds within it.

    Returns
    -------
    (DataFrame, list of str)
        The rows with the schemes' (``method`` :data:`SCHEME_METHOD`, a ``scheme`` column
        naming the scheme on its rows) and the notes: schemes not funded, input-output
        spend replaced.

    Notes
    -----
    For unit u, scheme s of cost c_s booked to category k and item i:

    - k priced ``zero_based``: s is an activity of u's list (cost c_s, expected return
      its share of the scheme's contribution) and the list is ranked and funded from zero
      within u's cap (:func:`zero_based`); a scheme that does not return its cost, or ranks
      past the cap, is not funded (said in the notes) and books nothing;
    - k priced ``input_output``: c_s is spend already placed on its kind: u's input-output
      row of item i becomes max(io_i − c_s, 0), then s's row c_s is added;
    - any other method: s's row c_s is added to what the method priced.

    The caps apply afterwards to every row alike (:func:`planlib.budget.caps.cap_units`).
    """
    notes: list[str] = []
    if scheme_costs is None or scheme_costs.empty:
        return unit_rows, notes
    rows = unit_rows.copy()
    if "scheme" not in rows.columns:
        rows["scheme"] = None
    add, drop = [], np.zeros(len(rows), dtype=bool)
    unfunded: dict[str, list[str]] = {}
    replaced: dict[str, list[str]] = {}
    for (u, cat), mine in scheme_costs.groupby(["unit", "category"], sort=True):
        method = methods_of[u].get(cat, "percent_of_sales")
        at = (rows["region_id"] == u).to_numpy() & (rows["category"] == cat).to_numpy()
        if method == "zero_based":
            acts = [a for a in activities_of[u] if a.category == cat]
            listed = pd.DataFrame(
                [{"activity": a.name, "cost": a.cost, "expected_return": a.expected_return, "item": a.item,
                  "scheme": None} for a in acts]
                + [{"activity": f"{r.name}（{r.scheme}）", "cost": r.amount, "expected_return": r.expected_return,
                    "item": r.item, "scheme": r.scheme} for r in mine.itertuples()])
            cap = room.get(u)
            ranked = zero_based(listed[["activity", "cost", "expected_return"]], cap=cap)
            ranked = ranked.merge(listed[["activity", "item", "scheme"]], on="activity", how="left")
            for r in ranked[~ranked["funded"] & ranked["scheme"].notna()].itertuples():
                unfunded.setdefault(r.scheme, []).append(u)
            funded = ranked[ranked["funded"]]
            drop |= at & (rows["method"] == "zero_based").to_numpy()
            acts_f = funded[funded["scheme"].isna()]
            if len(acts_f):
                add.append(acts_f.groupby("item", as_index=False, sort=True)["cost"].sum().assign(
                    region_id=u, terminal_id=None, category=cat, method="zero_based", scheme=None)
                    .rename(columns={"cost": "amount"}))
            sch = funded[funded["scheme"].notna()]
            if len(sch):
                add.append(pd.DataFrame({"region_id": u, "terminal_id": None, "category": cat,
                                         "item": sch["item"].to_numpy(), "amount": sch["cost"].to_numpy(),
                                         "method": SCHEME_METHOD, "scheme": sch["scheme"].to_numpy()}))
            continue
        if method == "input_output":
            for r in mine.itertuples():
                io = np.flatnonzero(at & (rows["method"] == "input_output").to_numpy()
                                    & (rows["item"] == r.item).to_numpy())
                left = r.amount
                for k in io:  # the kind's spend already placed by the scheme
                    was = float(rows.iloc[k, rows.columns.get_loc("amount")])
                    take = min(was, left)
                    rows.iloc[k, rows.columns.get_loc("amount")] = round(was - take, 2)
                    left = round(left - take, 2)
                if len(io):
                    replaced.setdefault(r.scheme, []).append(u)
        add.append(pd.DataFrame({"region_id": u, "terminal_id": None, "category": cat, "item": mine["item"].to_numpy(),
                                 "amount": mine["amount"].to_numpy(dtype=float), "method": SCHEME_METHOD,
                                 "scheme": mine["scheme"].to_numpy()}))
    out = pd.concat([rows[~drop], *add], ignore_index=True)
    out = out[out["amount"] > 0].reset_index(drop=True)
    for s, us in unfunded.items():
        notes.append(f"scheme {s} not funded by zero_based (it returns less than it costs or ranks past the cap) in "
                     f"{len(us)} region(s): {', '.join(us[:10])}{' …' if len(us) > 10 else ''}")
    for s, us in replaced.items():
        notes.append(f"scheme {s} counted as input-output spend already placed on its kind in {len(us)} region(s)")
    return out, notes


def phase_with_schemes(rows: pd.DataFrame, month_share: pd.DataFrame, fixed, calendar, months: pd.DataFrame
                       ) -> pd.DataFrame:
    """
    Every row over the months: the schemes' by their month profile, the others as :func:`phase_rows`.

    Parameters
    ----------
    rows : DataFrame
        The units' rows after the caps, with the ``scheme`` column of :func:`add_schemes`.
    month_share, fixed, calendar
        As :func:`planlib.budget.caps.phase_rows`.
    months : DataFrame
        ``scheme, month, share`` (:attr:`planlib.promotions.plan.PlanSchemes.months`).

    Returns
    -------
    DataFrame
        The rows repeated per month (``month`` 1-12), each row's months summing exactly to
        its amount in cents (largest remainder); the ``scheme`` column dropped.

    Notes
    -----
    A scheme row's month m gets amount x share_{s,m} (its profile: the scheme's dates,
    weighted by its eligible terminals' amounts last year), nothing outside its dates.
    """
    is_scheme = rows["scheme"].notna().to_numpy() if "scheme" in rows.columns else np.zeros(len(rows), dtype=bool)
    plain = rows[~is_scheme].drop(columns="scheme", errors="ignore")
    parts = [phase_rows(plain, month_share, fixed, calendar)]
    for stem, part in rows[is_scheme].groupby("scheme", sort=True):
        profile = months[months["scheme"] == stem].set_index("month")["share"].reindex(range(1, 13), fill_value=0.0)
        shares = pd.DataFrame(np.tile(profile.to_numpy(dtype=float), (part["region_id"].nunique(), 1)),
                              index=pd.unique(part["region_id"]), columns=range(1, 13))
        parts.append(phase_rows(part.drop(columns="scheme"), shares, ()))
    return pd.concat(parts, ignore_index=True)[[*_ROW_COLUMNS, "month"]]
