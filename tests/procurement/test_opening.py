"""The opening at the deadline: every sealed bid unsealed once, prices copied out, too few bids -> unsuccessful,
one audit record, the bidders told; and the opening record and content download that follow."""
import hashlib
from datetime import timedelta

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.notifications.models import Notification
from portal.procurement import bids, opening, sealing
from portal.procurement.models import CLOSED, PUBLISHED, UNSUCCESSFUL, VALID, WITHDRAWN, Bid, Lot
from tests.factories.procurement import make_call
from tests.procurement.bids_world import draft


def _bid(market, who=None, **typed) -> Bid:
    who = who or market
    receipt = bids.submit_bid(market.call, market.lot, who.org, who.admin, draft(**typed))
    return db.session.get(Bid, receipt.bid_id)


def _opened_events(call_id) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "call.opened",
                                                            AuditEvent.object_id == str(call_id))))


def test_nothing_opens_before_the_deadline(market):
    _bid(market)
    assert opening.open_due_calls() == [] and opening.open_if_due(market.call) is False
    assert market.call.status == PUBLISHED and market.call.opened_at is None


def test_the_deadline_opens_the_call_and_copies_each_price_out(market, clock):
    first = _bid(market)
    second_bidder = market.bidder()
    second = _bid(market, second_bidder, rate="45")
    clock.move(days=10)
    assert opening.open_due_calls() == [market.call.id]
    assert market.call.status == CLOSED and market.call.opened_at is not None
    assert (first.status, first.opened_price_minor) == (VALID, 9_500_000)
    assert (second.status, second.opened_price_minor) == (VALID, 2 * 1000 * 4500 + 1_500_000)


def test_a_withdrawn_bid_stays_withdrawn_and_unpriced(market, clock):
    other = market.bidder()
    kept, withdrawn = _bid(market), _bid(market, other)
    bids.withdraw_bid(withdrawn, other.admin)
    clock.move(days=10)
    opening.open_due_calls()
    assert kept.status == VALID
    assert (withdrawn.status, withdrawn.opened_price_minor) == (WITHDRAWN, None)


def test_a_call_opens_exactly_once(market, clock):
    _bid(market)
    clock.move(days=10)
    assert opening.open_call(market.call) is True
    assert opening.open_call(market.call) is False and opening.open_due_calls() == []
    assert len(_opened_events(market.call.id)) == 1


def test_the_opening_audit_record_lists_bidders_prices_and_receipt_hashes(market, clock):
    bid = _bid(market)
    clock.move(days=10)
    opening.open_due_calls()
    (event,) = _opened_events(market.call.id)
    assert event.after["status"] == CLOSED
    assert event.after["bids"] == [{"bid": bid.id, "lot": market.lot.id, "organisation": market.org.id,
                                    "price_minor": 9_500_000, "receipt": bid.receipt_sha256, "version": 1}]


def test_a_page_view_that_opens_the_call_records_the_portal_not_the_viewer_as_the_actor(market, clock, client,
                                                                                       login_as):
    from tests.factories.accounts import UserFactory

    _bid(market)
    clock.move(days=10)
    login_as(UserFactory())  # a resident who happens to open the call's page first
    assert client.get(f"/procurement/calls/{market.call.id}").status_code == 200
    (event,) = _opened_events(market.call.id)
    assert event.actor_id is None and event.ip_address is None


def test_fewer_bids_than_the_minimum_make_the_call_unsuccessful_with_the_reason(market, clock):
    call = make_call(market.department, market.official, min_bids=2)
    bids.submit_bid(call, call.lots[0], market.org, market.admin, draft())
    clock.move(days=10)
    opening.open_due_calls()
    assert call.status == UNSUCCESSFUL and call.lots[0].unsuccessful
    assert "minimum of 2" in call.closed_reason


def test_one_short_lot_is_unsuccessful_while_the_call_goes_on(market, clock):
    call = make_call(market.department, market.official)
    empty_lot = Lot(call_id=call.id, number=2, title="第二包", budget_cap_minor=10_000_000)
    db.session.add(empty_lot)
    db.session.flush()
    db.session.refresh(call)
    bids.submit_bid(call, call.lots[0], market.org, market.admin, draft())
    clock.move(days=10)
    opening.open_due_calls()
    assert call.status == CLOSED
    assert (call.lots[0].unsuccessful, empty_lot.unsuccessful) == (False, True)


def test_the_bidders_admins_are_told_of_the_opening(market, clock):
    _bid(market)
    clock.move(days=10)
    opening.open_due_calls()
    notes = db.session.scalars(select(Notification).where(Notification.user_id == market.admin.id)).all()
    assert [note.kind for note in notes] == ["bids_opened"]


def test_after_the_opening_the_content_reads_and_hashes_to_the_receipt(market, clock):
    bid = _bid(market)
    clock.move(days=10)
    opening.open_due_calls()
    content = bids.read_bid_content(bid)
    assert hashlib.sha256(sealing.canonical(content)).hexdigest() == bid.receipt_sha256


def test_a_withdrawn_bid_is_never_read_even_after_the_opening(market, clock):
    bid = _bid(market)
    bids.withdraw_bid(bid, market.admin)
    clock.move(days=10)
    opening.open_due_calls()
    try:
        bids.read_bid_content(bid)
    except bids.BidNeverOpened as refused:
        assert refused.status_code == 404
    else:
        raise AssertionError("a withdrawn bid was read")


# --- pages ---------------------------------------------------------------------------------------------
def test_the_opening_record_page_opens_a_due_call_and_shows_prices_and_hashes(market, clock, client, login_as):
    bid = _bid(market)
    clock.move(days=10, minutes=1)
    login_as(market.official)
    response = client.get(f"/procurement/calls/{market.call.id}/opening")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "¥95,000.00" in html and bid.receipt_sha256 in html and market.org.name in html
    assert db.session.get(type(market.call), market.call.id).status == CLOSED


def test_the_opening_record_before_the_deadline_is_a_409(market, client, login_as):
    _bid(market)
    login_as(market.official)
    assert client.get(f"/procurement/calls/{market.call.id}/opening").status_code == 409


def test_a_bidder_downloads_its_canonical_content_and_it_hashes_to_its_receipt(market, clock, client, login_as):
    bid = _bid(market)
    clock.move(days=10, minutes=1)
    login_as(market.admin)
    response = client.get(f"/procurement/calls/{market.call.id}/bids/{bid.id}/content.json")
    assert response.status_code == 200
    assert hashlib.sha256(response.get_data()).hexdigest() == bid.receipt_sha256


def test_the_content_download_before_the_opening_is_a_409(market, client, login_as):
    bid = _bid(market)
    login_as(market.admin)
    assert client.get(f"/procurement/calls/{market.call.id}/bids/{bid.id}/content.json").status_code == 409


def test_due_calls_are_found_by_their_deadline(market, clock):
    later = make_call(market.department, market.official, bids_until=market.call.bids_until + timedelta(days=3))
    clock.move(days=10)
    assert opening.due_call_ids() == [market.call.id]
    assert later.id not in opening.open_due_calls()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "call.opened")) == 1
