"""The published scoring formulas on hand-checked cases, and a call's totals with their breakdown."""
import pytest
from flask_babel import force_locale

from portal.extensions import db
from portal.procurement import hooks, scoring
from portal.procurement.models import PAST_PERFORMANCE, ROADSHOW, AwardCriterion, RoadshowVote
from portal.procurement.ranking import rank_call
from tests.factories.accounts import UserFactory
from tests.factories.evaluation import World, give_scores, in_evaluation, seat


@pytest.fixture(autouse=True)
def _english():
    """Services outside a request speak Chinese (the default); these tests read the English messages."""
    with force_locale("en"):
        yield


FLOOR, CAP = 15_000_000, 30_000_000


@pytest.mark.parametrize(("price", "expected"), [
    (12_000_000, 30.0),  # under the floor: no more than full marks (underbidding earns nothing)
    (15_000_000, 30.0),
    (20_000_000, 20.0),  # 30 x (30 - 20) / (30 - 15)
    (25_000_000, 10.0),  # 30 x 5 / 15
    (30_000_000, 0.0),
    (31_000_000, 0.0),
])
def test_price_is_linear_between_the_floor_and_the_cap(price, expected):
    assert scoring.price_score(price, FLOOR, CAP, 30) == pytest.approx(expected)


def test_price_is_not_lowest_wins_two_prices_under_the_floor_score_the_same():
    assert scoring.price_score(1_000_000, FLOOR, CAP, 30) == scoring.price_score(14_999_999, FLOOR, CAP, 30)


def test_quality_is_the_weight_times_the_mean_of_points_over_five():
    assert scoring.quality_score([4, 3], 40) == pytest.approx(28.0)  # 40 x 3.5 / 5
    assert scoring.quality_score([5], 30) == pytest.approx(30.0)
    assert scoring.quality_score([], 30) == 0.0


def test_quality_points_outside_zero_to_five_are_refused():
    with pytest.raises(ValueError):
        scoring.quality_score([6], 30)


def test_past_performance_without_ratings_is_neutral_half_the_weight():
    assert scoring.past_performance_score(None, 10) == (5.0, True)
    assert scoring.past_performance_score(0.8, 10) == (pytest.approx(8.0), False)


def test_roadshow_scores_votes_against_the_most_voted_bid():
    assert scoring.roadshow_score(3, 6, 20) == pytest.approx(10.0)
    assert scoring.roadshow_score(6, 6, 20) == pytest.approx(20.0)


def test_roadshow_with_no_votes_at_all_gives_zero_to_everyone():
    assert scoring.roadshow_score(0, 0, 20) == 0.0


def _scored_world():
    """Price 30, 服务方案 40, 团队 30. A at 20m: e1 (4, 3), e2 (5, 3); B at 25m: e1 (5, 5), e2 (5, 4)."""
    world = World(prices=(20_000_000, 25_000_000))
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, world.e2, declared=True, submitted=True)
    give_scores(world.call, world.e1, {world.bids["a"]: [4, 3], world.bids["b"]: [5, 5]})
    give_scores(world.call, world.e2, {world.bids["a"]: [5, 3], world.bids["b"]: [5, 4]})
    return world


def test_the_ranking_totals_each_bid_out_of_100_by_criterion():
    world = _scored_world()
    (lot,) = rank_call(world.call)
    totals = {row.bid.id: row.total for row in lot.ranked}
    # A: price 20 + 服务方案 40 x 4.5/5 = 36 + 团队 30 x 3/5 = 18 -> 74; B: 10 + 40 + 27 -> 77
    assert totals == {world.bids["a"].id: 74.0, world.bids["b"].id: 77.0}
    assert [row.bid.id for row in lot.ranked] == [world.bids["b"].id, world.bids["a"].id]
    assert [line.score for line in lot.ranked[1].breakdown.lines] == [20.0, 36.0, 18.0]


def test_a_recused_evaluators_score_does_not_count():
    world = World(prices=(20_000_000, 25_000_000))
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, declared=True, submitted=True)
    seat(world.call, world.official, world.e2, declared=True, submitted=True, conflicts=[world.orgs["a"]])
    give_scores(world.call, world.e1, {world.bids["a"]: [4, 3]})
    give_scores(world.call, world.e2, {world.bids["a"]: [0, 0]})  # stored by hand: the service refuses it
    (lot,) = rank_call(world.call)
    row = lot.row_of(world.bids["a"].id)
    assert [line.score for line in row.breakdown.lines] == [20.0, 32.0, 18.0]


def test_past_performance_with_no_ratings_is_shown_as_neutral():
    world = World(prices=(20_000_000,), quality_criteria=(("服务方案", 30),), price_weight=30)
    db.session.add(AwardCriterion(call_id=world.call.id, position=9, kind=PAST_PERFORMANCE, name="过往履约",
                                  weight=40))
    db.session.flush()
    db.session.expire(world.call)
    (lot,) = rank_call(world.call)
    line = lot.ranked[0].breakdown.lines[-1]
    assert (line.score, line.note) == (20.0, "neutral: no earlier contract ratings")


def test_past_performance_reads_the_hook_when_a_rating_exists():
    world = World(prices=(20_000_000,), quality_criteria=(("服务方案", 30),), price_weight=30)
    db.session.add(AwardCriterion(call_id=world.call.id, position=9, kind=PAST_PERFORMANCE, name="过往履约",
                                  weight=40))
    db.session.flush()
    db.session.expire(world.call)

    def rating(organisation):
        return 0.9

    hooks.past_performance.register(rating)
    try:
        (lot,) = rank_call(world.call)
    finally:
        hooks.past_performance._handlers.remove(rating)
    assert lot.ranked[0].breakdown.lines[-1].score == 36.0


def test_roadshow_votes_count_against_the_most_voted_bid_of_the_lot():
    world = World(prices=(20_000_000, 25_000_000), quality_criteria=(("服务方案", 50),), price_weight=30)
    db.session.add(AwardCriterion(call_id=world.call.id, position=9, kind=ROADSHOW, name="路演投票", weight=20))
    for bid, voters in ((world.bids["a"], 3), (world.bids["b"], 6)):
        for _n in range(voters):
            db.session.add(RoadshowVote(call_id=world.call.id, bid_id=bid.id, user_id=UserFactory().id))
    db.session.flush()
    db.session.expire(world.call)
    (lot,) = rank_call(world.call)
    assert lot.row_of(world.bids["a"].id).breakdown.lines[-1].score == 10.0
    assert lot.row_of(world.bids["b"].id).breakdown.lines[-1].score == 20.0


def test_roadshow_with_no_votes_scores_zero_for_all_and_says_so():
    world = World(prices=(20_000_000, 25_000_000), quality_criteria=(("服务方案", 50),), price_weight=30)
    db.session.add(AwardCriterion(call_id=world.call.id, position=9, kind=ROADSHOW, name="路演投票", weight=20))
    db.session.flush()
    db.session.expire(world.call)
    (lot,) = rank_call(world.call)
    lines = [row.breakdown.lines[-1] for row in lot.ranked]
    assert [line.score for line in lines] == [0.0, 0.0]
    assert lines[0].note == "no roadshow votes were cast: 0 for every bid"
