"""Charts: plotly figures built from analytics DataFrames. Text comes in as arguments (already translated)."""
import json

import pandas as pd
import plotly.graph_objects as go

RED = "#b4342d"
FONT = ('-apple-system, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
        '"Source Han Sans SC", "Segoe UI", Roboto, sans-serif')


def _unique_labels(rows: pd.DataFrame) -> list[str]:
    """Names, with the code added where two rows share a name (a category axis would merge them)."""
    counts = rows["name"].value_counts()
    return [name if counts[name] == 1 else f"{name} ({code})" for name, code in zip(rows["name"], rows["code"],
                                                                                     strict=True)]


def bar_per_place(rows: pd.DataFrame, value: str, *, axis_title: str, hover_label: str, title: str | None = None,
                  group: str | None = None) -> go.Figure:
    """A horizontal bar per row of `rows` (largest on top), e.g. verified organisations per street.

    `group` names a column (such as the district) shown in the hover text.
    """
    rows = rows.sort_values([value, "code"], ascending=[True, False])
    labels = _unique_labels(rows)
    hover = [f"{label}<br>{hover_label}: {count}" + (f"<br>{grp}" if group and pd.notna(grp) else "")
             for label, count, grp in zip(labels, rows[value], rows[group] if group else [None] * len(rows),
                                          strict=True)]
    figure = go.Figure(go.Bar(x=[int(v) for v in rows[value]], y=labels, orientation="h", marker_color=RED,
                              text=[int(v) for v in rows[value]], textposition="outside", textangle=0,
                              cliponaxis=False, hovertext=hover, hoverinfo="text"))
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}} if title else None,
        font={"family": FONT, "size": 13, "color": "#1f2328"},
        height=max(200, (90 if title else 60) + 30 * len(rows)),
        margin={"l": 8, "r": 24, "t": 48 if title else 12, "b": 40},
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"title": {"text": axis_title}, "rangemode": "tozero", "gridcolor": "#d8dde3", "tickformat": "d",
               "dtick": 1 if rows[value].max() <= 8 else None},
        yaxis={"automargin": True},
        bargap=0.25,
    )
    return figure


def figure_data(figure: go.Figure) -> dict:
    """The figure as plain JSON data (`fig.to_json()` parsed) for a <script type="application/json"> block."""
    return json.loads(figure.to_json())
