"""The contract pages: the public list (filters, a fixed query count), the contract page with the sections other
modules contribute, signing from the call's page."""
from datetime import timedelta

from sqlalchemy import func, select

from portal.contracts import amendments, sections
from portal.contracts.models import ACTIVE, APPROVED, Contract, ContractPayment
from portal.core.time import utcnow
from portal.extensions import db
from tests.contracts.contracts_world import RATIONALE, ContractWorld, SignedContract
from tests.factories.contracts import make_contract
from tests.factories.evaluation import make_bidder
from tests.factories.procurement import make_department

EN = {"Accept-Language": "en"}


def _add_contracts(world, n):
    for _ in range(n):
        organisation, _admin = make_bidder(world.tree["community"])
        make_contract(make_department(world.tree["district"]), organisation, world.official,
                      place=world.tree["community"])


def _queries(client, count_queries, path):
    client.get(path, headers=EN)
    with count_queries() as statements:
        response = client.get(path, headers=EN)
    assert response.status_code == 200
    return len(statements)


def test_the_list_query_count_does_not_grow_with_rows(client, count_queries):
    world = SignedContract()
    _add_contracts(world, 2)
    few = _queries(client, count_queries, "/contracts/")
    _add_contracts(world, 8)
    assert _queries(client, count_queries, "/contracts/") == few
    assert _queries(client, count_queries, f"/contracts/?status={ACTIVE}&department={world.department.id}") == few


def test_the_list_filters_by_department(client):
    world = SignedContract()
    _add_contracts(world, 1)
    other = db.session.scalar(select(Contract).where(Contract.id != world.contract.id))
    page = client.get(f"/contracts/?department={world.department.id}", headers=EN).get_data(as_text=True)
    assert f"/contracts/{world.contract.id}\"" in page and f"/contracts/{other.id}\"" not in page


def test_the_list_filters_by_organisation(client):
    world = SignedContract()
    _add_contracts(world, 1)
    page = client.get(f"/contracts/?organisation={world.organisation.id}", headers=EN).get_data(as_text=True)
    assert "1 contract" in page


def test_the_contract_page_shows_lines_milestone_shares_factors_and_the_running_total(client):
    world = SignedContract()
    amendments.propose(world.contract, world.official, RATIONALE, 400_000)
    page = client.get(f"/contracts/{world.contract.id}", headers=EN).get_data(as_text=True)
    assert "居家养老上门服务" in page and "30%" in page and "40%" in page
    assert "0.90" in page  # rating 3's factor
    assert "+¥4,000.00" in page and "5.00%" in page and RATIONALE in page


def test_the_contract_page_lists_its_payments(client):
    world = SignedContract()
    db.session.add(ContractPayment(contract_id=world.contract.id, milestone_id=world.contract.milestones[0].id,
                                   amount_minor=1_234_500, status=APPROVED, requested_by_id=world.official.id))
    db.session.flush()
    page = client.get(f"/contracts/{world.contract.id}", headers=EN).get_data(as_text=True)
    assert "12,345" in page


def test_the_contract_page_renders_the_sections_other_modules_register(client, app):
    world = SignedContract()

    def section(contract, user):
        return "contracts/_call_contracts.html", {"call": None, "awards": [], "contracts": {}, "may_sign": False}

    sections.contract_page_sections.register(section)
    try:
        page = client.get(f"/contracts/{world.contract.id}", headers=EN).get_data(as_text=True)
    finally:
        sections.contract_page_sections._handlers.remove(section)
    assert 'id="call-contracts-heading"' in page


def test_the_buyer_of_a_confirmed_call_sees_sign_the_contract_on_its_page(client, login_as):
    world = ContractWorld()
    world.official.locale = "en"
    login_as(world.official)
    page = client.get(f"/procurement/calls/{world.call.id}").get_data(as_text=True)
    assert f"/contracts/awards/{world.award.id}/sign" in page


def test_a_contracted_calls_page_links_to_its_contracts_for_everyone(client):
    world = ContractWorld()
    contract = world.sign()
    page = client.get(f"/procurement/calls/{world.call.id}", headers=EN).get_data(as_text=True)
    assert f"/contracts/{contract.id}" in page


def _sign_data(shares):
    today = utcnow().date()
    data = {"starts_on": today.isoformat(), "ends_on": (today + timedelta(days=364)).isoformat()}
    for n, share in enumerate(shares, start=1):
        data.update({f"m{n}_title": f"第{n}期", f"m{n}_due_on": (today + timedelta(days=100 * n)).isoformat(),
                     f"m{n}_share": share})
    return data


def test_the_sign_form_with_shares_not_summing_to_100_says_so_and_stores_nothing(client, login_as):
    world = ContractWorld()
    world.official.locale = "en"
    login_as(world.official)
    response = client.post_form(f"/contracts/awards/{world.award.id}/sign", _sign_data(["50", "40"]))
    assert response.status_code == 400
    assert "add up to 90%" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 0


def test_the_sign_form_signs_the_contract(client, login_as):
    world = ContractWorld()
    login_as(world.official)
    response = client.post_form(f"/contracts/awards/{world.award.id}/sign", _sign_data(["50", "50"]))
    contract = db.session.scalar(select(Contract))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/contracts/{contract.id}")
    assert [m.share_bp for m in contract.milestones] == [5000, 5000]



def test_signing_again_for_a_contracted_call_is_a_409_and_nothing_changes(client, login_as):
    world = ContractWorld()
    world.sign()
    world.official.locale = "en"
    login_as(world.official)
    response = client.post_form(f"/contracts/awards/{world.award.id}/sign", _sign_data(["50", "50"]))
    assert response.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 1
