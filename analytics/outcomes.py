"""Outcomes: indicator attainment by place subtree, category, service type, purchase mode and year, and the money
spent per verified unit of outcome. Datasets (one SQL statement each), pure metrics and a figure. No Flask.

Attainment of an indicator is `analytics.results.indicator_progress` of its latest approved actual (0% at the
baseline, 100% at the target); a group's attainment is `overall_progress` of its indicators: the mean, each
capped at 100%, an indicator with no approved actual counting as 0%. An indicator counts once per group even
when its project sits on several places of it.

Money per verified unit (contracts paid by verified delivery):
    paid per verified unit of kind u = sum over contracts c of paid(c) x share(c, u) / sum over c of units(c, u)
where units(c, u) are the units of c's lines measured in u (hours, visits...) in verified delivery reports,
paid(c) the contract's approved payments, and share(c, u) the part of c's verified value (units x unit price)
that lines of kind u make up: a contract with one kind of line puts all its payments on it. Units of different
kinds are never added together.

Budget per unit of outcome (service projects): for each project, its headline indicator (the first, when it is
"higher is better" and has an approved actual above 0) gives budget / actual, e.g. fen per older person served
a week; groups add budgets and actuals of the same unit: sum(budget) / sum(actual).
"""
import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import BigInteger, Date, Integer, Numeric, String, and_, column, extract, func, or_, select, table

from analytics.charts import FONT, RED
from analytics.results import indicator_progress, overall_progress

places = table("places", column("id", Integer), column("kind", String), column("name", String),
               column("parent_id", Integer), column("path", String))
projects = table("service_projects", column("id", Integer), column("category", String),
                 column("service_type", String), column("status", String), column("starts_on", Date),
                 column("ends_on", Date), column("budget_minor", BigInteger))
project_places = table("project_places", column("project_id", Integer), column("place_id", Integer))
indicators = table("indicators", column("id", Integer), column("project_id", Integer), column("unit", String),
                   column("baseline", Numeric), column("target", Numeric), column("direction", String),
                   column("position", Integer))
reports = table("indicator_reports", column("id", Integer), column("indicator_id", Integer),
                column("period_end", Date), column("actual", Numeric), column("status", String))
contracts = table("contracts", column("id", Integer), column("call_id", Integer), column("project_id", Integer),
                  column("place_id", Integer), column("status", String))
calls = table("calls", column("id", Integer), column("mode", String), column("category", String))
contract_lines = table("contract_lines", column("id", Integer), column("contract_id", Integer),
                       column("unit", String), column("unit_price_minor", BigInteger))
delivery_reports = table("delivery_reports", column("id", Integer), column("contract_id", Integer),
                         column("status", String), column("period_end", Date))
report_lines = table("report_lines", column("report_id", Integer), column("contract_line_id", Integer),
                     column("units", Integer))
contract_payments = table("contract_payments", column("contract_id", Integer), column("amount_minor", BigInteger),
                          column("status", String), column("decided_at", Date))

RUNNING_STATUSES = ("published", "in_progress", "completed")  # draft and cancelled projects promise nothing
PERCENT_UNITS = ("%", "％")  # a share reached is no unit of service: budget per percent point means nothing
NO_CALL = "none"  # a project answering no call: the organisation's own
INDICATOR_COLUMNS = ("indicator_id", "project_id", "category", "service_type", "mode", "unit", "position",
                     "direction", "baseline", "target", "budget_minor", "place_id", "place_path", "year", "actual")
UNIT_COLUMNS = ("contract_id", "category", "service_type", "mode", "place_path", "unit", "verified_units",
                "verified_value_minor", "paid_minor")
GROUP_COLUMNS = ("indicators", "reported", "met", "projects", "attainment")


def _year_bounds(year: int):
    from datetime import date
    return date(year, 1, 1), date(year, 12, 31)


def _project_mode():
    """Each project's purchase mode: the mode of the call its contract answers (a contract without a call is a
    direct grant made outside a call); projects under no contract are their organisation's own."""
    return (select(contracts.c.project_id, func.min(func.coalesce(calls.c.mode, "direct_grant")).label("mode"))
            .select_from(contracts.outerjoin(calls, calls.c.id == contracts.c.call_id))
            .where(contracts.c.project_id.is_not(None)).group_by(contracts.c.project_id).subquery("project_mode"))


def indicator_rows(connection, *, within_path: str | None = None, year: int | None = None,
                   category: str | None = None, service_type: str | None = None,
                   mode: str | None = None) -> pd.DataFrame:
    """One row per (indicator, place of its project, year of an approved actual) with the latest approved actual
    of that year; indicators without one have year and actual missing. Columns: INDICATOR_COLUMNS.

    `within_path` keeps projects on places of that subtree; `year` keeps projects running that year and only
    that year's actuals; `mode` is a call mode or "none" (projects answering no call).
    """
    report_year = extract("year", reports.c.period_end)
    ranked = (select(reports.c.indicator_id, reports.c.actual, report_year.label("year"),
                     func.row_number().over(partition_by=(reports.c.indicator_id, report_year),
                                            order_by=(reports.c.period_end.desc(), reports.c.id.desc())).label("rn"))
              .where(reports.c.status == "approved"))
    if year is not None:
        first, last = _year_bounds(year)
        ranked = ranked.where(reports.c.period_end.between(first, last))
    ranked = ranked.subquery("ranked")
    mode_of = _project_mode()
    project_mode = func.coalesce(mode_of.c.mode, NO_CALL)
    statement = (select(indicators.c.id.label("indicator_id"), projects.c.id.label("project_id"),
                        projects.c.category, projects.c.service_type, project_mode.label("mode"), indicators.c.unit,
                        indicators.c.position, indicators.c.direction, indicators.c.baseline, indicators.c.target,
                        projects.c.budget_minor, places.c.id.label("place_id"), places.c.path.label("place_path"),
                        ranked.c.year, ranked.c.actual)
                 .select_from(indicators.join(projects, projects.c.id == indicators.c.project_id)
                              .join(project_places, project_places.c.project_id == projects.c.id)
                              .join(places, places.c.id == project_places.c.place_id)
                              .outerjoin(mode_of, mode_of.c.project_id == projects.c.id)
                              .outerjoin(ranked, and_(ranked.c.indicator_id == indicators.c.id, ranked.c.rn == 1)))
                 .where(projects.c.status.in_(RUNNING_STATUSES))
                 .order_by(indicators.c.id, places.c.id, ranked.c.year))
    if within_path:
        statement = statement.where(places.c.path.startswith(within_path, autoescape=True))
    if year is not None:
        first, last = _year_bounds(year)
        statement = statement.where(or_(projects.c.starts_on.is_(None), projects.c.starts_on <= last),
                                    or_(projects.c.ends_on.is_(None), projects.c.ends_on >= first))
    if category:
        statement = statement.where(projects.c.category == category)
    if service_type:
        statement = statement.where(projects.c.service_type == service_type)
    if mode:
        statement = statement.where(project_mode == mode)
    result = connection.execute(statement)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    if frame.empty:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in INDICATOR_COLUMNS})
    for name in ("baseline", "target", "actual"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
    return frame[list(INDICATOR_COLUMNS)]


def contract_unit_rows(connection, *, within_path: str | None = None, year: int | None = None,
                       category: str | None = None, service_type: str | None = None,
                       mode: str | None = None) -> pd.DataFrame:
    """One row per (contract, unit of its lines): verified units and their value at the contract's prices, and the
    contract's approved payments (repeated on each of its units' rows). With `year`, reports whose period ends and
    payments decided that year. Category is the call's (a contract without a call: its project's)."""
    verified = (select(contract_lines.c.contract_id, contract_lines.c.unit,
                       func.sum(report_lines.c.units).label("verified_units"),
                       func.sum(report_lines.c.units * contract_lines.c.unit_price_minor).label("verified_value_minor"))
                .select_from(report_lines.join(delivery_reports, delivery_reports.c.id == report_lines.c.report_id)
                             .join(contract_lines, contract_lines.c.id == report_lines.c.contract_line_id))
                .where(delivery_reports.c.status == "verified")
                .group_by(contract_lines.c.contract_id, contract_lines.c.unit))
    paid = (select(contract_payments.c.contract_id, func.sum(contract_payments.c.amount_minor).label("paid_minor"))
            .where(contract_payments.c.status == "approved").group_by(contract_payments.c.contract_id))
    if year is not None:
        first, last = _year_bounds(year)
        verified = verified.where(delivery_reports.c.period_end.between(first, last))
        paid = paid.where(extract("year", contract_payments.c.decided_at) == year)
    verified, paid = verified.subquery("verified"), paid.subquery("paid")
    contract_category = func.coalesce(calls.c.category, projects.c.category)
    contract_mode = func.coalesce(calls.c.mode, "direct_grant")
    statement = (select(contracts.c.id.label("contract_id"), contract_category.label("category"),
                        projects.c.service_type, contract_mode.label("mode"), places.c.path.label("place_path"),
                        verified.c.unit, verified.c.verified_units, verified.c.verified_value_minor,
                        func.coalesce(paid.c.paid_minor, 0).label("paid_minor"))
                 .select_from(contracts.join(verified, verified.c.contract_id == contracts.c.id)
                              .join(places, places.c.id == contracts.c.place_id)
                              .outerjoin(calls, calls.c.id == contracts.c.call_id)
                              .outerjoin(projects, projects.c.id == contracts.c.project_id)
                              .outerjoin(paid, paid.c.contract_id == contracts.c.id))
                 .order_by(contracts.c.id, verified.c.unit))
    if within_path:
        statement = statement.where(places.c.path.startswith(within_path, autoescape=True))
    if category:
        statement = statement.where(contract_category == category)
    if service_type:
        statement = statement.where(projects.c.service_type == service_type)
    if mode:
        statement = statement.where(contract_mode == mode)
    result = connection.execute(statement)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    if frame.empty:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in UNIT_COLUMNS})
    for name in ("verified_units", "verified_value_minor", "paid_minor"):
        frame[name] = frame[name].astype("int64")
    return frame[list(UNIT_COLUMNS)]


# --- metrics -------------------------------------------------------------------------------------------

def latest_per_indicator(rows: pd.DataFrame) -> pd.DataFrame:
    """Keep each (indicator, place) once, with its latest year's actual (or none)."""
    if rows.empty:
        return rows.copy()
    ordered = rows.sort_values(["indicator_id", "place_id", "year"], na_position="first", kind="stable")
    return ordered.drop_duplicates(["indicator_id", "place_id"], keep="last").reset_index(drop=True)


def with_progress(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` with a `progress` column: indicator_progress of each row's actual (None without one)."""
    result = rows.copy()
    result["progress"] = [indicator_progress(b, t, a, d) for b, t, a, d in
                          zip(rows["baseline"], rows["target"], rows["actual"], rows["direction"], strict=True)]
    return result


def child_under(paths: pd.Series, parent_path: str | None) -> pd.Series:
    """The id of the child of `parent_path` ("/1/4/") each place path lies in ("/1/4/17/90/" -> 17); missing for
    the parent itself. `parent_path` None: the root level, so the districts (the first id of each path)."""
    depth = 0 if not parent_path else len(parent_path.strip("/").split("/"))

    def child(path):
        parts = [part for part in str(path).strip("/").split("/") if part]
        return int(parts[depth]) if len(parts) > depth else pd.NA
    return paths.map(child).astype("Int64")


def attainment_by(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per value of `key`: indicators (distinct), reported (with an actual), met (progress >= 100%), projects and
    attainment (overall_progress, 0-100). `rows` carry progress (with_progress). Rows with `key` missing drop."""
    columns = [key, *GROUP_COLUMNS]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    distinct = rows.dropna(subset=[key]).drop_duplicates(["indicator_id", key])
    groups = []
    for value, group in distinct.groupby(key, sort=True):
        progress = group["progress"]
        groups.append({key: value, "indicators": int(group["indicator_id"].nunique()),
                       "reported": int(progress.notna().sum()),
                       "met": int((progress.fillna(0) >= 100).sum()),
                       "projects": int(group["project_id"].nunique()),
                       "attainment": overall_progress(progress.tolist())})
    return pd.DataFrame(groups, columns=columns)


def overall_attainment(rows: pd.DataFrame) -> dict:
    """The same figures over every row (each indicator once)."""
    if rows.empty:
        return {"indicators": 0, "reported": 0, "met": 0, "projects": 0, "attainment": None}
    figures = attainment_by(rows.assign(_all=1), "_all").iloc[0]
    return {name: (int(figures[name]) if name != "attainment" else figures[name]) for name in GROUP_COLUMNS}


def attainment_per_year(rows: pd.DataFrame) -> pd.DataFrame:
    """Per year: the indicators with an approved actual that year and their attainment then (the latest actual of
    the year). Unreported indicators do not count here: a year is judged on what was reported in it."""
    reported = rows.dropna(subset=["year"])
    return attainment_by(reported, "year")


def cost_per_verified_unit(units: pd.DataFrame, key: str | None = None) -> pd.DataFrame:
    """Per (`key`,) unit: verified units, paid (allocated to the unit by its share of each contract's verified
    value) and paid per verified unit in minor units (the module's formula). Without `key`, per unit only."""
    keys = ([key] if key else []) + ["unit"]
    columns = [*keys, "contracts", "verified_units", "paid_minor", "per_unit_minor"]
    if units.empty:
        return pd.DataFrame(columns=columns)
    frame = units.copy()
    value_total = frame.groupby("contract_id")["verified_value_minor"].transform("sum").astype("float64")
    share = frame["verified_value_minor"].astype("float64") / value_total.where(value_total > 0)
    frame["paid_alloc"] = frame["paid_minor"].astype("float64") * share.fillna(0)
    grouped = frame.groupby(keys, sort=True).agg(contracts=("contract_id", "nunique"),
                                                 verified_units=("verified_units", "sum"),
                                                 paid_minor=("paid_alloc", "sum")).reset_index()
    grouped["paid_minor"] = grouped["paid_minor"].round().astype("int64")
    grouped["per_unit_minor"] = [paid / n if n else None for paid, n in
                                 zip(grouped["paid_minor"], grouped["verified_units"], strict=True)]
    return grouped[columns]


def budget_per_outcome_unit(rows: pd.DataFrame) -> pd.DataFrame:
    """Per indicator unit: projects, their budgets, their headline indicators' actuals and budget per unit reached
    (the module's formula). `rows` as latest_per_indicator gives them."""
    columns = ["unit", "projects", "budget_minor", "actual", "per_unit_minor"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    first = rows.sort_values(["project_id", "position", "indicator_id"]).drop_duplicates("project_id")
    headline = first[(first["direction"] == "increase") & (first["actual"].fillna(0) > 0)
                     & ~first["unit"].isin(PERCENT_UNITS)]
    if headline.empty:
        return pd.DataFrame(columns=columns)
    grouped = headline.groupby("unit", sort=True).agg(projects=("project_id", "nunique"),
                                                      budget_minor=("budget_minor", "sum"),
                                                      actual=("actual", "sum")).reset_index()
    grouped["budget_minor"] = grouped["budget_minor"].astype("int64")
    grouped["per_unit_minor"] = grouped["budget_minor"] / grouped["actual"]
    return grouped[columns]


# --- figure --------------------------------------------------------------------------------------------

def attainment_chart(labels: list[str], attainment: list[float | None], counts: list[int], *, title: str,
                     axis_title: str, hover_label: str) -> go.Figure:
    """A horizontal bar of attainment (0-100%) per row, the first row on top; the hover gives the indicators."""
    values = [round(float(value), 1) if value is not None else 0.0 for value in attainment]
    hover = [f"{label}<br>{value:.0f}%<br>{hover_label}: {count}" for label, value, count in
             zip(labels, values, counts, strict=True)]
    figure = go.Figure(go.Bar(x=values[::-1], y=labels[::-1], orientation="h", marker_color=RED,
                              text=[f"{value:.0f}%" for value in values[::-1]], textposition="outside",
                              cliponaxis=False, hovertext=hover[::-1], hoverinfo="text"))
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        font={"family": FONT, "size": 13, "color": "#1f2328"}, height=max(220, 90 + 32 * len(labels)),
        margin={"l": 8, "r": 40, "t": 48, "b": 40}, paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"title": {"text": axis_title}, "range": [0, 110], "ticksuffix": "%", "gridcolor": "#d8dde3"},
        yaxis={"automargin": True}, bargap=0.25)
    return figure
