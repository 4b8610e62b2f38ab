"""A scheme in words, for the report."""

from __future__ import annotations

from planlib.promotions import describe_scheme
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
    assert lines[0] == ("春节进货刮奖券：全部终端（渠道：tobacco_liquor、supermarket、convenience、restaurant）参加，"
                        "2027-01-01至2027-02-28。")
    assert lines[1] == "老终端（老客户）：1-2月进货额每满30,000送刮奖券1份（不足一档不计），刮奖券每终端至多20份。"
    assert lines[-1] == "奖品总数以刮奖券3,000份为限。"
    assert describe_scheme(source_scheme("salon_tiers_new"))[1] == "储值折扣：按储值金额分档，满2,000享9折；满5,000享8折；满8,000享7折。"
