"""Volunteer opportunities, shifts, sign-ups (with waitlists) and the double-entry hour ledger."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db

OPPORTUNITY_OPEN, OPPORTUNITY_CLOSED = "open", "closed"
# "Open" is also a need's status (awaiting a reply), so the opportunity's has its own context
OPPORTUNITY_STATUSES = {OPPORTUNITY_OPEN: lazy_pgettext("volunteer opportunity", "Open"),
                        OPPORTUNITY_CLOSED: _l("Closed")}


class Opportunity(db.Model):
    __tablename__ = "volunteer_opportunities"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("service_projects.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[str] = mapped_column(String(200), default="")
    is_open: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime(), default=utcnow)

    project = relationship("ServiceProject")
    shifts: Mapped[list["Shift"]] = relationship(back_populates="opportunity", order_by="Shift.starts_at")

    @property
    def status(self) -> str:
        """The lifecycle status the service's table speaks of (stored as the is_open flag)."""
        return OPPORTUNITY_OPEN if self.is_open else OPPORTUNITY_CLOSED


class Shift(db.Model):
    __tablename__ = "volunteer_shifts"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),
                      CheckConstraint("slots > 0", name="slots_positive"),
                      CheckConstraint("booked_count >= 0 AND booked_count <= slots", name="never_overbooked"))

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("volunteer_opportunities.id"), index=True)
    starts_at = mapped_column(UTCDateTime(), nullable=False, index=True)
    ends_at = mapped_column(UTCDateTime(), nullable=False)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    location: Mapped[str] = mapped_column(String(200), default="")
    slots: Mapped[int]
    skills: Mapped[str] = mapped_column(String(200), default="")
    # confirmed sign-ups; changed only by a guarded UPDATE (booked_count < slots) so it can never overbook
    booked_count: Mapped[int] = mapped_column(default=0)
    reminder_sent_at = mapped_column(UTCDateTime())

    opportunity: Mapped[Opportunity] = relationship(back_populates="shifts")
    place = relationship("Place")
    signups: Mapped[list["ShiftSignup"]] = relationship(back_populates="shift", order_by="ShiftSignup.created_at")


CONFIRMED, WAITLISTED, CANCELLED, CHECKED_IN, CHECKED_OUT, NO_SHOW = (
    "confirmed", "waitlisted", "cancelled", "checked_in", "checked_out", "no_show")
SIGNUP_STATUSES = {CONFIRMED: _l("Confirmed"), WAITLISTED: _l("On the waitlist"), CANCELLED: _l("Cancelled"),
                   CHECKED_IN: _l("Checked in"), CHECKED_OUT: _l("Checked out"), NO_SHOW: _l("Did not come")}


class ShiftSignup(db.Model):
    __tablename__ = "shift_signups"
    __table_args__ = (UniqueConstraint("shift_id", "user_id", name="uq_shift_signups_shift_user"),
                      Index("ix_shift_signups_shift_status", "shift_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("volunteer_shifts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at = mapped_column(UTCDateTime())
    checked_in_at = mapped_column(UTCDateTime())
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_out_at = mapped_column(UTCDateTime())

    shift: Mapped[Shift] = relationship(back_populates="signups")
    user = relationship("User", foreign_keys=[user_id])


RECORDED, VERIFIED, REJECTED = "recorded", "verified", "rejected"
HOUR_STATUSES = {RECORDED: _l("Awaiting verification"), VERIFIED: lazy_pgettext("volunteer hours", "Verified"),
                 REJECTED: _l("Rejected")}


class HourRecord(db.Model):
    """Minutes served on one shift, recorded at check-out; they count only once the organisation verifies them."""

    __tablename__ = "hour_records"
    __table_args__ = (CheckConstraint("minutes > 0", name="minutes_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    signup_id: Mapped[int] = mapped_column(ForeignKey("shift_signups.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("service_projects.id"), index=True)
    minutes: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=RECORDED, index=True)
    recorded_at = mapped_column(UTCDateTime(), default=utcnow)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(300), default="")

    signup = relationship("ShiftSignup")
    user = relationship("User", foreign_keys=[user_id])


def volunteer_hours_account(user_id: int) -> str:
    return f"volunteer:{user_id}:hours"


def project_service_account(project_id: int) -> str:
    return f"project:{project_id}:service"


class HourEntry(db.Model):
    """Time-bank ledger entry (TimeOverflow style): posted at verification, reversed, never edited."""

    __tablename__ = "hour_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    hour_record_id: Mapped[int] = mapped_column(ForeignKey("hour_records.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # verified | reversal
    reverses_entry_id: Mapped[int | None] = mapped_column(ForeignKey("hour_entries.id"))
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    postings: Mapped[list["HourPosting"]] = relationship(order_by="HourPosting.id")


class HourPosting(db.Model):
    __tablename__ = "hour_postings"
    __table_args__ = (Index("ix_hour_postings_account", "account"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("hour_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(64))
    minutes: Mapped[int]  # signed; the postings of an entry sum to zero


class HourLedgerImmutable(RuntimeError):
    pass


def _refuse_change(mapper, connection, target):
    raise HourLedgerImmutable("hour ledger rows are never updated or deleted; post a reversal instead")


for _model in (HourEntry, HourPosting):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)
