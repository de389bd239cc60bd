"""The milestone page with its computation, the forms of acceptance and payment, the public list of payments
(a fixed number of queries) and the payments section of the contract's page."""
import pytest
from flask import render_template
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.contracts import payments
from portal.contracts.models import ACCEPTED, APPROVED, REQUESTED, ContractPayment
from portal.contracts.sections import sections_for
from portal.extensions import db
from portal.funds import ledger
from tests.contracts.payments_world import accepted, make_world, verified_report, world_fixture  # noqa: F401


@pytest.fixture(autouse=True)
def _english(client):
    client.get("/lang/en").close()


def _milestone_url(world, milestone, tail=""):
    return f"/contracts/{world.contract.id}/milestones/{milestone.id}{tail}"


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(ContractPayment))


def test_the_milestone_page_shows_units_price_factor_and_what_is_still_payable(world, client):
    milestone = world.contract.milestones[0]
    accepted(world, milestone, 3)
    page = client.get(_milestone_url(world, milestone)).get_data(as_text=True)
    assert "3,600.00" in page or "3600.00" in page  # 100 x 40.00 x 0.9
    assert "rating 3" in page


def test_the_buyer_accepts_a_milestone_through_its_form(world, client, login_as):
    milestone = world.contract.milestones[0]
    verified_report(world, milestone)
    login_as(world.official)
    url = _milestone_url(world, milestone)
    response = client.post_form(url + "/accept", {"rating": "4", "note": "抽查十户，均确认"}, token_from=url)
    assert response.status_code == 302
    db.session.refresh(milestone)
    assert (milestone.status, milestone.acceptance_rating) == (ACCEPTED, 4)


def test_a_request_above_the_payable_amount_shows_the_limit_and_stores_nothing(world, client, login_as):
    milestone = world.contract.milestones[0]
    accepted(world, milestone)  # 4,000.00 yuan payable
    login_as(world.official)
    url = _milestone_url(world, milestone)
    response = client.post_form(url + "/payments", {"amount": "4000.01"}, token_from=url)
    assert response.status_code == 409
    assert "more than the milestone may still pay" in response.get_data(as_text=True)
    assert _count() == 0


def test_a_request_in_yuan_is_stored_in_fen(world, client, login_as):
    milestone = world.contract.milestones[0]
    accepted(world, milestone)
    login_as(world.official)
    url = _milestone_url(world, milestone)
    assert client.post_form(url + "/payments", {"amount": "1,500.50"}, token_from=url).status_code == 302
    payment = db.session.scalar(select(ContractPayment))
    assert (payment.amount_minor, payment.status, payment.requested_by_id) == (150_050, REQUESTED, world.official.id)


def test_the_requester_is_refused_the_approval_route(world, client, login_as):
    milestone = world.contract.milestones[0]
    accepted(world, milestone)
    payment = payments.request_payment(world.contract, milestone, world.official, 100_000)
    login_as(world.official)
    token = client.csrf_token(_milestone_url(world, milestone))
    response = client.post(f"/contracts/{world.contract.id}/payments/{payment.id}/approve", data={"csrf_token": token})
    assert response.status_code == 404
    db.session.refresh(payment)
    assert payment.status == REQUESTED and ledger.contract_paid(world.contract.id) == 0


def test_a_second_official_approves_through_the_page(world, client, login_as):
    milestone = world.contract.milestones[0]
    accepted(world, milestone)
    payment = payments.request_payment(world.contract, milestone, world.official, 100_000)
    login_as(world.second_official)
    url = _milestone_url(world, milestone)
    assert "Approve and pay" in client.get(url).get_data(as_text=True)
    response = client.post_form(f"/contracts/{world.contract.id}/payments/{payment.id}/approve", {"reason": ""},
                                token_from=url)
    assert response.status_code == 302
    db.session.refresh(payment)
    assert payment.status == APPROVED and ledger.contract_paid(world.contract.id) == 100_000


def _approved(world, amount_minor):
    milestone = world.contract.milestones[0]
    if milestone.status != ACCEPTED:
        accepted(world, milestone)
    payment = payments.request_payment(world.contract, milestone, world.official, amount_minor)
    return payments.approve_payment(payment, world.second_official)


def test_the_public_list_shows_every_approved_payment(world, client):
    _approved(world, 123_400)
    page = client.get("/contracts/payments").get_data(as_text=True)
    assert world.contract.reference in page and world.organisation.name in page and "1,234.00" in page


def test_a_request_not_decided_is_not_on_the_public_list(world, client):
    milestone = world.contract.milestones[0]
    accepted(world, milestone)
    payments.request_payment(world.contract, milestone, world.official, 77_700)
    assert "777.00" not in client.get("/contracts/payments").get_data(as_text=True)


def test_the_public_list_runs_a_fixed_number_of_queries(app, client, count_queries):
    first = make_world()
    _approved(first, 10_000)
    db.session.flush()
    client.get("/contracts/payments")
    with count_queries() as one:
        assert client.get("/contracts/payments").status_code == 200
    for _ in range(3):
        _approved(first, 10_000)
    other = make_world()
    _approved(other, 20_000)
    db.session.flush()
    with count_queries() as five:
        assert client.get("/contracts/payments").status_code == 200
    assert len(five) == len(one)


def _section_html(app, world, user):
    with app.test_request_context("/"), force_locale("en"):
        found = [(t, c) for t, c in sections_for(world.contract, user) if t == "contracts/_payment_section.html"]
        assert len(found) == 1
        template, context = found[0]
        return render_template(template, contract=world.contract, **context)


def test_the_contract_page_section_links_each_milestone_with_what_it_may_still_pay(world, app):
    from flask_login import AnonymousUserMixin

    _approved(world, 50_000)  # 4,000.00 payable, 500.00 paid
    html = _section_html(app, world, AnonymousUserMixin())
    for milestone in world.contract.milestones:
        assert f"/contracts/{world.contract.id}/milestones/{milestone.id}" in html
    assert "3,500.00" in html


def test_the_section_tells_only_the_buyer_of_requests_awaiting_a_second_official(world, app):
    from flask_login import AnonymousUserMixin

    milestone = world.contract.milestones[0]
    accepted(world, milestone)
    payments.request_payment(world.contract, milestone, world.official, 60_000)
    assert "await" in _section_html(app, world, world.second_official)
    assert "await" not in _section_html(app, world, AnonymousUserMixin())


def test_the_buyer_sees_the_acceptance_form_once_a_report_is_verified(world, client, login_as):
    milestone = world.contract.milestones[0]
    login_as(world.official)
    url = _milestone_url(world, milestone)
    assert f'action="{url}/accept"' not in client.get(url).get_data(as_text=True)
    verified_report(world, milestone)
    assert f'action="{url}/accept"' in client.get(url).get_data(as_text=True)
