"""The opening of bids at the deadline (开标): exactly once per call, by the background worker or by a page.

`open_call` locks the call's row, counts the sealed bids of each lot, and takes the step with
steps.claim_step (a conditional UPDATE), so of two workers racing for the same call exactly one opens it; the
other finds it no longer published and does nothing. The winner unseals each submitted bid through
bids.read_bid_content (the only way to read one), copies its price out for the opening record and the
ranking, marks it valid, flags abnormally low prices (lowprice.py), writes one "call.opened" audit record
with the bidders, prices and receipt hashes, and tells the bidders. A lot with fewer valid bids than the
call's minimum is unsuccessful; a call whose every lot is unsuccessful is unsuccessful itself.
"""
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.audit import service as audit
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications import service as notifications
from portal.procurement import bids as bid_service
from portal.procurement import lowprice
from portal.procurement.models import CLOSED, PUBLISHED, SUBMITTED, UNSUCCESSFUL, VALID, Bid, Call
from portal.procurement.steps import claim_step


def due_call_ids(now=None) -> list[int]:
    now = now or utcnow()
    return list(db.session.scalars(select(Call.id).where(Call.status == PUBLISHED, Call.bids_until <= now)
                                   .order_by(Call.bids_until, Call.id)))


def open_due_calls() -> list[int]:
    """Open every published call whose bid deadline has passed; the ids this worker opened (the caller
    commits: the worker after each run, a request at its end)."""
    opened = []
    for call_id in due_call_ids():
        call = db.session.get(Call, call_id)
        if call is not None and open_call(call):
            opened.append(call_id)
    return opened


def open_if_due(call) -> bool:
    """A page about to show `call` opens it first when its deadline has passed (the worker may be late)."""
    if call.status != PUBLISHED or call.bids_until is None or call.bids_until > utcnow():
        return False
    return open_call(call)


def open_call(call: Call) -> bool:
    """Open `call` if nobody has yet: True for the one caller that did."""
    locked = db.session.scalar(select(Call).where(Call.id == call.id).with_for_update()
                               .execution_options(populate_existing=True))
    if locked is None or locked.status != PUBLISHED or locked.bids_until > utcnow():
        return False
    counts = dict(db.session.execute(select(Bid.lot_id, func.count()).where(
        Bid.call_id == call.id, Bid.status == SUBMITTED).group_by(Bid.lot_id)).all())
    short_lots = [lot for lot in call.lots if counts.get(lot.id, 0) < call.min_bids]
    target = UNSUCCESSFUL if len(short_lots) == len(call.lots) else CLOSED
    if not claim_step(call, PUBLISHED, target):
        return False  # another worker or request opened it first
    now = utcnow()
    call.opened_at = now
    for lot in short_lots:
        lot.unsuccessful = True
    if target == UNSUCCESSFUL:
        call.closed_reason = _("Fewer bids than the minimum of %(min)d arrived by the deadline.", min=call.min_bids)
    submitted = list(db.session.scalars(select(Bid).where(Bid.call_id == call.id, Bid.status == SUBMITTED)
                                        .order_by(Bid.lot_id, Bid.id)))
    contents = {}
    for bid in submitted:
        content = bid_service.read_bid_content(bid)
        contents[bid.id] = content
        bid.opened_price_minor = int(content["price_minor"])
        bid.status = VALID
    db.session.flush()
    reviews = lowprice.flag_opened_call(call, submitted, contents, now)
    audit.record("call.opened", "call", call.id, actor=audit.SYSTEM, before={"status": PUBLISHED},
                 after={"status": target, "opened_at": now.isoformat(),
                        "bids": [{"bid": bid.id, "lot": bid.lot_id, "organisation": bid.organisation_id,
                                  "price_minor": bid.opened_price_minor, "receipt": bid.receipt_sha256,
                                  "version": bid.version} for bid in submitted],
                        "unsuccessful_lots": [lot.id for lot in short_lots],
                        "low_price_reviews": [review.bid_id for review in reviews]})
    _notify_bidders(call, submitted)
    db.session.flush()
    return True


def _notify_bidders(call: Call, submitted: list[Bid]) -> None:
    users = bid_service.organisation_admin_ids({bid.organisation_id for bid in submitted})
    try:
        url = url_for("procurement.opening_record", call_id=call.id)
    except RuntimeError:  # no request and no SERVER_NAME: the worker outside a configured app
        url = ""
    notifications.notify_many(users, "bids_opened", f"{call.reference} {call.title}"[:200],
                              _("The bids were opened: see the opening record, with each bidder's price and "
                                "receipt hash."), url)


def opening_record(call: Call) -> list[Bid]:
    """The bids as the opening record lists them: every bid that reached the opening, by lot and price."""
    from sqlalchemy.orm import joinedload

    rows = db.session.scalars(select(Bid).options(joinedload(Bid.organisation), joinedload(Bid.lot))
                              .where(Bid.call_id == call.id).order_by(Bid.lot_id, Bid.id))
    return sorted(rows, key=lambda bid: (bid.lot.number, bid.opened_price_minor is None,
                                         bid.opened_price_minor or 0, bid.id))
