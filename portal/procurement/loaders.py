"""Loaders for object_policy (portal/core/policy.py): each returns the object named by the URL's ids, or None
when it is missing or the ids do not belong together (a bid of another call), which answers 404."""
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.procurement.models import (
    Bid,
    BidFile,
    Call,
    CallQuestion,
    Department,
    Lot,
    LowPriceReview,
    Objection,
)


def load_department(department_id: int) -> Department | None:
    return db.session.scalar(select(Department).options(joinedload(Department.place))
                             .where(Department.id == department_id))


def load_call(call_id: int) -> Call | None:
    return db.session.scalar(select(Call).options(
        joinedload(Call.department).joinedload(Department.place), joinedload(Call.place),
        selectinload(Call.lots).selectinload(Lot.lines), selectinload(Call.criteria)).where(Call.id == call_id))


def load_lot(call_id: int, lot_id: int) -> Lot | None:
    lot = db.session.get(Lot, lot_id)
    return lot if lot is not None and lot.call_id == call_id else None


def load_bid(call_id: int, bid_id: int) -> Bid | None:
    bid = db.session.scalar(select(Bid).options(joinedload(Bid.call).joinedload(Call.department)
                                                .joinedload(Department.place),
                                                joinedload(Bid.organisation), joinedload(Bid.lot))
                            .where(Bid.id == bid_id))
    return bid if bid is not None and bid.call_id == call_id else None


def load_bid_file(call_id: int, bid_id: int, file_id: int) -> BidFile | None:
    bid_file = db.session.get(BidFile, file_id)
    if bid_file is None or bid_file.bid_id != bid_id or load_bid(call_id, bid_id) is None:
        return None
    return bid_file


def load_question(call_id: int, question_id: int) -> CallQuestion | None:
    question = db.session.get(CallQuestion, question_id)
    return question if question is not None and question.call_id == call_id else None


def load_low_price_review(call_id: int, bid_id: int) -> LowPriceReview | None:
    bid = load_bid(call_id, bid_id)
    if bid is None:
        return None
    return db.session.scalar(select(LowPriceReview).where(LowPriceReview.bid_id == bid.id))


def load_objection(call_id: int, objection_id: int) -> Objection | None:
    objection = db.session.get(Objection, objection_id)
    return objection if objection is not None and objection.call_id == call_id else None
