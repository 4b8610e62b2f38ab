"""A region's report tables (#11): volumes in whole units."""

import pandas as pd

from planlib import labels
from planlib.present import tables


def test_small_volumes_print_as_whole_units():
    frame = pd.DataFrame({"target_volume": [487.0], "last_year_volume": [12.0], "volume": [999.4],
                          "market_volume": [3.0], "potential": [800.0]})
    html = tables.show_table(frame, labels=labels.LABELS, formats=labels.FORMATS).data
    assert "487.00" not in html and "487" in html and "999.40" not in html and "999" in html
    assert "12.00" not in html and "800.00" not in html
