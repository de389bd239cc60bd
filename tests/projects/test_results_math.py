"""analytics.results: progress toward targets on hand-made values whose answers are known."""
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from analytics.results import (
    indicator_progress,
    indicator_summary,
    overall_progress,
    progress_chart,
    progress_timeline,
)


@pytest.mark.parametrize(("baseline", "target", "actual", "direction", "expected"), [
    (0, 60, 30, "increase", 50.0),          # halfway from 0 to 60
    (80, 95, 95, "increase", 100.0),        # target met
    (80, 95, 83, "increase", 20.0),         # 3 of the 15 points
    (0, 60, 75, "increase", 125.0),         # beaten: over 100 per indicator
    (50, 100, 40, "increase", 0.0),         # went the wrong way: no progress, not negative
    (48, 12, 30, "decrease", 50.0),         # hours until found: 48 -> 30 is half of the way to 12
    (48, 12, 12, "decrease", 100.0),
    (48, 12, 6, "decrease", 116.66666666666667),
    (48, 12, 60, "decrease", 0.0),
    (2, 0, 0, "decrease", 100.0),           # accidents: 2 -> 0
    (10, 10, 10, "increase", 100.0),        # keep at 10: met
    (10, 10, 9, "increase", 0.0),           # keep at 10: not met
    (5, 10, Decimal("7.5"), "increase", 50.0),  # Numeric columns come back as Decimal
])
def test_indicator_progress(baseline, target, actual, direction, expected):
    assert indicator_progress(baseline, target, actual, direction) == pytest.approx(expected)


def test_no_actual_means_no_progress_figure():
    assert indicator_progress(0, 10, None) is None


def test_overall_progress_caps_each_indicator_and_counts_missing_as_zero():
    assert overall_progress([50.0, 100.0]) == pytest.approx(75.0)
    assert overall_progress([150.0, 50.0]) == pytest.approx(75.0)  # beating one target does not hide the other
    assert overall_progress([100.0, None]) == pytest.approx(50.0)
    assert overall_progress([]) is None


def _frames():
    indicators = pd.DataFrame([(1, "助餐人数", "人", 0, 60, "increase"), (2, "发现时长", "小时", 48, 12, "decrease"),
                               (3, "满意度", "%", 70, 90, "increase")],
                              columns=["id", "name", "unit", "baseline", "target", "direction"])
    reports = pd.DataFrame([(1, date(2026, 4, 1), date(2026, 6, 30), 45),
                            (1, date(2026, 1, 1), date(2026, 3, 31), 15),
                            (2, date(2026, 1, 1), date(2026, 3, 31), 30)],
                           columns=["indicator_id", "period_start", "period_end", "actual"])
    return indicators, reports


def test_timeline_is_sorted_by_period_with_progress():
    timeline = progress_timeline(*_frames())
    assert list(timeline["indicator_id"]) == [1, 1, 2]
    assert list(timeline["actual"]) == [15, 45, 30]
    assert list(timeline["progress"]) == pytest.approx([25.0, 75.0, 50.0])


def test_summary_takes_the_latest_period_not_the_latest_row():
    summary = indicator_summary(*_frames())
    assert list(summary["id"]) == [1, 2, 3]
    assert summary.loc[0, "latest_actual"] == 45
    assert summary.loc[0, "progress"] == pytest.approx(75.0)
    assert summary.loc[1, "progress"] == pytest.approx(50.0)
    assert pd.isna(summary.loc[2, "progress"])  # no approved value yet
    assert list(summary["reports"]) == [2, 1, 0]
    assert overall_progress(summary["progress"]) == pytest.approx((75 + 50 + 0) / 3)


def test_summary_without_reports_has_every_indicator():
    indicators, _reports = _frames()
    summary = indicator_summary(indicators, pd.DataFrame(columns=["indicator_id", "period_start", "period_end",
                                                                  "actual"]))
    assert len(summary) == 3 and summary["progress"].isna().all()


def test_chart_draws_a_line_per_indicator_and_the_target_line():
    figure = progress_chart(progress_timeline(*_frames()), title="T", axis_title="Y", target_label="目标")
    assert [trace.name for trace in figure.data] == ["助餐人数", "发现时长"]
    assert list(figure.data[0].y) == [25.0, 75.0]
    assert list(figure.data[0].x) == ["2026-03-31", "2026-06-30"]
    assert "15 人" in figure.data[0].hovertext[0]
    assert figure.layout.shapes[0].y0 == 100
