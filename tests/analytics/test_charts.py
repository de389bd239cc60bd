"""analytics.charts: figures built from small frames."""
import json

import pandas as pd

from analytics.charts import bar_per_place, figure_data


def _streets():
    return pd.DataFrame({"id": [1, 2, 3], "code": ["S1", "S2", "S3"], "name": ["甲街道", "乙街道", "甲街道"],
                         "verified_organisations": [2, 7, 0], "district": ["区", "区", None]})


def _bar(frame):
    return bar_per_place(frame, "verified_organisations", title="T", axis_title="X", hover_label="H",
                         group="district")


def test_bar_chart_puts_the_largest_on_top():
    (bar,) = _bar(_streets()).data
    assert list(bar.x) == [0, 2, 7]  # plotly draws the last category at the top
    assert bar.orientation == "h"


def test_two_places_with_the_same_name_keep_separate_bars():
    (bar,) = _bar(_streets()).data
    assert set(bar.y) == {"甲街道 (S1)", "甲街道 (S3)", "乙街道"}


def test_figure_data_is_plain_json_for_a_data_block():
    data = figure_data(_bar(_streets()))
    assert set(data) >= {"data", "layout"}
    assert data["layout"]["title"]["text"] == "T"
    json.dumps(data)
