"""Community profile by grid: who lives there (in aggregate), what residents asked for, which cases they reported,
which services run, and which catalogue items to buy where. Datasets (one SQL statement each) and pure metrics.
No Flask.

Privacy: only counts leave this module's callers, and `suppress` shows any count from 1 to THRESHOLD - 1 as
"<5", so no small group (the two people unable to care for themselves in one grid) can be picked out. Zero is
shown: it tells nothing about anyone. Cases count only categories the portal publishes (is_public).

What to buy where (`suggest`), two documented rules, each judged on a place (a grid, a community...):
  1. Elderly care: living_alone + unable_to_self_care >= ELDERLY_THRESHOLD in the place, and no active contract
     of the elderly_care category on the place, a place above it or a place within it -> the catalogue's
     elderly_care items.
  2. Stated needs: open needs of one category affecting >= NEED_THRESHOLD people (their affected counts added)
     in the place, and no active contract of that category covering it as above -> that category's items.
The catalogue items offered are those of departments on the place or above it (their catalogue applies there),
of the latest year each department has.
"""
import pandas as pd
from sqlalchemy import BigInteger, Date, Integer, String, column, func, select, table

from analytics.outcomes import child_under

THRESHOLD = 5
ELDERLY_THRESHOLD = 20
NEED_THRESHOLD = 10
ELDERLY_CARE = "elderly_care"
PROFILE_COUNTS = ("age_0_17", "age_18_59", "age_60_79", "age_80_plus", "living_alone", "unable_to_self_care")
OPEN_NEEDS = ("open", "accepted")
RUNNING_PROJECTS = ("published", "in_progress")

places = table("places", column("id", Integer), column("kind", String), column("name", String),
               column("path", String), column("population", Integer), column("households", Integer))
profiles = table("grid_profiles", column("place_id", Integer), column("as_of", Date),
                 *[column(name, Integer) for name in PROFILE_COUNTS])
needs = table("needs", column("place_id", Integer), column("category", String), column("status", String),
              column("affected_count", Integer))
cases = table("cases", column("place_id", Integer), column("category_id", Integer), column("status", String))
case_categories = table("case_categories", column("id", Integer), column("name", String),
                        column("is_public", Integer))
projects = table("service_projects", column("id", Integer), column("category", String), column("status", String))
project_places = table("project_places", column("project_id", Integer), column("place_id", Integer))
contracts = table("contracts", column("id", Integer), column("call_id", Integer), column("project_id", Integer),
                  column("place_id", Integer), column("status", String))
calls = table("calls", column("id", Integer), column("category", String))
departments = table("departments", column("id", Integer), column("place_id", Integer))
catalogue = table("catalogue_items", column("id", Integer), column("department_id", Integer), column("year", Integer),
                  column("code", String), column("name", String), column("category", String), column("unit", String),
                  column("unit_price_ceiling_minor", BigInteger))


def _frame(connection, statement) -> pd.DataFrame:
    result = connection.execute(statement)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def _within(statement, path_column, within_path):
    return statement.where(path_column.startswith(within_path, autoescape=True)) if within_path else statement


def grid_rows(connection, within_path: str | None = None) -> pd.DataFrame:
    """Every grid (in the subtree) with population, households and its ledger's counts (missing without one)."""
    statement = (select(places.c.id, places.c.name, places.c.path, places.c.population, places.c.households,
                        profiles.c.as_of, *[profiles.c[name] for name in PROFILE_COUNTS])
                 .select_from(places.outerjoin(profiles, profiles.c.place_id == places.c.id))
                 .where(places.c.kind == "grid").order_by(places.c.path))
    return _frame(connection, _within(statement, places.c.path, within_path))


def need_rows(connection, within_path: str | None = None) -> pd.DataFrame:
    """Open and accepted needs per (place, category): how many, and the people they say are affected."""
    category = func.coalesce(needs.c.category, "other")
    statement = (select(places.c.path, category.label("category"), func.count().label("needs"),
                        func.sum(needs.c.affected_count).label("affected"))
                 .select_from(needs.join(places, places.c.id == needs.c.place_id))
                 .where(needs.c.status.in_(OPEN_NEEDS)).group_by(places.c.path, category))
    return _frame(connection, _within(statement, places.c.path, within_path))


def case_rows(connection, within_path: str | None = None) -> pd.DataFrame:
    """Cases per (place, category name) in published categories, rejected ones (not a case) aside."""
    statement = (select(places.c.path, case_categories.c.name.label("category"), func.count().label("cases"))
                 .select_from(cases.join(places, places.c.id == cases.c.place_id)
                              .join(case_categories, case_categories.c.id == cases.c.category_id))
                 .where(case_categories.c.is_public.is_(True), cases.c.status != "rejected")
                 .group_by(places.c.path, case_categories.c.name))
    return _frame(connection, _within(statement, places.c.path, within_path))


def project_rows(connection, within_path: str | None = None) -> pd.DataFrame:
    """Running service projects per (place, category)."""
    statement = (select(places.c.path, projects.c.category, func.count(projects.c.id.distinct()).label("projects"))
                 .select_from(projects.join(project_places, project_places.c.project_id == projects.c.id)
                              .join(places, places.c.id == project_places.c.place_id))
                 .where(projects.c.status.in_(RUNNING_PROJECTS)).group_by(places.c.path, projects.c.category))
    return _frame(connection, _within(statement, places.c.path, within_path))


def active_contract_rows(connection) -> pd.DataFrame:
    """Active contracts: their place's path and category (the call's; without a call, the project's)."""
    statement = (select(contracts.c.id, places.c.path,
                        func.coalesce(calls.c.category, projects.c.category).label("category"))
                 .select_from(contracts.join(places, places.c.id == contracts.c.place_id)
                              .outerjoin(calls, calls.c.id == contracts.c.call_id)
                              .outerjoin(projects, projects.c.id == contracts.c.project_id))
                 .where(contracts.c.status == "active"))
    return _frame(connection, statement)


def catalogue_rows(connection) -> pd.DataFrame:
    """Every catalogue item with its department's place path."""
    statement = (select(catalogue.c.id, catalogue.c.year, catalogue.c.code, catalogue.c.name, catalogue.c.category,
                        catalogue.c.unit, catalogue.c.unit_price_ceiling_minor, catalogue.c.department_id,
                        places.c.path)
                 .select_from(catalogue.join(departments, departments.c.id == catalogue.c.department_id)
                              .join(places, places.c.id == departments.c.place_id))
                 .order_by(catalogue.c.category, catalogue.c.code))
    return _frame(connection, statement)


# --- metrics -------------------------------------------------------------------------------------------

def suppress(count, threshold: int = THRESHOLD):
    """A count fit to publish: 1 to threshold-1 become "<threshold"; 0, larger counts and None pass."""
    if count is None or pd.isna(count):
        return None
    count = int(count)
    return f"<{threshold}" if 0 < count < threshold else count


def profile_totals(grids: pd.DataFrame) -> dict:
    """The ledger counts added over `grids` (grids without a ledger add nothing), with how many have one."""
    with_ledger = grids.dropna(subset=["as_of"]) if not grids.empty else grids
    totals = {name: int(with_ledger[name].sum()) if not with_ledger.empty else 0 for name in PROFILE_COUNTS}
    totals["grids"] = len(grids)
    totals["grids_with_ledger"] = len(with_ledger)
    totals["population"] = int(grids["population"].fillna(0).sum()) if not grids.empty else 0
    return totals


def per_child(rows: pd.DataFrame, parent_path: str | None, value_columns) -> pd.DataFrame:
    """`rows` (with a `path`) added up per child of `parent_path`; rows on the parent itself go to child NA."""
    if rows.empty:
        return pd.DataFrame(columns=["child", *value_columns])
    keyed = rows.assign(child=child_under(rows["path"], parent_path))
    return keyed.groupby("child", dropna=False)[list(value_columns)].sum().reset_index()


def by_category(rows: pd.DataFrame, value_columns) -> pd.DataFrame:
    """`rows` added up per category, largest first."""
    if rows.empty:
        return pd.DataFrame(columns=["category", *value_columns])
    grouped = rows.groupby("category")[list(value_columns)].sum().reset_index()
    return grouped.sort_values([value_columns[0], "category"], ascending=[False, True]).reset_index(drop=True)


def covered(path: str, category: str, contracts_frame: pd.DataFrame) -> bool:
    """An active contract of `category` on the place at `path`, a place above it or a place within it."""
    if contracts_frame.empty:
        return False
    same = contracts_frame[contracts_frame["category"] == category]
    return any(path.startswith(other) or other.startswith(path) for other in same["path"])


def items_for(path: str, category: str, catalogue_frame: pd.DataFrame) -> list[dict]:
    """Catalogue items of `category` from departments on the place or above it, each department's latest year."""
    if catalogue_frame.empty:
        return []
    offered = catalogue_frame[(catalogue_frame["category"] == category)
                              & catalogue_frame["path"].map(lambda other: path.startswith(other))]
    if offered.empty:
        return []
    latest = offered.groupby("department_id")["year"].transform("max")
    chosen = offered[offered["year"] == latest].sort_values(["code", "id"])
    return chosen[["id", "year", "code", "name", "unit", "unit_price_ceiling_minor"]].to_dict("records")


def suggest(units: list[dict], needs_frame: pd.DataFrame, contracts_frame: pd.DataFrame,
            catalogue_frame: pd.DataFrame) -> list[dict]:
    """The module's two rules over `units` (dicts with id, name, path, living_alone, unable_to_self_care), the
    open needs (path, category, affected), the active contracts and the catalogue. One suggestion per (unit,
    category): {place_id, place_name, category, rule, figure, items}."""
    suggestions = []
    for unit in units:
        path = unit["path"]
        frail = int(unit.get("living_alone") or 0) + int(unit.get("unable_to_self_care") or 0)
        chosen = {}
        if frail >= ELDERLY_THRESHOLD and not covered(path, ELDERLY_CARE, contracts_frame):
            chosen[ELDERLY_CARE] = ("elderly", frail)
        if not needs_frame.empty:
            inside = needs_frame[needs_frame["path"].map(lambda other, p=path: other.startswith(p))]
            for category, affected in inside.groupby("category")["affected"].sum().items():
                if int(affected) >= NEED_THRESHOLD and category not in chosen \
                        and not covered(path, category, contracts_frame):
                    chosen[category] = ("needs", int(affected))
        for category, (rule, figure) in sorted(chosen.items()):
            suggestions.append({"place_id": unit["id"], "place_name": unit["name"], "category": category,
                                "rule": rule, "figure": figure, "items": items_for(path, category, catalogue_frame)})
    return suggestions
