"""
A scheme in words: one sentence on who and when, one a rule, one a forfeit, for the report.

Public names
------------
describe_scheme
    The rules of a scheme as Chinese sentences (the measures named by the scheme's
    ``labels``, channels by :func:`planlib.labels.channel_label`).
"""

from __future__ import annotations

from collections.abc import Mapping

from planlib.labels import channel_label
from planlib.promotions.rules import CUSTOMERS, Scheme, num_text

__all__ = ["describe_scheme"]

_UNIT_WORDS = {"customer": "客户", "terminal": "终端", "branch": "网点", "region": "区域", "member": "会员",
               "salesperson": "营销员"}  # fmt: skip
_CUSTOMER_WORDS = {"new": "新客户", "existing": "老客户"}
_MEASURE_WORDS = {"amount": "金额", "count": "笔数", "volume": "销量"}
_ROUNDING_WORDS = {"floor": "不足一档不计", "round": "满半档按一档计", "ceil": "不足一档按一档计"}


def _things(gives: Mapping[str, float]) -> str:
    return "、".join(f"{k}{num_text(q)}份" for k, q in gives.items())


def describe_scheme(scheme: Scheme) -> list[str]:
    """
    The scheme in words, for the report: a first sentence on who and when, then one a rule,
    then one a forfeit and the pool. Channel codes show as their Chinese names
    (``tobacco_liquor`` 烟酒店; a company's own channel name as it is).

    Examples
    --------
    >>> from planlib.promotions.rules import Rule
    >>> s = Scheme(name="洗车票", unit="customer", items={"洗车票": 5},
    ...            rules=(Rule(name="存款", method="per_step", step=30000, gives={"洗车票": 1}),))
    >>> for line in describe_scheme(s):
    ...     print(line)
    洗车票：全部客户参加，全年。
    存款：金额每满30,000送洗车票1份（不足一档不计）。
    """
    unit = _UNIT_WORDS[scheme.unit]
    customers = scheme.eligible.customers
    who = f"全部{unit}" if len(customers) == len(CUSTOMERS) else "、".join(_CUSTOMER_WORDS[c] for c in customers)
    if scheme.eligible.channels:
        who += f"（渠道：{'、'.join(channel_label(c) for c in scheme.eligible.channels)}）"
    if scheme.eligible.regions:
        who += f"（区域：{'、'.join(scheme.eligible.regions)}）"
    start, end = scheme.window()
    when = f"{start or '年初'}至{end or '年末'}" if (start or end) else "全年"
    out = [f"{scheme.name}：{who}参加，{when}。"]
    words = {**_MEASURE_WORDS, **scheme.labels}
    for r in scheme.rules:
        what = words.get(r.measure, r.measure)
        only = "、".join(_CUSTOMER_WORDS[c] for c in r.eligible.customers) if len(r.eligible.customers) == 1 else ""
        lead = f"{r.name}（{only}）" if only else r.name
        if r.method == "per_step":
            text = f"{lead}：{what}每满{num_text(r.step or 0)}送{_things(r.gives)}（{_ROUNDING_WORDS[r.rounding]}）"
        elif r.method == "per_unit":
            text = f"{lead}：{what}达到{num_text(r.minimum or 0)}起，{what}每1送{_things(r.gives)}"
        else:
            steps = []
            for t in r.tiers:
                gift = _things(t.gives) if t.gives else ""
                off = f"享{t.name}" if t.discount and t.name else f"让利{t.discount:z.0%}" if t.discount else ""
                steps.append(f"满{num_text(t.at_least or 0)}{'、'.join(filter(None, (gift, off)))}")
            text = f"{lead}：按{what}分档，" + "；".join(steps)
        text += "".join(f"，且{words.get(k, k)}不少于{num_text(v)}" for k, v in r.requires.items())
        text += f"，每份奖品奖给{r.copies}人" if r.copies > 1 else ""
        text += "".join(f"，{k}每{unit}至多{num_text(v)}份" for k, v in r.cap.items())
        text += f"，让利每{unit}至多{num_text(r.discount_cap)}元" if r.discount_cap is not None else ""
        out.append(text + "。")
    for f in scheme.forfeits:
        fine = f"，并罚{num_text(f.penalty)}元" if f.penalty else ""
        out.append(f"{words.get(f.measure, f.measure)}不足{num_text(f.below)}的放弃全部奖励{fine}"
                   f"{'（' + f.reason + '）' if f.reason else ''}。")
    if scheme.pool:
        out.append("奖品总数以" + "、".join(f"{k}{num_text(v)}份" for k, v in scheme.pool.items()) + "为限。")
    return out
