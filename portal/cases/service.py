"""Grid cases: reporting, the loop's steps, escalation and the links to needs and contracts.

Every step goes through `steps.take_step` (the table of named steps, the clocks, the timeline and the
audit); this module checks the input and who acts, and sets the next SLA deadline from the category's clocks:

| step       | clock that starts      | category hours  |
|------------|------------------------|-----------------|
| report     | file and dispatch      | accept_hours    |
| dispatch   | the handler takes it up| accept_hours    |
| accept     | handle                 | handle_hours    |
| handle     | tell the reporter      | feedback_hours  |
| feedback   | verify on site         | feedback_hours  |

A street-loop case whose clock has run out is escalated to the district's big loop by the background worker
(`escalate_overdue_cases`), exactly once (`steps.claim_escalation`).
"""
import math
import uuid
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit import service as audit
from portal.cases import policy
from portal.cases.models import (
    FOLLOW_UP_PHOTO,
    HANDLING_PHOTO,
    OPEN_STATUSES,
    REPORT_PHOTO,
    REPORTED,
    STREET_LOOP,
    UNSATISFIED,
    Case,
    CaseCategory,
    CaseEvent,
)
from portal.cases.photos import store_stripped, strip_photos
from portal.cases.steps import claim_escalation, take_step
from portal.contracts import scope
from portal.contracts.models import Contract
from portal.core.errors import DomainError, ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.needs.service import post_need
from portal.notifications import service as notifications
from portal.places.models import Place
from portal.procurement.models import Department

TITLE_MAX, TEXT_MAX, NOTE_MAX = 120, 5000, 2000
DUPLICATE_METRES = 150
VIAS = ("web", "phone_app", "open311", "api")  # api: POST /api/v1/cases (portal/api/views.py)


class NotAllowed(DomainError):
    """The person may not take this step on this case (the views' policy already answers 404)."""

    status_code = 403

    def __init__(self):
        super().__init__(_("You cannot take this step on this case."), code="forbidden")


def _allowed(check) -> None:
    if not check:
        raise NotAllowed()


def _text(value, field: str, limit: int, required: str | None = None) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(required, field=field)
    if len(text) > limit:
        raise ValidationFailed(_("At most %(n)d characters.", n=limit), field=field)
    return text


# --- places and points ---------------------------------------------------------------------------------
def city_bounds() -> tuple[float, float, float, float]:
    """(south, west, north, east) of the city a case's point must lie in (CASE_CITY_BOUNDS)."""
    south, west, north, east = (float(part) for part in current_app.config["CASE_CITY_BOUNDS"].split(","))
    return south, west, north, east


def check_point(latitude, longitude, field: str = "latitude") -> tuple[float | None, float | None]:
    """Both or neither; numbers inside the city. Returns them as floats."""
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    try:
        latitude, longitude = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Give both a latitude and a longitude in degrees, or neither."),
                               field=field) from None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        raise ValidationFailed(_("Give both a latitude and a longitude in degrees, or neither."), field=field)
    south, west, north, east = city_bounds()
    if not (south <= latitude <= north and west <= longitude <= east):
        raise ValidationFailed(_("This point is outside the city the portal serves."), field=field)
    return round(latitude, 6), round(longitude, 6)


def categories_for(place: Place | None) -> list[CaseCategory]:
    """The active categories of `place` and of the places above it (a street's categories reach its grids)."""
    if place is None:
        return []
    return list(db.session.scalars(select(CaseCategory).where(
        CaseCategory.place_id.in_(place.ancestor_ids), CaseCategory.is_active.is_(True))
        .order_by(CaseCategory.name, CaseCategory.id)))


def _distance_metres(lat1, lon1, lat2, lon2) -> float:
    radius = 6_371_000
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


def likely_duplicates(category_id: int, latitude=None, longitude=None, place_id: int | None = None,
                      exclude_id: int | None = None, limit: int = 5) -> list[Case]:
    """Open cases of the same category within DUPLICATE_METRES of the point (or in the same place, without one),
    nearest first: shown to the reporter and to the community worker who files it."""
    query = select(Case).where(Case.category_id == category_id, Case.status.in_(OPEN_STATUSES))
    if exclude_id is not None:
        query = query.where(Case.id != exclude_id)
    if latitude is None or longitude is None:
        if place_id is None:
            return []
        return list(db.session.scalars(query.where(Case.place_id == place_id)
                                       .order_by(Case.reported_at.desc()).limit(limit)))
    d_lat = DUPLICATE_METRES / 111_000
    d_lon = d_lat / max(math.cos(math.radians(latitude)), 0.01)
    nearby = db.session.scalars(query.where(Case.latitude.between(latitude - d_lat, latitude + d_lat),
                                            Case.longitude.between(longitude - d_lon, longitude + d_lon)))
    found = [(distance, case) for case in nearby
             if (distance := _distance_metres(latitude, longitude, case.latitude, case.longitude)) <= DUPLICATE_METRES]
    return [case for _distance, case in sorted(found, key=lambda pair: (pair[0], pair[1].id))[:limit]]


# --- reporting ---------------------------------------------------------------------------------------------
def _category(category_id) -> CaseCategory:
    try:
        category = db.session.get(CaseCategory, int(category_id))
    except (TypeError, ValueError):
        category = None
    if category is None or not category.is_active:
        raise ValidationFailed(_("Choose a kind of case from the list."), field="category_id")
    return category


def _place(category: CaseCategory, place_id) -> Place:
    if place_id in (None, ""):
        return category.place
    try:
        place = db.session.get(Place, int(place_id))
    except (TypeError, ValueError):
        place = None
    if place is None or not place.is_within(category.place):
        raise ValidationFailed(_("Choose a place where this kind of case is handled."), field="place_id")
    return place


def report_case(reporter, *, category_id, title, description="", place_id=None, latitude=None, longitude=None,
                photos=(), idempotency_key=None, via: str = "web", reporter_name: str = "") -> tuple[Case, bool]:
    """A new case, or the one an earlier send of the same report made (a phone's offline queue resends with
    the same idempotency key): (case, created)."""
    key = (idempotency_key or "").strip() or None
    if key is not None:
        if len(key) > 64:
            raise ValidationFailed(_("The report's key is too long."), field="idempotency_key")
        existing = db.session.scalar(select(Case).where(Case.idempotency_key == key))
        if existing is not None:
            return existing, False
    if via not in VIAS:
        raise ValidationFailed(_("Unknown channel."), field="via")
    category = _category(category_id)
    place = _place(category, place_id)
    title = _text(title, "title", TITLE_MAX, _("Say in a few words what is wrong."))
    description = _text(description, "description", TEXT_MAX)
    reporter_name = _text(reporter_name, "reporter_name", 80)
    latitude, longitude = check_point(latitude, longitude)
    stripped = strip_photos(photos)
    if latitude is None and stripped:
        located = next((photo for photo in stripped if photo.latitude is not None), None)
        if located is not None:
            try:
                latitude, longitude = check_point(located.latitude, located.longitude, field="photos")
            except ValidationFailed:
                latitude = longitude = None  # a photo taken elsewhere places nothing; the reporter's place stands
    now = utcnow()
    case = Case(reference=f"tmp-{uuid.uuid4().hex[:24]}", category_id=category.id, place_id=place.id,
                latitude=latitude, longitude=longitude, title=title, description=description, status=REPORTED,
                loop=STREET_LOOP, reporter_id=getattr(reporter, "id", None), reporter_name=reporter_name,
                reported_via=via, idempotency_key=key, department_id=category.department_id,
                contract_id=category.contract_id, reported_at=now,
                next_due_at=now + timedelta(hours=category.accept_hours))
    try:
        with db.session.begin_nested():
            db.session.add(case)
            db.session.flush()
    except IntegrityError:
        # the same key sent twice at once: the other request made the case
        existing = db.session.scalar(select(Case).where(Case.idempotency_key == key)) if key else None
        if existing is None:
            raise
        return existing, False
    case.reference = f"AJ-{now:%Y%m%d}-{case.id:05d}"
    store_stripped(case, stripped, REPORT_PHOTO, reporter)
    db.session.add(CaseEvent(case_id=case.id, action="report", from_status=None, to_status=REPORTED,
                             actor_id=getattr(reporter, "id", None), note="", at=now))
    audit.record("case.reported", "case", case.id, actor=reporter if reporter is not None else audit.SYSTEM,
                 after={"reference": case.reference, "category": category.code, "place_id": place.id,
                        "via": via, "photos": len(stripped), "point": latitude is not None})
    db.session.flush()
    return case, True


# --- the loop ----------------------------------------------------------------------------------------------
def _case_url(case: Case) -> str:
    try:
        return url_for("cases.detail", case_id=case.id)
    except Exception:  # the pages are not registered (a bare app in a script)
        return ""


def _tell_reporter(case: Case, title: str, body: str = "") -> None:
    if case.reporter_id is not None:
        notifications.notify(case.reporter_id, "case", f"{case.reference} {title}", body, _case_url(case))


def file_case(case: Case, actor, note: str = "") -> Case:
    _allowed(policy.can_triage_case(actor, case))
    note = _text(note, "note", NOTE_MAX)
    take_step(case, "file", actor, note, due_hours=case.category.accept_hours)
    return case


def reject_case(case: Case, actor, reason: str) -> Case:
    _allowed(policy.can_triage_case(actor, case))
    reason = _text(reason, "reason", NOTE_MAX, _("Say why this is not a case (a duplicate, outside our remit)."))
    take_step(case, "reject", actor, reason)
    case.rejection_reason = reason
    _tell_reporter(case, _("is not taken up as a case"), reason)
    return case


def dispatch_case(case: Case, actor, department_id=None, contract_id=None, note: str = "") -> Case:
    """Send the case to a department (or a contracted organisation): the category's unless another is chosen."""
    _allowed(policy.can_triage_case(actor, case))
    note = _text(note, "note", NOTE_MAX)
    department = contract = None
    if department_id not in (None, ""):
        department = db.session.get(Department, int(department_id)) if str(department_id).isdigit() else None
        if department is None or not (case.place.is_within(department.place) or department.place.is_within(
                case.category.place)):
            raise ValidationFailed(_("Choose a department that serves this place."), field="department_id")
    if contract_id not in (None, ""):
        contract = db.session.get(Contract, int(contract_id)) if str(contract_id).isdigit() else None
        if contract is None:
            raise ValidationFailed(_("Choose a contract from the list."), field="contract_id")
    if department is None and contract is None:
        department, contract = case.category.department, (
            db.session.get(Contract, case.category.contract_id) if case.category.contract_id else None)
    if department is None and contract is None:
        raise ValidationFailed(_("Choose the department that will handle this case."), field="department_id")
    take_step(case, "dispatch", actor, note, due_hours=case.category.accept_hours)
    case.department_id = department.id if department is not None else None
    case.department = department
    case.contract_id = contract.id if contract is not None else None
    db.session.flush()
    return case


def accept_case(case: Case, actor) -> Case:
    _allowed(policy.can_handle_case(actor, case))
    take_step(case, "accept", actor, due_hours=case.category.handle_hours)
    return case


def handle_case(case: Case, actor, note: str, photos=()) -> Case:
    _allowed(policy.can_handle_case(actor, case))
    note = _text(note, "note", NOTE_MAX, _("Say what was done (the evidence of handling)."))
    stripped = strip_photos(photos)
    take_step(case, "handle", actor, note, due_hours=case.category.feedback_hours)
    case.handling_note = note
    store_stripped(case, stripped, HANDLING_PHOTO, actor)
    return case


def give_feedback(case: Case, actor, note: str) -> Case:
    _allowed(policy.can_give_feedback(actor, case))
    note = _text(note, "note", NOTE_MAX, _("Write what the reporter should be told."))
    if case.feedback_at is not None and case.handled_at is not None and case.feedback_at >= case.handled_at:
        raise ValidationFailed(_("The reporter has already been told."), field="note")
    take_step(case, "feedback", actor, note, due_hours=case.category.feedback_hours)
    case.feedback_note = note
    _tell_reporter(case, _("has been handled"), note)
    return case


def verify_case(case: Case, actor, note: str = "", photos=(), client_key: str | None = None) -> Case:
    """The grid worker checks on site and proves it with a follow-up photo (`client_key`: the phone app's key
    for the follow-up, kept on the timeline event so a replay is recognised)."""
    _allowed(policy.can_verify_case(actor, case))
    note = _text(note, "note", NOTE_MAX)
    stripped = strip_photos(photos)
    if not stripped:
        raise ValidationFailed(_("Take a follow-up photo of the place as it is now."), field="photos")
    take_step(case, "verify", actor, note, client_key=client_key)
    store_stripped(case, stripped, FOLLOW_UP_PHOTO, actor)
    return case


def send_back(case: Case, actor, note: str) -> Case:
    """On site it is not fixed: back to the handler, whose handling clock starts again."""
    _allowed(policy.can_verify_case(actor, case))
    note = _text(note, "note", NOTE_MAX, _("Say what is still wrong."))
    take_step(case, "handle_again", actor, note, due_hours=case.category.handle_hours)
    return case


def close_case(case: Case, actor, note: str = "") -> Case:
    _allowed(policy.can_triage_case(actor, case))
    note = _text(note, "note", NOTE_MAX)
    take_step(case, "close", actor, note)
    _tell_reporter(case, _("is closed: tell us whether you are satisfied"), note)
    return case


def evaluate_case(case: Case, actor, satisfied: bool, comment: str = "") -> Case:
    """The reporter's verdict. Not satisfied the first time reopens the case to its handler; the second
    verdict stands."""
    _allowed(policy.can_evaluate_case(actor, case))
    comment = _text(comment, "comment", NOTE_MAX)
    if not satisfied and not comment:
        raise ValidationFailed(_("Say what is still wrong, so the handler can put it right."), field="comment")
    take_step(case, "evaluate", actor, comment)
    case.satisfaction = "satisfied" if satisfied else UNSATISFIED
    case.evaluation_comment = comment or None
    if not satisfied and case.reopened_count == 0:
        take_step(case, "reopen", actor, comment, due_hours=case.category.accept_hours)
        case.reopened_count = 1
        db.session.flush()
    return case


def escalate_case(case: Case, actor, reason: str) -> bool:
    """By hand: the street cannot solve it; the district's big loop takes over. False if already escalated."""
    _allowed(policy.can_escalate_case(actor, case))
    reason = _text(reason, "reason", NOTE_MAX, _("Say why the district must take this case."))
    if case.status not in OPEN_STATUSES:
        raise ValidationFailed(_("Only an open case can be escalated."), field="reason")
    return claim_escalation(case, reason, actor)


def is_overdue(case: Case, now=None) -> bool:
    return case.status in OPEN_STATUSES and case.next_due_at is not None and case.next_due_at < (now or utcnow())


def escalate_overdue_cases() -> int:
    """The timed step: every open street-loop case past its clock goes to the district, once. Returns how many
    this call escalated (another worker's escalations are not counted twice)."""
    now = utcnow()
    due = db.session.scalars(select(Case).where(Case.status.in_(OPEN_STATUSES), Case.loop == STREET_LOOP,
                                                Case.next_due_at < now).order_by(Case.id))
    escalated = 0
    for case in list(due):
        if claim_escalation(case, _("The SLA clock ran out at %(due)s (UTC).",
                                    due=case.next_due_at.strftime("%Y-%m-%d %H:%M"))):
            escalated += 1
    return escalated


# --- links -------------------------------------------------------------------------------------------------
def case_to_need(case: Case, actor):
    """A case that is really a lack of a service (not a fault to fix) becomes a resident need."""
    _allowed(policy.can_triage_case(actor, case))
    if case.need_id is not None:
        raise ValidationFailed(_("This case is already a resident need."))
    need = post_need(actor, case.place, case.title, description=case.description or case.title,
                     on_behalf_of=None)
    case.need_id = need.id
    db.session.add(CaseEvent(case_id=case.id, action="to_need", from_status=case.status, to_status=case.status,
                             actor_id=actor.id, note=need.title, at=utcnow()))
    audit.record("case.linked", "case", case.id, actor=actor, after={"need_id": need.id})
    db.session.flush()
    return need


def log_against_contract(case: Case, actor, line_id=None):
    """A case a contracted organisation handles is a request made of it: logged in the contract's scope ledger
    (against a line: in scope; no line: out of scope)."""
    if case.contract_id is None:
        raise ValidationFailed(_("This case is not handled under a contract."))
    if case.scope_request_id is not None:
        raise ValidationFailed(_("This case is already in the contract's scope ledger."))
    contract = db.session.get(Contract, case.contract_id)
    line = int(line_id) if line_id not in (None, "") and str(line_id).isdigit() else None
    request = scope.log_request(contract, actor, line, (case.dispatched_at or case.reported_at).date(),
                                f"{case.reference} {case.title}")
    case.scope_request_id = request.id
    audit.record("case.linked", "case", case.id, actor=actor, after={"scope_request_id": request.id})
    db.session.flush()
    return request


# --- the clocks for the case page ---------------------------------------------------------------------
def clock_rows(case: Case, now=None) -> list[dict]:
    """Each step of the loop with when it happened, when it was due and whether it was late (or is late now)."""
    now = now or utcnow()
    category = case.category

    def after(start, hours):
        return start + timedelta(hours=hours) if start is not None else None

    rows = [
        ("reported", _("Reported"), case.reported_at, None),
        ("dispatched", _("Dispatched"), case.dispatched_at, after(case.reported_at, category.accept_hours)),
        ("accepted", _("Taken up by the handler"), case.accepted_at, after(case.dispatched_at, category.accept_hours)),
        ("handled", _("Handled"), case.handled_at, after(case.accepted_at, category.handle_hours)),
        ("feedback", _("Reporter told"), case.feedback_at, after(case.handled_at, category.feedback_hours)),
        ("verified", _("Verified on site"), case.verified_at, None),
        ("closed", _("Closed"), case.closed_at, None),
        ("evaluated", _("Evaluated"), case.evaluated_at, None),
    ]
    result = []
    for key, label, at, due in rows:
        late = due is not None and ((at is not None and at > due) or (at is None and due < now
                                                                       and case.status in OPEN_STATUSES))
        result.append({"key": key, "label": label, "at": at, "due": due, "late": late})
    return result

