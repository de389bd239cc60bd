"""The roadshow (路演) of a venture-philanthropy contest: residents vote from their phones for one project,
only during the event's window and once per account (a unique constraint, caught in a savepoint like
needs.service.link_need). The votes count in the ranking by the published roadshow weight (scoring.py).

Before the opening the bids are sealed, so the roadshow shows nothing until the call is opened; then only
the bidders' names and project titles (never prices or content).
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.audit import service as audit
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.formatting import local_datetime
from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement import policy
from portal.procurement.models import CONTEST, VALID, Bid, Call, RoadshowVote


@dataclass
class Entry:
    bid: Bid
    title: str  # the project's title: the lot's title when the bid names none
    votes: int | None  # shown once the window has closed


def load_contest(call_id: int) -> Call | None:
    """The call when it is a contest with a roadshow (other calls have no roadshow page: 404)."""
    call = db.session.get(Call, call_id)
    return call if call is not None and call.mode == CONTEST and call.roadshow_starts_at is not None else None


def window_state(call: Call) -> str:
    """'before', 'open' or 'after' the voting window."""
    now = utcnow()
    if now < call.roadshow_starts_at:
        return "before"
    return "open" if now < call.roadshow_ends_at else "after"


def entries(call: Call) -> list[Entry]:
    """The projects on show: names and titles only, and the vote counts once voting has closed."""
    if call.opened_at is None:
        return []
    bids = list(db.session.scalars(select(Bid).options(joinedload(Bid.organisation), joinedload(Bid.lot))
                                   .where(Bid.call_id == call.id, Bid.status == VALID).order_by(Bid.id)))
    if window_state(call) != "after":
        return [Entry(bid=b, title=b.lot.title, votes=None) for b in bids]
    counts = dict(db.session.execute(select(RoadshowVote.bid_id, func.count()).where(RoadshowVote.call_id == call.id)
                                     .group_by(RoadshowVote.bid_id)).all())
    return [Entry(bid=b, title=b.lot.title, votes=counts.get(b.id, 0)) for b in bids]


def vote_of(call: Call, user) -> RoadshowVote | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(select(RoadshowVote).where(RoadshowVote.call_id == call.id,
                                                        RoadshowVote.user_id == user.id))


def vote(call: Call, user, bid_id) -> RoadshowVote:
    """One vote per account, for a project of this contest, inside the window; anything else stores nothing."""
    state = window_state(call)
    if state == "before":
        raise IllegalTransition(_("Voting opens at %(when)s.", when=local_datetime(call.roadshow_starts_at)))
    if state == "after":
        raise IllegalTransition(_("Voting closed at %(when)s.", when=local_datetime(call.roadshow_ends_at)))
    if call.opened_at is None:
        raise IllegalTransition(_("The projects are shown once the bids are opened."))
    try:
        bid = db.session.get(Bid, int(bid_id))
    except (TypeError, ValueError):
        bid = None
    if bid is None or bid.call_id != call.id or bid.status != VALID:
        raise ValidationFailed(_("Choose one of the projects on show."), field="bid")
    if bid.organisation_id in policy.organisation_ids_administered(user):
        raise DomainError(_("You cannot vote for your own organisation's project."))
    ballot = RoadshowVote(call_id=call.id, bid_id=bid.id, user_id=user.id, voted_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(ballot)
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("You have already voted in this roadshow: one vote per account.")) from None
    audit.record("roadshow.voted", "call", call.id, actor=user, after={"bid": bid.id})
    return ballot
