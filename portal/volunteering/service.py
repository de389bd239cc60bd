"""The code that changes volunteering: opportunities, shifts, sign-ups with a waitlist, check-in, no-shows
and reminders; the hours volunteers serve (check-out, verification, the hour ledger) live in hours.py.

A shift's slots can never be overbooked: a slot is taken by one guarded UPDATE
(`booked_count = booked_count + 1 WHERE booked_count < slots`), which the database runs atomically
even for simultaneous sign-ups, and the CHECK constraint on the table backs it up. Cancellation frees
the slot and promotes the first person on the waitlist in the same transaction, with the shift row
locked so the two steps cannot interleave with another cancellation or sign-up.
"""
from datetime import datetime, timedelta

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from portal.audit import service as audit
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.mail import send_mail
from portal.core.time import utcnow
from portal.extensions import db
from portal.projects.models import ServiceProject
from portal.volunteering.formatting import timespan, where
from portal.volunteering.models import (
    CANCELLED,
    CHECKED_IN,
    CHECKED_OUT,
    CONFIRMED,
    NO_SHOW,
    OPPORTUNITY_CLOSED,
    OPPORTUNITY_OPEN,
    WAITLISTED,
    Opportunity,
    Shift,
    ShiftSignup,
)
from portal.volunteering.policy import OPEN_FOR_VOLUNTEERS

# statuses that hold one of the shift's slots (booked_count counts exactly these)
HOLDS_SLOT = (CONFIRMED, CHECKED_IN, CHECKED_OUT, NO_SHOW)
ACTIVE = (CONFIRMED, WAITLISTED)
MAX_SHIFT_LENGTH = timedelta(hours=24)
MAX_SLOTS = 500
CHECK_IN_OPENS_BEFORE = timedelta(hours=2)  # volunteers arrive early
ROSTER_CLOSES_AFTER = timedelta(days=7)  # organisers may finish the roster for a week after the shift
CHECK_IN_SALT = "volunteer-check-in"
CHECK_IN_MAX_AGE = 60 * 60 * 24 * 45  # a QR code shown on the volunteer's page stays valid for weeks

# Lifecycles (DESIGN.md section 5), as organisations have them: step -> (statuses it starts from, status it
# leads to). Named steps rather than a from -> to table, as the hours' lifecycle in hours.py needs (two of its
# steps share a target). Each lifecycle has one move function; an illegal step is an IllegalTransition (409)
# with the step's own message.
SIGNUP_STEPS = {
    "confirm": ({WAITLISTED}, CONFIRMED),  # took a slot: at sign-up, or moved up from the waitlist
    "reopen": ({CANCELLED}, WAITLISTED),  # signed up again after cancelling (waits until a slot is taken)
    "cancel": ({CONFIRMED, WAITLISTED}, CANCELLED),
    "check_in": ({CONFIRMED}, CHECKED_IN),
    "check_out": ({CHECKED_IN}, CHECKED_OUT),
    "no_show": ({CONFIRMED}, NO_SHOW),
}
SIGNUP_REFUSALS = {
    "confirm": _l("This sign-up is no longer on the waitlist."),
    "reopen": _l("You have already signed up for this shift."),
    "cancel": _l("This sign-up is not active, so there is nothing to cancel."),
    "check_in": _l("Only confirmed volunteers can be checked in."),
    "check_out": _l("Check the volunteer in before checking them out."),
    "no_show": _l("Only a confirmed volunteer who has not checked in can be marked absent."),
}
OPPORTUNITY_STEPS = {
    "close": ({OPPORTUNITY_OPEN}, OPPORTUNITY_CLOSED),
}
OPPORTUNITY_REFUSALS = {
    "close": _l("This opportunity is already closed."),
}


def _link(endpoint: str, **values) -> str:
    """An absolute link for mail and notifications (a path when no request or SERVER_NAME says the host)."""
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, _external=True, **values)
    return _path(endpoint, **values)


def _path(endpoint: str, **values) -> str:
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _notify(user_id: int, kind: str, title: str, body: str = "", url: str = "") -> None:
    try:
        from portal.notifications.service import notify
    except ImportError:  # notifications arrive with the same issue; mail still goes out
        return
    notify(user_id, kind, title, body=body, url=url)


# --- opportunities and shifts --------------------------------------------------------------------

def _clean_skills(skills: str | None) -> str:
    """Comma-separated skills, trimmed, without duplicates: '急救, 陪伴，摄影' -> '急救, 陪伴, 摄影'."""
    parts = []
    for part in (skills or "").replace("，", ",").replace("、", ",").split(","):
        part = part.strip()
        if part and part not in parts:
            parts.append(part)
    cleaned = ", ".join(parts)
    if len(cleaned) > 200:
        raise ValidationFailed(_("List at most 200 characters of skills."), field="skills")
    return cleaned


def _check_project_open(project: ServiceProject) -> None:
    if project.status not in OPEN_FOR_VOLUNTEERS:
        raise IllegalTransition(_("Volunteers can be sought only on a published or running project."))


def _check_shift_fields(starts_at: datetime | None, ends_at: datetime | None, slots, place, location: str,
                        now: datetime) -> None:
    if starts_at is None:
        raise ValidationFailed(_("Enter when the shift starts."), field="starts_at")
    if ends_at is None:
        raise ValidationFailed(_("Enter when the shift ends."), field="ends_at")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("shift times must be timezone-aware")
    if starts_at <= now:
        raise ValidationFailed(_("The shift must start in the future."), field="starts_at")
    if ends_at <= starts_at:
        raise ValidationFailed(_("The shift must end after it starts."), field="ends_at")
    if ends_at - starts_at > MAX_SHIFT_LENGTH:
        raise ValidationFailed(_("A shift lasts at most 24 hours; add several shifts for longer work."),
                               field="ends_at")
    if slots is None or int(slots) < 1:
        raise ValidationFailed(_("A shift needs at least one slot."), field="slots")
    if int(slots) > MAX_SLOTS:
        raise ValidationFailed(_("A shift has at most %(max)d slots.", max=MAX_SLOTS), field="slots")
    if place is None and not location:
        raise ValidationFailed(_("Choose a place or describe where to meet."), field="location")


def add_shift(opportunity: Opportunity, actor, *, starts_at: datetime, ends_at: datetime, slots: int,
              place=None, location: str = "", skills: str = "") -> Shift:
    """A new shift on an open opportunity. Times are aware datetimes (stored as UTC)."""
    _check_project_open(opportunity.project)
    if opportunity.status != OPPORTUNITY_OPEN:
        raise IllegalTransition(_("This opportunity is closed to new shifts."))
    location = (location or "").strip()
    _check_shift_fields(starts_at, ends_at, slots, place, location, utcnow())
    if len(location) > 200:
        raise ValidationFailed(_("Describe the meeting point in at most 200 characters."), field="location")
    shift = Shift(opportunity=opportunity, starts_at=starts_at, ends_at=ends_at, slots=int(slots),
                  place_id=getattr(place, "id", None), location=location, skills=_clean_skills(skills),
                  booked_count=0)
    db.session.add(shift)
    db.session.flush()
    audit.record("volunteering.shift_added", "shift", shift.id, actor=actor,
                 after={"opportunity_id": opportunity.id, "starts_at": starts_at.isoformat(),
                        "ends_at": ends_at.isoformat(), "slots": shift.slots})
    return shift


def publish_opportunity(project: ServiceProject, actor, *, title: str, description: str = "", skills: str = "",
                        first_shift: dict) -> Opportunity:
    """An opportunity with its first shift; nothing is saved unless both are right."""
    _check_project_open(project)
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("Give the opportunity a title."), field="title")
    if len(title) > 120:
        raise ValidationFailed(_("Keep the title to 120 characters."), field="title")
    # check the shift before anything is added, so a bad shift leaves no half-made opportunity behind
    _check_shift_fields(first_shift.get("starts_at"), first_shift.get("ends_at"), first_shift.get("slots"),
                        first_shift.get("place"), (first_shift.get("location") or "").strip(), utcnow())
    opportunity = Opportunity(project=project, title=title, description=(description or "").strip(),
                              skills=_clean_skills(skills), created_by_id=actor.id, is_open=True)
    db.session.add(opportunity)
    db.session.flush()
    audit.record("volunteering.opportunity_published", "opportunity", opportunity.id, actor=actor,
                 after={"project_id": project.id, "title": title})
    add_shift(opportunity, actor, **first_shift)
    return opportunity


def _move_opportunity(opportunity: Opportunity, step: str) -> str:
    """Take a step allowed by OPPORTUNITY_STEPS; return the status before. One guarded UPDATE, so two
    organisers pressing the same button get one success and one clear refusal."""
    sources, target = OPPORTUNITY_STEPS[step]
    before = opportunity.status
    if before not in sources:
        raise IllegalTransition(str(OPPORTUNITY_REFUSALS[step]))
    result = db.session.execute(
        update(Opportunity).where(Opportunity.id == opportunity.id,
                                  Opportunity.is_open.is_(before == OPPORTUNITY_OPEN))
        .values(is_open=target == OPPORTUNITY_OPEN).execution_options(synchronize_session=False))
    db.session.refresh(opportunity)
    if result.rowcount != 1:
        raise IllegalTransition(str(OPPORTUNITY_REFUSALS[step]))
    return before


def close_opportunity(opportunity: Opportunity, actor) -> Opportunity:
    """No more shifts or sign-ups; volunteers already signed up keep their places and the roster runs on."""
    before = _move_opportunity(opportunity, "close")
    audit.record("volunteering.opportunity_closed", "opportunity", opportunity.id, actor=actor,
                 before={"status": before}, after={"status": opportunity.status})
    return opportunity


# --- sign-up, waitlist, cancellation --------------------------------------------------------------

def _take_slot(shift_id: int) -> bool:
    """The one statement that takes a slot: true when it did, false when the shift is full."""
    result = db.session.execute(
        update(Shift).where(Shift.id == shift_id, Shift.booked_count < Shift.slots)
        .values(booked_count=Shift.booked_count + 1).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _free_slot(shift_id: int) -> None:
    db.session.execute(
        update(Shift).where(Shift.id == shift_id, Shift.booked_count > 0)
        .values(booked_count=Shift.booked_count - 1).execution_options(synchronize_session=False))


def _lock_shift(shift_id: int) -> None:
    """Serialise waitlist changes on one shift (PostgreSQL row lock; SQLite serialises writers anyway).

    FOR NO KEY UPDATE, not FOR UPDATE: sign-ups hold a key-share lock on the shift through their
    foreign key, and FOR UPDATE would wait on those and deadlock two sign-ups that both found it full.
    """
    db.session.execute(select(Shift.id).where(Shift.id == shift_id).with_for_update(key_share=True))


def _check_signup_open(shift: Shift, now: datetime) -> None:
    if shift.starts_at <= now:
        raise DomainError(_("This shift has already started; sign-up is closed."), code="shift_started")
    if shift.opportunity.status != OPPORTUNITY_OPEN:
        raise IllegalTransition(_("This opportunity no longer takes volunteers."))
    _check_project_open(shift.opportunity.project)


def _already_signed_up() -> DomainError:
    return DomainError(_("You have already signed up for this shift."), code="already_signed_up")


def _claim_signup_row(shift: Shift, user, now: datetime) -> ShiftSignup:
    """Insert the sign-up (or reopen one the volunteer cancelled); the unique constraint stops doubles."""
    existing = db.session.scalar(select(ShiftSignup).where(ShiftSignup.shift_id == shift.id,
                                                           ShiftSignup.user_id == user.id))
    if existing is not None:
        try:
            _move_signup(existing, "reopen", created_at=now, cancelled_at=None)
        except IllegalTransition:
            raise _already_signed_up() from None
        return existing
    signup = ShiftSignup(shift_id=shift.id, user_id=user.id, status=WAITLISTED, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(signup)
    except IntegrityError:  # the same person signing up twice at the same moment
        raise _already_signed_up() from None
    return signup


def sign_up(shift: Shift, user) -> ShiftSignup:
    """Confirmed when a slot is free, else on the waitlist (in order of signing up)."""
    now = utcnow()
    _check_signup_open(shift, now)
    signup = _claim_signup_row(shift, user, now)
    confirmed = _take_slot(shift.id)
    if not confirmed:
        # Full a moment ago; a cancellation may have freed a slot since without seeing us on the
        # waitlist. Under the shift's lock the answer is final either way.
        _lock_shift(shift.id)
        confirmed = _take_slot(shift.id)
    db.session.flush()
    if confirmed:
        _move_signup(signup, "confirm")
    db.session.expire(shift, ["booked_count"])
    return signup


def _promote_first_waitlisted(shift: Shift) -> ShiftSignup | None:
    first = db.session.scalar(
        select(ShiftSignup).where(ShiftSignup.shift_id == shift.id, ShiftSignup.status == WAITLISTED)
        .order_by(ShiftSignup.created_at, ShiftSignup.id).limit(1).with_for_update())
    if first is None or not _take_slot(shift.id):
        return None
    _move_signup(first, "confirm")
    _tell_promoted(first, shift)
    return first


def _shift_title(shift: Shift) -> str:
    return shift.opportunity.title


def _tell_promoted(signup: ShiftSignup, shift: Shift) -> None:
    user = signup.user
    with force_locale(user.locale):
        title = _("A place opened up: you are confirmed for “%(title)s”", title=_shift_title(shift))
        body = _("Someone cancelled, so you moved up from the waitlist. The shift is %(when)s. "
                 "If you cannot come, cancel on your volunteering page so the next person can go.",
                 when=timespan(shift))
        _notify(user.id, "waitlist_promoted", title, body=body, url=_path("volunteering.me"))
        send_mail(user.email, title, f"{body}\n\n{_link('volunteering.me')}")


def _signup_refused(signup: ShiftSignup, step: str) -> IllegalTransition:
    if step == "check_in" and signup.status == CHECKED_IN:
        return IllegalTransition(_("%(name)s is already checked in.", name=signup.user.display_name))
    return IllegalTransition(str(SIGNUP_REFUSALS[step]))


def _check_signup_step(signup: ShiftSignup, step: str) -> None:
    if signup.status not in SIGNUP_STEPS[step][0]:
        raise _signup_refused(signup, step)


def _move_signup(signup: ShiftSignup, step: str, **values) -> str:
    """Take a step allowed by SIGNUP_STEPS; return the status before.

    The UPDATE changes the row only if its status is still the one checked (the organiser's tap and the
    volunteer's cancellation can arrive together; one of them wins, the other gets the step's message).
    """
    _check_signup_step(signup, step)
    before, target = signup.status, SIGNUP_STEPS[step][1]
    result = db.session.execute(
        update(ShiftSignup).where(ShiftSignup.id == signup.id, ShiftSignup.status == before)
        .values(status=target, **values).execution_options(synchronize_session=False))
    db.session.refresh(signup)
    if result.rowcount != 1:
        raise _signup_refused(signup, step)
    return before


def cancel_signup(signup: ShiftSignup, actor) -> ShiftSignup | None:
    """The volunteer cancels before the shift starts; a freed slot goes to the first on the waitlist.

    Returns the promoted sign-up, if any.
    """
    shift = signup.shift
    if shift.starts_at <= utcnow():
        raise DomainError(_("The shift has started; it can no longer be cancelled."), code="shift_started")
    _lock_shift(shift.id)
    db.session.refresh(signup)  # the status as it is now, under the lock
    held_slot = _move_signup(signup, "cancel", cancelled_at=utcnow()) == CONFIRMED
    promoted = None
    if held_slot:
        _free_slot(shift.id)
        promoted = _promote_first_waitlisted(shift)
    db.session.expire(shift, ["booked_count"])
    return promoted


def waitlist_lengths(shift_ids: list[int]) -> dict[int, int]:
    """{shift id: people waiting}, one grouped query."""
    if not shift_ids:
        return {}
    rows = db.session.execute(
        select(ShiftSignup.shift_id, func.count()).where(ShiftSignup.shift_id.in_(shift_ids),
                                                         ShiftSignup.status == WAITLISTED)
        .group_by(ShiftSignup.shift_id))
    return dict(rows.all())


def signups_of(user, shift_ids: list[int]) -> dict[int, ShiftSignup]:
    """{shift id: this user's sign-up} for the shifts on a page, one query."""
    if not shift_ids or user is None or not user.is_authenticated:
        return {}
    rows = db.session.scalars(select(ShiftSignup).where(ShiftSignup.user_id == user.id,
                                                        ShiftSignup.shift_id.in_(shift_ids)))
    return {signup.shift_id: signup for signup in rows}


def waitlist_positions(signups: list[ShiftSignup]) -> dict[int, int]:
    """{sign-up id: place in its shift's waitlist, from 1} for waitlisted sign-ups, one query."""
    waiting = [signup for signup in signups if signup.status == WAITLISTED]
    if not waiting:
        return {}
    rows = db.session.execute(
        select(ShiftSignup.id, ShiftSignup.shift_id)
        .where(ShiftSignup.shift_id.in_({signup.shift_id for signup in waiting}), ShiftSignup.status == WAITLISTED)
        .order_by(ShiftSignup.shift_id, ShiftSignup.created_at, ShiftSignup.id))
    positions, seen = {}, {}
    for signup_id, shift_id in rows:
        seen[shift_id] = seen.get(shift_id, 0) + 1
        positions[signup_id] = seen[shift_id]
    return positions


# --- check-in by QR code --------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CHECK_IN_SALT)


def check_in_token(signup: ShiftSignup) -> str:
    """The signed token in the volunteer's QR code; it names the sign-up and nothing else."""
    return _serializer().dumps({"signup": signup.id})


def signup_from_token(token: str) -> ShiftSignup | None:
    """The sign-up a token names, or None for a tampered, foreign or expired token."""
    try:
        data = _serializer().loads(token, max_age=CHECK_IN_MAX_AGE)
    except BadSignature:  # includes SignatureExpired
        return None
    signup_id = data.get("signup") if isinstance(data, dict) else None
    if not isinstance(signup_id, int):
        return None
    return db.session.get(ShiftSignup, signup_id)


def check_in_url(signup: ShiftSignup) -> str:
    return _link("volunteering.check_in_by_token", token=check_in_token(signup))


# --- on the day: check in, no-show (check-out records hours: hours.py) ---------------------------

def check_in_opens_at(shift: Shift) -> datetime:
    return shift.starts_at - CHECK_IN_OPENS_BEFORE


def roster_closes_at(shift: Shift) -> datetime:
    return shift.ends_at + ROSTER_CLOSES_AFTER


def _check_roster_open(shift: Shift, now: datetime, *, from_start: bool = False) -> None:
    opens = shift.starts_at if from_start else check_in_opens_at(shift)
    if now < opens:
        raise DomainError(_("It is too early: check-in opens two hours before the shift starts.")
                          if not from_start else _("The shift has not started yet."), code="too_early")
    if now > roster_closes_at(shift):
        raise DomainError(_("The roster of this shift closed a week after it ended."), code="roster_closed")


def check_in(signup: ShiftSignup, actor) -> ShiftSignup:
    now = utcnow()
    _check_signup_step(signup, "check_in")
    _check_roster_open(signup.shift, now)
    _move_signup(signup, "check_in", checked_in_at=now, checked_in_by_id=actor.id)
    return signup


def mark_no_show(signup: ShiftSignup, actor) -> ShiftSignup:
    _check_signup_step(signup, "no_show")
    _check_roster_open(signup.shift, utcnow(), from_start=True)
    _move_signup(signup, "no_show")
    return signup


# --- reminders ------------------------------------------------------------------------------------

REMINDER_FROM, REMINDER_TO = timedelta(hours=24), timedelta(hours=48)


def shifts_due_for_reminder(now: datetime | None = None) -> list[int]:
    """Shifts starting 24 to 48 hours from now whose volunteers have not been reminded."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(Shift.id).where(Shift.starts_at >= now + REMINDER_FROM, Shift.starts_at < now + REMINDER_TO,
                               Shift.reminder_sent_at.is_(None)).order_by(Shift.starts_at, Shift.id)))


def send_shift_reminder(shift_id: int, now: datetime | None = None) -> int:
    """Claim the shift's reminder (one guarded UPDATE, so two runs cannot both send) and mail its
    confirmed volunteers. Returns the number of mails sent (0 when another run claimed it)."""
    now = now or utcnow()
    claimed = db.session.execute(
        update(Shift).where(Shift.id == shift_id, Shift.reminder_sent_at.is_(None))
        .values(reminder_sent_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return 0
    shift = db.session.get(Shift, shift_id)
    db.session.refresh(shift)
    signups = db.session.scalars(select(ShiftSignup).where(ShiftSignup.shift_id == shift_id,
                                                           ShiftSignup.status == CONFIRMED)
                                 .order_by(ShiftSignup.id)).all()
    for signup in signups:
        user = signup.user
        with force_locale(user.locale):
            subject = _("Reminder: “%(title)s”, %(when)s", title=_shift_title(shift), when=timespan(shift))
            body = _("Thank you for volunteering. Your shift “%(title)s” for %(project)s is %(when)s at "
                     "%(where)s.\n\nShow the QR code on your volunteering page when you arrive. If you cannot "
                     "come, please cancel there so someone on the waitlist can go:\n%(link)s",
                     title=_shift_title(shift), project=shift.opportunity.project.title, when=timespan(shift),
                     where=where(shift) or "—", link=_link("volunteering.me"))
            send_mail(user.email, subject, body)
    return len(signups)


# --- queries for pages ----------------------------------------------------------------------------

def upcoming_shifts_query(place=None, skill: str = "", now: datetime | None = None):
    """Upcoming shifts of open opportunities on public projects, soonest first; filtered by place subtree
    (the shift's place, or for a shift without one, the project's places) and by a skill word."""
    from sqlalchemy.orm import joinedload

    from portal.places.models import Place
    from portal.projects.models import ProjectPlace

    now = now or utcnow()
    statement = (select(Shift).join(Shift.opportunity).join(Opportunity.project)
                 .where(Shift.starts_at > now, Opportunity.is_open.is_(True),
                        ServiceProject.status.in_(OPEN_FOR_VOLUNTEERS))
                 .options(joinedload(Shift.opportunity).joinedload(Opportunity.project)
                          .joinedload(ServiceProject.organisation), joinedload(Shift.place))
                 .order_by(Shift.starts_at, Shift.id))
    if place is not None:
        inside = select(Place.id).where(Place.path.startswith(place.path, autoescape=True))
        project_inside = select(ProjectPlace.project_id).where(ProjectPlace.place_id.in_(inside))
        statement = statement.where(or_(Shift.place_id.in_(inside),
                                        and_(Shift.place_id.is_(None), Opportunity.project_id.in_(project_inside))))
    skill = (skill or "").strip()
    if skill:
        statement = statement.where(or_(Shift.skills.icontains(skill, autoescape=True),
                                        Opportunity.skills.icontains(skill, autoescape=True)))
    return statement
