"""OCDS releases and records of a hand-made world: valid against the shipped schemas, exact amounts, sealed
prices never published, the compiled release carrying the latest state."""
import json

import pytest

from portal.opendata import ocds, queries, validation
from tests.opendata.world import AMENDMENT, PAYMENT, SEALED_PRICE, WINNING_PRICE, OpenDataWorld


@pytest.fixture
def world(app):
    return OpenDataWorld()


def _package(app, *calls, kind="release"):
    with app.test_request_context("/"):
        datas = queries.call_data([call.id for call in calls])
        build = ocds.release_package if kind == "release" else ocds.record_package
        return build(datas, "http://localhost/opendata/ocds/test.json")


def test_the_release_package_is_valid_against_the_shipped_schema(app, world):
    package = _package(app, world.done, world.sealed)
    assert package["releases"]
    assert validation.errors(package) == []


def test_the_record_package_is_valid_against_the_shipped_schema(app, world):
    package = _package(app, world.done, world.sealed, kind="record")
    assert len(package["records"]) == 2
    assert validation.errors(package, "record") == []


def test_an_invalid_release_is_caught_by_the_validation(app, world):
    package = _package(app, world.done)
    package["releases"][0]["tender"]["status"] = "open-ish"
    assert any("open-ish" in line for line in validation.errors(package))


def test_a_sealed_bids_price_is_never_published_before_the_opening(app, client, world):
    body = client.get("/opendata/ocds/releases.json").get_data(as_text=True)
    records = client.get(f"/opendata/ocds/calls/{world.sealed.id}/record.json").get_data(as_text=True)
    assert str(world.sealed.id) in body  # the sealed call is published...
    for text in (body, records):  # ...but its bid's price is not, in fen or in yuan
        assert str(SEALED_PRICE) not in text and "123456.79" not in text
        assert "numberOfTenderers\":1" not in text


def test_the_tenderers_are_counted_only_after_the_opening(app, world):
    releases = _package(app, world.done, world.sealed)["releases"]
    sealed = [r for r in releases if r["ocid"].endswith(f"-{world.sealed.id}")]
    assert all("numberOfTenderers" not in r.get("tender", {}) for r in sealed)
    opening = next(r for r in releases if r["id"].endswith(f"{world.done.id}-opening"))
    assert opening["tender"]["numberOfTenderers"] == 3


def test_amounts_are_converted_from_fen_exactly(app, client, world):
    text = client.get(f"/opendata/ocds/calls/{world.done.id}/record.json").get_data(as_text=True)
    compiled = json.loads(text)["records"][0]["compiledRelease"]
    assert compiled["awards"][0]["value"] == {"amount": 200000.05, "currency": "CNY"}
    assert '"amount":200000.05' in text
    assert compiled["contracts"][0]["value"]["amount"] == ocds.amount(WINNING_PRICE + AMENDMENT) == 212345.72
    transaction = compiled["contracts"][0]["implementation"]["transactions"][0]
    assert transaction["value"]["amount"] == 60000.01 and str(PAYMENT) == "6000001"


def test_amount_refuses_what_a_json_number_cannot_carry():
    assert ocds.amount(1) == 0.01 and ocds.amount(100) == 1 and ocds.amount(-5) == -0.05
    with pytest.raises(ValueError):
        ocds.amount(1_234_567_890_123_456_789)


def test_the_compiled_release_carries_the_latest_states(app, world):
    record = _package(app, world.done, kind="record")["records"][0]
    compiled = record["compiledRelease"]
    assert compiled["tender"]["status"] == "complete"
    assert compiled["awards"][0]["status"] == "active"
    assert compiled["contracts"][0]["status"] == "active"
    milestones = {m["id"]: m for m in compiled["contracts"][0]["implementation"]["milestones"]}
    assert milestones[f"milestone-{world.milestone.id}"]["status"] == "met"
    assert [m["status"] for m in milestones.values()].count("scheduled") == 1
    assert compiled["tender"]["title"] == world.done.title  # after the revision, not "旧标题"
    assert compiled["tender"]["amendments"][0]["rationale"] == "延长答疑期限"


def test_the_first_tender_release_shows_the_call_as_first_published(app, world):
    releases = _package(app, world.done)["releases"]
    first = releases[0]
    assert first["tag"] == ["tender"] and first["tender"]["title"] == "旧标题"
    assert first["tender"]["value"]["amount"] == 290000
    assert releases[1]["tag"] == ["tenderAmendment"]


def test_releases_come_in_date_order_with_unique_ids(app, world):
    releases = _package(app, world.done)["releases"]
    assert [r["date"] for r in releases] == sorted(r["date"] for r in releases)
    assert len({r["id"] for r in releases}) == len(releases)
    assert all(r["date"].endswith("+08:00") for r in releases)


def test_parties_name_the_buyer_and_the_supplier_by_its_credit_code(app, world):
    compiled = _package(app, world.done, kind="record")["records"][0]["compiledRelease"]
    parties = {p["id"]: p for p in compiled["parties"]}
    supplier = parties[f"CN-USCC-{world.winner.credit_code}"]
    assert supplier["identifier"] == {"scheme": "CN-USCC", "id": world.winner.credit_code,
                                      "legalName": world.winner.name}
    assert set(supplier["roles"]) == {"tenderer", "supplier", "payee"}
    assert set(parties[f"department-{world.world.department.id}"]["roles"]) == {"buyer", "procuringEntity", "payer"}
    losers = {world.world.orgs["b"].credit_code, world.world.orgs["c"].credit_code}
    assert not any(p.get("identifier", {}).get("id") in losers for p in compiled["parties"])


def test_a_cancelled_award_is_cancelled_in_the_record(app, world):
    world.award.cancelled_at = world.award.decided_at + (world.done.confirmed_at - world.award.decided_at) / 2
    world.done.status = "evaluation"
    world.done.confirmed_at = None
    compiled = _package(app, world.done, kind="record")["records"][0]["compiledRelease"]
    assert compiled["awards"][0]["status"] == "cancelled"
    assert compiled["tender"]["status"] == "active"


def test_merging_never_goes_to_the_network(app, world, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    ocds._merger.cache_clear()
    validation.registry.cache_clear()
    package = _package(app, world.done, kind="record")
    assert validation.errors(package, "record") == []


def test_a_cancelled_call_ends_in_a_tender_cancellation(app, world):
    from portal.procurement.calls import cancel_call

    with app.test_request_context("/"):
        cancel_call(world.sealed, world.world.official, "预算调整，取消本次采购")
    package = _package(app, world.sealed)
    assert package["releases"][-1]["tag"] == ["tenderCancellation"]
    assert validation.errors(package) == []
    record = _package(app, world.sealed, kind="record")["records"][0]
    assert record["compiledRelease"]["tender"]["status"] == "cancelled"


def test_a_call_with_too_few_bids_is_unsuccessful(app, world):
    from portal.core.time import utcnow

    world.sealed.status, world.sealed.opened_at = "unsuccessful", utcnow()
    compiled = _package(app, world.sealed, kind="record")["records"][0]["compiledRelease"]
    assert compiled["tender"]["status"] == "unsuccessful" and compiled["tender"]["numberOfTenderers"] == 1


def test_a_terminated_contract_is_terminated_with_its_unmet_milestones(app, world):
    from datetime import timedelta

    world.contract.status = "terminated"
    world.contract.closed_at = world.start + timedelta(days=50)
    package = _package(app, world.done, kind="record")
    assert validation.errors(package, "record") == []
    contract = package["records"][0]["compiledRelease"]["contracts"][0]
    assert contract["status"] == "terminated"
    assert sorted(m["status"] for m in contract["implementation"]["milestones"]) == ["met", "notMet"]


def test_a_revision_of_lots_and_deadline_is_undone_in_the_first_tender_release(app, world):
    from datetime import timedelta

    from portal.procurement.models import CallRevision

    revision = CallRevision.query.filter_by(call_id=world.done.id).one()
    earlier = world.done.bids_until - timedelta(days=3)
    revision.changes = {**revision.changes,
                        "bids_until": [earlier.isoformat(), world.done.bids_until.isoformat()],
                        "lots": [[{"number": 1, "title": "原标段", "budget_cap_minor": 1, "max_awards": 1,
                                   "lines": [["OLD1", "旧服务", 10]]}], []]}
    package = _package(app, world.done)
    first, amended = package["releases"][0]["tender"], package["releases"][1]["tender"]
    assert [item["id"] for item in first["items"]] == ["1-OLD1"] and first["items"][0]["quantity"] == 10
    assert first["tenderPeriod"]["endDate"] == ocds.when(earlier)
    assert amended["tenderPeriod"]["endDate"] == ocds.when(world.done.bids_until)
    assert validation.errors(package) == []
