"""Refunds by the treasurer: partial, full, beyond the gift, through Stripe, never posted twice."""
from sqlalchemy import select

from portal.extensions import db
from portal.funds import ledger
from portal.funds.models import LedgerEntry
from portal.payments import review
from portal.payments.models import Donation
from tests.payments.conftest import EN, post_webhook
from tests.payments.fake_stripe import event
from tests.payments.helpers import give, start_gift


def _sandbox_gift(client, login_as, world, amount_choice="10000") -> Donation:
    login_as(world.donor)
    checkout = give(client, world.campaign, provider="sandbox", amount_choice=amount_choice).headers["Location"]
    client.post_form(checkout, {"action": "pay"})
    client.post_form("/logout", {}, token_from="/")
    return db.session.scalar(select(Donation).order_by(Donation.id.desc()))


def _refund(client, donation, amount, reason="捐赠人要求退款"):
    return client.post_form(f"/donations/{donation.id}/refund", {"amount": amount, "reason": reason},
                            token_from=f"/donations/{donation.id}/manage", headers=EN)


def _refund_entries(donation) -> list[int]:
    return [entry.postings[0].amount_minor for entry in db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.donation_id == donation.id, LedgerEntry.kind == "refund"))]


def test_the_treasurer_refunds_part_then_the_rest(client, login_as, world):
    donation = _sandbox_gift(client, login_as, world)
    login_as(world.treasurer)
    assert _refund(client, donation, "30").status_code == 302
    db.session.refresh(donation)
    assert (donation.status, donation.refunded_minor) == ("partially_refunded", 3000)
    assert _refund(client, donation, "70").status_code == 302
    db.session.refresh(donation)
    assert (donation.status, donation.refunded_minor) == ("refunded", 10000)
    assert ledger.campaign_raised(world.campaign.id) == 0
    assert len(_refund_entries(donation)) == 2


def test_a_second_refund_beyond_the_gift_is_refused_with_a_clear_message(client, login_as, world):
    donation = _sandbox_gift(client, login_as, world)
    login_as(world.treasurer)
    _refund(client, donation, "80")
    response = _refund(client, donation, "30")
    assert response.status_code == 409
    assert "At most ¥20 of this gift can still be refunded" in response.get_data(as_text=True)
    db.session.refresh(donation)
    assert donation.refunded_minor == 8000
    assert len(_refund_entries(donation)) == 1
    assert ledger.campaign_raised(world.campaign.id) == 2000


def test_a_refund_of_a_fully_refunded_gift_is_refused(client, login_as, world):
    donation = _sandbox_gift(client, login_as, world)
    login_as(world.treasurer)
    _refund(client, donation, "100")
    response = _refund(client, donation, "1")
    assert response.status_code == 409
    db.session.refresh(donation)
    assert donation.refunded_minor == 10000


def test_bad_refund_amounts_are_refused(client, login_as, world):
    donation = _sandbox_gift(client, login_as, world)
    login_as(world.treasurer)
    for amount in ("0", "-1", "1.005", "abc"):
        assert _refund(client, donation, amount).status_code == 400
    db.session.refresh(donation)
    assert donation.refunded_minor == 0


def test_only_the_treasurer_refunds(client, login_as, world):
    donation = _sandbox_gift(client, login_as, world)
    login_as(world.member)  # committee: may look, may not refund
    assert client.get(f"/donations/{donation.id}/manage").status_code == 200
    assert _refund(client, donation, "10").status_code == 404  # the route's declared check: can_refund_donation
    client.post_form("/logout", {}, token_from="/")
    login_as(world.donor)
    assert client.get(f"/donations/{donation.id}/manage").status_code == 404
    db.session.refresh(donation)
    assert donation.refunded_minor == 0


def test_a_stripe_refund_that_succeeds_at_once_is_posted_once(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    session = fake.complete_session(donation.provider_session_id)
    post_webhook(client, event("checkout.session.completed", session))
    client.post_form("/logout", {}, token_from="/")
    login_as(world.treasurer)
    assert _refund(client, donation, "20").status_code == 302
    refund_call = [params for method, path, params in fake.requests if path == "/v1/refunds"][0]
    assert refund_call["payment_intent"] == session["payment_intent"] and refund_call["amount"] == "2000"
    db.session.refresh(donation)
    assert donation.refunded_minor == 2000
    # Stripe then sends charge.refunded for the refund we started: not posted again
    response = post_webhook(client, event("charge.refunded", fake.charge(session["payment_intent"])))
    assert response.get_json()["outcome"] == "refunds already recorded"
    assert _refund_entries(donation) == [-2000]


def test_a_pending_stripe_refund_is_posted_when_charge_refunded_arrives(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    session = fake.complete_session(donation.provider_session_id)
    post_webhook(client, event("checkout.session.completed", session))
    client.post_form("/logout", {}, token_from="/")
    login_as(world.treasurer)
    fake.refund_status = "pending"
    _refund(client, donation, "50")
    db.session.refresh(donation)
    assert donation.refunded_minor == 0 and donation.refunds[0].status == "pending"
    assert ledger.campaign_raised(world.campaign.id) == 5000
    # a second refund while the first is on its way cannot exceed what is left
    assert _refund(client, donation, "1").status_code == 409
    charge = fake.charge(session["payment_intent"])
    post_webhook(client, event("charge.refunded", charge))
    post_webhook(client, event("charge.refunded", charge))  # the same state announced twice
    db.session.refresh(donation)
    assert (donation.status, donation.refunded_minor) == ("refunded", 5000)
    assert donation.refunds[0].status == "succeeded" and len(donation.refunds) == 1
    assert _refund_entries(donation) == [-5000]


def test_a_refund_stripe_refuses_posts_nothing(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    session = fake.complete_session(donation.provider_session_id)
    post_webhook(client, event("checkout.session.completed", session))
    client.post_form("/logout", {}, token_from="/")
    login_as(world.treasurer)
    fake.refund_status = "failed"
    _refund(client, donation, "10")
    db.session.refresh(donation)
    assert donation.refunded_minor == 0 and donation.refunds[0].status == "failed"
    assert _refund_entries(donation) == []


def test_a_disputed_gift_cannot_be_refunded(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    session = fake.complete_session(donation.provider_session_id)
    post_webhook(client, event("checkout.session.completed", session))
    post_webhook(client, event("charge.dispute.created", fake.dispute(session["payment_intent"])))
    client.post_form("/logout", {}, token_from="/")
    login_as(world.treasurer)
    assert _refund(client, donation, "10").status_code == 409
    assert _refund_entries(donation) == []


def test_refunds_and_disputes_appear_as_reversals_in_the_ledger(client, login_as, world):
    donation = _sandbox_gift(client, login_as, world)
    login_as(world.treasurer)
    _refund(client, donation, "25")
    kinds = db.session.scalars(select(LedgerEntry.kind).where(LedgerEntry.donation_id == donation.id)
                               .order_by(LedgerEntry.id)).all()
    assert kinds == ["gift", "refund"]
    assert ledger.unbalanced_entries() == []
    db.session.refresh(world.fund)
    assert world.fund.balance_minor == ledger.fund_balance(world.fund.id) == 7500


def test_reconcile_lists_what_the_provider_said_that_the_books_do_not_show(client, login_as, world, fake):
    from datetime import timedelta

    from portal.core.time import utcnow

    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    post_webhook(client, event("checkout.session.completed",
                               fake.complete_session(donation.provider_session_id, amount_total=1)))
    early = start_gift(client, world.campaign, amount_choice="2000")
    session = fake.complete_session(early.provider_session_id)
    post_webhook(client, event("charge.refunded", fake.refund_at_stripe(session["payment_intent"], 2000)))
    # the flagged gift awaits review (not a difference); the early refund may still wait for its payment
    assert review.provider_differences() == []
    awaiting = review.items_awaiting_review()
    assert len(awaiting) == 1 and f"donation {donation.id}" in awaiting[0]
    later = review.provider_differences(now=utcnow() + timedelta(hours=2))
    assert len(later) == 1 and "charge.refunded" in later[0]
    from portal.funds.reconcile import provider_differences

    assert provider_differences() == review.provider_differences()
