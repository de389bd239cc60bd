"""What the read routes answer: only public objects, gifts anonymised, no sealed price, filters and pages."""
from datetime import timedelta

from portal.core.time import utcnow
from tests.api.world import HIDDEN_EMAIL, HIDDEN_MESSAGE, HIDDEN_NAME, PRIVATE_TITLE, SEALED_PRICE
from tests.factories.places import make_tree


def _ids(response) -> set[int]:
    return {row["id"] for row in response.get_json()["data"]}


def test_an_anonymous_gift_never_shows_its_donor(client, world):
    for url in ("/api/v1/gifts", f"/api/v1/gifts/{world.anonymous_gift.id}", f"/api/v1/gifts?fund={world.fund.id}"):
        body = client.get(url).get_data(as_text=True)
        assert HIDDEN_NAME not in body and HIDDEN_EMAIL not in body and HIDDEN_MESSAGE not in body
        assert "\\u9690\\u540d" not in body  # nor escaped (隐名)
    row = client.get(f"/api/v1/gifts/{world.anonymous_gift.id}").get_json()
    assert row["donor"] is None and row["message"] is None and row["display_mode"] == "anonymous"
    assert row["amount_minor"] == 30_000 and row["currency"] == "CNY"


def test_a_gift_shows_its_donor_as_the_donor_chose(client, world):
    assert client.get(f"/api/v1/gifts/{world.named_gift.id}").get_json()["donor"] == "王大妈"
    assert client.get(f"/api/v1/gifts/{world.initials_gift.id}").get_json()["donor"] == "李**"


def test_no_gift_carries_an_account(client, world):
    row = client.get(f"/api/v1/gifts/{world.anonymous_gift.id}").get_json()
    assert set(row) == {"id", "fund_id", "campaign_id", "team_id", "amount_minor", "refunded_minor", "currency",
                        "display_mode", "donor", "message", "succeeded_at"}


def test_a_pending_gift_is_not_a_gift(client, world):
    assert world.pending_gift.id not in _ids(client.get("/api/v1/gifts"))
    assert client.get(f"/api/v1/gifts/{world.pending_gift.id}").status_code == 404


def test_a_sealed_bids_price_never_appears_before_the_opening(client, world):
    sealed = f"/api/v1/calls/{world.sealed.id}"
    for url in (sealed, "/api/v1/calls", "/api/v1/awards", "/api/v1/contracts", "/api/v1/calls?status=published"):
        body = client.get(url).get_data(as_text=True)
        assert str(SEALED_PRICE) not in body, url
    call = client.get(sealed).get_json()
    assert call["number_of_tenderers"] is None and call["awards"] == []


def test_an_opened_call_tells_its_tenderers_and_award(client, world):
    call = client.get(f"/api/v1/calls/{world.done.id}").get_json()
    assert call["number_of_tenderers"] == 3
    assert [(award["id"], award["amount_minor"], award["status"]) for award in call["awards"]] == \
        [(world.award.id, world.award.amount_minor, "active")]


def test_drafts_are_not_public(client, world):
    assert client.get(f"/api/v1/calls/{world.draft.id}").status_code == 404
    assert world.draft.id not in _ids(client.get("/api/v1/calls"))
    assert client.get(f"/api/v1/projects/{world.draft_project.id}").status_code == 404
    assert client.get(f"/api/v1/campaigns/{world.draft_campaign.id}").status_code == 404
    assert world.draft_campaign.id not in _ids(client.get("/api/v1/campaigns"))


def test_a_private_categorys_case_is_never_read(client, world):
    assert client.get(f"/api/v1/cases/{world.private_case.id}").status_code == 404
    assert PRIVATE_TITLE not in client.get("/api/v1/cases?per_page=100").get_data(as_text=True)


def test_a_case_tells_nothing_of_its_reporter(client, world):
    row = client.get(f"/api/v1/cases/{world.case.id}").get_json()
    assert not {"reporter", "reporter_id", "reporter_name", "reported_via"} & set(row)
    assert row["reference"] == world.case.reference and row["open"] is True


def test_a_contract_comes_with_its_milestones_and_payments(client, world):
    row = client.get(f"/api/v1/contracts/{world.contract.id}").get_json()
    assert row["value_minor"] == world.contract.value_minor and row["paid_minor"] == world.contract.paid_minor
    assert [m["status"] for m in row["milestones"]][0] == "accepted"
    assert [(p["milestone_id"], p["amount_minor"]) for p in row["payments"]] == [(world.milestone.id, 6_000_001)]


def test_the_place_filter_takes_the_whole_subtree(client, world):
    other = make_tree()
    assert world.case.id in _ids(client.get(f"/api/v1/cases?place={world.tree['district'].id}"))
    assert _ids(client.get(f"/api/v1/cases?place={other['district'].id}")) == set()
    assert world.project.id in _ids(client.get(f"/api/v1/projects?place={world.tree['street'].id}"))
    assert _ids(client.get(f"/api/v1/projects?place={other['grid'].id}")) == set()
    assert world.fund.id in _ids(client.get(f"/api/v1/funds?place={world.tree['district'].id}"))


def test_status_and_year_filters(client, world):
    this_year = (utcnow() + timedelta(hours=8)).year
    assert _ids(client.get("/api/v1/calls?status=published")) == {world.sealed.id}
    assert _ids(client.get("/api/v1/awards?status=active")) == {world.award.id}
    assert _ids(client.get("/api/v1/awards?status=cancelled")) == set()
    assert world.case.id in _ids(client.get(f"/api/v1/cases?year={this_year}"))
    assert _ids(client.get(f"/api/v1/cases?year={this_year - 3}")) == set()


def test_pages_link_to_each_other(client, world):
    first = client.get("/api/v1/gifts?per_page=2").get_json()
    assert first["meta"] == {"page": 1, "per_page": 2, "total": 3, "pages": 2}
    assert first["links"]["prev"] is None and "page=2" in first["links"]["next"]
    second = client.get(first["links"]["next"]).get_json()
    assert second["links"]["next"] is None and len(second["data"]) == 1
    assert {row["id"] for row in first["data"] + second["data"]} == {
        world.named_gift.id, world.initials_gift.id, world.anonymous_gift.id}


def test_money_is_whole_fen_beside_a_currency(client, world):
    row = client.get(f"/api/v1/awards/{world.award.id}").get_json()
    assert row["amount_minor"] == 20_000_005 and row["currency"] == "CNY"
