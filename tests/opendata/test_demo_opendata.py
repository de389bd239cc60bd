"""The demo city's open data (the demo runs once here: it is slow): every package it produces is valid against
the shipped schemas, no sealed price is published, and the records agree with the contracts' values.

One test, because the demo is loaded per test (each test's data is rolled back)."""
import json

from sqlalchemy import select

from portal.contracts.models import Contract
from portal.extensions import db
from portal.opendata import ocds, validation
from portal.procurement import sealing
from portal.procurement.models import PUBLISHED, SUBMITTED, Bid, Call


def _amount_paths(node, path=()):
    if isinstance(node, dict):
        for key, item in node.items():
            if key == "amount":
                yield (*path, key)
            else:
                yield from _amount_paths(item, (*path, key))
    elif isinstance(node, list):
        for item in node:
            yield from _amount_paths(item, path)


def test_the_demo_citys_packages_are_valid_and_publish_no_sealed_price(runner, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    releases = client.get("/opendata/ocds/releases.json").get_json()
    records = client.get("/opendata/ocds/records.json").get_json()
    assert validation.errors(releases) == []
    assert validation.errors(records, "record") == []
    published = db.session.scalar(select(Call.id).where(Call.status != "draft").order_by(Call.id.desc()).limit(1))
    for call_id in sorted({int(r["ocid"].rsplit("-", 1)[1]) for r in releases["releases"]} | {published}):
        assert validation.errors(client.get(f"/opendata/ocds/calls/{call_id}/releases.json").get_json()) == []
        assert validation.errors(client.get(f"/opendata/ocds/calls/{call_id}/record.json").get_json(),
                                 "record") == []
    # the demo has calls still open for bids, with sealed bids: none of their prices is in the data
    sealed = list(db.session.scalars(select(Bid).join(Call, Call.id == Bid.call_id)
                                     .where(Call.status == PUBLISHED, Bid.status == SUBMITTED)))
    assert sealed, "the demo has no sealed bid to check"
    sealed_ocids = {ocds.ocid_of(bid.call_id) for bid in sealed}
    for release in releases["releases"]:
        if release["ocid"] in sealed_ocids:  # only the budget cap, no award, no count, no price
            assert set(release) & {"awards", "contracts"} == set()
            assert "numberOfTenderers" not in release.get("tender", {})
            assert list(_amount_paths(release)) in ([], [("tender", "value", "amount")])
    text = json.dumps(releases, ensure_ascii=False)
    for bid in sealed:
        assert str(sealing.unseal(bid.sealed_content)["price_minor"]) not in text  # not in fen either
    # every contract of a call is in its record, at its current value (original plus amendments in force)
    compiled = {record["ocid"]: record["compiledRelease"] for record in records["records"]}
    contracts = list(db.session.scalars(select(Contract).where(Contract.call_id.is_not(None),
                                                               Contract.award_id.is_not(None))))
    assert contracts
    for contract in contracts:
        published_contract = next(c for c in compiled[ocds.ocid_of(contract.call_id)]["contracts"]
                                  if c["id"] == f"contract-{contract.id}")
        assert published_contract["value"]["amount"] == ocds.amount(contract.value_minor)
