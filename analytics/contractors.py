"""Contractor performance: per organisation, from the frames of analytics/procurement.py. Pure, no Flask.

| measure | formula | none when |
|---|---|---|
| contracts, value | contracts signed; their value after amendments (`value_minor`) | - |
| on-time delivery | milestones on time (1) / milestones counted (2) | none counted |
| verified delivery share | units of verified reports / units of all reports (3) | nothing reported |
| residents' confirmation rate | sampled residents who confirmed the service / those who answered | no answer yet |
| final rating | mean of final evaluations' `overall` (the mean of the five rated areas, 1-5) | none final |
| rating trend | that mean per year in which the evaluations became final | - |

(1) the milestone's first delivery report was submitted on or before its due date (a local date). (2) due by
`as_of`, or already reported on. (3) returned reports included: their units were claimed.

The past-performance score a bid gets is not computed here: the insights service calls the contracts domain's
own function on `mean_rating`, so the page and the ranking can never disagree.
"""
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from analytics.charts import FONT, RED

PERFORMANCE_COLUMNS = ["organisation_id", "organisation", "contracts", "value_minor", "milestones_counted",
                       "milestones_on_time", "on_time_share", "reported_units", "verified_units", "verified_share",
                       "answered", "confirmed", "confirmation_rate", "evaluations", "mean_rating"]
TREND_COLUMNS = ["organisation_id", "year", "contracts", "value_minor", "evaluations", "mean_rating"]
LOCAL_ZONE = "Asia/Shanghai"  # the portal's time zone: a report sent at 07:00 on the due date is on time


def _ratio(numerator, denominator) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


def on_time(milestones: pd.DataFrame, as_of: date, zone: str = LOCAL_ZONE) -> pd.DataFrame:
    """Per milestone: counted (due by `as_of` or reported on) and on_time (first report sent by the due date,
    as a local date). Returns id, contract_id, counted, on_time."""
    if milestones.empty:
        return pd.DataFrame(columns=["id", "contract_id", "counted", "on_time"])
    sent = milestones["first_report_at"]
    sent_on = sent.dt.tz_convert(zone).dt.date if hasattr(sent, "dt") and sent.notna().any() else sent
    due = milestones["due_on"]
    reported = sent.notna()
    counted = reported | due.map(lambda day: day is not None and not pd.isna(day) and day <= as_of)
    punctual = [bool(flag) and d is not None and not pd.isna(d) and s <= d
                for flag, s, d in zip(reported, sent_on, due, strict=True)]
    return pd.DataFrame({"id": milestones["id"], "contract_id": milestones["contract_id"],
                         "counted": counted.astype(bool), "on_time": punctual})


def organisation_performance(contracts: pd.DataFrame, deliveries: pd.DataFrame, milestones: pd.DataFrame,
                             answers: pd.DataFrame, evaluations: pd.DataFrame, as_of: date,
                             category: str | None = None) -> pd.DataFrame:
    """One row per organisation with a contract (of `category` when given: then every measure counts only the
    contracts of that category), ordered by organisation id. See the module's table for each measure."""
    if category is not None:
        contracts = contracts[contracts["category"] == category]
    if contracts.empty:
        return pd.DataFrame(columns=PERFORMANCE_COLUMNS)
    owner = contracts.set_index("id")["organisation_id"]

    def per_organisation(frame: pd.DataFrame, columns: dict) -> pd.DataFrame:
        if frame.empty:
            return pd.DataFrame(columns=list(columns))
        frame = frame[frame["contract_id"].isin(owner.index)].copy()
        frame["organisation_id"] = frame["contract_id"].map(owner)
        return frame.groupby("organisation_id").agg(**columns)

    timely = on_time(milestones, as_of)
    timely = per_organisation(timely, {"milestones_counted": ("counted", "sum"),
                                       "milestones_on_time": ("on_time", "sum")})
    if not deliveries.empty:
        deliveries = deliveries.assign(verified_units=deliveries["units"].where(deliveries["status"] == "verified", 0))
    delivered = per_organisation(deliveries, {"reported_units": ("units", "sum"),
                                              "verified_units": ("verified_units", "sum")})
    answered = per_organisation(answers, {"answered": ("answered", "sum"), "confirmed": ("confirmed", "sum")})
    rated = per_organisation(evaluations, {"evaluations": ("overall", "size"), "mean_rating": ("overall", "mean")})

    rows = (contracts.groupby("organisation_id")
            .agg(organisation=("organisation", "first"), contracts=("id", "size"), value_minor=("value_minor", "sum")))
    for part in (timely, delivered, answered, rated):
        rows = rows.join(part, how="left")
    for name in ("milestones_counted", "milestones_on_time", "reported_units", "verified_units", "answered",
                 "confirmed", "evaluations"):
        rows[name] = rows[name].fillna(0).astype("int64")
    rows["mean_rating"] = rows["mean_rating"].astype("float64")
    rows["on_time_share"] = [_ratio(a, b) for a, b in zip(rows["milestones_on_time"], rows["milestones_counted"],
                                                          strict=True)]
    rows["verified_share"] = [_ratio(a, b) for a, b in zip(rows["verified_units"], rows["reported_units"],
                                                           strict=True)]
    rows["confirmation_rate"] = [_ratio(a, b) for a, b in zip(rows["confirmed"], rows["answered"], strict=True)]
    rows = rows.reset_index().sort_values("organisation_id").reset_index(drop=True)
    rows["value_minor"] = rows["value_minor"].astype("int64")
    return rows[PERFORMANCE_COLUMNS]


def yearly_trend(contracts: pd.DataFrame, evaluations: pd.DataFrame) -> pd.DataFrame:
    """Per organisation and year: contracts signed and their value, final evaluations and their mean rating
    (by the year each became final). Years with neither are absent."""
    keys = ["organisation_id", "year"]
    signed = (contracts.assign(year=contracts["signed_at"].dt.year)
              .groupby(keys, as_index=False).agg(contracts=("id", "size"), value_minor=("value_minor", "sum"))
              if not contracts.empty else pd.DataFrame(columns=[*keys, "contracts", "value_minor"]))
    rated = (evaluations.assign(year=evaluations["final_at"].dt.year)
             .groupby(keys, as_index=False).agg(evaluations=("overall", "size"), mean_rating=("overall", "mean"))
             if not evaluations.empty else pd.DataFrame(columns=[*keys, "evaluations", "mean_rating"]))
    if signed.empty and rated.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    trend = signed.merge(rated, on=keys, how="outer")
    for name in ("contracts", "value_minor", "evaluations"):
        trend[name] = trend[name].fillna(0).astype("int64")
    trend["mean_rating"] = trend["mean_rating"].astype("float64")
    trend["year"] = trend["year"].astype("int64")
    trend["organisation_id"] = trend["organisation_id"].astype("int64")
    return trend.sort_values(["organisation_id", "year"]).reset_index(drop=True)[TREND_COLUMNS]


def rank_within(rows: pd.DataFrame, by: str, descending: bool = True) -> pd.DataFrame:
    """`rows` sorted by `by` (missing values last, ties by organisation id) with a 1-based `rank`."""
    ordered = rows.sort_values([by, "organisation_id"], ascending=[not descending, True], na_position="last",
                               kind="stable").reset_index(drop=True)
    ordered["rank"] = range(1, len(ordered) + 1)
    return ordered


def rating_trend_chart(trend: pd.DataFrame, *, title: str, axis_title: str) -> go.Figure:
    """The mean final rating (1-5) per year, one marker per year with final evaluations."""
    rated = trend[trend["evaluations"] > 0]
    figure = go.Figure(go.Scatter(
        x=[str(year) for year in rated["year"]], y=[round(float(v), 2) for v in rated["mean_rating"]],
        mode="lines+markers", line={"color": RED, "width": 2}, marker={"size": 9},
        hovertext=[f"{year}: {value:.2f} ({count})" for year, value, count in
                   zip(rated["year"], rated["mean_rating"], rated["evaluations"], strict=True)], hoverinfo="text"))
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        font={"family": FONT, "size": 13, "color": "#1f2328"}, height=320,
        margin={"l": 8, "r": 16, "t": 48, "b": 40}, paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"type": "category", "gridcolor": "#d8dde3"},
        yaxis={"title": {"text": axis_title}, "range": [0.5, 5.5], "dtick": 1, "gridcolor": "#d8dde3"})
    return figure
