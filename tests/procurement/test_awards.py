"""The award decision, publicity, objections and the end of publicity (exactly once, frozen by an open
objection), with the controllable clock."""
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.extensions import db
from portal.procurement import awards
from portal.procurement.models import (
    ASKED,
    AWARDED,
    CONFIRMED,
    DISMISSED,
    DISQUALIFIED,
    EVALUATION,
    OBJECTION_OPEN,
    UPHELD,
    Award,
    LowPriceReview,
    Objection,
)
from tests.factories.evaluation import World, award, give_scores, in_evaluation, seat


@pytest.fixture(autouse=True)
def _english():
    """Services outside a request speak Chinese (the default); these tests read the English messages."""
    with force_locale("en"):
        yield


def _count(model, **where) -> int:
    statement = select(func.count()).select_from(model)
    for name, value in where.items():
        statement = statement.where(getattr(model, name) == value)
    return db.session.scalar(statement)


def _evaluated(prices=(20_000_000, 25_000_000, 28_000_000), **fields):
    """Every bid scored by one submitted evaluator: b ranks first (price 10 + 70 quality = 80), a second
    (20 + 42 = 62), c third (4 + 14 = 18)."""
    world = World(prices=prices, **fields)
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, declared=True, submitted=True)
    give_scores(world.call, world.e1, {world.bids["a"]: 3, world.bids["b"]: 5, world.bids["c"]: 1})
    return world


def _decide(world, *letters, reasons="综合得分最高，服务方案最完整"):
    lot_id = world.call.lots[0].id
    return awards.decide_award(world.call, world.official, {lot_id: [world.bids[x].id for x in letters]},
                               {lot_id: reasons})


# --- the decision ---------------------------------------------------------------------------------------
def test_the_award_publishes_the_winner_with_its_score_and_amount_and_starts_publicity(clock):
    world = _evaluated()
    (row,) = _decide(world, "b")
    assert (row.bid_id, row.total_score, row.amount_minor) == (world.bids["b"].id, 80.0, 25_000_000)
    assert world.call.status == AWARDED
    assert (world.call.publicity_ends_at - world.call.awarded_at).days == world.call.publicity_days
    assert _count(AuditEvent, action="call.awarded") == 1


def test_the_award_requires_reasons_and_stores_nothing_without():
    world = _evaluated()
    with pytest.raises(ValidationFailed, match="reasons"):
        _decide(world, "b", reasons="   ")
    assert world.call.status == EVALUATION
    assert _count(Award, call_id=world.call.id) == 0


def test_the_award_waits_for_every_panel_member_to_submit():
    world = _evaluated()
    seat(world.call, world.official, world.e2, declared=True)  # not submitted
    with pytest.raises(DomainError, match="Every panel member"):
        _decide(world, "b")
    assert _count(Award, call_id=world.call.id) == 0


def test_a_disqualified_bid_cannot_be_awarded_and_is_named():
    world = _evaluated()
    world.bids["a"].status = DISQUALIFIED
    db.session.flush()
    with pytest.raises(DomainError, match="a社工中心"):
        _decide(world, "a")
    assert world.call.status == EVALUATION


def test_an_undecided_low_price_review_blocks_the_award_naming_the_bid():
    world = _evaluated()
    db.session.add(LowPriceReview(bid_id=world.bids["c"].id, status=ASKED, reasons=[{"rule": "prozorro"}]))
    db.session.flush()
    with pytest.raises(DomainError, match="c社工中心"):
        _decide(world, "b")
    assert _count(Award, call_id=world.call.id) == 0


def test_more_bids_than_the_lot_awards_are_refused():
    world = _evaluated()
    with pytest.raises(ValidationFailed, match="at most 1"):
        _decide(world, "a", "b")


def test_a_bid_of_another_call_cannot_be_slipped_in():
    world, other = _evaluated(), World()
    lot_id = world.call.lots[0].id
    with pytest.raises(ValidationFailed, match="not a bid of lot"):
        awards.decide_award(world.call, world.official, {lot_id: [other.bids["a"].id]}, {lot_id: "理由"})
    assert _count(Award, call_id=world.call.id) == 0


def test_passing_over_a_higher_ranked_bid_is_recorded_in_the_audit():
    world = _evaluated()
    _decide(world, "a", reasons="排名第一的机构近期被投诉，经核实…")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "call.awarded"))
    assert event.after["awards"][0]["passed_over"] == [world.bids["b"].id]


def test_a_call_not_under_evaluation_cannot_be_awarded():
    world = World()
    lot_id = world.call.lots[0].id
    with pytest.raises(IllegalTransition):
        awards.decide_award(world.call, world.official, {lot_id: [world.bids["a"].id]}, {lot_id: "理由"})


# --- objections ----------------------------------------------------------------------------------------
def _awarded():
    world = _evaluated()
    _decide(world, "b")
    return world


def test_a_bidder_objects_during_publicity():
    world = _awarded()
    objection = awards.file_objection(world.call, world.admins["a"], world.orgs["a"].id, "价格分计算有误，请复核。")
    assert objection.status == OBJECTION_OPEN
    assert _count(AuditEvent, action="objection.filed") == 1


def test_an_objection_after_the_publicity_period_is_refused_409_and_stores_nothing(clock):
    world = _awarded()
    clock.move(days=world.call.publicity_days, minutes=1)
    with pytest.raises(IllegalTransition, match="ended") as refused:
        awards.file_objection(world.call, world.admins["a"], world.orgs["a"].id, "价格分计算有误，请复核。")
    assert refused.value.status_code == 409
    assert _count(Objection, call_id=world.call.id) == 0


def test_an_objection_needs_grounds():
    world = _awarded()
    with pytest.raises(ValidationFailed, match="grounds"):
        awards.file_objection(world.call, world.admins["a"], world.orgs["a"].id, "不服")
    assert _count(Objection, call_id=world.call.id) == 0


def test_an_objection_names_one_of_the_objectors_own_bidding_organisations():
    world = _awarded()
    with pytest.raises(ValidationFailed):
        awards.file_objection(world.call, world.admins["a"], world.orgs["c"].id, "价格分计算有误，请复核。")
    assert _count(Objection, call_id=world.call.id) == 0


# --- the end of publicity -------------------------------------------------------------------------------
def test_the_award_is_not_confirmed_before_publicity_ends(clock):
    world = _awarded()
    clock.move(days=world.call.publicity_days - 1)
    assert awards.end_due_publicity() == []
    assert world.call.status == AWARDED


def test_publicity_ends_exactly_once(clock):
    world = _awarded()
    clock.move(days=world.call.publicity_days, minutes=1)
    assert awards.end_due_publicity() == [world.call.id]
    assert awards.end_due_publicity() == []
    assert awards.end_publicity_if_due(world.call) is False
    db.session.refresh(world.call)
    assert world.call.status == CONFIRMED and world.call.confirmed_at is not None
    assert _count(AuditEvent, action="call.award_confirmed") == 1


def test_an_open_objection_freezes_the_confirmation(clock):
    world = _awarded()
    awards.file_objection(world.call, world.admins["a"], world.orgs["a"].id, "价格分计算有误，请复核。")
    clock.move(days=world.call.publicity_days + 3)
    assert awards.end_due_publicity() == []
    assert awards.end_publicity_if_due(world.call) is False
    assert world.call.status == AWARDED


def test_a_dismissed_objection_lets_the_award_stand_and_be_confirmed(clock):
    world = _awarded()
    objection = awards.file_objection(world.call, world.admins["a"], world.orgs["a"].id, "价格分计算有误，请复核。")
    clock.move(days=world.call.publicity_days + 1)
    awards.answer_objection(objection, world.official, DISMISSED, "经复核，价格分按公布公式计算无误。")
    assert awards.end_due_publicity() == [world.call.id]
    assert [a.bid_id for a in awards.current_awards(world.call)] == [world.bids["b"].id]


def test_an_upheld_objection_cancels_the_award_and_returns_the_call_to_evaluation():
    world = _awarded()
    objection = awards.file_objection(world.call, world.admins["a"], world.orgs["a"].id, "价格分计算有误，请复核。")
    awards.answer_objection(objection, world.official, UPHELD, "确有错误，重新评审。")
    db.session.refresh(world.call)
    assert world.call.status == EVALUATION and world.call.publicity_ends_at is None
    assert awards.current_awards(world.call) == []
    assert len(awards.cancelled_awards(world.call)) == 1
    assert objection.status == UPHELD and objection.answer == "确有错误，重新评审。"


def test_an_upheld_objection_closes_the_other_open_ones():
    world = _awarded()
    first = awards.file_objection(world.call, world.admins["a"], world.orgs["a"].id, "价格分计算有误，请复核。")
    second = awards.file_objection(world.call, world.admins["c"], world.orgs["c"].id, "团队评分没有依据。")
    awards.answer_objection(first, world.official, UPHELD, "确有错误，重新评审。")
    assert second.status == UPHELD and not awards.has_open_objection(world.call)


def test_an_objection_is_answered_only_once():
    world = _awarded()
    objection = awards.file_objection(world.call, world.admins["a"], world.orgs["a"].id, "价格分计算有误，请复核。")
    awards.answer_objection(objection, world.official, DISMISSED, "无误。")
    with pytest.raises(IllegalTransition):
        awards.answer_objection(objection, world.official, UPHELD, "改判。")
    assert objection.status == DISMISSED


def test_an_answer_needs_text():
    world = _awarded()
    objection = awards.file_objection(world.call, world.admins["a"], world.orgs["a"].id, "价格分计算有误，请复核。")
    with pytest.raises(ValidationFailed, match="answer"):
        awards.answer_objection(objection, world.official, DISMISSED, "")
    assert objection.status == OBJECTION_OPEN


def test_a_call_can_be_awarded_again_after_an_upheld_objection():
    world = _awarded()
    objection = awards.file_objection(world.call, world.admins["a"], world.orgs["a"].id, "价格分计算有误，请复核。")
    awards.answer_objection(objection, world.official, UPHELD, "确有错误，重新评审。")
    _decide(world, "a", reasons="复核后改判")
    assert [a.bid_id for a in awards.current_awards(world.call)] == [world.bids["a"].id]


def test_the_award_factory_matches_the_service_for_pages(clock):
    world = _evaluated()
    award(world.call, world.official, world.bids["b"])
    assert awards.in_publicity(world.call)


def test_the_objector_is_told_of_the_answer():
    from portal.notifications.models import Notification

    world = _awarded()
    objection = awards.file_objection(world.call, world.admins["a"], world.orgs["a"].id, "价格分计算有误，请复核。")
    awards.answer_objection(objection, world.official, DISMISSED, "经复核无误。")
    assert _count(Notification, user_id=world.admins["a"].id, kind="procurement") == 2  # the award, the answer


def test_every_bidder_is_told_of_the_award():
    from portal.notifications.models import Notification

    world = _awarded()
    assert {n.user_id for n in db.session.scalars(select(Notification))} == {a.id for a in world.admins.values()}
