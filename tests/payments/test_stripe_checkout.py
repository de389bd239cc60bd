"""Stripe Checkout through the real stripe library against the local fake of Stripe's API."""
from sqlalchemy import func, select

from portal.extensions import db
from portal.payments.models import Donation, RecurringGift
from tests.payments.conftest import EN, post_webhook
from tests.payments.fake_stripe import event
from tests.payments.helpers import give, start_gift


def _creates(fake) -> list[dict]:
    return [params for method, path, params in fake.requests if path == "/v1/checkout/sessions"]


def test_a_one_off_gift_is_a_pending_donation_first_then_a_payment_session(client, login_as, world, fake, app):
    login_as(world.donor)
    response = give(client, world.campaign, amount_choice="other", custom_amount="88.80", team=str(world.team.id))
    donation = db.session.scalar(select(Donation))
    assert donation.status == "pending"
    session = fake.sessions[donation.provider_session_id]
    assert response.headers["Location"] == session["url"]
    params = _creates(fake)[0]
    assert params["mode"] == "payment"
    deployment = app.config["PORTAL_DEPLOYMENT_ID"]
    assert params["client_reference_id"] == f"donation-{donation.id}-{deployment}"
    assert params["line_items"][0]["price_data"]["unit_amount"] == "8880"
    assert params["line_items"][0]["price_data"]["currency"] == "cny"
    assert params["metadata"]["donation_id"] == str(donation.id)
    assert params["metadata"]["portal_deployment"] == deployment
    assert params["success_url"].endswith(f"/donations/{donation.id}/receipt")
    assert ("/v1/checkout/sessions", f"donation-{donation.id}-{deployment}") in fake.idempotent


def test_a_monthly_gift_is_a_subscription_session_with_a_monthly_price(client, login_as, world, fake, app):
    login_as(world.donor)
    gift = start_gift(client, world.campaign, frequency="monthly", amount_choice="10000")
    assert isinstance(gift, RecurringGift) and gift.status == "pending"
    params = _creates(fake)[0]
    assert params["mode"] == "subscription"
    assert params["client_reference_id"] == f"recurring-{gift.id}-{app.config['PORTAL_DEPLOYMENT_ID']}"
    assert params["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}
    assert params["line_items"][0]["price_data"]["unit_amount"] == "10000"
    assert params["subscription_data"]["metadata"]["recurring_gift_id"] == str(gift.id)


def test_the_success_redirect_credits_nothing_until_the_webhook_arrives(client, login_as, world, fake):
    login_as(world.donor)
    donation = start_gift(client, world.campaign)
    session = fake.complete_session(donation.provider_session_id)
    page = client.get(f"/donations/{donation.id}/receipt", headers=EN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "We are confirming your payment" in html
    assert 'http-equiv="refresh"' in html
    db.session.refresh(donation)
    assert donation.status == "pending" and donation.receipt_number is None
    assert client.get(f"/donations/{donation.id}/receipt.pdf").status_code == 404
    post_webhook(client, event("checkout.session.completed", session))
    html = client.get(f"/donations/{donation.id}/receipt", headers=EN).get_data(as_text=True)
    assert "Donation receipt" in html
    db.session.refresh(donation)
    assert donation.receipt_number in html


def test_when_stripe_is_down_nothing_is_charged_and_the_retry_reuses_the_gift(client, login_as, world, fake):
    login_as(world.donor)
    fake.down = True
    response = give(client, world.campaign)
    assert response.status_code == 503
    assert "could not be reached" in response.get_data(as_text=True)
    donation = db.session.scalar(select(Donation))
    assert donation.status == "pending" and donation.provider_session_id is None
    fake.down = False
    retry = give(client, world.campaign)
    assert retry.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 1
    db.session.refresh(donation)
    assert donation.provider_session_id in fake.sessions


def test_cancelling_a_stripe_monthly_gift_cancels_the_subscription(client, login_as, world, fake):
    login_as(world.donor)
    gift = start_gift(client, world.campaign, frequency="monthly")
    session = fake.complete_session(gift.provider_session_id)
    post_webhook(client, event("checkout.session.completed", session))
    response = client.post_form(f"/me/giving/monthly/{gift.id}/cancel", {}, token_from="/me/giving")
    assert response.status_code == 302
    assert fake.subscriptions[session["subscription"]]["status"] == "canceled"
    db.session.refresh(gift)
    assert gift.status == "cancelled"
    # Stripe then announces the deletion: nothing more happens
    deleted = post_webhook(client, event("customer.subscription.deleted", fake.subscription(session["subscription"])))
    assert deleted.get_json()["outcome"] == "already stopped"


def test_cancelling_before_checkout_completed_expires_the_session(client, login_as, world, fake):
    login_as(world.donor)
    gift = start_gift(client, world.campaign, frequency="monthly")
    client.post_form(f"/me/giving/monthly/{gift.id}/cancel", {}, token_from="/me/giving")
    assert fake.sessions[gift.provider_session_id]["status"] == "expired"
    db.session.refresh(gift)
    assert gift.status == "cancelled"


def test_a_cancel_that_stripe_cannot_do_keeps_the_gift_running(client, login_as, world, fake):
    login_as(world.donor)
    gift = start_gift(client, world.campaign, frequency="monthly")
    post_webhook(client, event("checkout.session.completed", fake.complete_session(gift.provider_session_id)))
    fake.down = True
    client.post_form(f"/me/giving/monthly/{gift.id}/cancel", {}, token_from="/me/giving")
    db.session.refresh(gift)
    assert gift.status == "active"


def test_a_form_corrected_after_an_outage_opens_a_checkout_for_the_new_amount(client, login_as, world, fake):
    import re

    login_as(world.donor)
    fake.down = True
    failed = give(client, world.campaign, amount_choice="5000")
    nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', failed.get_data(as_text=True)).group(1)
    fake.down = False
    retry = give(client, world.campaign, amount_choice="10000", nonce=nonce)
    assert retry.status_code == 303
    session = fake.sessions[retry.headers["Location"].rsplit("/", 1)[1]]
    assert session["amount_total"] == 10000
