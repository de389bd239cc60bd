"""The loop, end to end: a contract's final evaluation enters the organisation's record and its next bid's
past-performance score (portal/procurement/ranking.py), replacing the neutral placeholder."""
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.contracts import evaluation
from portal.contracts.models import RATED_AREAS
from portal.extensions import db
from portal.procurement.hooks import past_performance_rating
from portal.procurement.models import PAST_PERFORMANCE, AwardCriterion, Bid
from portal.procurement.ranking import rank_call
from tests.contracts.payments_world import world_fixture  # noqa: F401
from tests.factories.evaluation import make_bidder
from tests.factories.procurement import opened_call


@pytest.fixture(autouse=True)
def _english():
    with force_locale("en"):
        yield


def _rated(world, value: int):
    evaluation.mark_delivered(world.contract, world.official)
    return evaluation.submit_evaluation(world.contract, world.official, {
        area: {"rating": value, "narrative": "依据回访与服务记录"} for area in RATED_AREAS})


def _next_call_ranking(world):
    """A new call of the same buyer with a 40-point past-performance criterion, bid by the organisation and a
    newcomer at the same price; returns {organisation id: the past-performance line}."""
    newcomer, _admin = make_bidder(world.tree["community"])
    call = opened_call(world.department, world.official, [world.organisation, newcomer], [20_000_000, 20_000_000],
                       world.org_admin, quality_criteria=(("服务方案", 30),), price_weight=30)
    db.session.add(AwardCriterion(call_id=call.id, position=9, kind=PAST_PERFORMANCE, name="过往履约", weight=40))
    db.session.flush()
    db.session.expire(call)
    (lot,) = rank_call(call)
    bids = {bid.organisation_id: bid for bid in db.session.scalars(select(Bid).where(Bid.call_id == call.id))}
    return {org_id: lot.row_of(bid.id).breakdown.lines[-1] for org_id, bid in bids.items()}, newcomer


def test_a_final_evaluation_scores_the_organisations_next_bid(world, clock):
    _rated(world, 4)  # overall 4 of 5 -> (4 - 1) / 4 = 0.75 of the criterion's 40 points
    clock.move(days=evaluation.REBUTTAL_DAYS, minutes=1)
    assert evaluation.finalise_due_evaluations()["closed"] == [world.contract.id]
    lines, newcomer = _next_call_ranking(world)
    assert lines[world.organisation.id].score == pytest.approx(30.0)
    assert "neutral" not in (lines[world.organisation.id].note or "")
    assert (lines[newcomer.id].score, lines[newcomer.id].note) == (20.0, "neutral: no earlier contract ratings")


def test_a_rating_still_open_for_rebuttal_does_not_count_yet(world):
    _rated(world, 1)
    lines, _newcomer = _next_call_ranking(world)
    assert (lines[world.organisation.id].score, lines[world.organisation.id].note) == (
        20.0, "neutral: no earlier contract ratings")


def test_the_score_is_the_mean_of_the_final_ratings_mapped_to_zero_to_one(world, clock):
    _rated(world, 5)
    evaluation.submit_evaluation(world.contract, world.evaluator, {
        area: {"rating": 2, "narrative": "第三方评估"} for area in RATED_AREAS})
    clock.move(days=evaluation.REBUTTAL_DAYS, minutes=1)
    evaluation.finalise_due_evaluations()
    # mean overall (5 + 2) / 2 = 3.5 -> (3.5 - 1) / 4 = 0.625
    assert past_performance_rating(world.organisation) == pytest.approx(0.625)
