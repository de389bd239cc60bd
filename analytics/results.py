"""Results framework metrics: progress of indicators toward their targets, and its chart. No Flask, no I/O.

An indicator has a baseline, a target and a direction (higher or lower is better); approved reports give
actual values per period. Progress is the share of the way from baseline to target that the actual has
covered: 0% at the baseline, 100% at the target, above 100% when the target is beaten. Moving the wrong
way is no progress (0%), not negative progress.
"""
from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from analytics.charts import FONT, RED

INCREASE, DECREASE = "increase", "decrease"  # the same codes as portal.projects.models
PALETTE = [RED, "#1d5fa8", "#1f7a45", "#9a6700", "#6f42c1", "#0f766e", "#b45309", "#475569"]

INDICATOR_COLUMNS = ["id", "name", "unit", "baseline", "target", "direction"]
REPORT_COLUMNS = ["indicator_id", "period_start", "period_end", "actual"]


def indicator_progress(baseline, target, actual, direction: str = INCREASE) -> float | None:
    """Percent of the way from `baseline` to `target` reached by `actual`; None when there is no actual.

    For "decrease" indicators (fewer falls, shorter waits) going down is progress. When the target is no
    change from the baseline (or lies on the wrong side of it) the indicator is simply met (100) or not (0).
    """
    if actual is None or pd.isna(actual):
        return None
    baseline, target, actual = float(baseline), float(target), float(actual)
    if direction == DECREASE:
        span, moved, met = baseline - target, baseline - actual, actual <= target
    else:
        span, moved, met = target - baseline, actual - baseline, actual >= target
    if span <= 0:
        return 100.0 if met else 0.0
    return max(0.0, moved / span * 100.0)


def overall_progress(progress: Iterable[float | None]) -> float | None:
    """The mean of the indicators' progress, each capped at 100% (beating one target does not hide
    missing another), an indicator with no approved actual counting as 0%. None with no indicators."""
    values = [0.0 if value is None or pd.isna(value) else min(100.0, float(value)) for value in progress]
    if not values:
        return None
    return sum(values) / len(values)


def _frame(rows, columns) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns) if not isinstance(rows, pd.DataFrame) else rows
    return frame if not frame.empty else pd.DataFrame(columns=columns)


def progress_timeline(indicators, reports) -> pd.DataFrame:
    """Every approved actual with its progress, sorted by indicator and period end.

    `indicators`: id, name, unit, baseline, target, direction. `reports`: indicator_id, period_start,
    period_end, actual (approved reports only; the caller filters). Returns indicator_id, name, unit,
    period_end, actual, progress.
    """
    indicators = _frame(indicators, INDICATOR_COLUMNS)
    reports = _frame(reports, REPORT_COLUMNS)
    columns = ["indicator_id", "name", "unit", "period_start", "period_end", "actual", "progress"]
    if reports.empty or indicators.empty:
        return pd.DataFrame(columns=columns)
    merged = reports.merge(indicators.rename(columns={"id": "indicator_id"}), on="indicator_id", how="inner")
    merged["progress"] = [indicator_progress(b, t, a, d) for b, t, a, d in
                          zip(merged["baseline"], merged["target"], merged["actual"], merged["direction"],
                              strict=True)]
    merged = merged.sort_values(["indicator_id", "period_end", "period_start"], kind="stable")
    return merged[columns].reset_index(drop=True)


def indicator_summary(indicators, reports) -> pd.DataFrame:
    """One row per indicator (in the given order): its latest approved actual (by period end) and progress."""
    indicators = _frame(indicators, INDICATOR_COLUMNS)
    timeline = progress_timeline(indicators, reports)
    latest = timeline.groupby("indicator_id", sort=False).tail(1).set_index("indicator_id")
    summary = indicators.copy()
    summary["latest_actual"] = summary["id"].map(latest["actual"]) if not latest.empty else None
    summary["latest_period_end"] = summary["id"].map(latest["period_end"]) if not latest.empty else None
    summary["progress"] = summary["id"].map(latest["progress"]) if not latest.empty else None
    summary["reports"] = summary["id"].map(timeline["indicator_id"].value_counts()).fillna(0).astype("int64")
    return summary.reset_index(drop=True)


def progress_chart(timeline: pd.DataFrame, *, title: str, axis_title: str, target_label: str) -> go.Figure:
    """A line per indicator: progress (%) at the end of each reported period, with the 100% target line.

    Indicators have different units, so the chart plots progress; the hover text gives the actual value.
    """
    figure = go.Figure()
    for number, (_indicator_id, rows) in enumerate(timeline.groupby("indicator_id", sort=False)):
        name = str(rows["name"].iloc[0])
        unit = str(rows["unit"].iloc[0])
        hover = [f"{name}<br>{pd.Timestamp(end).date().isoformat()}: {_plain(actual)} {unit}<br>{progress:.0f}%"
                 for end, actual, progress in zip(rows["period_end"], rows["actual"], rows["progress"], strict=True)]
        figure.add_trace(go.Scatter(
            x=[pd.Timestamp(end).date().isoformat() for end in rows["period_end"]],
            y=[round(float(value), 1) for value in rows["progress"]], mode="lines+markers", name=name,
            line={"color": PALETTE[number % len(PALETTE)], "width": 2}, hovertext=hover, hoverinfo="text"))
    figure.add_hline(y=100, line_dash="dash", line_color="#5c6570", annotation_text=target_label,
                     annotation_position="top left")
    top = max([110.0, *[float(v) + 10 for v in timeline["progress"]]]) if not timeline.empty else 110.0
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        font={"family": FONT, "size": 13, "color": "#1f2328"},
        height=360, margin={"l": 8, "r": 16, "t": 48, "b": 40},
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"type": "date", "gridcolor": "#d8dde3"},
        yaxis={"title": {"text": axis_title}, "range": [0, top], "ticksuffix": "%", "gridcolor": "#d8dde3"},
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def _plain(value) -> str:
    """12.50 -> '12.5', 30.00 -> '30' (actuals are stored with two decimals)."""
    number = float(value)
    return f"{number:.2f}".rstrip("0").rstrip(".") if number != int(number) else str(int(number))
