"""The evaluation service: the panel, conflict declarations and recusal, scores (range, comments, all or
nothing), the submitted sheet, and blindness until the whole panel has submitted."""
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement import evaluation
from portal.procurement.models import CLOSED, EVALUATION, ConflictDeclaration, PanelMember, Score
from tests.factories.accounts import UserFactory
from tests.factories.evaluation import World, give_scores, in_evaluation, seat


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


def _entries(world, points=(4, 3), comments=("方案完整", "团队有经验")):
    return {c.id: (p, text) for c, p, text in zip(world.quality, points, comments, strict=True)}


def _declared(world, *evaluators, conflicts=()):
    in_evaluation(world.call)
    seat(world.call, world.official, *evaluators, declared=True, conflicts=conflicts)
    return world


# --- the panel -----------------------------------------------------------------------------------------
def test_the_buyer_names_a_panel_of_evaluators_for_the_calls_place():
    world = World()
    members = evaluation.name_panel(world.call, world.official, [world.e1.id, world.e2.id])
    assert sorted(m.user_id for m in members) == sorted([world.e1.id, world.e2.id])
    assert _count(AuditEvent, action="call.panel_named") == 1


def test_a_panel_member_without_the_evaluator_role_is_refused_and_nothing_stored():
    world = World()
    stranger = UserFactory()
    with pytest.raises(ValidationFailed, match="evaluator role"):
        evaluation.name_panel(world.call, world.official, [world.e1.id, stranger.id])
    assert _count(PanelMember, call_id=world.call.id) == 0


def test_an_empty_panel_is_refused():
    world = World()
    with pytest.raises(ValidationFailed, match="at least 1"):
        evaluation.name_panel(world.call, world.official, [])


def test_renaming_the_panel_before_the_start_replaces_it():
    world = World()
    evaluation.name_panel(world.call, world.official, [world.e1.id, world.e2.id])
    evaluation.name_panel(world.call, world.official, [world.e2.id])
    assert [m.user_id for m in evaluation.panel_of(world.call)] == [world.e2.id]


def test_starting_the_evaluation_fixes_the_panel():
    world = World()
    evaluation.name_panel(world.call, world.official, [world.e1.id])
    evaluation.start_evaluation(world.call, world.official)
    assert world.call.status == EVALUATION and world.call.evaluation_started_at is not None
    with pytest.raises(IllegalTransition):
        evaluation.name_panel(world.call, world.official, [world.e1.id, world.e2.id])
    assert [m.user_id for m in evaluation.panel_of(world.call)] == [world.e1.id]


def test_the_evaluation_cannot_start_without_a_panel():
    world = World()
    with pytest.raises(DomainError, match="Name the panel"):
        evaluation.start_evaluation(world.call, world.official)
    assert world.call.status == CLOSED


def test_a_started_evaluation_cannot_start_again():
    world = World()
    evaluation.name_panel(world.call, world.official, [world.e1.id])
    evaluation.start_evaluation(world.call, world.official)
    with pytest.raises(IllegalTransition):
        evaluation.start_evaluation(world.call, world.official)


# --- conflicts ------------------------------------------------------------------------------------------
def test_no_bid_is_shown_before_the_evaluator_declares():
    world = World()
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1)
    with pytest.raises(DomainError, match="Declare your conflicts"):
        evaluation.open_bid(world.call, world.e1, world.bids["a"])


def test_the_declaration_must_cover_every_bidding_organisation():
    world = World()
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1)
    with pytest.raises(ValidationFailed, match="c社工中心"):
        evaluation.declare_conflicts(world.call, world.e1, {world.orgs["a"].id: (False, ""),
                                                            world.orgs["b"].id: (False, "")})
    assert _count(ConflictDeclaration, call_id=world.call.id) == 0
    assert evaluation.member_of(world.call, world.e1).declared_at is None


def test_a_conflict_needs_a_note_saying_what_it_is():
    world = World()
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1)
    answers = {o.id: (False, "") for o in world.orgs.values()}
    answers[world.orgs["b"].id] = (True, " ")
    with pytest.raises(ValidationFailed, match="b社工中心"):
        evaluation.declare_conflicts(world.call, world.e1, answers)
    assert _count(ConflictDeclaration, call_id=world.call.id) == 0


def test_declarations_are_recorded_once_and_audited():
    world = World()
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1)
    answers = {o.id: (False, "") for o in world.orgs.values()}
    answers[world.orgs["b"].id] = (True, "三年前在该机构任职")
    evaluation.declare_conflicts(world.call, world.e1, answers)
    assert evaluation.recused_organisation_ids(world.call, world.e1) == {world.orgs["b"].id}
    assert _count(AuditEvent, action="evaluation.conflicts_declared") == 1
    with pytest.raises(DomainError, match="already declared"):
        evaluation.declare_conflicts(world.call, world.e1, {o.id: (False, "") for o in world.orgs.values()})


def test_declaring_before_the_evaluation_starts_is_refused():
    world = World()
    seat(world.call, world.official, world.e1)
    with pytest.raises(IllegalTransition):
        evaluation.declare_conflicts(world.call, world.e1, {o.id: (False, "") for o in world.orgs.values()})


# --- recusal --------------------------------------------------------------------------------------------
def test_a_conflicted_evaluator_cannot_see_that_bid():
    world = World()
    _declared(world, world.e1, conflicts=[world.orgs["a"]])
    with pytest.raises(DomainError, match="recused"):
        evaluation.open_bid(world.call, world.e1, world.bids["a"])


def test_a_conflicted_evaluator_cannot_score_that_bid_and_nothing_is_stored():
    world = World()
    _declared(world, world.e1, conflicts=[world.orgs["a"]])
    with pytest.raises(DomainError, match="recused"):
        evaluation.save_scores(world.call, world.e1, world.bids["a"], _entries(world))
    assert _count(Score, call_id=world.call.id) == 0


def test_other_evaluators_score_the_bid_a_colleague_is_recused_from():
    world = World()
    _declared(world, world.e1, conflicts=[world.orgs["a"]])
    seat(world.call, world.official, world.e2, declared=True)
    evaluation.save_scores(world.call, world.e2, world.bids["a"], _entries(world))
    assert _count(Score, bid_id=world.bids["a"].id, evaluator_id=world.e2.id) == 2


def test_the_recused_evaluator_still_scores_the_other_bids():
    world = World()
    _declared(world, world.e1, conflicts=[world.orgs["a"]])
    evaluation.save_scores(world.call, world.e1, world.bids["b"], _entries(world))
    assert _count(Score, bid_id=world.bids["b"].id) == 2


# --- scores ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("points", [(6, 3), (-1, 3), (None, 3), (4, 9)])
def test_a_score_out_of_range_refuses_the_whole_bid_and_stores_nothing(points):
    world = World()
    _declared(world, world.e1)
    with pytest.raises(ValidationFailed, match="from 0 to 5"):
        evaluation.save_scores(world.call, world.e1, world.bids["a"], _entries(world, points=points))
    assert _count(Score, call_id=world.call.id) == 0


def test_a_score_without_a_comment_is_refused_and_nothing_stored():
    world = World()
    _declared(world, world.e1)
    with pytest.raises(ValidationFailed, match="needs a comment"):
        evaluation.save_scores(world.call, world.e1, world.bids["a"], _entries(world, comments=("很好", "  ")))
    assert _count(Score, call_id=world.call.id) == 0


def test_scores_can_be_changed_until_the_sheet_is_submitted():
    world = World()
    _declared(world, world.e1)
    evaluation.save_scores(world.call, world.e1, world.bids["a"], _entries(world, points=(2, 2)))
    evaluation.save_scores(world.call, world.e1, world.bids["a"], _entries(world, points=(4, 5)))
    stored = sorted(s.points for s in db.session.scalars(select(Score).where(Score.bid_id == world.bids["a"].id)))
    assert stored == [4, 5]
    assert _count(AuditEvent, action="evaluation.scored") == 2


def test_the_sheet_is_submitted_only_when_every_bid_is_scored():
    world = World()
    _declared(world, world.e1)
    evaluation.save_scores(world.call, world.e1, world.bids["a"], _entries(world))
    with pytest.raises(DomainError, match="2 of 6"):
        evaluation.submit_sheet(world.call, world.e1)
    assert evaluation.member_of(world.call, world.e1).submitted_at is None


def test_a_recused_bid_is_not_owed_on_the_sheet():
    world = World()
    _declared(world, world.e1, conflicts=[world.orgs["c"]])
    for letter in "ab":
        evaluation.save_scores(world.call, world.e1, world.bids[letter], _entries(world))
    evaluation.submit_sheet(world.call, world.e1)
    assert evaluation.member_of(world.call, world.e1).submitted_at is not None


def test_scores_cannot_change_after_the_sheet_is_submitted():
    world = World()
    _declared(world, world.e1)
    for letter in "abc":
        evaluation.save_scores(world.call, world.e1, world.bids[letter], _entries(world, points=(3, 3)))
    evaluation.submit_sheet(world.call, world.e1)
    with pytest.raises(DomainError, match="submitted"):
        evaluation.save_scores(world.call, world.e1, world.bids["a"], _entries(world, points=(5, 5)))
    assert {s.points for s in db.session.scalars(select(Score).where(Score.bid_id == world.bids["a"].id))} == {3}


# --- blindness ------------------------------------------------------------------------------------------
def test_an_evaluator_sees_only_their_own_scores_until_all_have_submitted():
    world = World()
    _declared(world, world.e1, world.e2)
    give_scores(world.call, world.e1, {bid: 4 for bid in world.bids.values()})
    db.session.get(PanelMember, (world.call.id, world.e1.id)).submitted_at = utcnow()
    give_scores(world.call, world.e2, {world.bids["a"]: 2})
    visible = evaluation.scores_visible_to(world.call, world.e2)
    assert {s.evaluator_id for s in visible} == {world.e2.id}


def test_every_score_is_visible_to_the_panel_once_all_have_submitted():
    world = World()
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, world.e2, declared=True, submitted=True)
    give_scores(world.call, world.e1, {world.bids["a"]: 4})
    give_scores(world.call, world.e2, {world.bids["a"]: 2})
    visible = evaluation.scores_visible_to(world.call, world.e2)
    assert {s.evaluator_id for s in visible} == {world.e1.id, world.e2.id}


def test_the_panel_is_told_when_the_evaluation_starts():
    from portal.notifications.models import Notification

    world = World()
    evaluation.name_panel(world.call, world.official, [world.e1.id, world.e2.id])
    evaluation.start_evaluation(world.call, world.official)
    assert {n.user_id for n in db.session.scalars(select(Notification))} == {world.e1.id, world.e2.id}
