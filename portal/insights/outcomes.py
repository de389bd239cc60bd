"""The outcomes dashboard's service: which services worked, where and for how much. The figures
(analytics/outcomes.py) are computed as a stored snapshot per filter set; the page reads it and drills down the
place tree one level per click."""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from analytics import outcomes
from portal.extensions import db
from portal.insights import params as filters
from portal.insights.params import records
from portal.insights.snapshots import read, snapshot
from portal.orgs.models import SERVICE_AREAS
from portal.places.models import Place
from portal.procurement.models import CALL_MODES
from portal.projects.models import SERVICE_TYPES

SNAPSHOT = "outcomes.attainment"
MODES = (*CALL_MODES, outcomes.NO_CALL)


@dataclass
class Filters:
    place: Place | None = None
    year: int | None = None
    category: str | None = None
    service_type: str | None = None
    mode: str | None = None

    def key(self) -> dict:
        """The snapshot's params: only the filters set, so the same view always has the same key."""
        values = {"place": self.place.id if self.place else None, "year": self.year, "category": self.category,
                  "service_type": self.service_type, "mode": self.mode}
        return {name: value for name, value in values.items() if value is not None}

    def query(self, **changes) -> dict:
        """URL arguments of this view with `changes` (a drill-down keeps the other filters)."""
        values = self.key()
        values.update(changes)
        return {name: value for name, value in values.items() if value is not None}


def read_filters(args) -> Filters:
    return Filters(place=filters.place(args), year=filters.year(args),
                   category=filters.choice(args, "category", SERVICE_AREAS),
                   service_type=filters.choice(args, "service_type", SERVICE_TYPES),
                   mode=filters.choice(args, "mode", MODES))


def children_of(parent_id: int | None) -> list[dict]:
    statement = (select(Place.id, Place.name, Place.kind, Place.code)
                 .where(Place.parent_id == parent_id if parent_id is not None else Place.parent_id.is_(None))
                 .order_by(Place.code))
    return [dict(row._mapping) for row in db.session.execute(statement)]


@snapshot(SNAPSHOT, max_age=timedelta(minutes=30), defaults=[{}])
def compute(params: dict) -> dict:
    """Every figure of one view of the dashboard, as JSON."""
    place = db.session.get(Place, params["place"]) if params.get("place") else None
    scope = {"within_path": place.path if place else None, "year": params.get("year"),
             "category": params.get("category"), "service_type": params.get("service_type"),
             "mode": params.get("mode")}
    connection = db.session.connection()
    rows = outcomes.indicator_rows(connection, **scope)
    latest = outcomes.with_progress(outcomes.latest_per_indicator(rows))
    latest["child"] = outcomes.child_under(latest["place_path"], place.path if place else None)
    by_child = {row["child"]: row for row in records(outcomes.attainment_by(latest, "child"))}
    children = [{**child, **{name: by_child.get(child["id"], {}).get(name) for name in outcomes.GROUP_COLUMNS}}
                for child in children_of(place.id if place else None)]
    at_place = outcomes.overall_attainment(latest[latest["child"].isna()]) if not latest.empty else None
    units = outcomes.contract_unit_rows(connection, **scope)
    return {
        "overall": {name: filters.plain(value) for name, value in outcomes.overall_attainment(latest).items()},
        "children": children,
        "at_place": ({name: filters.plain(value) for name, value in at_place.items()}
                     if at_place and at_place["indicators"] else None),
        "by_category": records(outcomes.attainment_by(latest, "category")),
        "by_service_type": records(outcomes.attainment_by(latest, "service_type")),
        "by_mode": records(outcomes.attainment_by(latest, "mode")),
        "by_year": records(outcomes.attainment_per_year(outcomes.with_progress(rows))),
        "costs": records(outcomes.cost_per_verified_unit(units, "mode")),
        "budget_costs": records(outcomes.budget_per_outcome_unit(latest)),
    }


def dashboard(view: Filters) -> tuple[dict, object]:
    """(figures, computed_at) of a view, from its snapshot."""
    return read(SNAPSHOT, view.key())


def breadcrumbs(place: Place | None) -> list[Place]:
    """The places from the district down to `place` (one query)."""
    if place is None:
        return []
    ids = place.ancestor_ids
    found = {row.id: row for row in db.session.scalars(select(Place).where(Place.id.in_(ids)))}
    return [found[place_id] for place_id in ids if place_id in found]
