"""The case board (issue 13, item 5): open and overdue cases by place, response / solve / satisfaction rates
per street and per handling department (Beijing's 接诉即办 figures), weekly trends and the map's points.

Read-only, and a fixed number of queries however many cases there are: the figures are SQL aggregates
grouped by the case's place and handler, rolled up to streets, communities and departments here.

- Open and overdue count cases as they are now, whenever reported; the rates and trends cover the period.
- Response rate: of the dispatched cases whose accept clock has run out or that were taken up, those taken
  up within the category's accept hours (a reopened case's clock starts again at its new dispatch).
- Solve rate: of the dispatched cases whose whole clock (accept + handle + feedback hours) has run out or
  that are closed, those closed or evaluated.
- Satisfaction rate: of the evaluated cases, those the reporter was satisfied with.

Anyone sees the figures over public categories; officials also see every category's cases in their places,
platform administrators everywhere (policy.board_private_places).
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
from sqlalchemy import Float, and_, bindparam, func, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from analytics.charts import FONT, RED, figure_data
from portal.cases.models import (
    CLOSED,
    EVALUATED,
    OPEN_STATUSES,
    REJECTED,
    SATISFIED,
    Case,
    CaseCategory,
)
from portal.contracts.models import Contract
from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.places.models import COMMUNITY, STREET, Place
from portal.procurement.models import Department

PERIODS = (30, 90)
DEFAULT_PERIOD = 30
MAX_POINTS = 1500  # the map draws the most recent cases up to this many; the tables count them all
WEEK_TIMEZONE = ZoneInfo("Asia/Shanghai")  # weeks run Monday to Sunday as the city counts them
GREEN = "#2f7d4f"


# --- a portable "hours from start to end" for the SLA clocks ----------------------------------------

class hours_between(FunctionElement):  # noqa: N801 (used like a SQL function)
    """Hours from the first timestamp to the second, in SQL: the SLA clocks compare it with a category's
    hours. PostgreSQL subtracts timestamps; SQLite (the test database) counts Julian days."""
    type = Float()
    inherit_cache = True
    name = "hours_between"


@compiles(hours_between)
def _hours_between_postgresql(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"


@compiles(hours_between, "sqlite")
def _hours_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


# --- the figures ---------------------------------------------------------------------------------

FIGURES = ("reported", "open", "overdue", "response_due", "responded", "solve_due", "solved", "evaluated",
           "satisfied", "escalated", "points", "lat_sum", "lon_sum")


@dataclass
class Figures:
    """The counts behind a row of the board; each rate is shown with the two counts it divides."""
    reported: int = 0  # in the period
    open: int = 0  # now
    overdue: int = 0  # now
    response_due: int = 0
    responded: int = 0
    solve_due: int = 0
    solved: int = 0
    evaluated: int = 0
    satisfied: int = 0
    escalated: int = 0  # in the period, into the district's big loop
    points: int = 0  # cases with a point (for the map's place clusters)
    lat_sum: float = 0.0
    lon_sum: float = 0.0

    def add(self, other: "Figures") -> None:
        for name in FIGURES:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.response_due if self.response_due else None

    @property
    def solve_rate(self) -> float | None:
        return self.solved / self.solve_due if self.solve_due else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.evaluated if self.evaluated else None

    @property
    def centroid(self) -> tuple[float, float] | None:
        return (self.lat_sum / self.points, self.lon_sum / self.points) if self.points else None

    @property
    def is_empty(self) -> bool:
        return not (self.reported or self.open)


@dataclass
class Row:
    key: str
    label: str
    figures: Figures = field(default_factory=Figures)
    place: Place | None = None
    parent_label: str = ""  # a community's street
    is_contracted: bool = False  # a contracted organisation, not a department


@dataclass
class Week:
    starts: datetime  # Monday 00:00 in the city's time zone
    reported: int
    closed: int


@dataclass
class Point:
    id: int
    reference: str
    title: str
    status: str
    overdue: bool
    latitude: float
    longitude: float


@dataclass
class Filters:
    street: Place | None = None
    department_id: int | None = None
    contract_id: int | None = None
    days: int = DEFAULT_PERIOD

    @property
    def handler_key(self) -> str:
        if self.contract_id:
            return f"contract-{self.contract_id}"
        return str(self.department_id) if self.department_id else ""

    @property
    def is_filtered(self) -> bool:
        return bool(self.street or self.department_id or self.contract_id or self.days != DEFAULT_PERIOD)


@dataclass
class Board:
    filters: Filters
    now: datetime
    totals: Figures
    streets: list[Row]
    communities: list[Row]
    handlers: list[Row]
    weeks: list[Week]
    points: list[Point]
    clusters: list[Row]  # the map's labelled places (communities, or streets when the cases span several)
    street_choices: list[Place]
    handler_choices: list[Row]
    sees_private: bool  # the figures include some non-public categories
    points_capped: bool = False
    chart: dict | None = None

    @property
    def period_start(self) -> datetime:
        return self.now - timedelta(days=self.filters.days)


def parse_filters(street_value: str, department_value: str, days_value: str, streets: list[Place]) -> Filters:
    """The board's filters from the query string; a value that names nothing is ignored (the whole city)."""
    street = next((s for s in streets if str(s.id) == (street_value or "").strip()), None)
    department_value = (department_value or "").strip()
    department_id = int(department_value) if department_value.isdigit() else None
    contract_id = None
    if department_value.startswith("contract-") and department_value[len("contract-"):].isdigit():
        contract_id = int(department_value[len("contract-"):])
    days = int(days_value) if (days_value or "").isdigit() and int(days_value) in PERIODS else DEFAULT_PERIOD
    return Filters(street=street, department_id=department_id, contract_id=contract_id, days=days)


def street_choices() -> list[Place]:
    return list(db.session.scalars(select(Place).where(Place.kind == STREET).order_by(Place.code)))


def _visible(private_places: list | None):
    """Cases of public categories, and of any category in the places where the viewer sees them all."""
    if private_places is None:
        return true()
    return or_(CaseCategory.is_public, *[Place.path.startswith(place.path) for place in private_places])


def _scoped(statement, filters: Filters, private_places):
    statement = statement.join(CaseCategory, CaseCategory.id == Case.category_id).join(
        Place, Place.id == Case.place_id).where(_visible(private_places), Case.status != REJECTED)
    if filters.street is not None:
        statement = statement.where(Place.path.startswith(filters.street.path))
    if filters.department_id:
        statement = statement.where(Case.department_id == filters.department_id)
    if filters.contract_id:
        statement = statement.where(Case.contract_id == filters.contract_id)
    return statement


def _count(condition):
    return func.count(Case.id).filter(condition)


def _grouped_figures(filters: Filters, private_places, now: datetime) -> list[tuple]:
    """One row per (case place, department, contract): the place's path and the Figures' counts."""
    at_now = bindparam("board_now", now, type_=UTCDateTime())
    in_period = Case.reported_at >= now - timedelta(days=filters.days)
    is_open = Case.status.in_(OPEN_STATUSES)
    dispatched = and_(in_period, Case.dispatched_at.is_not(None))
    taken_up = and_(Case.accepted_at.is_not(None), Case.accepted_at >= Case.dispatched_at)
    since_dispatch = hours_between(Case.dispatched_at, at_now)
    solved = Case.status.in_((CLOSED, EVALUATED))
    whole_clock = CaseCategory.accept_hours + CaseCategory.handle_hours + CaseCategory.feedback_hours
    statement = select(
        Case.place_id, Place.path, Case.department_id, Case.contract_id,
        _count(in_period),
        _count(is_open),
        _count(and_(is_open, Case.next_due_at.is_not(None), Case.next_due_at < at_now)),
        _count(and_(dispatched, or_(taken_up, since_dispatch > CaseCategory.accept_hours))),
        _count(and_(dispatched, taken_up,
                    hours_between(Case.dispatched_at, Case.accepted_at) <= CaseCategory.accept_hours)),
        _count(and_(dispatched, or_(solved, since_dispatch > whole_clock))),
        _count(and_(dispatched, solved)),
        _count(and_(in_period, Case.satisfaction.is_not(None))),
        _count(and_(in_period, Case.satisfaction == SATISFIED)),
        _count(and_(in_period, Case.escalated_at.is_not(None))),
        func.count(Case.latitude),
        func.coalesce(func.sum(Case.latitude), 0.0),
        func.coalesce(func.sum(Case.longitude), 0.0),
    ).select_from(Case)
    statement = _scoped(statement, filters, private_places).where(or_(in_period, is_open))
    statement = statement.group_by(Case.place_id, Place.path, Case.department_id, Case.contract_id)
    return list(db.session.execute(statement).all())


def _week_starts(now: datetime, days: int) -> list[datetime]:
    """Mondays (00:00 in the city) from the week holding the period's first day to this week, oldest first."""
    local = now.astimezone(WEEK_TIMEZONE)
    this_monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    first = (local - timedelta(days=days))
    first_monday = (first - timedelta(days=first.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    weeks, monday = [], first_monday
    while monday <= this_monday:
        weeks.append(monday)
        monday += timedelta(days=7)  # China keeps no summer time
    return weeks


def _weekly(filters: Filters, private_places, now: datetime) -> list[Week]:
    """Reported and closed per week, one query: a filtered count per week and kind."""
    starts = _week_starts(now, filters.days)
    bounds = [*starts, now.astimezone(WEEK_TIMEZONE) + timedelta(days=7)]
    columns = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        columns.append(_count(and_(Case.reported_at >= start, Case.reported_at < end)))
        columns.append(_count(and_(Case.closed_at >= start, Case.closed_at < end)))
    statement = _scoped(select(*columns).select_from(Case), filters, private_places).where(
        or_(Case.reported_at >= starts[0], Case.closed_at >= starts[0]))
    counts = db.session.execute(statement).one()
    return [Week(starts=start, reported=int(counts[2 * n]), closed=int(counts[2 * n + 1]))
            for n, start in enumerate(starts)]


def _points(filters: Filters, private_places, now: datetime) -> list[Point]:
    at_now = bindparam("points_now", now, type_=UTCDateTime())
    is_open = Case.status.in_(OPEN_STATUSES)
    overdue = and_(is_open, Case.next_due_at.is_not(None), Case.next_due_at < at_now)
    statement = select(Case.id, Case.reference, Case.title, Case.status, overdue, Case.latitude, Case.longitude
                       ).select_from(Case)
    statement = _scoped(statement, filters, private_places).where(
        Case.latitude.is_not(None), Case.longitude.is_not(None),
        or_(is_open, Case.reported_at >= now - timedelta(days=filters.days)))
    rows = db.session.execute(statement.order_by(Case.reported_at.desc(), Case.id.desc()).limit(MAX_POINTS + 1))
    return [Point(id=row[0], reference=row[1], title=row[2], status=row[3], overdue=bool(row[4]),
                  latitude=row[5], longitude=row[6]) for row in rows]


def _handlers(private_places) -> tuple[dict[int, str], dict[int, str]]:
    """Names of the departments and contracted organisations that categories route cases to: those of public
    categories, or of every category for a viewer who sees some non-public ones."""
    shown = CaseCategory.is_public if private_places is not None and not private_places else true()
    departments = dict(db.session.execute(
        select(Department.id, Department.name).where(Department.id.in_(
            select(CaseCategory.department_id).where(CaseCategory.department_id.is_not(None), shown)))
        .order_by(Department.name)).all())
    contracts = dict(db.session.execute(
        select(Contract.id, Organisation.name).join(Organisation, Organisation.id == Contract.organisation_id)
        .where(Contract.id.in_(select(CaseCategory.contract_id).where(CaseCategory.contract_id.is_not(None), shown)))
        .order_by(Organisation.name)).all())
    return departments, contracts


def _ancestor(path: str, depth: int) -> int | None:
    parts = [int(part) for part in path.strip("/").split("/") if part]
    return parts[depth] if len(parts) > depth else None


def case_board(filters: Filters, viewer_private_places, streets: list[Place], now: datetime | None = None,
               *, chart_labels: dict | None = None) -> Board:
    """The whole board for `filters`, as the viewer may see it (policy.board_private_places)."""
    now = now or utcnow()
    grouped = _grouped_figures(filters, viewer_private_places, now)
    street_depth, community_depth = 1, 2  # the path runs district / street / community / grid
    community_ids = {_ancestor(path, community_depth) for _pid, path, *_rest in grouped} - {None}
    streets_by_id = {street.id: street for street in streets}
    communities = {place.id: place for place in db.session.scalars(
        select(Place).where(Place.id.in_(community_ids), Place.kind == COMMUNITY))}
    departments, contracts = _handlers(viewer_private_places)

    totals = Figures()
    by_street = {street.id: Row(key=str(street.id), label=street.name, place=street) for street in streets
                 if filters.street is None or street.id == filters.street.id}
    by_community: dict[int, Row] = {}
    by_handler: dict[str, Row] = {}
    for _place_id, path, department_id, contract_id, *counts in grouped:
        figures = Figures(*[int(value) for value in counts[:-2]], float(counts[-2]), float(counts[-1]))
        totals.add(figures)
        street_id, community_id = _ancestor(path, street_depth), _ancestor(path, community_depth)
        if street_id in by_street:
            by_street[street_id].figures.add(figures)
        if community_id in communities:
            community = communities[community_id]
            row = by_community.setdefault(community_id, Row(
                key=str(community_id), label=community.name, place=community,
                parent_label=streets_by_id[street_id].name if street_id in streets_by_id else ""))
            row.figures.add(figures)
        if contract_id:
            key, label, contracted = f"contract-{contract_id}", contracts.get(contract_id, f"#{contract_id}"), True
        elif department_id:
            key, label, contracted = str(department_id), departments.get(department_id, f"#{department_id}"), False
        else:
            key, label, contracted = "", "", False  # not dispatched yet: no handler to count it against
        if key:
            by_handler.setdefault(key, Row(key=key, label=label, is_contracted=contracted)).figures.add(figures)

    points = _points(filters, viewer_private_places, now)
    capped = len(points) > MAX_POINTS
    located_streets = {row.key for row in by_street.values() if row.figures.points}
    if len(located_streets) <= 1:
        clusters = sorted((row for row in by_community.values() if row.figures.points), key=lambda r: r.place.code)
    else:
        clusters = [row for row in by_street.values() if row.figures.points]
    weeks = _weekly(filters, viewer_private_places, now)
    handler_choices = ([Row(key=str(i), label=name) for i, name in departments.items()]
                       + [Row(key=f"contract-{i}", label=name, is_contracted=True) for i, name in contracts.items()])
    return Board(
        filters=filters, now=now, totals=totals, streets=list(by_street.values()),
        communities=sorted(by_community.values(), key=lambda row: row.place.code),
        handlers=sorted(by_handler.values(), key=lambda row: (row.is_contracted, row.label)), weeks=weeks,
        points=points[:MAX_POINTS], points_capped=capped, clusters=clusters, street_choices=streets,
        handler_choices=handler_choices, sees_private=viewer_private_places is None or bool(viewer_private_places),
        chart=trend_chart(weeks, **(chart_labels or {})) if any(w.reported or w.closed for w in weeks) else None)


def trend_chart(weeks: list[Week], *, reported: str = "Reported", closed: str = "Closed",
                axis_title: str = "Cases") -> dict:
    """Reported and closed cases per week, two lines on the weeks' Mondays."""
    x = [week.starts.date().isoformat() for week in weeks]
    figure = go.Figure([
        go.Scatter(x=x, y=[week.reported for week in weeks], name=reported, mode="lines+markers",
                   line={"color": RED, "width": 2}, marker={"size": 8}),
        go.Scatter(x=x, y=[week.closed for week in weeks], name=closed, mode="lines+markers",
                   line={"color": GREEN, "width": 2, "dash": "dash"}, marker={"size": 8, "symbol": "square"}),
    ])
    figure.update_layout(
        font={"family": FONT, "size": 13, "color": "#1f2328"}, height=300,
        margin={"l": 8, "r": 16, "t": 16, "b": 40}, paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.2}, xaxis={"type": "date", "gridcolor": "#d8dde3"},
        yaxis={"title": {"text": axis_title}, "rangemode": "tozero", "gridcolor": "#d8dde3", "tickformat": "d"})
    return figure_data(figure)

