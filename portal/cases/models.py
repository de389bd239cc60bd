"""Grid cases (网格事件, issue 13): the closed loop from a grid worker's or resident's report to the reporter's
verdict. Categories per place route cases to a handling department (or a contracted organisation) with SLA
clocks; a case moves on one lifecycle (portal/cases/steps.py), every step timed and kept as a CaseEvent (its
timeline); the street's small loop escalates to the district's big loop by hand or when an SLA is breached.
Photos are stored with every metadata stripped (their EXIF time and place read first). Open311 API keys let
outside systems post cases (portal/cases/open311.py).
"""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db


class CaseCategory(db.Model):
    """A kind of case on a place (a street or district, and every place under it), the department (or the
    contracted organisation) that handles it, its SLA clocks in hours, and whether its cases are public."""
    __tablename__ = "case_categories"
    __table_args__ = (UniqueConstraint("place_id", "code", name="uq_case_categories_code"),
                      CheckConstraint("accept_hours > 0 AND handle_hours > 0 AND feedback_hours > 0",
                                      name="sla_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))  # the Open311 service_code
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))  # a contracted organisation
    accept_hours: Mapped[int] = mapped_column(default=2)  # dispatched -> taken up by the handler
    handle_hours: Mapped[int] = mapped_column(default=72)  # taken up -> handled
    feedback_hours: Mapped[int] = mapped_column(default=24)  # handled -> the reporter told
    is_public: Mapped[bool] = mapped_column(default=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    place = relationship("Place")
    department = relationship("Department")


# The loop (Furong's seven steps): reported -> filed -> dispatched -> handling -> handled -> verified -> closed
# -> evaluated; an unsatisfied verdict reopens it once (back to dispatched). Rejected: not a case (a duplicate,
# outside the portal's remit), with a reason.
REPORTED, FILED, DISPATCHED, HANDLING, HANDLED, VERIFIED, CLOSED, EVALUATED, REJECTED = (
    "reported", "filed", "dispatched", "handling", "handled", "verified", "closed", "evaluated", "rejected")
# "Reported" alone is a date label elsewhere (填报时间); as a status it is 已上报
CASE_STATUSES = {REPORTED: lazy_pgettext("case status", "Reported"), FILED: _l("Filed"), DISPATCHED: _l("Dispatched"),
                 HANDLING: _l("Being handled"), HANDLED: _l("Handled"), VERIFIED: _l("Verified on site"),
                 CLOSED: _l("Closed"), EVALUATED: _l("Evaluated"), REJECTED: _l("Not a case")}
OPEN_STATUSES = (REPORTED, FILED, DISPATCHED, HANDLING, HANDLED, VERIFIED)
STREET_LOOP, DISTRICT_LOOP = "street", "district"
LOOPS = {STREET_LOOP: _l("Street (small loop)"), DISTRICT_LOOP: _l("District (big loop)")}
SATISFIED, UNSATISFIED = "satisfied", "unsatisfied"


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status_place", "status", "place_id"),
                      Index("ix_cases_due", "status", "next_due_at"),
                      Index("ix_cases_closed_at", "closed_at"),  # the board's weekly trend (migration 0012)
                      CheckConstraint("reopened_count >= 0 AND reopened_count <= 1", name="reopened_once"))

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("case_categories.id"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))  # a grid or a community
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=REPORTED)
    loop: Mapped[str] = mapped_column(String(16), default=STREET_LOOP)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reporter_name: Mapped[str] = mapped_column(String(80), default="")  # an Open311 reporter without an account
    reported_via: Mapped[str] = mapped_column(String(16), default="web")  # web | phone_app | open311 | api
    # a phone's offline queue sends each report once with this key: a replay finds the case it made
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id"))  # when it became a resident need
    scope_request_id: Mapped[int | None] = mapped_column(ForeignKey("scope_requests.id"))
    # the step clocks: when each step happened, and when the next one is due (the SLA)
    reported_at = mapped_column(UTCDateTime(), default=utcnow, index=True)
    filed_at = mapped_column(UTCDateTime())
    dispatched_at = mapped_column(UTCDateTime())
    accepted_at = mapped_column(UTCDateTime())
    handled_at = mapped_column(UTCDateTime())
    feedback_at = mapped_column(UTCDateTime())
    verified_at = mapped_column(UTCDateTime())
    closed_at = mapped_column(UTCDateTime())
    evaluated_at = mapped_column(UTCDateTime())
    next_due_at = mapped_column(UTCDateTime())  # the open step's deadline
    escalated_at = mapped_column(UTCDateTime())
    escalation_reason: Mapped[str | None] = mapped_column(Text)
    handling_note: Mapped[str | None] = mapped_column(Text)
    feedback_note: Mapped[str | None] = mapped_column(Text)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    evaluation_comment: Mapped[str | None] = mapped_column(Text)
    reopened_count: Mapped[int] = mapped_column(default=0)

    category = relationship("CaseCategory")
    place = relationship("Place")
    reporter = relationship("User")
    department = relationship("Department")
    contract = relationship("Contract")
    photos: Mapped[list["CasePhoto"]] = relationship(back_populates="case", order_by="CasePhoto.id")
    events: Mapped[list["CaseEvent"]] = relationship(back_populates="case", order_by="CaseEvent.id")


REPORT_PHOTO, HANDLING_PHOTO, FOLLOW_UP_PHOTO = "report", "handling", "follow_up"


class CasePhoto(db.Model):
    """A photo, stored re-encoded without any metadata; the time and place its EXIF gave are kept here."""
    __tablename__ = "case_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16), default=REPORT_PHOTO)
    storage_key: Mapped[str] = mapped_column(String(128))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))  # of the stored (stripped) file
    taken_at = mapped_column(UTCDateTime())
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="photos")


class CaseEvent(db.Model):
    """One step of a case's timeline: who did what, when, from which status to which (and the note)."""
    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "client_key", name="uq_case_events_client_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the portal (a timed step)
    note: Mapped[str] = mapped_column(Text, default="")
    at = mapped_column(UTCDateTime(), default=utcnow)
    # the key a phone's offline queue sent the step with (a follow-up): its replay finds the step it made
    client_key: Mapped[str | None] = mapped_column(String(64))

    case: Mapped[Case] = relationship(back_populates="events")
    actor = relationship("User")


class ApiKey(db.Model):
    """An Open311 API key for posting requests, issued by a platform administrator (only its hash is kept)."""
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(8))  # shown to tell keys apart
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at = mapped_column(UTCDateTime())
    last_used_at = mapped_column(UTCDateTime())
