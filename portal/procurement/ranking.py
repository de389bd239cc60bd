"""The ranking of a call's bids per lot, each with its score breakdown by published criterion (scoring.py),
and what blocks an award: a bid awaiting the abnormally-low-price decision, or a disqualified bid chosen.

Read-only: the award decision (awards.py) and the pages (ranking, award notice, "my scores") read it. A
fixed number of queries whatever the number of bids: the bids with their organisations, the scores, the
recusals, the roadshow votes and the low-price reviews, each in one query.
"""
from dataclasses import dataclass, field

from flask_babel import gettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.core.formatting import money
from portal.extensions import db
from portal.procurement import evaluation, scoring
from portal.procurement.hooks import past_performance_rating
from portal.procurement.models import (
    ACCEPTED,
    ASKED,
    DISQUALIFIED,
    EXPLAINED,
    PAST_PERFORMANCE,
    PRICE,
    QUALITY,
    REJECTED,
    ROADSHOW,
    VALID,
    Bid,
    Call,
    Lot,
    LowPriceReview,
    RoadshowVote,
    Score,
)

UNDECIDED_REVIEW = (ASKED, EXPLAINED)


@dataclass
class RankedBid:
    bid: Bid
    breakdown: scoring.Breakdown
    rank: int = 0
    review: LowPriceReview | None = None

    @property
    def total(self) -> float:
        return self.breakdown.total

    @property
    def awardable(self) -> bool:
        return self.bid.status == VALID and (self.review is None or self.review.status == ACCEPTED)


@dataclass
class LotRanking:
    lot: Lot
    ranked: list[RankedBid] = field(default_factory=list)
    excluded: list[Bid] = field(default_factory=list)  # disqualified: not ranked

    @property
    def blockers(self) -> list[str]:
        """Why the lot cannot be awarded yet: each names the bid."""
        return [_("The bid of %(name)s awaits the decision on its abnormally low price.",
                  name=row.bid.organisation.name)
                for row in self.ranked if row.review is not None and row.review.status in UNDECIDED_REVIEW]

    def row_of(self, bid_id: int) -> RankedBid | None:
        return next((row for row in self.ranked if row.bid.id == bid_id), None)


def lot_floor(call: Call, lot: Lot) -> int:
    """The price floor of a lot: the call's floor as the same share of the lot's cap (one lot: the floor)."""
    if lot.budget_cap_minor == call.budget_cap_minor:
        return call.price_floor_minor
    return call.price_floor_minor * lot.budget_cap_minor // call.budget_cap_minor


def rank_call(call: Call) -> list[LotRanking]:
    bids = list(db.session.scalars(select(Bid).options(joinedload(Bid.organisation))
                                   .where(Bid.call_id == call.id, Bid.status.in_((VALID, DISQUALIFIED)))
                                   .order_by(Bid.id)))
    scores = evaluation.all_scores(call)
    recused = evaluation.recusals(call)
    votes = dict(db.session.execute(select(RoadshowVote.bid_id, func.count()).where(RoadshowVote.call_id == call.id)
                                    .group_by(RoadshowVote.bid_id)).all())
    reviews = {r.bid_id: r for r in db.session.scalars(
        select(LowPriceReview).where(LowPriceReview.bid_id.in_([b.id for b in bids])))} if bids else {}
    return _rank(call, bids, scores, recused, votes, reviews, past_performance_rating)


def rank_calls(calls: list[Call], *, notes: bool = True) -> dict[int, list[LotRanking]]:
    """`rank_call` of many calls at once, with the same rankings: each of its reads is one query for all the
    calls (not five per call), and each organisation's past-performance rating is asked of the hook once (the
    rankings of one moment share it). For the red-flag snapshot, which ranks every awarded call and reads only
    the totals (`notes=False`: no sentence per score line)."""
    calls = list(calls)
    if not calls:
        return {}
    call_ids = [call.id for call in calls]
    bids_of: dict[int, list[Bid]] = {call_id: [] for call_id in call_ids}
    for bid in db.session.scalars(select(Bid).options(joinedload(Bid.organisation))
                                  .where(Bid.call_id.in_(call_ids), Bid.status.in_((VALID, DISQUALIFIED)))
                                  .order_by(Bid.id)):
        bids_of[bid.call_id].append(bid)
    scores_of: dict[int, list] = {call_id: [] for call_id in call_ids}
    for score in db.session.execute(  # plain rows: the ranking reads these four columns of a Score
            select(Score.call_id, Score.bid_id, Score.criterion_id, Score.evaluator_id, Score.points)
            .where(Score.call_id.in_(call_ids))
            .order_by(Score.call_id, Score.bid_id, Score.criterion_id, Score.evaluator_id)):
        scores_of[score.call_id].append(score)
    recused_of = evaluation.recusals_of(call_ids)
    votes_of: dict[int, dict[int, int]] = {call_id: {} for call_id in call_ids}
    for call_id, bid_id, count in db.session.execute(
            select(RoadshowVote.call_id, RoadshowVote.bid_id, func.count()).where(RoadshowVote.call_id.in_(call_ids))
            .group_by(RoadshowVote.call_id, RoadshowVote.bid_id)):
        votes_of[call_id][bid_id] = count
    reviews = {r.bid_id: r for r in db.session.scalars(
        select(LowPriceReview).join(Bid, Bid.id == LowPriceReview.bid_id).where(Bid.call_id.in_(call_ids)))}
    ratings: dict[int, float | None] = {}

    def rating_of(organisation) -> float | None:
        if organisation.id not in ratings:
            ratings[organisation.id] = past_performance_rating(organisation)
        return ratings[organisation.id]

    return {call.id: _rank(call, bids_of[call.id], scores_of[call.id], recused_of.get(call.id, set()),
                           votes_of[call.id], {b.id: reviews[b.id] for b in bids_of[call.id] if b.id in reviews},
                           rating_of, notes)
            for call in calls}


def _rank(call: Call, bids: list[Bid], scores, recused: set, votes: dict, reviews: dict, rating_of,
          notes: bool = True) -> list[LotRanking]:
    points: dict[tuple[int, int], list[int]] = {}
    by_id = {b.id: b for b in bids}
    for score in scores:
        bid = by_id.get(score.bid_id)
        if bid is None or (score.evaluator_id, bid.organisation_id) in recused:
            continue
        points.setdefault((score.bid_id, score.criterion_id), []).append(score.points)
    rankings = []
    for lot in call.lots:
        ranking = LotRanking(lot=lot)
        lot_bids = [b for b in bids if b.lot_id == lot.id]
        valid = [b for b in lot_bids if b.status == VALID
                 and not (reviews.get(b.id) is not None and reviews[b.id].status == REJECTED)]
        ranking.excluded = [b for b in lot_bids if b not in valid]
        max_votes = max((votes.get(b.id, 0) for b in valid), default=0)
        for bid in valid:
            ranking.ranked.append(RankedBid(bid=bid, review=reviews.get(bid.id),
                                            breakdown=breakdown(call, lot, bid, points, votes.get(bid.id, 0),
                                                                max_votes, rating_of, notes)))
        ranking.ranked.sort(key=lambda row: (-row.total, row.bid.opened_price_minor or 0, row.bid.id))
        for position, row in enumerate(ranking.ranked, start=1):
            row.rank = position
        rankings.append(ranking)
    return rankings


def _no_note(*args, **kwargs) -> str:
    return ""


def breakdown(call: Call, lot: Lot, bid: Bid, points: dict, votes: int, max_votes: int,
              rating_of=past_performance_rating, notes: bool = True) -> scoring.Breakdown:
    """The bid's score per criterion; with `notes=False` the lines say nothing (same scores, no translated
    sentence per line: for figures that only add the totals up)."""
    _ = gettext if notes else _no_note
    result = scoring.Breakdown()
    for criterion in call.criteria:
        weight = criterion.weight
        if criterion.kind == PRICE:
            floor, cap = lot_floor(call, lot), lot.budget_cap_minor
            price = bid.opened_price_minor or 0
            score = scoring.price_score(price, floor, cap, weight)
            note = _("%(price)s against a floor of %(floor)s and a cap of %(cap)s",
                     price=money(price, call.currency), floor=money(floor, call.currency),
                     cap=money(cap, call.currency))
        elif criterion.kind == QUALITY:
            given = points.get((bid.id, criterion.id), [])
            score = scoring.quality_score(given, weight)
            note = (_("mean %(mean).1f of 5 from %(num)d evaluators", mean=sum(given) / len(given), num=len(given))
                    if given else _("not scored yet"))
        elif criterion.kind == PAST_PERFORMANCE:
            score, neutral = scoring.past_performance_score(rating_of(bid.organisation), weight)
            note = _("neutral: no earlier contract ratings") if neutral else _("from earlier contract ratings")
        elif criterion.kind == ROADSHOW:
            score = scoring.roadshow_score(votes, max_votes, weight)
            note = (_("%(num)d roadshow votes of at most %(max)d", num=votes, max=max_votes) if max_votes
                    else _("no roadshow votes were cast: 0 for every bid"))
        else:  # an unknown kind scores nothing rather than guessing
            score, note = 0.0, ""
        result.lines.append(scoring.Line(criterion_id=criterion.id, kind=criterion.kind, name=criterion.name,
                                         weight=weight, score=round(score, 2), note=note))
    return result
