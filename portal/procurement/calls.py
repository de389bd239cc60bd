"""The only code that drafts, publishes, amends, cancels and reissues calls (the four modes share it).

Every step goes through portal/procurement/steps.py, so an illegal one is the same 409 everywhere. What a
call must say is checked in call_rules.py. Drafts are edited freely; once published, every change is a
CallRevision shown on the call's page (what changed, before and after, and why), and a change made less
than LATE_AMENDMENT_NOTICE_DAYS before the bid deadline moves the deadline so bidders have that long to
respond. Publishing links the call to each resident need it answers, through the needs domain.
"""
from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from portal.audit import service as audit
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.needs import service as needs
from portal.needs.models import Need
from portal.notifications import service as notifications
from portal.procurement import steps
from portal.procurement.call_rules import (
    CallDetails,
    CriterionDraft,
    LineDraft,
    LotDraft,
    check_draft,
    check_publishable,
    clean_text,
    deadline_after_amendment,
    local_year,
)
from portal.procurement.models import (
    AWARDED,
    CANCELLED,
    DRAFT,
    PUBLISHED,
    UNSUCCESSFUL,
    WITHDRAWN,
    Award,
    AwardCriterion,
    Bid,
    Call,
    CallNeed,
    CallRevision,
    Lot,
    LotLine,
)

# An amendment this close to the bid deadline moves the deadline to now + this many days.
LATE_AMENDMENT_NOTICE_DAYS = 3
LATE_AMENDMENT_NOTICE = timedelta(days=LATE_AMENDMENT_NOTICE_DAYS)
REISSUABLE = (UNSUCCESSFUL, CANCELLED)

# the fields of a call a revision compares, in the order a revision lists them
SCALAR_FIELDS = ("title", "category", "place_id", "description", "eligibility", "budget_cap_minor",
                 "price_floor_minor", "min_bids", "questions_until", "bids_until", "publicity_days",
                 "invited_organisation_id", "roadshow_starts_at", "roadshow_ends_at", "roadshow_place",
                 "consultation", "no_need_reason")
TIME_FIELDS = ("questions_until", "bids_until", "roadshow_starts_at", "roadshow_ends_at")


# --- reading a call back as details ------------------------------------------------------------------------
def details_of(call: Call) -> CallDetails:
    need_ids = list(db.session.scalars(select(CallNeed.need_id).where(CallNeed.call_id == call.id)
                                       .order_by(CallNeed.need_id)))
    return CallDetails(
        mode=call.mode, category=call.category, title=call.title, place_id=call.place_id,
        budget_cap_minor=call.budget_cap_minor, price_floor_minor=call.price_floor_minor,
        description=call.description or "", eligibility=call.eligibility or "", min_bids=call.min_bids,
        questions_until=call.questions_until, bids_until=call.bids_until, publicity_days=call.publicity_days,
        invited_organisation_id=call.invited_organisation_id, roadshow_starts_at=call.roadshow_starts_at,
        roadshow_ends_at=call.roadshow_ends_at, roadshow_place=call.roadshow_place or "",
        consultation=call.consultation or "", no_need_reason=call.no_need_reason or "", need_ids=need_ids,
        lots=[LotDraft(title=lot.title, cap_minor=lot.budget_cap_minor, max_awards=lot.max_awards,
                       lines=[LineDraft(item_id=line.catalogue_item_id, quantity=line.quantity)
                              for line in lot.lines]) for lot in call.lots],
        criteria=[CriterionDraft(kind=c.kind, name=c.name, weight=c.weight, rubric=c.rubric or "")
                  for c in call.criteria])


def snapshot(call: Call) -> dict:
    """The call as plain JSON values, for revisions and the audit log."""
    values = {}
    for name in SCALAR_FIELDS:
        value = getattr(call, name)
        values[name] = value.isoformat() if name in TIME_FIELDS and value is not None else value
    values["lots"] = [{"number": lot.number, "title": lot.title, "budget_cap_minor": lot.budget_cap_minor,
                       "max_awards": lot.max_awards,
                       "lines": [[line.item.code, line.item.name, line.quantity] for line in lot.lines]}
                      for lot in call.lots]
    values["criteria"] = [[c.kind, c.name, c.weight, c.rubric or ""] for c in call.criteria]
    values["need_ids"] = sorted(db.session.scalars(select(CallNeed.need_id).where(CallNeed.call_id == call.id)))
    return values


# --- storing details ---------------------------------------------------------------------------------------
def _store(call: Call, details: CallDetails) -> None:
    for name in SCALAR_FIELDS:
        setattr(call, name, getattr(details, name))
    call.mode = details.mode
    db.session.flush()
    _store_lots(call, details.lots)
    db.session.execute(delete(AwardCriterion).where(AwardCriterion.call_id == call.id))
    for position, criterion in enumerate(details.criteria):
        db.session.add(AwardCriterion(call_id=call.id, position=position, kind=criterion.kind, name=criterion.name,
                                      weight=criterion.weight, rubric=criterion.rubric))
    db.session.flush()
    db.session.expire(call, ["lots", "criteria"])


def _store_lots(call: Call, lots: list[LotDraft]) -> None:
    """Lots are kept by number (bids point at them); their lines are replaced."""
    existing = {lot.number: lot for lot in db.session.scalars(select(Lot).where(Lot.call_id == call.id))}
    for number, draft in enumerate(lots, start=1):
        lot = existing.pop(number, None)
        if lot is None:
            lot = Lot(call_id=call.id, number=number)
            db.session.add(lot)
        lot.title, lot.budget_cap_minor, lot.max_awards = draft.title, draft.cap_minor, draft.max_awards
        db.session.flush()
        db.session.execute(delete(LotLine).where(LotLine.lot_id == lot.id))
        for line in draft.lines:
            db.session.add(LotLine(lot_id=lot.id, catalogue_item_id=line.item_id, quantity=line.quantity))
    for lot in existing.values():
        if db.session.scalar(select(func.count()).select_from(Bid).where(Bid.lot_id == lot.id)):
            raise ValidationFailed(_("Lot %(n)d has bids and cannot be removed.", n=lot.number), field="lots")
        db.session.execute(delete(LotLine).where(LotLine.lot_id == lot.id))
        db.session.delete(lot)
    db.session.flush()


def _store_needs(call: Call, need_ids: list[int]) -> None:
    db.session.execute(delete(CallNeed).where(CallNeed.call_id == call.id))
    for need_id in need_ids:
        db.session.add(CallNeed(call_id=call.id, need_id=need_id))
    db.session.flush()


def _add_with_reference(call: Call, department) -> None:
    """Number the call within its department's year (2026-D3-007) and insert it; when another official's draft
    took the number in the meantime, take the next one."""
    prefix = f"{local_year(utcnow())}-D{department.id}-"
    for attempt in range(5):
        count = db.session.scalar(select(func.count()).select_from(Call).where(Call.reference.startswith(prefix)))
        call.reference = f"{prefix}{count + 1 + attempt:03d}"
        try:
            with db.session.begin_nested():
                db.session.add(call)
                db.session.flush()
            return
        except IntegrityError:
            continue
    raise DomainError(_("Many calls are being drafted at this moment; save again."))


def tell_bidders(call: Call, body: str) -> int:
    """Notify the people who submitted a bid still standing on `call` (never what anyone bid)."""
    user_ids = db.session.scalars(select(Bid.submitted_by_id).where(Bid.call_id == call.id, Bid.status != WITHDRAWN))
    return notifications.notify_many(user_ids, "call_changed", call.title, body=body,
                                     url=url_for("procurement.call_detail", call_id=call.id))


# --- drafts ------------------------------------------------------------------------------------------------
def create_draft(department, actor, details: CallDetails, reissue_of: Call | None = None) -> Call:
    """A new draft call of `department` (its buyer's officials edit it freely until it is published)."""
    check_draft(department, details)
    call = Call(department_id=department.id, mode=details.mode,
                category=details.category, title=details.title, place_id=details.place_id,
                budget_cap_minor=details.budget_cap_minor, status=DRAFT, created_by_id=actor.id,
                created_at=utcnow(), reissue_of_id=reissue_of.id if reissue_of is not None else None)
    _add_with_reference(call, department)
    _store(call, details)
    _store_needs(call, details.need_ids)
    audit.record("call.drafted", "call", call.id, actor=actor,
                 after={"reference": call.reference, "mode": call.mode, "title": call.title,
                        "reissue_of": call.reissue_of_id})
    return call


def update_draft(call: Call, actor, details: CallDetails) -> Call:
    if call.status != DRAFT:
        raise IllegalTransition(_("Only a draft is edited freely; amend a published call instead, with a summary "
                                  "of what changed."))
    check_draft(call.department, details)
    before = snapshot(call)
    _store(call, details)
    _store_needs(call, details.need_ids)
    audit.record("call.draft_updated", "call", call.id, actor=actor, before=before, after=snapshot(call))
    return call


# --- publishing --------------------------------------------------------------------------------------------
def publish_call(call: Call, actor) -> Call:
    """Check everything, open the call (draft -> published) and link it to each need it answers."""
    steps.check_call_step(call, PUBLISHED)
    now = utcnow()
    details = details_of(call)
    check_publishable(call.department, details, now)
    if details.mode != "contest":  # the roadshow fields belong to contests only
        call.roadshow_starts_at = call.roadshow_ends_at = None
        call.roadshow_place = ""
    steps.move_call(call, PUBLISHED, actor, "call.published", bids_until=details.bids_until.isoformat())
    call.published_at = now
    _link_needs(call, actor, details.need_ids)
    db.session.flush()
    return call


def _link_needs(call: Call, actor, need_ids) -> None:
    if not need_ids:
        return
    note = _("Answered by the call for services %(reference)s.", reference=call.reference)
    for need in db.session.scalars(select(Need).where(Need.id.in_(need_ids)).order_by(Need.id)):
        needs.link_need(need, actor, "tender", call.id, note)


# --- amending a published call -----------------------------------------------------------------------------
def amend_call(call: Call, actor, details: CallDetails, summary: str) -> CallRevision:
    """Change a published call before its bid deadline; kept as a public revision."""
    now = utcnow()
    if call.status != PUBLISHED or call.bids_until is None or now >= call.bids_until:
        raise IllegalTransition(_("A call is amended only while it is open for bids, before its deadline."))
    summary = clean_text(summary, "summary", 2_000, _("Say what changed and why: bidders read it."))
    if details.mode != call.mode:
        raise ValidationFailed(_("The mode of a published call does not change; cancel it and draft another."),
                               field="mode")
    _keep_unchanged_times(call, details)
    before = snapshot(call)
    old_need_ids = set(before["need_ids"])
    if not old_need_ids <= set(details.need_ids):
        raise ValidationFailed(_("A published call keeps the needs it answers; you may add needs."),
                               field="needs")
    questions_changed = details.questions_until != call.questions_until
    bids_until, extended = deadline_after_amendment(details.bids_until or call.bids_until, now,
                                                    LATE_AMENDMENT_NOTICE)
    details.bids_until = bids_until
    check_publishable(call.department, details, now, amending=True, questions_changed=questions_changed)
    _store(call, details)
    _store_needs(call, details.need_ids)
    after = snapshot(call)
    changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if not changes:
        raise ValidationFailed(_("Nothing changed: a revision records a change."), field="summary")
    call.revision += 1
    revision = CallRevision(call_id=call.id, number=call.revision, summary=summary, changes=changes,
                            deadline_extended=extended, made_by_id=actor.id, made_at=now)
    db.session.add(revision)
    db.session.flush()
    _link_needs(call, actor, sorted(set(details.need_ids) - old_need_ids))
    tell_bidders(call, _("The call was amended (revision %(n)d): %(summary)s", n=revision.number, summary=summary))
    audit.record("call.amended", "call", call.id, actor=actor, before={k: v[0] for k, v in changes.items()},
                 after={**{k: v[1] for k, v in changes.items()}, "revision": revision.number,
                        "deadline_extended": extended, "summary": summary})
    return revision


def _keep_unchanged_times(call: Call, details: CallDetails) -> None:
    """The form shows times to the minute: a time typed back as it was shown is the call's own time."""
    for name in TIME_FIELDS:
        typed, stored = getattr(details, name), getattr(call, name)
        if typed is not None and stored is not None and typed == stored.replace(second=0, microsecond=0):
            setattr(details, name, stored)


# --- cancelling and reissuing ------------------------------------------------------------------------------
def cancel_call(call: Call, actor, reason: str) -> Call:
    """Stop a call, with a public reason (from draft, open, opened, under evaluation or in publicity)."""
    steps.check_call_step(call, CANCELLED)
    reason = clean_text(reason, "reason", 2_000, _("Give the reason for cancelling: it is shown publicly."))
    was = call.status
    steps.move_call(call, CANCELLED, actor, "call.cancelled", reason=reason)
    call.closed_reason = reason
    tell_bidders(call, _("The call was cancelled: %(reason)s", reason=reason))
    if was == AWARDED:
        for award in db.session.scalars(select(Award).where(Award.call_id == call.id,
                                                            Award.cancelled_at.is_(None))):
            award.cancelled_at = utcnow()
    db.session.flush()
    return call


def reissue_call(call: Call, actor) -> Call:
    """Copy an unsuccessful or cancelled call into a new draft (new dates to be set) that names it."""
    if call.status not in REISSUABLE:
        raise IllegalTransition(_("Only an unsuccessful or cancelled call is reissued."))
    details = details_of(call)
    details.questions_until = details.bids_until = None
    details.roadshow_starts_at = details.roadshow_ends_at = None
    try:
        return create_draft(call.department, actor, details, reissue_of=call)
    except DomainError as error:  # e.g. a catalogue item removed since: say so on the old call's page
        raise IllegalTransition(_("The call cannot be copied as it stands: %(why)s", why=error.message)) from None


def reissues_of(call: Call) -> list[Call]:
    return list(db.session.scalars(select(Call).where(Call.reissue_of_id == call.id).order_by(Call.id)))
