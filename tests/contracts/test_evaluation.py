"""The final evaluation: five areas rated with required narratives once delivery is complete, the rebuttal
window, the timed step that makes a rating final exactly once, and the contract closing after it."""
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.contracts import evaluation
from portal.contracts.models import (
    ACTIVE,
    CLOSED,
    COMPLETED,
    OFFICIAL_EVALUATOR,
    RATED_AREAS,
    THIRD_PARTY,
    ContractEvaluation,
)
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.extensions import db
from tests.contracts.payments_world import world_fixture  # noqa: F401


@pytest.fixture(autouse=True)
def _english():
    with force_locale("en"):
        yield


def ratings(value: int = 4, **overrides) -> dict:
    given = {area: {"rating": value, "narrative": f"{area}: 按合同完成"} for area in RATED_AREAS}
    given.update(overrides)
    return given


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(ContractEvaluation))


@pytest.fixture
def delivered(world):
    evaluation.mark_delivered(world.contract, world.official)
    return world


def test_the_buyer_marks_the_delivery_complete(world):
    evaluation.mark_delivered(world.contract, world.official)
    assert (world.contract.status, world.contract.completed_at is not None) == (COMPLETED, True)


def test_a_delivered_contract_cannot_be_marked_delivered_again(delivered):
    with pytest.raises(IllegalTransition):
        evaluation.mark_delivered(delivered.contract, delivered.official)
    assert delivered.contract.status == COMPLETED


def test_a_contract_still_being_delivered_cannot_be_rated(world):
    with pytest.raises(DomainError) as refused:
        evaluation.submit_evaluation(world.contract, world.official, ratings())
    assert refused.value.code == "illegal_step"
    assert (world.contract.status, _count()) == (ACTIVE, 0)


def test_a_rating_without_its_narrative_is_refused_and_nothing_is_stored(delivered):
    given = ratings(schedule={"rating": 2, "narrative": "   "})
    with pytest.raises(ValidationFailed) as refused:
        evaluation.submit_evaluation(delivered.contract, delivered.official, given)
    assert refused.value.field == "schedule_narrative"
    assert "narrative" in refused.value.message
    assert _count() == 0


@pytest.mark.parametrize("rating", [0, 6, None, "4", True])
def test_each_area_is_rated_from_one_to_five(delivered, rating):
    with pytest.raises(ValidationFailed) as refused:
        evaluation.submit_evaluation(delivered.contract, delivered.official,
                                     ratings(quality={"rating": rating, "narrative": "好"}))
    assert refused.value.field == "quality_rating"
    assert _count() == 0


def test_the_buyers_rating_has_its_overall_mean_and_a_rebuttal_window(delivered):
    given = ratings(4, quality={"rating": 5, "narrative": "服务质量高"},
                    schedule={"rating": 2, "narrative": "延期两周"})
    rated = evaluation.submit_evaluation(delivered.contract, delivered.official, given)
    assert rated.overall == pytest.approx((5 + 2 + 4 + 4 + 4) / 5)
    assert rated.evaluator_role == OFFICIAL_EVALUATOR
    assert rated.rebuttal_until == rated.submitted_at + timedelta(days=evaluation.REBUTTAL_DAYS)
    assert rated.final_at is None


def test_an_evaluator_over_the_place_rates_as_a_third_party(delivered):
    rated = evaluation.submit_evaluation(delivered.contract, delivered.evaluator, ratings(3))
    assert rated.evaluator_role == THIRD_PARTY


def test_each_evaluator_rates_a_contract_once(delivered):
    evaluation.submit_evaluation(delivered.contract, delivered.official, ratings())
    with pytest.raises(DomainError) as refused:
        evaluation.submit_evaluation(delivered.contract, delivered.official, ratings(1))
    assert refused.value.code == "already_rated"
    assert _count() == 1


def test_someone_else_cannot_rate(delivered):
    with pytest.raises(DomainError):
        evaluation.submit_evaluation(delivered.contract, delivered.resident, ratings())
    assert _count() == 0


# --- rebuttal ------------------------------------------------------------------------------------------------
def test_the_organisation_rebuts_within_the_window(delivered, clock):
    rated = evaluation.submit_evaluation(delivered.contract, delivered.official, ratings(2))
    clock.move(days=evaluation.REBUTTAL_DAYS - 1)
    evaluation.rebut(rated, delivered.org_admin, "延期系因社区封闭管理，已书面报备。")
    assert rated.rebuttal.startswith("延期") and rated.rebutted_at is not None


def test_a_rebuttal_after_the_window_is_refused(delivered, clock):
    rated = evaluation.submit_evaluation(delivered.contract, delivered.official, ratings(2))
    clock.move(days=evaluation.REBUTTAL_DAYS, seconds=1)
    with pytest.raises(DomainError) as refused:
        evaluation.rebut(rated, delivered.org_admin, "迟到的申辩")
    assert refused.value.code == "window_closed"
    assert rated.rebuttal is None


def test_a_rating_is_rebutted_once_and_never_empty(delivered):
    rated = evaluation.submit_evaluation(delivered.contract, delivered.official, ratings(2))
    with pytest.raises(ValidationFailed):
        evaluation.rebut(rated, delivered.org_admin, "  ")
    evaluation.rebut(rated, delivered.org_admin, "第一次申辩")
    with pytest.raises(DomainError) as refused:
        evaluation.rebut(rated, delivered.org_admin, "第二次申辩")
    assert refused.value.code == "already_rebutted"
    assert rated.rebuttal == "第一次申辩"


def test_only_the_organisations_admins_rebut(delivered):
    rated = evaluation.submit_evaluation(delivered.contract, delivered.official, ratings(2))
    with pytest.raises(DomainError):
        evaluation.rebut(rated, delivered.official, "官员代为申辩")
    assert rated.rebuttal is None


# --- the timed step ----------------------------------------------------------------------------------------
def _finalised_events(evaluation_id) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "contract_evaluation.finalised", AuditEvent.object_id == str(evaluation_id)))


def test_nothing_is_final_before_the_window_ends(delivered, clock):
    rated = evaluation.submit_evaluation(delivered.contract, delivered.official, ratings())
    clock.move(days=evaluation.REBUTTAL_DAYS - 1)
    assert evaluation.finalise_due_evaluations() == {"finalised": [], "closed": []}
    assert rated.final_at is None


def test_the_rating_becomes_final_exactly_once_and_the_contract_closes(delivered, clock):
    rated = evaluation.submit_evaluation(delivered.contract, delivered.official, ratings())
    clock.move(days=evaluation.REBUTTAL_DAYS, minutes=1)
    first = evaluation.finalise_due_evaluations()
    second = evaluation.finalise_due_evaluations()
    assert first == {"finalised": [rated.id], "closed": [delivered.contract.id]}
    assert second == {"finalised": [], "closed": []}
    db.session.refresh(rated)
    db.session.refresh(delivered.contract)
    assert rated.final_at is not None and _finalised_events(rated.id) == 1
    assert (delivered.contract.status, delivered.contract.closed_at is not None) == (CLOSED, True)


def test_a_contract_stays_open_while_one_of_its_ratings_is_in_its_window(delivered, clock):
    evaluation.submit_evaluation(delivered.contract, delivered.official, ratings())
    clock.move(days=7)
    later = evaluation.submit_evaluation(delivered.contract, delivered.evaluator, ratings(3))
    clock.move(days=evaluation.REBUTTAL_DAYS - 7, minutes=1)
    assert evaluation.finalise_due_evaluations()["closed"] == []
    db.session.refresh(delivered.contract)
    assert delivered.contract.status == COMPLETED
    clock.move(days=7)
    assert evaluation.finalise_due_evaluations() == {"finalised": [later.id], "closed": [delivered.contract.id]}


def test_the_worker_job_takes_the_due_steps(app, delivered, clock):
    from portal import worker

    rated = evaluation.submit_evaluation(delivered.contract, delivered.official, ratings())
    clock.move(days=evaluation.REBUTTAL_DAYS, minutes=1)
    assert worker.take_due_contract_steps() == {"finalised": [rated.id], "closed": [delivered.contract.id]}


def test_the_evaluation_page_takes_the_due_step_on_read(delivered, clock, client):
    rated = evaluation.submit_evaluation(delivered.contract, delivered.official, ratings())
    clock.move(days=evaluation.REBUTTAL_DAYS, minutes=1)
    response = client.get(f"/contracts/{delivered.contract.id}/evaluation")
    assert response.status_code == 200
    db.session.refresh(rated)
    assert rated.final_at is not None
    assert db.session.get(type(delivered.contract), delivered.contract.id).status == CLOSED
