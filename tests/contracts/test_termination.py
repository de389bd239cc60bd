"""Terminating a contract early: a public reason is required, the contract then takes no more reports."""
import pytest
from sqlalchemy import func, select

from portal.contracts import delivery, service
from portal.contracts.models import ACTIVE, TERMINATED, DeliveryReport
from portal.core.errors import DomainError, ValidationFailed
from portal.extensions import db
from tests.contracts.delivery_world import report_input, world_fixture  # noqa: F401  (the `world` fixture)


def test_terminating_without_a_reason_is_refused_and_changes_nothing(world):
    with pytest.raises(ValidationFailed) as refused:
        service.terminate_contract(world.contract, world.official, "  ")
    assert refused.value.field == "reason" and world.contract.status == ACTIVE


def test_a_terminated_contract_shows_its_reason_and_takes_no_more_reports(world, client, login_as):
    service.terminate_contract(world.contract, world.official, "关键人员离职，机构无法继续履约。")
    assert world.contract.status == TERMINATED and world.contract.closed_at is not None
    page = client.get(f"/contracts/{world.contract.id}").get_data(as_text=True)
    assert "关键人员离职" in page
    with pytest.raises(DomainError):
        delivery.report_delivery(world.contract, world.milestone, world.contractor, report_input(world))
    assert db.session.scalar(select(func.count()).select_from(DeliveryReport)) == 0
    with pytest.raises(DomainError):  # the lifecycle table: terminated is the end
        service.terminate_contract(world.contract, world.official, "再次终止")


def test_the_buyer_terminates_from_the_page_and_the_contractor_cannot(world, client, login_as):
    login_as(world.contractor)
    assert client.get(f"/contracts/{world.contract.id}/terminate").status_code == 404
    client.post("/logout", data={"csrf_token": client.csrf_token("/")})
    login_as(world.official)
    response = client.post_form(f"/contracts/{world.contract.id}/terminate", {"reason": "严重违约，经两次整改无效。"})
    assert response.status_code == 302 and world.contract.status == TERMINATED
