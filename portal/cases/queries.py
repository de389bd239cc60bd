"""Read-only lists of cases for the pages and the phone app: what a person may act on now, what they reported,
a grid worker's grid. Each is one query (plus the place lookups cached per request), whatever the rows."""
from sqlalchemy import false, or_, select
from sqlalchemy.orm import joinedload

from portal.accounts import roles
from portal.accounts.scopes import assignments_of, is_platform_admin, places_with_role
from portal.cases.models import (
    CLOSED,
    DISPATCHED,
    DISTRICT_LOOP,
    FILED,
    HANDLED,
    HANDLING,
    OPEN_STATUSES,
    REPORTED,
    VERIFIED,
    Case,
    CaseCategory,
    CaseEvent,
)
from portal.contracts.models import ACTIVE, Contract, ContractLine
from portal.extensions import db
from portal.places.models import COMMUNITY, DISTRICT, GRID, STREET, Place
from portal.procurement.models import Department

LIST_LIMIT = 200


def _under(places) -> object:
    """A condition: the case's place is one of `places` or below one."""
    if not places:
        return false()
    return Case.place_id.in_(select(Place.id).where(or_(*(Place.path.startswith(p.path) for p in places))))


def _with_labels(query):
    return query.options(joinedload(Case.category), joinedload(Case.place), joinedload(Case.department))


def _listed(condition, limit: int = LIST_LIMIT) -> list[Case]:
    # overdue (earliest deadline) first; cases with no clock running last
    query = _with_labels(select(Case).where(condition)).order_by(
        Case.next_due_at.is_(None), Case.next_due_at, Case.id).limit(limit)
    return list(db.session.scalars(query).unique())


def worklist(user, limit: int = LIST_LIMIT) -> list[Case]:
    """The cases `user` may take a step on now: file and dispatch (community workers, and district officials
    for the big loop), take up and handle (the department's officials, the contractor's people), verify (the
    grid worker), evaluate (the reporter)."""
    if not user.is_authenticated:
        return []
    community = places_with_role(user, roles.COMMUNITY_WORKER)
    grids = places_with_role(user, roles.GRID_WORKER)
    officials = places_with_role(user, roles.OFFICIAL)
    organisations = [a.scope_id for a in assignments_of(user) if a.scope_type == roles.SCOPE_ORGANISATION
                     and a.role in (roles.ORG_ADMIN, roles.ORG_MEMBER)]
    conditions = [
        _under(community) & Case.status.in_((REPORTED, FILED, VERIFIED)),
        _under(officials) & (Case.loop == DISTRICT_LOOP) & Case.status.in_((REPORTED, FILED, VERIFIED)),
        _under(grids) & (Case.status == HANDLED),
        (Case.reporter_id == user.id) & (Case.status == CLOSED),
    ]
    if officials:
        departments = select(Department.id).join(Place, Department.place_id == Place.id).where(
            or_(*(Place.path.startswith(p.path) for p in officials)))
        conditions.append(Case.department_id.in_(departments) & Case.status.in_((DISPATCHED, HANDLING)))
    if organisations:
        contracts = select(Contract.id).where(Contract.organisation_id.in_(organisations))
        conditions.append(Case.contract_id.in_(contracts) & Case.status.in_((DISPATCHED, HANDLING, HANDLED)))
    return _listed(or_(*conditions), limit)


def my_reports(user, limit: int = LIST_LIMIT) -> list[Case]:
    if not user.is_authenticated:
        return []
    query = _with_labels(select(Case).where(Case.reporter_id == user.id)).order_by(Case.reported_at.desc(),
                                                                                   Case.id.desc())
    return list(db.session.scalars(query.limit(limit)).unique())


def grid_open_cases(user, limit: int = LIST_LIMIT) -> list[Case]:
    """The open cases in the grid worker's grids."""
    return _listed(_under(places_with_role(user, roles.GRID_WORKER)) & Case.status.in_(OPEN_STATUSES), limit)


def follow_ups_today(user, limit: int = LIST_LIMIT) -> list[Case]:
    """Handled cases in the grid worker's grids waiting for the on-site check with a follow-up photo."""
    return _listed(_under(places_with_role(user, roles.GRID_WORKER)) & (Case.status == HANDLED), limit)


# --- the case pages (portal/cases/views/cases.py) -------------------------------------------------------
def public_cases_query(status: str = ""):
    """Cases of public categories, newest first (for `paginate`): who reported them is never shown."""
    statement = _with_labels(select(Case).join(CaseCategory, Case.category_id == CaseCategory.id)
                              .where(CaseCategory.is_public.is_(True)))
    if status == "open":
        statement = statement.where(Case.status.in_(OPEN_STATUSES))
    elif status:
        statement = statement.where(Case.status == status)
    return statement.order_by(Case.reported_at.desc(), Case.id.desc())


# --- form choices ----------------------------------------------------------------------------------

def report_places(user) -> list[Place]:
    """The communities and grids a report may name (those under some category's place), in tree order."""
    category_places = list(db.session.scalars(select(Place).join(CaseCategory, CaseCategory.place_id == Place.id)
                                              .where(CaseCategory.is_active.is_(True)).distinct()))
    if not category_places:
        return []
    return list(db.session.scalars(select(Place).where(
        Place.kind.in_((COMMUNITY, GRID)), or_(*(Place.path.startswith(place.path) for place in category_places)))
        .order_by(Place.path)))


def default_report_place(user) -> Place | None:
    """A grid worker reports in their grid unless they pick another place."""
    grids = [place for place in places_with_role(user, roles.GRID_WORKER) if place.kind == GRID]
    return grids[0] if grids else None


def report_categories(place: Place | None) -> list[CaseCategory]:
    """Active categories of `place` and the places above it (all active ones when no place is chosen yet)."""
    statement = select(CaseCategory).where(CaseCategory.is_active.is_(True)).order_by(CaseCategory.name)
    if place is not None:
        statement = statement.where(CaseCategory.place_id.in_(place.ancestor_ids))
    return list(db.session.scalars(statement))


def dispatch_departments(case_: Case) -> list[Department]:
    """Departments on the case's place or above it (a district bureau, a street office)."""
    return list(db.session.scalars(select(Department).where(Department.place_id.in_(case_.place.ancestor_ids))
                                   .order_by(Department.name)))


def dispatch_contracts(case_: Case) -> list[Contract]:
    """Active contracts on the case's place or above it: a contracted organisation may handle the case."""
    return list(db.session.scalars(select(Contract).where(Contract.status == ACTIVE,
                                                          Contract.place_id.in_(case_.place.ancestor_ids))
                                   .order_by(Contract.reference)))


def contract_lines(case_: Case) -> list[ContractLine]:
    if case_.contract_id is None:
        return []
    return list(db.session.scalars(select(ContractLine).where(ContractLine.contract_id == case_.contract_id)
                                   .order_by(ContractLine.id)))


# --- categories ------------------------------------------------------------------------------------

def managed_places(user) -> list[Place]:
    """The districts and streets whose categories `user` manages (every one for a platform administrator)."""
    statement = select(Place).where(Place.kind.in_((DISTRICT, STREET))).order_by(Place.path)
    if not is_platform_admin(user):
        officials = places_with_role(user, roles.OFFICIAL)
        if not officials:
            return []
        statement = statement.where(or_(*(Place.path.startswith(place.path) for place in officials)))
    return list(db.session.scalars(statement))


def categories_of(places) -> list[CaseCategory]:
    """The categories on `places`, with their place and department, by place then name."""
    if not places:
        return []
    return list(db.session.scalars(
        select(CaseCategory).options(joinedload(CaseCategory.place), joinedload(CaseCategory.department))
        .join(Place, CaseCategory.place_id == Place.id)
        .where(CaseCategory.place_id.in_([place.id for place in places]))
        .order_by(Place.path, CaseCategory.name)))


def category_departments(places) -> list[Department]:
    """Departments a category on one of `places` may route to: on those places or above them."""
    ids = {ancestor for place in places for ancestor in place.ancestor_ids}
    if not ids:
        return []
    return list(db.session.scalars(select(Department).where(Department.place_id.in_(ids)).order_by(Department.name)))


def category_contracts(places) -> list[Contract]:
    ids = {ancestor for place in places for ancestor in place.ancestor_ids}
    if not ids:
        return []
    return list(db.session.scalars(select(Contract).where(Contract.status == ACTIVE, Contract.place_id.in_(ids))
                                   .order_by(Contract.reference)))


def timeline(case_: Case) -> list[CaseEvent]:
    """The case's events, oldest first, with who took each step (one query)."""
    return list(db.session.scalars(select(CaseEvent).options(joinedload(CaseEvent.actor))
                                   .where(CaseEvent.case_id == case_.id).order_by(CaseEvent.at, CaseEvent.id)))
