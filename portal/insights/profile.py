"""The community-profile dashboard's service: a place's grids in aggregate (age bands, people living alone or
unable to care for themselves, from the grid ledgers), stated needs, cases and running services per category, and
what to buy where (analytics/profile.py's rules). Small counts are suppressed before the figures are stored, so
no stored snapshot holds one."""
from datetime import timedelta

from analytics import profile
from portal.extensions import db
from portal.insights.outcomes import children_of
from portal.insights.params import plain, records
from portal.insights.snapshots import read, snapshot
from portal.places.models import Place

SNAPSHOT = "profile.place"
SUPPRESSED = (*profile.PROFILE_COUNTS, "needs", "affected", "cases")


def _safe(row: dict) -> dict:
    return {key: (profile.suppress(value) if key in SUPPRESSED else plain(value)) for key, value in row.items()}


@snapshot(SNAPSHOT, max_age=timedelta(minutes=30), defaults=[{}])
def compute(params: dict) -> dict:
    place = db.session.get(Place, params["place"]) if params.get("place") else None
    within = place.path if place else None
    connection = db.session.connection()
    grids = profile.grid_rows(connection, within)
    need_rows = profile.need_rows(connection, within)
    case_rows = profile.case_rows(connection, within)
    project_rows = profile.project_rows(connection, within)

    children = children_of(place.id if place else None)
    grid_sums = profile.per_child(grids.fillna({name: 0 for name in profile.PROFILE_COUNTS}), within,
                                  [*profile.PROFILE_COUNTS, "population"]).set_index("child")
    need_sums = profile.per_child(need_rows, within, ["needs", "affected"]).set_index("child")
    case_sums = profile.per_child(case_rows, within, ["cases"]).set_index("child")
    rows, units = [], []
    for child in children:
        figures = {name: (int(grid_sums.at[child["id"], name]) if child["id"] in grid_sums.index else 0)
                   for name in (*profile.PROFILE_COUNTS, "population")}
        figures["needs"] = int(need_sums.at[child["id"], "needs"]) if child["id"] in need_sums.index else 0
        figures["affected"] = int(need_sums.at[child["id"], "affected"]) if child["id"] in need_sums.index else 0
        figures["cases"] = int(case_sums.at[child["id"], "cases"]) if child["id"] in case_sums.index else 0
        rows.append({**child, **figures})
        units.append({**child, "path": (within or "/") + f"{child['id']}/", **figures})
    totals = profile.profile_totals(grids)
    if place is not None and not children:  # a grid: the suggestions are about itself
        units = [{"id": place.id, "name": place.name, "path": place.path, **totals}]
    suggestions = profile.suggest(units, need_rows, profile.active_contract_rows(connection),
                                  profile.catalogue_rows(connection))
    for suggestion in suggestions:
        suggestion["figure"] = profile.suppress(suggestion["figure"])
        suggestion["items"] = [{key: plain(value) for key, value in item.items()} for item in suggestion["items"]]
    as_of = grids["as_of"].dropna() if not grids.empty else grids
    return {
        "totals": _safe(totals),
        "as_of": [str(as_of.min()), str(as_of.max())] if len(as_of) else None,
        "children": [_safe(row) for row in rows],
        "needs": [_safe(row) for row in records(profile.by_category(need_rows, ["affected", "needs"]))],
        "cases": [_safe(row) for row in records(profile.by_category(case_rows, ["cases"]))],
        "projects": records(profile.by_category(project_rows, ["projects"])),
        "suggestions": suggestions,
    }


def dashboard(place: Place | None) -> tuple[dict, object]:
    return read(SNAPSHOT, {"place": place.id} if place else {})
