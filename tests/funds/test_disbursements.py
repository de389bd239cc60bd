"""Disbursements: requested -> approved (by someone else on the committee) -> paid | rejected, never above
the available balance, and visible on the public ledger with their purpose."""
import pytest
from sqlalchemy import select

from portal.accounts import roles
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.extensions import db
from portal.funds import disbursements, ledger
from portal.funds.models import APPROVED, ENTRY_DISBURSEMENT, PAID, REJECTED, REQUESTED, Disbursement, LedgerEntry
from portal.funds.reconcile import reconcile
from portal.orgs.models import PENDING, VERIFIED
from tests.factories.accounts import grant
from tests.factories.funds import make_disbursement, make_gift, make_refund
from tests.factories.orgs import make_organisation
from tests.funds.conftest import EN


def _request(world, amount=3_000, **fields):
    return disbursements.request_disbursement(world.fund, world.worker, purpose="老人助餐 5 月", payee="夕阳红助餐点",
                                        amount_minor=amount, **fields)


def test_the_transition_table():
    assert {REQUESTED: {APPROVED, REJECTED}, APPROVED: {PAID}} == disbursements.DISBURSEMENT_TRANSITIONS


def test_a_request_above_the_available_balance_is_refused(world):
    make_gift(world.fund, 5_000, donor=world.resident)
    with pytest.raises(ValidationFailed) as caught:
        _request(world, amount=5_001)
    assert caught.value.field == "amount"


@pytest.mark.parametrize("amount", [0, -100, 10**13])
def test_a_request_needs_a_sensible_amount(world, amount):
    make_gift(world.fund, 5_000, donor=world.resident)
    with pytest.raises(ValidationFailed) as caught:
        _request(world, amount=amount)
    assert caught.value.field == "amount"


def test_a_request_for_an_unverified_organisation_is_refused(world):
    make_gift(world.fund, 5_000, donor=world.resident)
    organisation = make_organisation(world.resident, world.tree["community"], status=PENDING)
    with pytest.raises(ValidationFailed) as caught:
        _request(world, organisation=organisation)
    assert caught.value.field == "organisation"


def test_the_full_path_posts_one_disbursement_entry(world):
    make_gift(world.fund, 5_000, donor=world.resident)
    disbursement = _request(world)
    disbursements.approve_disbursement(disbursement, world.committee, "符合章程")
    disbursements.pay_disbursement(disbursement, world.treasurer, "BANK-2018-0042")
    assert disbursement.status == PAID and disbursement.payment_reference == "BANK-2018-0042"
    db.session.refresh(world.fund)
    assert (world.fund.balance_minor, world.fund.disbursed_minor, world.fund.raised_minor) == (2_000, 3_000, 5_000)
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.disbursement_id == disbursement.id)).all()
    assert [entry.kind for entry in entries] == [ENTRY_DISBURSEMENT]
    assert entries[0].description == "老人助餐 5 月"
    assert ledger.fund_balance(world.fund.id) == 2_000
    assert reconcile(with_provider=False) == []


def test_approving_ones_own_request_is_refused(world):
    make_gift(world.fund, 5_000, donor=world.resident)
    grant(world.worker, roles.FUND_COMMITTEE, world.fund)
    disbursement = _request(world)
    with pytest.raises(DomainError) as caught:
        disbursements.approve_disbursement(disbursement, world.worker)
    assert caught.value.code == "own_request" and disbursement.status == REQUESTED
    with pytest.raises(DomainError):
        disbursements.reject_disbursement(disbursement, world.worker, "no")


def test_approval_refuses_more_than_is_available_counting_approved_requests(world):
    make_gift(world.fund, 5_000, donor=world.resident)
    first, second = _request(world, amount=3_000), _request(world, amount=3_000)
    disbursements.approve_disbursement(first, world.committee)
    with pytest.raises(DomainError) as caught:
        disbursements.approve_disbursement(second, world.committee)
    assert caught.value.code == "insufficient_balance" and second.status == REQUESTED


def test_payment_checks_the_balance_again(world):
    gift = make_gift(world.fund, 5_000, donor=world.resident)
    disbursement = _request(world, amount=4_000)
    disbursements.approve_disbursement(disbursement, world.committee)
    make_refund(gift, 2_000)  # money went back to the donor after the approval
    with pytest.raises(DomainError) as caught:
        disbursements.pay_disbursement(disbursement, world.treasurer, "REF-1")
    assert caught.value.code == "insufficient_balance"
    assert disbursement.status == APPROVED
    assert db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.kind == ENTRY_DISBURSEMENT)) is None


def test_rejecting_needs_a_reason(world):
    make_gift(world.fund, 5_000, donor=world.resident)
    disbursement = _request(world)
    with pytest.raises(ValidationFailed) as caught:
        disbursements.reject_disbursement(disbursement, world.committee, "  ")
    assert caught.value.field == "reason"
    disbursements.reject_disbursement(disbursement, world.committee, "与基金章程不符")
    assert disbursement.status == REJECTED and disbursement.decision_reason == "与基金章程不符"


def test_paying_a_request_that_is_not_approved_is_illegal(world):
    make_gift(world.fund, 5_000, donor=world.resident)
    disbursement = _request(world)
    with pytest.raises(IllegalTransition):
        disbursements.pay_disbursement(disbursement, world.treasurer, "REF")
    disbursements.reject_disbursement(disbursement, world.committee, "no")
    with pytest.raises(IllegalTransition):
        disbursements.approve_disbursement(disbursement, world.committee)


# --- through the pages -------------------------------------------------------------------------------

def test_a_community_worker_requests_through_the_form(client, login_as, world):
    make_gift(world.fund, 5_000, donor=world.resident)
    login_as(world.worker)
    path = f"/funds/{world.fund.id}/disbursements/new"
    response = client.post_form(path, {"purpose": "楼道灯", "payee": "电工王师傅", "amount": "20", "campaign": "",
                                        "organisation": ""}, headers=EN)
    assert response.status_code == 302
    disbursement = db.session.scalar(select(Disbursement))
    assert (disbursement.amount_minor, disbursement.status, disbursement.requested_by_id) == (2_000, REQUESTED,
                                                                                              world.worker.id)


@pytest.mark.parametrize("amount,message", [("0", "more than zero"), ("-5", "negative"), ("1.234", "two decimals"),
                                            ("99999999999", "too large"), ("51", "more than the fund has")])
def test_bad_amounts_are_shown_next_to_the_field_and_nothing_is_saved(client, login_as, world, amount, message):
    make_gift(world.fund, 5_000, donor=world.resident)
    login_as(world.worker)
    path = f"/funds/{world.fund.id}/disbursements/new"
    response = client.post_form(path, {"purpose": "楼道灯", "payee": "电工王师傅", "amount": amount, "campaign": "",
                                        "organisation": ""}, headers=EN)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="amount-error"' in html and message in html
    assert db.session.scalar(select(Disbursement.id)) is None


def test_ones_own_request_shows_why_and_its_decision_routes_refuse(client, login_as, world):
    """The second-person rule is the declared check of approve and reject: the page explains it, the routes
    answer 404 to the requester even when they sit on the committee."""
    make_gift(world.fund, 5_000, donor=world.resident)
    grant(world.worker, roles.FUND_COMMITTEE, world.fund)
    disbursement = make_disbursement(world.fund, world.worker, 1_000)
    login_as(world.worker)
    path = f"/disbursements/{disbursement.id}"
    page = client.get(path, headers=EN).get_data(as_text=True)
    assert "another committee member must decide" in page and f"{path}/approve" not in page
    for step in ("approve", "reject"):
        assert client.post_form(f"{path}/{step}", {"reason": "ok"}, token_from=path).status_code == 404
    db.session.refresh(disbursement)
    assert disbursement.status == REQUESTED


def test_the_committee_approves_and_the_treasurer_pays_through_the_pages(client, login_as, world):
    make_gift(world.fund, 5_000, donor=world.resident)
    disbursement = make_disbursement(world.fund, world.worker, 1_000, purpose="助餐点燃气费")
    path = f"/disbursements/{disbursement.id}"
    login_as(world.committee)
    assert client.post_form(f"{path}/approve", {"reason": "ok"}, token_from=path).status_code == 302
    client.post_form("/logout", token_from="/")
    login_as(world.treasurer)
    response = client.post_form(f"{path}/pay", {"reference": ""}, token_from=path, headers=EN)
    assert response.status_code == 400 and 'id="reference-error"' in response.get_data(as_text=True)
    assert client.post_form(f"{path}/pay", {"reference": "TR-7"}, token_from=path).status_code == 302
    db.session.refresh(disbursement)
    assert disbursement.status == PAID
    ledger_html = client.get(f"/funds/{world.fund.id}", headers=EN).get_data(as_text=True)
    assert "助餐点燃气费" in ledger_html and "-¥10.00" in ledger_html


def test_an_admin_of_a_verified_organisation_may_request(client, login_as, world):
    organisation = make_organisation(world.resident, world.tree["community"], status=VERIFIED)
    grant(world.other_resident, roles.ORG_ADMIN, organisation)
    login_as(world.other_resident)
    assert client.get(f"/funds/{world.fund.id}/disbursements/new").status_code == 200


def test_a_resident_may_not_request(client, login_as, world):
    login_as(world.resident)
    assert client.get(f"/funds/{world.fund.id}/disbursements/new").status_code == 404


def test_deciding_a_request_already_decided_is_a_409_on_the_page(client, login_as, world):
    """The second person may act (the route's check); that the request is no longer open is the service's 409."""
    make_gift(world.fund, 5_000, donor=world.resident)
    disbursement = make_disbursement(world.fund, world.worker, 1_000)
    disbursements.reject_disbursement(disbursement, world.treasurer, "不符合章程")
    login_as(world.committee)
    path = f"/disbursements/{disbursement.id}"
    response = client.post_form(f"{path}/approve", {"reason": "ok"}, token_from=path, headers=EN)
    assert response.status_code == 409
    db.session.refresh(disbursement)
    assert disbursement.status == REJECTED


# --- choosing the project, and who does which step ------------------------------------------------------

@pytest.fixture
def projects(world):
    from tests.factories.places import make_place
    from tests.factories.projects import make_project

    organisation = make_organisation(world.resident, world.tree["community"], status=VERIFIED)
    elsewhere = make_place("community", "东山花园社区", world.tree["street"])
    return {"here": make_project(organisation, world.resident, [world.tree["grid"]], title="助餐服务"),
            "street": make_project(organisation, world.resident, [world.tree["street"]], title="全街道助老"),
            "draft": make_project(organisation, world.resident, [world.tree["community"]], status="draft",
                                  title="草稿项目"),
            "elsewhere": make_project(organisation, world.resident, [elsewhere], title="东山项目")}


def test_the_request_form_offers_the_projects_of_the_funds_place(client, login_as, world, projects):
    login_as(world.worker)
    html = client.get(f"/funds/{world.fund.id}/disbursements/new", headers=EN).get_data(as_text=True)
    assert '<select' in html and 'name="project_id"' in html
    assert f'value="{projects["here"].id}"' in html and f'value="{projects["street"].id}"' in html
    assert f'value="{projects["draft"].id}"' not in html and f'value="{projects["elsewhere"].id}"' not in html
    assert "Service project number" not in html


def test_a_chosen_project_is_stored_and_one_of_another_place_refused(client, login_as, world, projects):
    make_gift(world.fund, 5_000, donor=world.resident)
    login_as(world.worker)
    path = f"/funds/{world.fund.id}/disbursements/new"
    data = {"purpose": "楼道灯", "payee": "电工王师傅", "amount": "20", "campaign": "", "organisation": ""}
    response = client.post_form(path, {**data, "project_id": str(projects["elsewhere"].id)}, headers=EN)
    assert response.status_code == 400
    assert "from the list" in response.get_data(as_text=True).split('id="project_id-error"')[1][:300]
    assert db.session.scalar(select(Disbursement.id)) is None
    response = client.post_form(path, {**data, "project_id": str(projects["here"].id)}, headers=EN)
    assert response.status_code == 302
    assert db.session.scalar(select(Disbursement.project_id)) == projects["here"].id


def test_the_service_refuses_a_project_outside_the_funds_place(world, projects):
    make_gift(world.fund, 5_000, donor=world.resident)
    with pytest.raises(ValidationFailed) as caught:
        _request(world, project_id=projects["draft"].id)
    assert caught.value.field == "project_id"


def test_the_manage_page_says_who_does_which_step(client, login_as, world):
    login_as(world.treasurer)
    html = client.get(f"/funds/{world.fund.id}/manage", headers=EN).get_data(as_text=True)
    assert "A community worker of the fund's community or street" in html
    assert "nobody decides on a request of their own" in html and "The treasurer pays an approved request" in html
    assert f'href="/funds/{world.fund.id}/disbursements/new"' not in html  # the treasurer does not request
    client.post_form("/logout", token_from="/")
    login_as(world.worker)
    html = client.get(f"/funds/{world.fund.id}/manage", headers=EN).get_data(as_text=True)
    assert f'href="/funds/{world.fund.id}/disbursements/new"' in html
