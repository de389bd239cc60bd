"""Abnormally low bids (异常低价): flagged at the opening, explained by the bidder, decided by the buyer.

A valid bid is flagged, per lot, when
- its price is at least 40% below the mean of the OTHER valid bids of the lot, or at least 30% below the next
  lowest bid (Prozorro's rule), or
- its staff cost (the sum of its staff lines) is below the local hourly minimum wage x its staff hours (people
  x hours, summed over the staff lines): the organisation would underpay its staff or cut the service.
The arithmetic is pure functions on integers (fen), so "at least 40% below" is exact: price <= 60% of the
mean is `price * 10 * n <= 6 * sum(others)`, no rounding. A flagged bid gets a LowPriceReview: the bidder
explains by `explain_by` (the opening + EXPLAIN_DAYS); the buyer accepts or rejects the bid with a written
reason, and rejects only after reading an explanation or once the time for one has passed (EU directive
2014/24 art. 69). A rejected bid is disqualified.
"""
from datetime import timedelta

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit import service as audit
from portal.core.errors import DomainError, ValidationFailed
from portal.core.lifecycle import move_status
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications import service as notifications
from portal.procurement.bids import organisation_admin_ids, staff_cost_and_hours
from portal.procurement.catalogue import minimum_wage_for
from portal.procurement.models import (
    ACCEPTED,
    ASKED,
    DISQUALIFIED,
    EXPLAINED,
    LOW_PRICE_STATUSES,
    REJECTED,
    VALID,
    LowPriceReview,
)

EXPLAIN_DAYS = 5  # the bidder's time to explain, from the opening
BELOW_MEAN, BELOW_NEXT, UNDER_MINIMUM_WAGE = "below_mean_of_others", "below_next_lowest", "staff_under_minimum_wage"
RULE_LABELS = {BELOW_MEAN: _l("At least 40 percent below the mean of the other bids"),
               BELOW_NEXT: _l("At least 30 percent below the next lowest bid"),
               UNDER_MINIMUM_WAGE: _l("Staff cost below the local minimum wage x staff hours")}
REVIEW_TRANSITIONS = {ASKED: {EXPLAINED, ACCEPTED, REJECTED}, EXPLAINED: {EXPLAINED, ACCEPTED, REJECTED}}


# --- the arithmetic (pure) -----------------------------------------------------------------------------
def _percent_below(price: int, reference: float) -> float:
    return round(100 * (reference - price) / reference, 1) if reference else 0.0


def below_mean_of_others(price: int, others: list[int]) -> dict | None:
    """Flag when `price` is at least 40% below the mean of `others` (price <= 0.6 x mean); the detail or None."""
    if not others:
        return None
    total = sum(others)
    if price * 10 * len(others) > 6 * total:
        return None
    mean = total / len(others)
    return {"rule": BELOW_MEAN, "price_minor": price, "mean_of_others_minor": round(mean),
            "percent_below": _percent_below(price, mean)}


def below_next_lowest(price: int, others: list[int]) -> dict | None:
    """Flag when `price` is at least 30% below the next lowest bid (the lowest of the others not below it):
    price <= 0.7 x next. A bid with a cheaper bid below it is compared with the next one up, as Prozorro does
    for each bid in turn."""
    higher = [other for other in others if other >= price]
    if not higher:
        return None
    following = min(higher)
    if price * 10 > 7 * following:
        return None
    return {"rule": BELOW_NEXT, "price_minor": price, "next_lowest_minor": following,
            "percent_below": _percent_below(price, following)}


def under_minimum_wage(staff_cost_minor: int, staff_hours: int, hourly_wage_minor: int | None) -> dict | None:
    """Flag when the staff cost is below the minimum wage x the staff hours."""
    if not hourly_wage_minor or staff_hours <= 0:
        return None
    floor = hourly_wage_minor * staff_hours
    if staff_cost_minor >= floor:
        return None
    return {"rule": UNDER_MINIMUM_WAGE, "staff_cost_minor": staff_cost_minor, "staff_hours": staff_hours,
            "hourly_minimum_wage_minor": hourly_wage_minor, "minimum_staff_cost_minor": floor}


def price_reasons(prices: dict[int, int]) -> dict[int, list[dict]]:
    """Prozorro's rule for each bid of one lot: {bid id: [reasons]} (only flagged bids), from {bid id: price}."""
    flagged = {}
    for bid_id, price in prices.items():
        others = [p for other_id, p in prices.items() if other_id != bid_id]
        reasons = [r for r in (below_mean_of_others(price, others), below_next_lowest(price, others)) if r]
        if reasons:
            flagged[bid_id] = reasons
    return flagged


# --- at the opening ------------------------------------------------------------------------------------
def flag_opened_call(call, opened_bids: list, contents: dict, opened_at) -> list[LowPriceReview]:
    """Flag the abnormally low bids of each successful lot of a call being opened; the reviews made."""
    wage = minimum_wage_for(call.place)
    reviews = []
    for lot in call.lots:
        if lot.unsuccessful:
            continue
        lot_bids = [bid for bid in opened_bids if bid.lot_id == lot.id and bid.status == VALID]
        reasons = price_reasons({bid.id: bid.opened_price_minor for bid in lot_bids})
        for bid in lot_bids:
            cost, hours = staff_cost_and_hours(contents[bid.id].get("cost_lines", []))
            wage_reason = under_minimum_wage(cost, hours, wage)
            found = reasons.get(bid.id, []) + ([wage_reason] if wage_reason else [])
            if not found:
                continue
            review = LowPriceReview(bid_id=bid.id, reasons=found, status=ASKED,
                                    explain_by=opened_at + timedelta(days=EXPLAIN_DAYS))
            db.session.add(review)
            reviews.append(review)
    db.session.flush()
    for review in reviews:
        audit.record("low_price.flagged", "low_price_review", review.id, actor=None,
                     after={"bid": review.bid_id, "reasons": review.reasons,
                            "explain_by": review.explain_by.isoformat()})
        bid = next(bid for bid in opened_bids if bid.id == review.bid_id)
        notifications.notify_many(organisation_admin_ids([bid.organisation_id]), "low_price_asked",
                                  f"{call.reference} {call.title}"[:200],
                                  _("Your price was flagged as abnormally low. Explain it by %(time)s on the "
                                    "call's page, or the buyer may reject the bid.",
                                    time=format_datetime(review.explain_by, "short")))
    return reviews


# --- the bidder and the buyer --------------------------------------------------------------------------
def _what() -> str:
    return _("An abnormally-low-price review")


def explain(review: LowPriceReview, actor, explanation: str) -> LowPriceReview:
    """The bidder's explanation (how it can deliver at this price); may be revised until `explain_by`."""
    text = (explanation or "").strip()
    if not text:
        raise ValidationFailed(_("Write your explanation."), field="explanation")
    if review.status not in (ASKED, EXPLAINED):
        raise DomainError(_("The buyer has already decided on this bid's price."))
    if utcnow() >= review.explain_by:
        raise DomainError(_("The time to explain ended at %(time)s.",
                            time=format_datetime(review.explain_by, "short")), code="late")
    before = move_status(review, REVIEW_TRANSITIONS, LOW_PRICE_STATUSES, EXPLAINED, _what())
    review.explanation, review.explained_at = text, utcnow()
    audit.record("low_price.explained", "low_price_review", review.id, actor=actor,
                 before={"status": before}, after={"status": EXPLAINED, "bid": review.bid_id})
    db.session.flush()
    return review


def may_reject_now(review: LowPriceReview) -> bool:
    """A bid is rejected only after its explanation was read or the time for one has passed."""
    return review.status == EXPLAINED or utcnow() >= review.explain_by


def decide(review: LowPriceReview, actor, accept: bool, reason: str) -> LowPriceReview:
    """The buyer accepts the price (the bid stays valid) or rejects it (the bid is disqualified), with a
    written reason."""
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(_("Write the reason for your decision."), field="reason")
    target = ACCEPTED if accept else REJECTED
    if review.status in (ACCEPTED, REJECTED):
        raise DomainError(_("This price has already been decided."))
    if not accept and not may_reject_now(review):
        raise DomainError(_("The bidder may explain until %(time)s; a bid is rejected only after its "
                            "explanation or once that time has passed.",
                            time=format_datetime(review.explain_by, "short")))
    before = move_status(review, REVIEW_TRANSITIONS, LOW_PRICE_STATUSES, target, _what())
    review.decision_reason, review.decided_by_id, review.decided_at = text, actor.id, utcnow()
    bid = review.bid
    if not accept:
        if bid.status != VALID:
            raise DomainError(_("Only a valid bid can be disqualified."))
        bid.status = DISQUALIFIED
    audit.record(f"low_price.{target}", "low_price_review", review.id, actor=actor,
                 before={"status": before}, after={"status": target, "bid": review.bid_id,
                                                   "bid_status": bid.status, "reason": text})
    db.session.flush()
    return review


def reviews_of_call(call_id: int) -> dict[int, LowPriceReview]:
    """{bid id: review} for a call's flagged bids, in one query."""
    from portal.procurement.models import Bid

    rows = db.session.scalars(select(LowPriceReview).join(Bid, Bid.id == LowPriceReview.bid_id)
                              .where(Bid.call_id == call_id))
    return {review.bid_id: review for review in rows}
