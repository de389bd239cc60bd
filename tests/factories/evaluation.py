"""Evaluation and award factories: a panel with its declarations and scores, an award in publicity, built
directly (the services' own rules are tested through the services in tests/procurement/test_evaluation*.py)."""
import itertools
from datetime import timedelta

from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement.models import (
    AWARDED,
    CONTEST,
    EVALUATION,
    QUALITY,
    Award,
    Bid,
    ConflictDeclaration,
    PanelMember,
    Score,
)
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation

_worlds = itertools.count(1)


def make_bidder(place, name: str | None = None):
    """A verified organisation with its own admin: (organisation, admin)."""
    from portal.accounts import roles
    from portal.orgs.models import VERIFIED

    admin = UserFactory()
    organisation = make_organisation(admin, place, status=VERIFIED, name=name)
    grant(admin, roles.ORG_ADMIN, organisation)
    return organisation, admin


def make_evaluator(place):
    from portal.accounts import roles

    user = UserFactory()
    grant(user, roles.EVALUATOR, place)
    return user


def seat(call, official, *evaluators, declared: bool = False, conflicts=(), submitted: bool = False):
    """Put `evaluators` on the call's panel; `declared` records a declaration for every bidding organisation
    (conflicted for the organisations in `conflicts`)."""
    bids = db.session.query(Bid).filter(Bid.call_id == call.id).all()
    org_ids = sorted({b.organisation_id for b in bids})
    for evaluator in evaluators:
        member = PanelMember(call_id=call.id, user_id=evaluator.id, named_by_id=official.id)
        if declared:
            member.declared_at = utcnow()
            for org_id in org_ids:
                conflicted = org_id in {o.id for o in conflicts}
                db.session.add(ConflictDeclaration(call_id=call.id, user_id=evaluator.id, organisation_id=org_id,
                                                   conflicted=conflicted, note="曾任该机构理事" if conflicted else ""))
        if submitted:
            member.submitted_at = utcnow()
        db.session.add(member)
    db.session.flush()


def in_evaluation(call):
    call.status = EVALUATION
    call.evaluation_started_at = utcnow()
    db.session.flush()
    return call


def give_scores(call, evaluator, points_by_bid: dict):
    """`points_by_bid`: bid -> points (one number for every quality criterion, or a list in criterion order)."""
    criteria = [c for c in call.criteria if c.kind == QUALITY]
    for bid, points in points_by_bid.items():
        values = points if isinstance(points, list | tuple) else [points] * len(criteria)
        for criterion, value in zip(criteria, values, strict=True):
            db.session.add(Score(call_id=call.id, bid_id=bid.id, criterion_id=criterion.id,
                                 evaluator_id=evaluator.id, points=value, comment="方案具体，可操作"))
    db.session.flush()


def award(call, official, bid, total_score: float = 80.0, publicity_days: int | None = None):
    """An award of `bid` decided now, in its publicity period."""
    now = utcnow()
    db.session.add(Award(call_id=call.id, lot_id=bid.lot_id, bid_id=bid.id, total_score=total_score,
                         amount_minor=bid.opened_price_minor, reasons="综合得分最高", decided_by_id=official.id))
    call.status = AWARDED
    call.awarded_at = now
    call.publicity_ends_at = now + timedelta(days=publicity_days or call.publicity_days)
    db.session.flush()


def contest_fields(opens_in_hours: float = -1, hours: float = 3) -> dict:
    now = utcnow()
    return {"mode": CONTEST, "roadshow_starts_at": now + timedelta(hours=opens_in_hours),
            "roadshow_ends_at": now + timedelta(hours=opens_in_hours + hours), "roadshow_place": "社区文化广场"}



class World:
    """A district buyer with a call opened (closed) with bids from three verified organisations, and two
    evaluators holding the evaluator role on the district. Attributes: tree, official, department, call,
    orgs (a, b, c), admins (of each), bids (by organisation letter), e1, e2."""

    def __init__(self, prices=(20_000_000, 25_000_000, 28_000_000), **call_fields):
        from portal.accounts import roles
        from tests.factories.places import make_tree
        from tests.factories.procurement import make_department, opened_call

        self.tree = make_tree()
        self.official = UserFactory()
        grant(self.official, roles.OFFICIAL, self.tree["district"])
        self.department = make_department(self.tree["district"])
        self.orgs, self.admins = {}, {}
        n = next(_worlds)
        for letter in "abc"[:len(prices)]:
            self.orgs[letter], self.admins[letter] = make_bidder(self.tree["community"], name=f"{letter}社工中心{n}")
        self.call = opened_call(self.department, self.official, list(self.orgs.values()), list(prices),
                                self.admins["a"], **call_fields)
        by_org = {b.organisation_id: b for b in db.session.query(Bid).filter(Bid.call_id == self.call.id)}
        self.bids = {letter: by_org[org.id] for letter, org in self.orgs.items()}
        self.e1 = make_evaluator(self.tree["district"])
        self.e2 = make_evaluator(self.tree["district"])

    @property
    def quality(self):
        return [c for c in self.call.criteria if c.kind == QUALITY]
