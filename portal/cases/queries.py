"""What the case pages read, each in a fixed number of queries: the signed-in user's worklist (cases they may
act on now, overdue first), their reports, a grid worker's open cases and follow-ups, the public list, the
choices of the report and dispatch forms. The rules of who may act are portal/cases/policy.py; these queries
find the same cases in SQL so a list does not ask the policy once per row."""
from sqlalchemy import and_, case, false, or_, select
from sqlalchemy.orm import joinedload

from portal.accounts import roles
from portal.accounts.scopes import assignments_of, is_platform_admin, places_with_role
from portal.cases.models import (
    CLOSED,
    DISPATCHED,
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
from portal.core.time import utcnow
from portal.extensions import db
from portal.places.models import COMMUNITY, DISTRICT, GRID, STREET, Place
from portal.procurement.models import Department

WORKLIST_LIMIT = 50  # a worklist longer than this is a queue to triage, not a page to read; overdue come first
MY_REPORTS_LIMIT = 20


def _list_options(statement):
    """What every case list shows (category, place, department) loaded with the cases, not per row."""
    return statement.options(joinedload(Case.category), joinedload(Case.place), joinedload(Case.department))


def _under(places) -> object:
    """A WHERE condition: the case's place lies within one of `places` (materialised paths, one subquery)."""
    if not places:
        return false()
    return Case.place_id.in_(select(Place.id).where(or_(*(Place.path.startswith(place.path) for place in places))))


def _overdue_first(statement):
    now = utcnow()
    overdue = case((and_(Case.next_due_at.is_not(None), Case.next_due_at < now), 0), else_=1)
    return statement.order_by(overdue, Case.next_due_at.is_(None), Case.next_due_at, Case.reported_at)


def _organisation_ids(user) -> set[int]:
    return {a.scope_id for a in assignments_of(user)
            if a.scope_type == roles.SCOPE_ORGANISATION and a.role in (roles.ORG_ADMIN, roles.ORG_MEMBER)}


def worklist(user, limit: int = WORKLIST_LIMIT) -> list[Case]:
    """Cases `user` may take a step on now, overdue first: triage (file, reject, dispatch, close) for the
    community's workers and the officials over the place, the handler's steps (accept, handle, feedback) for the
    department's officials or the contracted organisation's members, verification for the grid's worker and the
    community's, the verdict for the reporter of a closed case."""
    if not user.is_authenticated:
        return []
    triage_places = places_with_role(user, roles.COMMUNITY_WORKER, roles.OFFICIAL)
    verify_places = places_with_role(user, roles.GRID_WORKER, roles.COMMUNITY_WORKER)
    official_places = places_with_role(user, roles.OFFICIAL)
    conditions = [and_(Case.reporter_id == user.id, Case.status == CLOSED)]
    if triage_places:
        conditions.append(and_(Case.status.in_((REPORTED, FILED, VERIFIED)), _under(triage_places)))
    if verify_places:
        conditions.append(and_(Case.status == HANDLED, _under(verify_places)))
    handler_steps = or_(Case.status.in_((DISPATCHED, HANDLING)), and_(Case.status == HANDLED,
                                                                       Case.feedback_at.is_(None)))
    if official_places:
        departments = select(Department.id).join(Place, Department.place_id == Place.id).where(
            or_(*(Place.path.startswith(place.path) for place in official_places)))
        conditions.append(and_(handler_steps, Case.department_id.in_(departments)))
    organisations = _organisation_ids(user)
    if organisations:
        contracts = select(Contract.id).where(Contract.organisation_id.in_(organisations))
        conditions.append(and_(handler_steps, Case.contract_id.in_(contracts)))
    statement = _list_options(select(Case).where(or_(*conditions)))
    return list(db.session.scalars(_overdue_first(statement).limit(limit)).unique())


def my_reports(user, limit: int = MY_REPORTS_LIMIT) -> list[Case]:
    """The cases `user` reported, newest first."""
    if not user.is_authenticated:
        return []
    statement = _list_options(select(Case).where(Case.reporter_id == user.id)).order_by(Case.reported_at.desc(),
                                                                                         Case.id.desc())
    return list(db.session.scalars(statement.limit(limit)).unique())


def _grid_worker_grids(user) -> list[Place]:
    return places_with_role(user, roles.GRID_WORKER) if user.is_authenticated else []


def grid_open_cases(user, limit: int = WORKLIST_LIMIT) -> list[Case]:
    """Open cases in the grid worker's grids, overdue first."""
    grids = _grid_worker_grids(user)
    if not grids:
        return []
    statement = _list_options(select(Case).where(Case.status.in_(OPEN_STATUSES), _under(grids)))
    return list(db.session.scalars(_overdue_first(statement).limit(limit)).unique())


def follow_ups_today(user, limit: int = WORKLIST_LIMIT) -> list[Case]:
    """Handled cases in the grid worker's grids awaiting the follow-up visit (a photo on site), oldest first."""
    grids = _grid_worker_grids(user)
    if not grids:
        return []
    statement = _list_options(select(Case).where(Case.status == HANDLED, _under(grids)))
    return list(db.session.scalars(statement.order_by(Case.handled_at, Case.id).limit(limit)).unique())


def public_cases_query(status: str = ""):
    """Cases of public categories, newest first (for `paginate`): who reported them is never shown."""
    statement = _list_options(select(Case).join(CaseCategory, Case.category_id == CaseCategory.id)
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
    grids = [place for place in _grid_worker_grids(user) if place.kind == GRID]
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
