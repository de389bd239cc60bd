"""The Stripe webhook: signatures, storing each event once, and every event type the portal handles."""
import time

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.funds import ledger
from portal.funds.models import LedgerEntry
from portal.payments.models import Dispute, Donation, RecurringGift, Refund, WebhookEvent
from tests.payments.conftest import WEBHOOK_SECRET, post_webhook
from tests.payments.fake_stripe import event, signature, signed
from tests.payments.helpers import gift_entries, start_gift


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _paid_gift(client, login_as, world, fake, **kwargs):
    login_as(world.donor)
    donation = start_gift(client, world.campaign, **kwargs)
    session = fake.complete_session(donation.provider_session_id)
    response = post_webhook(client, event("checkout.session.completed", session))
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.refresh(donation)
    return donation, session


# --- signatures --------------------------------------------------------------------------------------

def test_a_wrong_signature_is_refused_with_400_and_nothing_stored(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    session = fake.complete_session(donation.provider_session_id)
    response = post_webhook(client, event("checkout.session.completed", session), secret="whsec_forged")
    assert response.status_code == 400
    assert _count(WebhookEvent) == 0
    db.session.refresh(donation)
    assert donation.status == "pending"
    assert gift_entries(donation) == []


def test_a_body_changed_after_signing_is_refused(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    session = fake.complete_session(donation.provider_session_id)
    body, headers = signed(event("checkout.session.completed", session), WEBHOOK_SECRET)
    tampered = body.replace(b'"amount_total":5000', b'"amount_total":9000')
    assert tampered != body
    assert client.post("/webhooks/stripe", data=tampered, headers=headers).status_code == 400
    assert _count(WebhookEvent) == 0


def test_a_stale_signature_is_refused_as_a_replay(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    session = fake.complete_session(donation.provider_session_id)
    an_hour_ago = int(time.time()) - 3600
    response = post_webhook(client, event("checkout.session.completed", session), timestamp=an_hour_ago)
    assert response.status_code == 400
    assert _count(WebhookEvent) == 0
    db.session.refresh(donation)
    assert donation.status == "pending"


def test_a_missing_signature_or_garbage_body_is_refused(client, fake):
    assert client.post("/webhooks/stripe", data=b'{"id": "evt_1", "type": "x"}').status_code == 400
    body = b"not json"
    headers = {"Stripe-Signature": signature(body, WEBHOOK_SECRET)}
    assert client.post("/webhooks/stripe", data=body, headers=headers).status_code == 400
    assert _count(WebhookEvent) == 0


@pytest.mark.parametrize("body", [b"[]", b'"x"', b"1", b"null", b"[{\"id\": \"evt_1\"}]"])
def test_a_signed_body_that_is_json_but_not_an_object_is_a_400_json_error(client, fake, body):
    headers = {"Stripe-Signature": signature(body, WEBHOOK_SECRET), "Content-Type": "application/json"}
    response = client.post("/webhooks/stripe", data=body, headers=headers)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "field"} and error["code"] == "bad_webhook"
    assert _count(WebhookEvent) == 0


def test_the_webhook_is_refused_when_stripe_is_not_enabled(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDERS", "sandbox,offline")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    response = post_webhook(client, event("checkout.session.completed", {"id": "cs_x"}))
    assert response.status_code == 400
    assert _count(WebhookEvent) == 0


# --- checkout sessions -----------------------------------------------------------------------------------

def test_a_completed_paid_checkout_credits_the_gift_once(client, login_as, world, fake):
    donation, session = _paid_gift(client, login_as, world, fake)
    assert donation.status == "succeeded"
    assert donation.receipt_number
    assert donation.provider_payment_id == session["payment_intent"]
    assert len(gift_entries(donation)) == 1
    db.session.refresh(world.campaign)
    assert world.campaign.raised_minor == 5000 == ledger.campaign_raised(world.campaign.id)


def test_a_duplicate_event_returns_200_and_does_nothing(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    payload = event("checkout.session.completed", fake.complete_session(donation.provider_session_id))
    first = post_webhook(client, payload)
    second = post_webhook(client, payload)
    assert first.status_code == second.status_code == 200
    assert second.get_json()["outcome"] == "duplicate"
    assert _count(WebhookEvent) == 1
    assert len(gift_entries(donation)) == 1


def test_the_same_payment_announced_by_two_events_is_credited_once(client, login_as, world, fake):
    donation, session = _paid_gift(client, login_as, world, fake)
    again = post_webhook(client, event("checkout.session.async_payment_succeeded", session))
    assert again.status_code == 200
    assert "already credited" in again.get_json()["outcome"]
    assert len(gift_entries(donation)) == 1


def test_an_asynchronous_payment_is_credited_when_it_succeeds(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    unpaid = fake.complete_session(donation.provider_session_id, paid=False)
    post_webhook(client, event("checkout.session.completed", unpaid))
    db.session.refresh(donation)
    assert donation.status == "pending"
    paid = fake.complete_session(donation.provider_session_id, paid=True)
    post_webhook(client, event("checkout.session.async_payment_succeeded", paid))
    db.session.refresh(donation)
    assert donation.status == "succeeded"
    assert len(gift_entries(donation)) == 1


def test_an_asynchronous_payment_that_fails_marks_the_gift_failed(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    unpaid = fake.complete_session(donation.provider_session_id, paid=False)
    post_webhook(client, event("checkout.session.completed", unpaid))
    post_webhook(client, event("checkout.session.async_payment_failed", unpaid))
    db.session.refresh(donation)
    assert donation.status == "failed"
    assert gift_entries(donation) == []


def test_an_expired_checkout_expires_the_pending_gift(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    session = fake.get_session({}, donation.provider_session_id)[1] | {"status": "expired"}
    post_webhook(client, event("checkout.session.expired", session))
    db.session.refresh(donation)
    assert donation.status == "expired"


def test_an_expired_event_after_payment_changes_nothing(client, login_as, world, fake):
    donation, session = _paid_gift(client, login_as, world, fake)
    post_webhook(client, event("checkout.session.expired", session | {"status": "expired"}))
    db.session.refresh(donation)
    assert donation.status == "succeeded"


def test_a_paid_amount_that_differs_credits_nothing_and_flags_the_gift(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    session = fake.complete_session(donation.provider_session_id, amount_total=500)
    response = post_webhook(client, event("checkout.session.completed", session))
    assert response.status_code == 200
    assert "mismatch" in response.get_json()["outcome"]
    db.session.refresh(donation)
    assert donation.status == "flagged"
    assert gift_entries(donation) == []
    assert ledger.campaign_raised(world.campaign.id) == 0
    stored = db.session.scalar(select(WebhookEvent))
    assert stored.processed_at is not None and "mismatch" in stored.outcome


def test_a_paid_currency_that_differs_credits_nothing(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    session = fake.complete_session(donation.provider_session_id, currency="usd")
    post_webhook(client, event("checkout.session.completed", session))
    db.session.refresh(donation)
    assert donation.status == "flagged"
    assert gift_entries(donation) == []


def test_an_event_for_a_session_that_is_not_ours_is_stored_and_ignored(client, fake):
    response = post_webhook(client, event("checkout.session.completed", {
        "id": "cs_other", "object": "checkout.session", "mode": "payment", "client_reference_id": None,
        "payment_status": "paid", "amount_total": 100, "currency": "cny"}))
    assert response.status_code == 200
    assert response.get_json()["outcome"].startswith("ignored")


def _forged_session(world, donation, deployment: str, **fields) -> dict:
    """A paid session Stripe really sent, but one this portal never created for this gift."""
    return {"id": "cs_never_created_here", "object": "checkout.session", "mode": "payment",
            "client_reference_id": f"donation-{donation.id}-{deployment}", "payment_status": "paid",
            "status": "complete", "amount_total": donation.amount_minor, "currency": "cny",
            "payment_intent": "pi_never_seen", "metadata": {"donation_id": str(donation.id),
                                                             "portal_deployment": deployment}, **fields}


def test_a_completion_for_a_session_we_never_created_is_held_for_review_not_credited(client, login_as, world,
                                                                                     fake, app):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    forged = _forged_session(world, donation, app.config["PORTAL_DEPLOYMENT_ID"])
    response = post_webhook(client, event("checkout.session.completed", forged))
    assert response.status_code == 200
    assert response.get_json()["outcome"].startswith("review:")
    db.session.refresh(donation)
    assert donation.status == "pending" and donation.provider_payment_id is None
    assert gift_entries(donation) == []
    assert ledger.campaign_raised(world.campaign.id) == 0
    # the treasurer sees it in the gift's history, and reconcile lists it as awaiting review
    from portal.audit.models import AuditEvent

    held = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "donation.payment_held_for_review"))
    assert held is not None and held.object_id == str(donation.id)
    from portal.funds.reconcile import reconcile, review_items

    assert [line for line in review_items() if "cs_never_created_here" in line]
    assert reconcile() == []  # held money is not a difference in the books
    from tests.conftest import login

    treasurer = app.test_client()
    login(treasurer, world.treasurer)
    html = treasurer.get(f"/funds/{world.fund.id}/donations", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    assert "Payments held for review" in html and f"/donations/{donation.id}/manage" in html
    # the real completion of the gift's own session still credits it
    real = fake.complete_session(donation.provider_session_id)
    assert post_webhook(client, event("checkout.session.completed", real)).get_json()["outcome"].startswith(
        "credited")


def test_a_completion_of_our_session_with_another_gifts_reference_credits_nothing(client, login_as, world, fake,
                                                                                  app):
    login_as(world.donor)
    first = start_gift(client, world.campaign)
    second = start_gift(client, world.campaign, amount_choice="10000")
    session = fake.complete_session(first.provider_session_id)
    session["client_reference_id"] = f"donation-{second.id}-{app.config['PORTAL_DEPLOYMENT_ID']}"
    session["metadata"] = {**session["metadata"], "donation_id": str(second.id)}
    session["amount_total"] = second.amount_minor
    outcome = post_webhook(client, event("checkout.session.completed", session)).get_json()["outcome"]
    assert outcome.startswith("review:"), outcome
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.status, second.status) == ("pending", "pending")


def test_an_event_of_another_deployment_is_acknowledged_and_ignored(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    # staging's gift number 1 is not production's gift number 1
    foreign = _forged_session(world, donation, "staging0000", id=donation.provider_session_id)
    response = post_webhook(client, event("checkout.session.completed", foreign))
    assert response.status_code == 200
    assert response.get_json()["outcome"].startswith("ignored: another deployment")
    db.session.refresh(donation)
    assert donation.status == "pending"
    assert gift_entries(donation) == []


def test_an_unknown_event_type_is_stored_and_ignored(client, fake):
    response = post_webhook(client, event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200
    assert _count(WebhookEvent) == 1


# --- monthly gifts: subscriptions and invoices --------------------------------------------------------------

def _subscribed(client, login_as, world, fake):
    login_as(world.donor)
    gift = start_gift(client, world.campaign, frequency="monthly", amount_choice="2000")
    session = fake.complete_session(gift.provider_session_id)
    post_webhook(client, event("checkout.session.completed", session))
    db.session.refresh(gift)
    return gift, session


def test_a_subscription_checkout_activates_the_monthly_gift_without_crediting_money(client, login_as, world, fake):
    gift, session = _subscribed(client, login_as, world, fake)
    assert gift.status == "active"
    assert gift.provider_subscription_id == session["subscription"]
    assert _count(Donation) == 0


def test_each_paid_invoice_becomes_its_own_donation(client, login_as, world, fake):
    gift, session = _subscribed(client, login_as, world, fake)
    first = fake.invoice_paid(session["subscription"])
    second = fake.invoice_paid(session["subscription"])
    for invoice in (first, second):
        assert post_webhook(client, event("invoice.paid", invoice)).status_code == 200
    # the same invoice announced again (another event id) is not a third gift
    post_webhook(client, event("invoice.paid", second))
    cycles = db.session.scalars(select(Donation).where(Donation.recurring_gift_id == gift.id)).all()
    assert sorted(d.provider_invoice_id for d in cycles) == sorted([first["id"], second["id"]])
    assert all(d.status == "succeeded" and d.frequency == "monthly" and d.amount_minor == 2000 for d in cycles)
    assert all(d.provider_payment_id for d in cycles)
    assert ledger.campaign_raised(world.campaign.id) == 4000


def test_an_invoice_paid_before_its_checkout_event_is_still_credited(client, login_as, world, fake):
    login_as(world.donor)
    gift = start_gift(client, world.campaign, frequency="monthly", amount_choice="2000")
    session = fake.complete_session(gift.provider_session_id)
    invoice = fake.invoice_paid(session["subscription"])
    assert post_webhook(client, event("invoice.paid", invoice)).status_code == 200
    post_webhook(client, event("checkout.session.completed", session))
    db.session.refresh(gift)
    assert gift.status == "active"
    assert gift.provider_subscription_id == session["subscription"]
    assert db.session.scalar(select(func.count()).select_from(Donation)
                             .where(Donation.recurring_gift_id == gift.id, Donation.status == "succeeded")) == 1


def test_an_invoice_with_a_wrong_amount_is_flagged(client, login_as, world, fake):
    gift, session = _subscribed(client, login_as, world, fake)
    post_webhook(client, event("invoice.paid", fake.invoice_paid(session["subscription"], amount_paid=1)))
    donation = db.session.scalar(select(Donation).where(Donation.recurring_gift_id == gift.id))
    assert donation.status == "flagged"
    assert gift_entries(donation) == []


def test_a_failed_first_invoice_fails_the_pending_monthly_gift(client, login_as, world, fake):
    login_as(world.donor)
    gift = start_gift(client, world.campaign, frequency="monthly")
    fake.complete_session(gift.provider_session_id, paid=False)
    subscription_id = fake.sessions[gift.provider_session_id]["subscription"]
    invoice = fake.invoice_paid(subscription_id) | {"status": "open", "amount_paid": 0}
    post_webhook(client, event("invoice.payment_failed", invoice))
    db.session.refresh(gift)
    assert gift.status == "failed"


def test_a_failed_later_invoice_keeps_the_gift_active(client, login_as, world, fake):
    gift, session = _subscribed(client, login_as, world, fake)
    invoice = fake.invoice_paid(session["subscription"]) | {"status": "open", "amount_paid": 0}
    response = post_webhook(client, event("invoice.payment_failed", invoice))
    assert "retries" in response.get_json()["outcome"]
    db.session.refresh(gift)
    assert gift.status == "active"
    assert _count(Donation) == 0


def test_a_deleted_subscription_cancels_the_monthly_gift(client, login_as, world, fake):
    gift, session = _subscribed(client, login_as, world, fake)
    subscription = fake.subscription(session["subscription"]) | {"status": "canceled"}
    post_webhook(client, event("customer.subscription.deleted", subscription))
    db.session.refresh(gift)
    assert gift.status == "cancelled"
    assert gift.cancelled_at is not None


# --- refunds ---------------------------------------------------------------------------------------------

def test_a_refund_made_at_stripe_is_posted_partial_then_full(client, login_as, world, fake):
    donation, session = _paid_gift(client, login_as, world, fake)
    post_webhook(client, event("charge.refunded", fake.refund_at_stripe(session["payment_intent"], 2000)))
    db.session.refresh(donation)
    assert (donation.status, donation.refunded_minor) == ("partially_refunded", 2000)
    post_webhook(client, event("charge.refunded", fake.refund_at_stripe(session["payment_intent"], 3000)))
    db.session.refresh(donation)
    assert (donation.status, donation.refunded_minor) == ("refunded", 5000)
    assert ledger.campaign_raised(world.campaign.id) == 0
    assert [r.amount_minor for r in donation.refunds] == [2000, 3000]


def test_a_stale_charge_refunded_event_posts_nothing_more(client, login_as, world, fake):
    donation, session = _paid_gift(client, login_as, world, fake)
    older = event("charge.refunded", fake.refund_at_stripe(session["payment_intent"], 2000))
    newer = event("charge.refunded", fake.refund_at_stripe(session["payment_intent"], 1000))
    post_webhook(client, newer)
    post_webhook(client, older)  # arrives late, says 2000 in total: already counted
    db.session.refresh(donation)
    assert donation.refunded_minor == 3000
    assert ledger.campaign_raised(world.campaign.id) == 2000


def test_a_refund_before_the_checkout_event_waits_and_then_applies(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    session = fake.complete_session(donation.provider_session_id)
    refunded = event("charge.refunded", fake.refund_at_stripe(session["payment_intent"], 5000))
    response = post_webhook(client, refunded)
    assert response.status_code == 200
    assert response.get_json()["outcome"].startswith("deferred")
    assert db.session.get(WebhookEvent, refunded["id"]).processed_at is None
    post_webhook(client, event("checkout.session.completed", session))
    db.session.refresh(donation)
    assert (donation.status, donation.refunded_minor) == ("refunded", 5000)
    assert db.session.get(WebhookEvent, refunded["id"]).processed_at is not None
    assert ledger.campaign_raised(world.campaign.id) == 0


def test_a_refund_failure_reported_by_stripe_frees_the_amount(client, login_as, world, fake):
    donation, session = _paid_gift(client, login_as, world, fake)
    fake.refund_status = "pending"
    from portal.payments import service

    refund = service.refund_donation(donation, 1000, "test", world.treasurer)
    assert service.refundable_minor(donation) == 4000
    stripe_refund = fake.refunds[refund.provider_refund_id] | {"status": "failed"}
    post_webhook(client, event("refund.updated", stripe_refund))
    db.session.refresh(refund)
    assert refund.status == "failed"
    assert service.refundable_minor(donation) == 5000


# --- disputes --------------------------------------------------------------------------------------------

def test_a_dispute_reverses_the_gift_and_a_won_dispute_brings_it_back(client, login_as, world, fake):
    donation, session = _paid_gift(client, login_as, world, fake)
    dispute = fake.dispute(session["payment_intent"])
    post_webhook(client, event("charge.dispute.created", dispute))
    db.session.refresh(donation)
    assert donation.status == "disputed"
    assert ledger.campaign_raised(world.campaign.id) == 0
    post_webhook(client, event("charge.dispute.closed", dispute | {"status": "won"}))
    db.session.refresh(donation)
    assert donation.status == "succeeded"
    assert ledger.campaign_raised(world.campaign.id) == 5000
    kinds = db.session.scalars(select(LedgerEntry.kind).where(LedgerEntry.donation_id == donation.id)
                               .order_by(LedgerEntry.id)).all()
    assert kinds == ["gift", "dispute", "dispute_won"]


def test_a_lost_dispute_stays_reversed(client, login_as, world, fake):
    donation, session = _paid_gift(client, login_as, world, fake)
    dispute = fake.dispute(session["payment_intent"])
    post_webhook(client, event("charge.dispute.created", dispute))
    post_webhook(client, event("charge.dispute.closed", dispute | {"status": "lost"}))
    post_webhook(client, event("charge.dispute.closed", dispute | {"status": "lost"}))  # another delivery
    db.session.refresh(donation)
    assert donation.status == "disputed"
    assert db.session.scalar(select(Dispute.status)) == "lost"
    assert ledger.campaign_raised(world.campaign.id) == 0
    assert _count(Dispute) == 1


def test_a_dispute_closed_before_it_was_opened_is_recorded_once(client, login_as, world, fake):
    donation, session = _paid_gift(client, login_as, world, fake)
    dispute = fake.dispute(session["payment_intent"])
    post_webhook(client, event("charge.dispute.closed", dispute | {"status": "lost"}))
    post_webhook(client, event("charge.dispute.created", dispute))
    assert _count(Dispute) == 1
    assert ledger.campaign_raised(world.campaign.id) == 0
    db.session.refresh(donation)
    assert donation.status == "disputed"


def test_a_dispute_before_the_payment_is_confirmed_waits_for_it(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    session = fake.complete_session(donation.provider_session_id)
    opened = event("charge.dispute.created", fake.dispute(session["payment_intent"]))
    assert post_webhook(client, opened).get_json()["outcome"].startswith("deferred")
    post_webhook(client, event("checkout.session.completed", session))
    db.session.refresh(donation)
    assert donation.status == "disputed"
    assert ledger.campaign_raised(world.campaign.id) == 0
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0
    assert db.session.scalar(select(func.count()).select_from(RecurringGift)) == 0
