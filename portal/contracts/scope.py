"""The scope ledger against internalisation (内部化): departments using a contracted organisation as unpaid staff.

The department's side (the buyer's officials) logs every request it makes of the contractor, against the
contract line it falls under (in scope) or none (out of scope). The contractor's side logs requests it received
that cite no line (it cannot file one "in scope" for the department). The out-of-scope share per department is
public: out-of-scope requests / all requests logged on its contracts, in basis points rounded down.
"""
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.audit import service as audit
from portal.contracts import policy
from portal.contracts.models import BY_CONTRACTOR, BY_DEPARTMENT, ContractLine, ScopeRequest
from portal.core.errors import ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement.models import Department

DESCRIPTION_MIN, DESCRIPTION_MAX = 4, 2000


@dataclass(frozen=True)
class DepartmentScope:
    department_id: int
    name: str
    place_name: str
    requests: int
    out_of_scope: int

    @property
    def share_bp(self) -> int:
        return out_of_scope_share_bp(self.out_of_scope, self.requests)

    @property
    def share_percent(self) -> float:
        return self.share_bp / 100


def out_of_scope_share_bp(out_of_scope: int, requests: int) -> int:
    return out_of_scope * 10000 // requests if requests else 0


def side_of(user, contract) -> str | None:
    """The side a user logs for: the department's officials first, then the contractor's people."""
    if policy.is_buyer(user, contract):
        return BY_DEPARTMENT
    if policy.is_contractor(user, contract):
        return BY_CONTRACTOR
    return None


def log_request(contract, actor, line_id: int | None, requested_on: date | None, description) -> ScopeRequest:
    """Log a request made of the contractor on `contract`: against `line_id` (in scope) or None (out of scope)."""
    side = side_of(actor, contract)
    if side is None:
        raise ValidationFailed(_("Only the buyer's officials and the contractor keep this contract's scope ledger."))
    text = (description or "").strip()
    if len(text) < DESCRIPTION_MIN:
        raise ValidationFailed(_("Describe the request (at least %(n)d characters).", n=DESCRIPTION_MIN),
                               field="description")
    if len(text) > DESCRIPTION_MAX:
        raise ValidationFailed(_("The description is at most %(n)d characters.", n=DESCRIPTION_MAX),
                               field="description")
    if requested_on is None:
        raise ValidationFailed(_("Enter the day the request was made."), field="requested_on")
    if requested_on > utcnow().date():
        raise ValidationFailed(_("A request is logged once it was made: the day cannot be in the future."),
                               field="requested_on")
    if line_id is not None:
        if side == BY_CONTRACTOR:
            raise ValidationFailed(_("The contractor logs requests that cite no contract line; the department "
                                     "logs those within the contract."), field="line")
        line = db.session.get(ContractLine, line_id)
        if line is None or line.contract_id != contract.id:
            raise ValidationFailed(_("Choose a line of this contract, or none."), field="line")
    request = ScopeRequest(contract_id=contract.id, department_id=contract.department_id, contract_line_id=line_id,
                           requested_on=requested_on, description=text, logged_by_side=side, logged_by_id=actor.id,
                           logged_at=utcnow())
    db.session.add(request)
    db.session.flush()
    audit.record("contract.scope_request_logged", "contract", contract.id, actor=actor,
                 after={"scope_request": request.id, "side": side, "line_id": line_id,
                        "in_scope": line_id is not None, "requested_on": requested_on.isoformat()})
    return request


def requests_of(contract) -> list[ScopeRequest]:
    return list(db.session.scalars(select(ScopeRequest).where(ScopeRequest.contract_id == contract.id)
                                   .order_by(ScopeRequest.requested_on.desc(), ScopeRequest.id.desc())))


def _counts(department_ids=None) -> list[DepartmentScope]:
    from portal.places.models import Place

    statement = (select(Department.id, Department.name, Place.name, func.count(ScopeRequest.id),
                        func.count(ScopeRequest.id).filter(ScopeRequest.contract_line_id.is_(None)))
                 .join(ScopeRequest, ScopeRequest.department_id == Department.id)
                 .join(Place, Place.id == Department.place_id)
                 .group_by(Department.id, Department.name, Place.name))
    if department_ids is not None:
        statement = statement.where(Department.id.in_(department_ids))
    return [DepartmentScope(dep_id, name, place_name, int(total), int(out))
            for dep_id, name, place_name, total, out in db.session.execute(statement)]


def shares_by_department() -> list[DepartmentScope]:
    """Every department with logged requests: requests, out of scope, share; highest share first."""
    return sorted(_counts(), key=lambda row: (-row.share_bp, -row.requests, row.name))


def department_share(department_id: int) -> DepartmentScope | None:
    rows = _counts([department_id])
    return rows[0] if rows else None
