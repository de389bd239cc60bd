"""The evaluation page's forms: delivery marked complete, a rating with its narratives, the rebuttal."""
import pytest
from sqlalchemy import func, select

from portal.contracts import evaluation
from portal.contracts.models import COMPLETED, RATED_AREAS, ContractEvaluation
from portal.extensions import db
from tests.contracts.payments_world import world_fixture  # noqa: F401


@pytest.fixture(autouse=True)
def _english(client):
    client.get("/lang/en").close()


def _url(world, tail=""):
    return f"/contracts/{world.contract.id}/evaluation{tail}"


def _form(value="4", narrative="依据回访记录"):
    data = {}
    for area in RATED_AREAS:
        data[f"{area}_rating"] = value
        data[f"{area}_narrative"] = narrative
    return data


def test_the_buyer_marks_the_delivery_complete_from_the_page(world, client, login_as):
    login_as(world.official)
    response = client.post_form(f"/contracts/{world.contract.id}/delivered", token_from=_url(world))
    assert response.status_code == 302
    db.session.refresh(world.contract)
    assert world.contract.status == COMPLETED


def test_a_rating_without_narrative_shows_the_message_and_stores_nothing(world, client, login_as):
    evaluation.mark_delivered(world.contract, world.official)
    login_as(world.official)
    data = _form()
    data["management_narrative"] = ""
    response = client.post_form(_url(world, "/rate"), data, token_from=_url(world))
    assert response.status_code == 400
    assert "a rating needs its narrative" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ContractEvaluation)) == 0


def test_the_evaluator_rates_from_the_page_as_a_third_party(world, client, login_as):
    evaluation.mark_delivered(world.contract, world.official)
    login_as(world.evaluator)
    assert client.post_form(_url(world, "/rate"), _form("3"), token_from=_url(world)).status_code == 302
    rated = db.session.scalar(select(ContractEvaluation))
    assert (rated.overall, rated.evaluator_role) == (3.0, "third_party")


def test_the_organisation_rebuts_from_the_page(world, client, login_as):
    evaluation.mark_delivered(world.contract, world.official)
    rated = evaluation.submit_evaluation(world.contract, world.official, {
        area: {"rating": 2, "narrative": "进度滞后"} for area in RATED_AREAS})
    login_as(world.org_admin)
    assert "Rebut this rating" in client.get(_url(world)).get_data(as_text=True)
    response = client.post_form(_url(world, f"s/{rated.id}/rebut"), {"rebuttal": "评估期间服务点装修，已报备。"},
                                token_from=_url(world))
    assert response.status_code == 302
    db.session.refresh(rated)
    assert rated.rebuttal == "评估期间服务点装修，已报备。"


def test_a_page_view_that_takes_the_due_step_is_not_named_in_the_audit_record(world, client, login_as, clock):
    from portal.audit.models import AuditEvent

    evaluation.mark_delivered(world.contract, world.official)
    rated = evaluation.submit_evaluation(world.contract, world.official, {
        area: {"rating": 4, "narrative": "按期完成"} for area in RATED_AREAS})
    clock.move(days=evaluation.REBUTTAL_DAYS, minutes=1)
    login_as(world.resident)
    assert client.get(_url(world)).status_code == 200
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contract_evaluation.finalised",
                                                       AuditEvent.object_id == str(rated.id)))
    assert event is not None and event.actor_id is None and event.ip_address is None
