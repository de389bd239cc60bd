"""Volunteers' hours: the record made at check-out, its verification, the double-entry hour ledger, balances."""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from portal.audit import service as audit
from portal.core.errors import IllegalTransition, ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.projects import hooks as projects_hooks
from portal.projects.models import ServiceProject
from portal.volunteering.models import (
    CHECKED_IN,
    CHECKED_OUT,
    CONFIRMED,
    RECORDED,
    REJECTED,
    VERIFIED,
    HourEntry,
    HourPosting,
    HourRecord,
    Opportunity,
    Shift,
    ShiftSignup,
    project_service_account,
    volunteer_hours_account,
)
from portal.volunteering.service import _check_roster_open, _check_signup_step, _move_signup

HOURS_GRACE_MINUTES = 60  # recorded minutes may exceed the shift length by this much, not more
SHORT_RECORD_MINUTES = 15  # a record this short is likely a typing slip: the verify button warns before it counts
VERIFIED_ENTRY, REVERSAL_ENTRY = "verified", "reversal"

# The hours' lifecycle (DESIGN.md section 5), in named steps like the sign-ups' in service.py: step -> (statuses
# it starts from, status it leads to). Two steps share a target (rejecting hours awaiting verification and
# reversing verified ones both end "rejected", and only the second posts a reversal entry). _move_hours is its
# one move function; an illegal step is an IllegalTransition (409) with the step's own message.
HOUR_STEPS = {
    "verify": ({RECORDED}, VERIFIED),
    "reject": ({RECORDED}, REJECTED),
    "reverse": ({VERIFIED}, REJECTED),  # posts a reversal entry
}
HOUR_REFUSALS = {
    "verify": _l("These hours are not awaiting verification."),
    "reject": _l("Only hours awaiting verification can be rejected."),
    "reverse": _l("Only verified hours can be reversed."),
}


# --- check-out: the hour record -------------------------------------------------------------------

def max_minutes(shift: Shift) -> int:
    return shift_minutes(shift) + HOURS_GRACE_MINUTES


def shift_minutes(shift: Shift) -> int:
    return int((shift.ends_at - shift.starts_at).total_seconds() // 60)


def check_out(signup: ShiftSignup, actor, minutes: int | None = None) -> HourRecord:
    """Record the minutes served: the time since check-in, or what the organiser enters.

    Never more than the shift length plus a grace period; never zero or negative.
    """
    now = utcnow()
    _check_signup_step(signup, "check_out")
    shift = signup.shift
    _check_roster_open(shift, now)
    cap = max_minutes(shift)
    if minutes is None:
        served = int((now - signup.checked_in_at).total_seconds() // 60)
        if served < 1:
            raise ValidationFailed(_("Less than a minute since check-in: enter the minutes served."),
                                   field="minutes")
        served = min(served, cap)
    else:
        served = int(minutes)
        if served < 1:
            raise ValidationFailed(_("Enter a number of minutes above zero."), field="minutes")
        if served > cap:
            raise ValidationFailed(_("At most %(max)d minutes for this shift (its length plus an hour).", max=cap),
                                   field="minutes")
    _move_signup(signup, "check_out", checked_out_at=now)
    record = HourRecord(signup_id=signup.id, user_id=signup.user_id, project_id=shift.opportunity.project_id,
                        minutes=served, status=RECORDED)
    db.session.add(record)
    db.session.flush()
    audit.record("volunteering.hours_recorded", "hour_record", record.id, actor=actor,
                 after={"signup_id": signup.id, "user_id": signup.user_id, "minutes": served})
    return record


# --- the hour ledger ------------------------------------------------------------------------------

def _post(record: HourRecord, kind: str, actor, volunteer_minutes: int, reverses: HourEntry | None = None):
    """One ledger entry with two postings that sum to zero: volunteer's account and project's service account."""
    entry = HourEntry(hour_record_id=record.id, kind=kind, created_by_id=getattr(actor, "id", None),
                      reverses_entry_id=getattr(reverses, "id", None))
    entry.postings = [HourPosting(account=volunteer_hours_account(record.user_id), minutes=volunteer_minutes),
                      HourPosting(account=project_service_account(record.project_id), minutes=-volunteer_minutes)]
    db.session.add(entry)
    db.session.flush()
    return entry


def _move_hours(record: HourRecord, step: str, **values) -> str:
    """Take a step allowed by HOUR_STEPS; return the status before. The UPDATE changes the row only if its
    status is still the one checked, so two verifiers cannot both post."""
    sources, target = HOUR_STEPS[step]
    before = record.status
    if before not in sources:
        raise IllegalTransition(str(HOUR_REFUSALS[step]))
    result = db.session.execute(
        update(HourRecord).where(HourRecord.id == record.id, HourRecord.status == before)
        .values(status=target, **values).execution_options(synchronize_session=False))
    db.session.refresh(record)
    if result.rowcount != 1:
        raise IllegalTransition(str(HOUR_REFUSALS[step]))
    return before


def verify_hours(record: HourRecord, verifier) -> HourEntry:
    """The organisation vouches for the minutes: they enter the volunteer's time-bank balance."""
    _move_hours(record, "verify", verified_by_id=verifier.id, verified_at=utcnow())
    entry = _post(record, VERIFIED_ENTRY, verifier, record.minutes)
    audit.record("volunteering.hours_verified", "hour_record", record.id, actor=verifier,
                 before={"status": RECORDED}, after={"status": VERIFIED, "minutes": record.minutes,
                                                     "entry_id": entry.id})
    return entry


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why, so the volunteer understands."), field="note")
    if len(reason) > 300:
        raise ValidationFailed(_("Keep the reason to 300 characters."), field="note")
    return reason


def reject_hours(record: HourRecord, verifier, reason: str) -> None:
    """Hours awaiting verification that the organisation does not vouch for (nothing was posted yet)."""
    reason = _clean_reason(reason)
    _move_hours(record, "reject", verified_by_id=verifier.id, verified_at=utcnow(), note=reason)
    audit.record("volunteering.hours_rejected", "hour_record", record.id, actor=verifier,
                 before={"status": RECORDED}, after={"status": REJECTED, "note": reason})


def reverse_hours(record: HourRecord, verifier, reason: str) -> HourEntry:
    """Take back verified hours with a reversal entry; the original entry stays, as ledgers do."""
    reason = _clean_reason(reason)
    _move_hours(record, "reverse", verified_by_id=verifier.id, verified_at=utcnow(), note=reason)
    original = db.session.scalar(
        select(HourEntry).where(HourEntry.hour_record_id == record.id, HourEntry.kind == VERIFIED_ENTRY)
        .order_by(HourEntry.id.desc()).limit(1))
    volunteer_minutes = sum(posting.minutes for posting in original.postings
                            if posting.account == volunteer_hours_account(record.user_id))
    entry = _post(record, REVERSAL_ENTRY, verifier, -volunteer_minutes, reverses=original)
    audit.record("volunteering.hours_reversed", "hour_record", record.id, actor=verifier,
                 before={"status": VERIFIED}, after={"status": REJECTED, "note": reason, "entry_id": entry.id})
    return entry


# --- balances, the certificate, the project page ------------------------------------------------

def time_bank_minutes(user_id: int) -> int:
    """The volunteer's verified minutes: the sum of their ledger account's postings."""
    return int(db.session.scalar(select(func.coalesce(func.sum(HourPosting.minutes), 0))
                                 .where(HourPosting.account == volunteer_hours_account(user_id))) or 0)


def pending_minutes(user_id: int) -> int:
    """Minutes recorded at check-out that the organisation has not verified yet (not in the balance)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(HourRecord.minutes), 0))
                                 .where(HourRecord.user_id == user_id, HourRecord.status == RECORDED)) or 0)


@dataclass
class ServiceLine:
    project_id: int
    project_title: str
    organisation_name: str
    minutes: int
    first_day: datetime | None = None
    last_day: datetime | None = None


def verified_service(user_id: int) -> list[ServiceLine]:
    """Verified minutes per project (from the ledger), with the dates served, for the certificate."""
    from portal.orgs.models import Organisation

    totals = db.session.execute(
        select(ServiceProject.id, ServiceProject.title, Organisation.name, func.sum(HourPosting.minutes))
        .select_from(HourPosting)
        .join(HourEntry, HourEntry.id == HourPosting.entry_id)
        .join(HourRecord, HourRecord.id == HourEntry.hour_record_id)
        .join(ServiceProject, ServiceProject.id == HourRecord.project_id)
        .join(Organisation, Organisation.id == ServiceProject.organisation_id)
        .where(HourPosting.account == volunteer_hours_account(user_id))
        .group_by(ServiceProject.id, ServiceProject.title, Organisation.name)
        .having(func.sum(HourPosting.minutes) != 0)
        .order_by(ServiceProject.title)).all()
    lines = [ServiceLine(project_id, title, organisation, int(minutes))
             for project_id, title, organisation, minutes in totals]
    if lines:
        dates = dict((project_id, (first, last)) for project_id, first, last in db.session.execute(
            select(HourRecord.project_id, func.min(Shift.starts_at), func.max(Shift.starts_at))
            .join(ShiftSignup, ShiftSignup.id == HourRecord.signup_id).join(Shift, Shift.id == ShiftSignup.shift_id)
            .where(HourRecord.user_id == user_id, HourRecord.status == VERIFIED)
            .group_by(HourRecord.project_id)))
        for line in lines:
            first, last = dates.get(line.project_id, (None, None))
            line.first_day, line.last_day = _aware(first), _aware(last)
    return lines


def _aware(value):
    """Aggregates skip the column type, so SQLite hands back naive UTC datetimes (or strings)."""
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@projects_hooks.volunteer_summary.register
def project_volunteer_summary(project_id: int) -> dict:
    """For the project page: distinct volunteers who took a slot (not counting no-shows) and verified minutes."""
    volunteers = db.session.scalar(
        select(func.count(func.distinct(ShiftSignup.user_id)))
        .join(Shift, Shift.id == ShiftSignup.shift_id).join(Opportunity, Opportunity.id == Shift.opportunity_id)
        .where(Opportunity.project_id == project_id, ShiftSignup.status.in_((CONFIRMED, CHECKED_IN, CHECKED_OUT))))
    served = db.session.scalar(select(func.coalesce(func.sum(HourPosting.minutes), 0))
                               .where(HourPosting.account == project_service_account(project_id)))
    return {"volunteers": int(volunteers or 0), "verified_minutes": -int(served or 0)}
