"""A region's report tables (#11): volumes in whole units."""

import pandas as pd

from planlib import labels, targets
from planlib.present import tables


def test_small_volumes_print_as_whole_units():
    frame = pd.DataFrame({"target_volume": [487.0], "last_year_volume": [12.0], "volume": [999.4],
                          "market_volume": [3.0], "potential": [800.0]})
    html = tables.show_table(frame, labels=labels.LABELS, formats=labels.FORMATS).data
    assert "487.00" not in html and "487" in html and "999.40" not in html and "999" in html
    assert "12.00" not in html and "800.00" not in html


def test_launch_reading_names_the_skus_first_sold_during_last_year():
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE sales (date DATE, sku VARCHAR, grain VARCHAR, brand VARCHAR, volume DOUBLE)")
    con.execute("INSERT INTO sales VALUES ('2025-01-01', 'OLD', 'month', 'own', 5), ('2026-07-01', 'NEW', 'month', 'own', 5), "
                "('2026-01-01', 'JAN', 'month', 'own', 5), ('2026-03-01', 'RIVAL', 'month', 'other', 5)")
    skus = pd.DataFrame({"sku": ["OLD", "NEW", "JAN"], "last_year_volume": [120.0, 39_045.0, 60.0],
                         "target_volume": [130.0, 73_234.0, 66.0]})
    text = targets.launch_reading(con, skus, 2027, {"NEW": "康源果酒"})
    assert text == ("新品：NEW（康源果酒） 2026 年 7 月起才有销售，去年 6 个月 39,045 箱，2027 年按上市以来的份额计全年 "
                    "73,234 箱。其增长是补足上市前的月份，不是冲刺；各月随本区域的季节分配。")
    assert targets.launch_reading(con, skus[skus["sku"] != "NEW"], 2027) == ""  # first sold in January: a whole year
    assert targets.launch_reading(con, None, 2027) == ""
