"""Sealed bids through the service: what is sealed and receipted, and every refusal (a clear message, nothing
stored)."""
import hashlib
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select, text

from portal.audit.models import AuditEvent
from portal.core.errors import DomainError, ValidationFailed
from portal.extensions import db
from portal.orgs.models import PENDING, SUSPENDED
from portal.procurement import bids, sealing
from portal.procurement.models import DIRECT_GRANT, SUBMITTED, WITHDRAWN, Bid, BidFile, BidReceipt
from tests.factories.procurement import make_call
from tests.procurement.bids_world import PDF, PNG, draft, upload


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _sealed_files() -> list[Path]:
    folder = Path(current_app.config["UPLOAD_DIR"]) / "bids"
    return sorted(folder.glob("*")) if folder.exists() else []


def _nothing_stored(files_before):
    assert _count(Bid) == 0 and _count(BidReceipt) == 0 and _count(BidFile) == 0
    assert _sealed_files() == files_before


def test_a_bid_is_sealed_and_its_receipt_is_the_sha256_of_its_canonical_content(market):
    receipt = bids.submit_bid(market.call, market.lot, market.org, market.admin, draft())
    bid = db.session.get(Bid, receipt.bid_id)
    content = sealing.unseal(bid.sealed_content)
    assert receipt.receipt_sha256 == bid.receipt_sha256 == hashlib.sha256(sealing.canonical(content)).hexdigest()
    assert (receipt.action, receipt.version, bid.status) == ("submitted", 1, SUBMITTED)


def test_the_price_is_the_total_of_the_cost_lines_with_staff_as_people_times_hours_times_rate(market):
    receipt = bids.submit_bid(market.call, market.lot, market.org, market.admin, draft())
    content = sealing.unseal(db.session.get(Bid, receipt.bid_id).sealed_content)
    staff = content["cost_lines"][0]
    assert (staff["people"], staff["hours"], staff["rate_minor"], staff["amount_minor"]) == (2, 1000, 4000, 8_000_000)
    assert content["price_minor"] == 8_000_000 + 1_000_000 + 500_000
    assert content["indicators"] == [{"name": "上门服务人次", "unit": "人次", "baseline": 0, "target": 2000}]


def test_the_audit_record_of_a_submission_holds_ids_version_and_receipt_only(market):
    receipt = bids.submit_bid(market.call, market.lot, market.org, market.admin, draft())
    event = AuditEvent.query.filter_by(action="bid.submitted").one()
    assert event.after == {"call": market.call.id, "lot": market.lot.id, "organisation": market.org.id,
                           "version": 1, "status": SUBMITTED, "receipt": receipt.receipt_sha256}


def test_a_bid_over_the_lots_cap_is_refused_and_nothing_is_stored(market):
    before = _sealed_files()
    with pytest.raises(ValidationFailed, match="over the lot's cap"):
        bids.submit_bid(market.call, market.lot, market.org, market.admin,
                        draft(rate="200", hours="1000", people="2", files=[upload(PDF, "方案.pdf")]))  # ¥415,000
    _nothing_stored(before)


def test_a_bid_of_zero_is_refused(market):
    with pytest.raises(ValidationFailed, match="more than zero"):
        bids.submit_bid(market.call, market.lot, market.org, market.admin,
                        draft(rate="0", materials="", overheads=""))
    assert _count(Bid) == 0


def test_a_late_bid_is_refused_by_the_servers_clock_and_nothing_is_stored(market, clock):
    clock.move(days=10, seconds=1)
    before = _sealed_files()
    with pytest.raises(DomainError, match="deadline for bids passed") as refused:
        bids.submit_bid(market.call, market.lot, market.org, market.admin, draft(files=[upload(PDF, "a.pdf")]))
    assert refused.value.status_code == 409
    _nothing_stored(before)


@pytest.mark.parametrize(("status", "message"), [(PENDING, "not verified yet"), (SUSPENDED, "is suspended")])
def test_an_unverified_or_suspended_organisation_may_not_bid(market, status, message):
    other = market.bidder(status=status)
    with pytest.raises(DomainError, match=message):
        bids.submit_bid(market.call, market.lot, other.org, other.admin, draft())
    assert _count(Bid) == 0


def test_an_organisation_not_qualified_for_the_category_may_not_bid(market):
    other = market.bidder(qualified=False)
    with pytest.raises(DomainError, match="not on the qualified-organisation list"):
        bids.submit_bid(market.call, market.lot, other.org, other.admin, draft())
    assert _count(Bid) == 0


def test_a_qualification_for_another_category_does_not_count(market):
    from tests.factories.procurement import qualify

    other = market.bidder(qualified=False)
    qualify(other.org, market.tree["district"], market.official, category="children_youth")
    with pytest.raises(DomainError, match="qualified-organisation list"):
        bids.submit_bid(market.call, market.lot, other.org, other.admin, draft())


def test_a_direct_grant_takes_a_bid_only_from_its_invited_organisation(market):
    invited = market.bidder()
    grant_call = make_call(market.department, market.official, mode=DIRECT_GRANT,
                           invited_organisation_id=invited.org.id)
    with pytest.raises(DomainError, match="only to the organisation it invites"):
        bids.submit_bid(grant_call, grant_call.lots[0], market.org, market.admin, draft())
    assert _count(Bid) == 0
    bids.submit_bid(grant_call, grant_call.lots[0], invited.org, invited.admin, draft())
    assert _count(Bid) == 1


def test_a_file_that_is_not_what_its_name_says_is_refused_and_nothing_is_stored(market):
    before = _sealed_files()
    with pytest.raises(ValidationFailed, match="named .pdf but its content is a PNG"):
        bids.submit_bid(market.call, market.lot, market.org, market.admin,
                        draft(files=[upload(PDF, "预算.pdf"), upload(PNG, "方案.pdf")]))
    _nothing_stored(before)


def test_a_file_is_stored_encrypted_and_its_sha256_is_in_the_sealed_content(market):
    receipt = bids.submit_bid(market.call, market.lot, market.org, market.admin,
                              draft(files=[upload(PDF, "方案.pdf")]))
    bid_file = BidFile.query.filter_by(bid_id=receipt.bid_id).one()
    stored = (Path(current_app.config["UPLOAD_DIR"]) / bid_file.storage_key).read_bytes()
    assert PDF not in stored and sealing.unseal_bytes(stored) == PDF
    content = sealing.unseal(db.session.get(Bid, receipt.bid_id).sealed_content)
    assert content["files"][0]["sha256"] == bid_file.sha256 == hashlib.sha256(PDF).hexdigest()


def test_an_incomplete_staff_line_is_refused(market):
    with pytest.raises(ValidationFailed, match="every column of a staff line"):
        bids.submit_bid(market.call, market.lot, market.org, market.admin, draft(rate=""))
    assert _count(Bid) == 0


def test_a_bid_without_an_indicator_is_refused(market):
    with pytest.raises(ValidationFailed, match="at least one indicator"):
        bids.submit_bid(market.call, market.lot, market.org, market.admin, draft(indicators=[]))
    assert _count(Bid) == 0


def test_a_second_bid_for_the_same_lot_is_refused_in_favour_of_replacing(market):
    bids.submit_bid(market.call, market.lot, market.org, market.admin, draft())
    with pytest.raises(DomainError, match="replace it instead"):
        bids.submit_bid(market.call, market.lot, market.org, market.admin, draft())
    assert _count(BidReceipt) == 1


def test_replacing_a_bid_seals_a_new_version_under_a_new_receipt(market):
    first = bids.submit_bid(market.call, market.lot, market.org, market.admin, draft())
    bid = db.session.get(Bid, first.bid_id)
    second = bids.replace_bid(bid, market.admin, draft(rate="50"))
    assert (bid.version, second.action, second.version) == (2, "replaced", 2)
    assert second.receipt_sha256 == bid.receipt_sha256 != first.receipt_sha256
    assert sealing.unseal(bid.sealed_content)["price_minor"] == 10_000_000 + 1_500_000
    assert [r.action for r in bids.receipts_of(bid)] == ["submitted", "replaced"]


def test_withdrawing_keeps_the_bid_and_its_receipts_but_takes_it_out(market):
    first = bids.submit_bid(market.call, market.lot, market.org, market.admin, draft())
    bid = db.session.get(Bid, first.bid_id)
    receipt = bids.withdraw_bid(bid, market.admin)
    assert bid.status == WITHDRAWN and receipt.action == "withdrawn"
    assert [r.action for r in bids.receipts_of(bid)] == ["submitted", "withdrawn"]


def test_a_withdrawn_bid_may_be_submitted_again_as_a_new_version(market):
    bid = db.session.get(Bid, bids.submit_bid(market.call, market.lot, market.org, market.admin, draft()).bid_id)
    bids.withdraw_bid(bid, market.admin)
    receipt = bids.submit_bid(market.call, market.lot, market.org, market.admin, draft())
    assert (bid.status, bid.version, receipt.version) == (SUBMITTED, 2, 2)


@pytest.mark.parametrize("step", ["replace", "withdraw"])
def test_replacing_or_withdrawing_after_the_deadline_is_refused_and_changes_nothing(market, clock, step):
    bid = db.session.get(Bid, bids.submit_bid(market.call, market.lot, market.org, market.admin, draft()).bid_id)
    sealed, receipt = bid.sealed_content, bid.receipt_sha256
    clock.move(days=11)
    with pytest.raises(DomainError, match="deadline for bids passed") as refused:
        bids.replace_bid(bid, market.admin, draft(rate="50")) if step == "replace" else bids.withdraw_bid(
            bid, market.admin)
    assert refused.value.status_code == 409
    assert (bid.status, bid.version, bid.sealed_content, bid.receipt_sha256) == (SUBMITTED, 1, sealed, receipt)


def test_nobody_reads_a_bid_before_the_opening(market):
    bid = db.session.get(Bid, bids.submit_bid(market.call, market.lot, market.org, market.admin, draft()).bid_id)
    with pytest.raises(bids.BidNotOpened) as refused:
        bids.read_bid_content(bid)
    assert refused.value.status_code == 409


def test_the_sealed_column_is_not_plaintext(market):
    phrase = "独一无二的蓝色风车方案"
    receipt = bids.submit_bid(market.call, market.lot, market.org, market.admin, draft(approach=phrase))
    stored = db.session.execute(text("SELECT sealed_content FROM bids WHERE id = :id"), {"id": receipt.bid_id}).scalar()
    stored = bytes(stored)
    assert phrase.encode() not in stored and b"9500000" not in stored and b"approach" not in stored
    assert phrase in sealing.unseal(stored)["approach"]
