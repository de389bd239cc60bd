"""Case categories: what officials over a district or street (and platform administrators) set up, so a case is
routed to the department (or contracted organisation) that handles it, on SLA clocks, public or not."""
from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit import service as audit
from portal.cases import policy
from portal.cases.models import CaseCategory
from portal.contracts.models import Contract
from portal.core.errors import DomainError, ValidationFailed
from portal.extensions import db
from portal.places.models import DISTRICT, STREET, Place
from portal.procurement.models import Department

MAX_SLA_HOURS = 24 * 90
FIELDS = ("place_id", "code", "name", "description", "department_id", "contract_id", "accept_hours",
          "handle_hours", "feedback_hours", "is_public", "is_active")


def _snapshot(category: CaseCategory) -> dict:
    return {name: getattr(category, name) for name in FIELDS}


def _checked(actor, category: CaseCategory | None, *, place_id, code, name, description, department_id,
             contract_id, accept_hours, handle_hours, feedback_hours, is_public, is_active) -> dict:
    place = db.session.get(Place, place_id) if place_id else None
    if place is None or place.kind not in (DISTRICT, STREET):
        raise ValidationFailed(_("Choose the district or street whose cases this category covers."), field="place_id")
    if not policy.can_manage_categories(actor, place):
        raise DomainError(_("You may not manage the categories of %(place)s.", place=place.name), field="place_id")
    code, name = (code or "").strip().upper(), (name or "").strip()
    if not code or len(code) > 32 or not code.replace("_", "").replace("-", "").isalnum():
        raise ValidationFailed(_("Give a short code of letters, digits, “-” or “_” (at most 32)."), field="code")
    taken = db.session.scalar(select(CaseCategory.id).where(CaseCategory.place_id == place.id,
                                                            CaseCategory.code == code))
    if taken is not None and (category is None or taken != category.id):
        raise ValidationFailed(_("Another category of this place has the code %(code)s.", code=code), field="code")
    if not name or len(name) > 80:
        raise ValidationFailed(_("Give the category a name (at most 80 characters)."), field="name")
    department = db.session.get(Department, department_id) if department_id else None
    contract = db.session.get(Contract, contract_id) if contract_id else None
    if department_id and (department is None or department.place_id not in place.ancestor_ids):
        raise ValidationFailed(_("Choose a department on this place or above it."), field="department_id")
    if contract_id and contract is None:
        raise ValidationFailed(_("Choose one of the contracts listed."), field="contract_id")
    if department is None and contract is None:
        raise ValidationFailed(_("Choose the department (or the contracted organisation) that handles these "
                                 "cases."), field="department_id")
    hours = {}
    for field, value in (("accept_hours", accept_hours), ("handle_hours", handle_hours),
                         ("feedback_hours", feedback_hours)):
        if value is None or not 0 < int(value) <= MAX_SLA_HOURS:
            raise ValidationFailed(_("Give a number of hours from 1 to %(most)d.", most=MAX_SLA_HOURS), field=field)
        hours[field] = int(value)
    return {"place_id": place.id, "code": code, "name": name, "description": (description or "").strip(),
            "department_id": getattr(department, "id", None), "contract_id": getattr(contract, "id", None),
            "is_public": bool(is_public), "is_active": bool(is_active), **hours}


def create_category(actor, **fields) -> CaseCategory:
    category = CaseCategory(**_checked(actor, None, **fields))
    db.session.add(category)
    db.session.flush()
    audit.record("case_category.created", "case_category", category.id, actor=actor, after=_snapshot(category))
    return category


def update_category(category: CaseCategory, actor, **fields) -> CaseCategory:
    if not policy.can_manage_category(actor, category):
        raise DomainError(_("You may not manage the categories of %(place)s.", place=category.place.name))
    before = _snapshot(category)
    for name, value in _checked(actor, category, **fields).items():
        setattr(category, name, value)
    db.session.flush()
    audit.record("case_category.updated", "case_category", category.id, actor=actor, before=before,
                 after=_snapshot(category))
    return category
