"""Read-only lists of cases for the pages and the phone app: what a person may act on now, what they reported,
a grid worker's grid. Each is one query (plus the place lookups cached per request), whatever the rows."""
from sqlalchemy import false, or_, select
from sqlalchemy.orm import joinedload

from portal.accounts import roles
from portal.accounts.scopes import assignments_of, places_with_role
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
)
from portal.contracts.models import Contract
from portal.extensions import db
from portal.places.models import Place
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
