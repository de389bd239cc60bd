"""Award and publicity (中标公示) with objections (质疑).

The buyer decides the award per lot from the ranking (ranking.py) with written reasons: EVALUATION ->
AWARDED, and the publicity period runs `publicity_days` from then. During it an admin of a bidding
organisation may file an objection; an open objection freezes the award. The buyer answers it: dismissed,
the award stands; upheld, the call's awards are cancelled and the call goes back to evaluation. When the
period has ended with no open objection the award is confirmed, exactly once (`end_due_publicity`, run by
the worker every minute and by pages on read through portal/procurement/timed.py).
"""
from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from portal.audit import service as audit
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.formatting import local_datetime, translated
from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement import evaluation, policy, steps
from portal.procurement.models import (
    AWARDED,
    CONFIRMED,
    CONTRACTED,
    DISMISSED,
    EVALUATION,
    OBJECTION_OPEN,
    OBJECTION_STATUSES,
    UPHELD,
    Award,
    Bid,
    Call,
    Objection,
)
from portal.procurement.ranking import rank_call

REASONS_MAX, GROUNDS_MIN, GROUNDS_MAX, ANSWER_MAX = 5000, 5, 5000, 5000
AWARD_SHOWN = (AWARDED, CONFIRMED, CONTRACTED)  # states in which the award notice is public


# --- reading -------------------------------------------------------------------------------------------
def current_awards(call: Call) -> list[Award]:
    return list(db.session.scalars(select(Award).options(joinedload(Award.bid).joinedload(Bid.organisation),
                                                         joinedload(Award.lot))
                                   .where(Award.call_id == call.id, Award.cancelled_at.is_(None))
                                   .order_by(Award.lot_id, Award.total_score.desc(), Award.id)))


def cancelled_awards(call: Call) -> list[Award]:
    return list(db.session.scalars(select(Award).options(joinedload(Award.bid).joinedload(Bid.organisation))
                                   .where(Award.call_id == call.id, Award.cancelled_at.is_not(None))
                                   .order_by(Award.decided_at, Award.id)))


def objections_of(call: Call) -> list[Objection]:
    return list(db.session.scalars(select(Objection).options(joinedload(Objection.organisation))
                                   .where(Objection.call_id == call.id).order_by(Objection.filed_at, Objection.id)))


def has_open_objection(call: Call) -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Objection)
                                  .where(Objection.call_id == call.id, Objection.status == OBJECTION_OPEN)))


def in_publicity(call: Call) -> bool:
    return call.status == AWARDED and call.publicity_ends_at is not None and utcnow() < call.publicity_ends_at


def my_scores(call: Call, user) -> list[dict]:
    """For an admin of a bidding organisation, after the award: per lot where it bid, its own ranked row
    beside the winners' rows (never another unsuccessful bidder's)."""
    if call.status not in AWARD_SHOWN:
        raise DomainError(_("The scores are shown to the bidders once the award is published."))
    mine = policy.organisation_ids_administered(user)
    winners = {award.bid_id for award in current_awards(call)}
    lots = []
    for lot_ranking in rank_call(call):
        own = [row for row in lot_ranking.ranked if row.bid.organisation_id in mine]
        own_excluded = [bid for bid in lot_ranking.excluded if bid.organisation_id in mine]
        if not own and not own_excluded:
            continue
        lots.append({"lot": lot_ranking.lot, "own": own, "own_excluded": own_excluded,
                     "winners": [row for row in lot_ranking.ranked
                                 if row.bid.id in winners and row.bid.organisation_id not in mine]})
    return lots


def notice_context(call, user) -> dict:
    """What the public award notice shows (also the call page's award section)."""
    end_publicity_if_due(call)
    objections = objections_of(call)
    return {"call": call, "awards": current_awards(call), "cancelled": cancelled_awards(call),
            "objections": objections, "in_publicity": in_publicity(call),
            "may_object": policy.can_object(user, call), "is_buyer": policy.can_manage_call(user, call),
            "own_objection_ids": {o.id for o in objections if policy.can_view_objection(user, o)},
            "objection_statuses": translated(OBJECTION_STATUSES)}


# --- the award decision (the buyer) ----------------------------------------------------------------------
def decide_award(call: Call, actor, choices: dict, reasons: dict) -> list[Award]:
    """`choices`: lot id -> bid ids chosen (at most the lot's max_awards); `reasons`: lot id -> the written
    reasons, required for every lot with a choice. Refused, with nothing stored, while a panel member has not
    submitted, while a bid of the lot awaits its abnormally-low-price decision, or for a disqualified bid."""
    steps.check_call_step(call, AWARDED)
    if not evaluation.all_submitted(call):
        raise DomainError(_("Every panel member must submit their scores before the award is decided."))
    rankings = {r.lot.id: r for r in rank_call(call)}
    unknown_lots = set(choices) - rankings.keys()
    if unknown_lots:
        raise ValidationFailed(_("A chosen bid is not one of this call's lots."))
    awards, record = [], []
    for lot_id, lot_ranking in rankings.items():
        chosen = [int(b) for b in choices.get(lot_id, [])]
        if not chosen:
            continue
        lot = lot_ranking.lot
        if len(set(chosen)) != len(chosen) or len(chosen) > lot.max_awards:
            raise ValidationFailed(ngettext_awards(lot.max_awards), field=f"lot_{lot_id}")
        for bid_id in chosen:
            excluded = next((b for b in lot_ranking.excluded if b.id == bid_id), None)
            if excluded is not None:
                raise DomainError(_("The bid of %(name)s is disqualified and cannot be awarded.",
                                    name=excluded.organisation.name))
            if lot_ranking.row_of(bid_id) is None:
                raise ValidationFailed(_("A chosen bid is not a bid of lot %(num)d.", num=lot.number),
                                       field=f"lot_{lot_id}")
        if lot_ranking.blockers:
            raise DomainError(lot_ranking.blockers[0])
        text = (reasons.get(lot_id) or "").strip()
        if not text:
            raise ValidationFailed(_("Give the reasons for the award of lot %(num)d.", num=lot.number),
                                   field=f"reasons_{lot_id}")
        if len(text) > REASONS_MAX:
            raise ValidationFailed(_("The reasons are at most %(num)d characters.", num=REASONS_MAX),
                                   field=f"reasons_{lot_id}")
        rows = [lot_ranking.row_of(bid_id) for bid_id in chosen]
        lowest_rank = max(row.rank for row in rows)
        passed_over = [row.bid.id for row in lot_ranking.ranked
                       if row.rank < lowest_rank and row.bid.id not in chosen]
        for row in rows:
            awards.append(Award(call_id=call.id, lot_id=lot_id, bid_id=row.bid.id, total_score=row.total,
                                amount_minor=row.bid.opened_price_minor or 0, reasons=text,
                                decided_by_id=actor.id, decided_at=utcnow()))
            record.append({"lot": lot_id, "bid": row.bid.id, "rank": row.rank, "total_score": row.total,
                           "amount_minor": row.bid.opened_price_minor, "passed_over": passed_over})
    if not awards:
        raise ValidationFailed(_("Choose at least one bid to award."))
    db.session.add_all(awards)
    now = utcnow()
    steps.move_call(call, AWARDED, actor, "call.awarded", awards=record)
    call.awarded_at = now
    call.publicity_ends_at = now + timedelta(days=call.publicity_days)
    db.session.flush()
    evaluation.tell(evaluation.bidder_admin_ids(call), call.title,
                     _("The award is published. See the notice and your scores; objections are taken until "
                       "%(when)s.", when=local_datetime(call.publicity_ends_at)),
                     url_for("procurement.award_notice", call_id=call.id))
    return awards


def ngettext_awards(max_awards: int) -> str:
    from flask_babel import ngettext

    return ngettext("Choose at most %(num)d bid in this lot.", "Choose at most %(num)d bids in this lot.",
                    max_awards)


# --- objections --------------------------------------------------------------------------------------------
def file_objection(call: Call, actor, organisation_id: int, grounds: str) -> Objection:
    """An admin of a bidding organisation objects during the publicity period; the award is frozen until the
    buyer answers."""
    if organisation_id not in policy.bidding_organisation_ids(actor, call):
        raise ValidationFailed(_("Choose one of your organisations that bid in this call."), field="organisation")
    db.session.execute(select(Call.id).where(Call.id == call.id).with_for_update())  # against the confirmation
    db.session.refresh(call)
    if call.status in AWARD_SHOWN and call.publicity_ends_at is not None and utcnow() >= call.publicity_ends_at:
        raise IllegalTransition(_("The publicity period ended on %(when)s; objections are no longer taken.",
                                  when=local_datetime(call.publicity_ends_at)))
    if call.status != AWARDED:
        raise IllegalTransition(_("Objections are taken during the publicity period of an award only."))
    grounds = (grounds or "").strip()
    if len(grounds) < GROUNDS_MIN:
        raise ValidationFailed(_("Set out the grounds of the objection (at least %(num)d characters).",
                                 num=GROUNDS_MIN), field="grounds")
    if len(grounds) > GROUNDS_MAX:
        raise ValidationFailed(_("The grounds are at most %(num)d characters.", num=GROUNDS_MAX), field="grounds")
    if db.session.scalar(select(exists().where(Objection.call_id == call.id,
                                               Objection.organisation_id == organisation_id,
                                               Objection.status == OBJECTION_OPEN))):
        raise DomainError(_("Your organisation already has an objection awaiting an answer on this call."))
    objection = Objection(call_id=call.id, organisation_id=organisation_id, filed_by_id=actor.id, grounds=grounds,
                          filed_at=utcnow(), status=OBJECTION_OPEN)
    db.session.add(objection)
    db.session.flush()
    audit.record("objection.filed", "objection", objection.id, actor=actor,
                 after={"call": call.id, "organisation": organisation_id, "grounds": grounds})
    return objection


def answer_objection(objection: Objection, actor, outcome: str, answer: str) -> Objection:
    """Dismissed: the award stands (and is confirmed when the period ends with nothing else open). Upheld: the
    call's awards are cancelled and it goes back to evaluation; other open objections close with it."""
    if objection.status != OBJECTION_OPEN:
        raise IllegalTransition(_("This objection has already been answered."))
    if outcome not in (UPHELD, DISMISSED):
        raise ValidationFailed(_("Choose whether the objection is upheld or dismissed."), field="outcome")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed(_("Write the answer the objector will read."), field="answer")
    if len(answer) > ANSWER_MAX:
        raise ValidationFailed(_("The answer is at most %(num)d characters.", num=ANSWER_MAX), field="answer")
    call = db.session.get(Call, objection.call_id)
    now = utcnow()
    if outcome == UPHELD:
        steps.check_call_step(call, EVALUATION)
        cancelled = current_awards(call)
        for award in cancelled:
            award.cancelled_at = now
        steps.move_call(call, EVALUATION, actor, "call.award_cancelled",
                        cancelled_awards=[a.id for a in cancelled], objection=objection.id)
        call.awarded_at = None
        call.publicity_ends_at = None
        others = db.session.scalars(select(Objection).where(Objection.call_id == call.id,
                                                            Objection.status == OBJECTION_OPEN,
                                                            Objection.id != objection.id))
        for other in others:
            _close(other, actor, UPHELD, _("The award was cancelled on another objection; the call is evaluated "
                                           "again."), now)
    _close(objection, actor, outcome, answer, now)
    db.session.flush()
    evaluation.tell([objection.filed_by_id], call.title, _("Your objection is answered."),
                     url_for("procurement.objection_detail", call_id=call.id, objection_id=objection.id))
    return objection


def _close(objection: Objection, actor, outcome: str, answer: str, now) -> None:
    objection.status, objection.answer = outcome, answer
    objection.answered_by_id, objection.answered_at = actor.id, now
    audit.record("objection.answered", "objection", objection.id, actor=actor, before={"status": OBJECTION_OPEN},
                 after={"status": outcome, "answer": answer})


# --- the end of publicity (timed) -------------------------------------------------------------------------
def _publicity_due():
    """Awarded calls whose publicity period is over and that no open objection freezes."""
    frozen = exists().where(Objection.call_id == Call.id, Objection.status == OBJECTION_OPEN)
    return select(Call).where(Call.status == AWARDED, Call.publicity_ends_at <= utcnow(), ~frozen)


def _confirm(call: Call) -> bool:
    if not steps.claim_step(call, AWARDED, CONFIRMED):
        return False  # another worker or request confirmed it first
    call.confirmed_at = utcnow()
    db.session.flush()
    audit.record("call.award_confirmed", "call", call.id, actor=audit.SYSTEM, before={"status": AWARDED},
                 after={"status": CONFIRMED, "publicity_ended_at": call.publicity_ends_at.isoformat()})
    return True


def end_due_publicity() -> list[int]:
    """Confirm every awarded call whose publicity period has ended with no open objection; the ids."""
    return [call.id for call in db.session.scalars(_publicity_due()).all() if _confirm(call)]


def end_publicity_if_due(call) -> bool:
    """The same for one call a page is about to show."""
    if call.status != AWARDED or call.publicity_ends_at is None or utcnow() < call.publicity_ends_at:
        return False
    if has_open_objection(call):
        return False
    return _confirm(call)
