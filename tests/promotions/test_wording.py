"""A scheme in words, for the report."""

from __future__ import annotations

from planlib.promotions import describe_scheme
from planlib.promotions.plan import rules_table
from tests.promotions.conftest import source_scheme


def test_describe_scheme_says_each_rule():
    lines = describe_scheme(source_scheme("deposit_tickets"))
    assert lines == [
        "开门红定期存款洗车票：全部客户参加，2027-01-01至2027-03-31。",
        "新客户一年期定存（新客户）：定期存款金额每满30,000送洗车票1份（不足一档不计）。",
        "老客户定存或转存（老客户）：定期存款金额每满20,000送洗车票1份（不足一档不计）。",
    ]
    contest = describe_scheme(source_scheme("lead_contest"))
    assert contest[-1] == "有效客户资料份数不足40的放弃全部奖励（累计客户资料不足40份视为自动放弃奖励）。"
    assert "每份奖品奖给2人" in describe_scheme(source_scheme("prize_draw"))[1]


def test_describe_scheme_names_the_channels_pool_and_caps():
    lines = describe_scheme(source_scheme("demo_spring_tickets"))
    assert lines[0] == ("春节进货刮奖券：全部终端（渠道：烟酒店、商超、便利店、餐饮）参加，"
                        "2027-01-01至2027-02-28。")
    assert lines[1] == "老终端（老客户）：1-2月进货额每满30,000送刮奖券1份（不足一档不计），刮奖券每终端至多20份。"
    assert lines[-1] == "奖品总数以刮奖券3,000份为限。"
    assert describe_scheme(source_scheme("salon_tiers_new"))[1] == "储值折扣：按储值金额分档，满2,000享9折；满5,000享8折；满8,000享7折。"


def test_describe_scheme_keeps_a_channel_the_labels_do_not_know():
    s = source_scheme("demo_spring_tickets")
    s = s.model_copy(update={"eligible": s.eligible.model_copy(update={"channels": ("supermarket", "加油站")})})
    assert describe_scheme(s)[0].startswith("春节进货刮奖券：全部终端（渠道：商超、加油站）参加")


def test_rules_table_names_schemes_by_their_title_not_their_file():
    schemes = {"demo_spring_tickets": source_scheme("demo_spring_tickets"),
               "demo_order_reward": source_scheme("demo_order_reward")}
    table = rules_table(schemes)
    assert table.columns.tolist() == ["name", "rules"]
    assert table["name"].tolist() == ["中秋订货陈列补贴", "春节进货刮奖券"]  # the stems' order
    assert not table.apply(lambda r: r.astype(str).str.contains("demo_|tobacco_liquor")).any().any()
