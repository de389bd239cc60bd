"""The sandbox provider: a local simulated checkout, so the demo and browser tests work with no keys.

Its checkout page (/sandbox/checkout/<token>) builds events in Stripe's shape and applies them
through the same code as verified Stripe webhooks (portal.payments.webhooks.receive_event), each
stored once in WebhookEvent under a sandbox id. Refused when the config says production.
"""
import hashlib
import hmac
import secrets
import time

from flask import current_app, url_for

from portal.payments.models import Donation
from portal.payments.providers.base import (
    Checkout,
    PaymentProvider,
    ProviderEvent,
    RefundResult,
    SignatureError,
    gift_reference,
)

SESSION_PREFIX = "sb_cs_"


def checkout_token(gift) -> str:
    """Deterministic per gift, so two clicks on "pay" open the same sandbox checkout."""
    kind = "d" if isinstance(gift, Donation) else "r"
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), f"sandbox-{kind}-{gift.id}".encode(),
                      hashlib.sha256).hexdigest()[:20]
    return f"{kind}{gift.id}-{digest}"


class SandboxProvider(PaymentProvider):
    name = "sandbox"
    online = True
    settles_at_once = True

    def __init__(self, config):
        self.config = config

    def start_checkout(self, gift, success_url: str, cancel_url: str) -> Checkout:
        token = checkout_token(gift)
        return Checkout(session_id=SESSION_PREFIX + token, url=url_for("payments.sandbox_checkout", token=token))

    def refund(self, donation, refund) -> RefundResult:
        return RefundResult(provider_refund_id=f"sb_re_{secrets.token_hex(10)}", status="succeeded")

    def cancel_subscription(self, recurring_gift) -> None:
        """Nothing to tell anyone: sandbox subscriptions live only in our tables."""

    def parse_webhook(self, raw_body: bytes, headers) -> ProviderEvent:
        raise SignatureError("sandbox events never arrive over HTTP")


# --- events in Stripe's shape --------------------------------------------------------------------

def _event(event_type: str, data_object: dict) -> ProviderEvent:
    payload = {"id": f"sb_evt_{secrets.token_hex(12)}", "object": "event", "type": event_type,
               "created": int(time.time()), "livemode": False, "data": {"object": data_object}}
    return ProviderEvent(id=payload["id"], type=event_type, created=payload["created"], payload=payload)


def session_event(gift, event_type: str) -> ProviderEvent:
    """checkout.session.completed (paid) / async_payment_failed / expired for a sandbox checkout."""
    paid = event_type == "checkout.session.completed"
    one_off = isinstance(gift, Donation)
    deployment = current_app.config["PORTAL_DEPLOYMENT_ID"]
    session = {"id": gift.provider_session_id, "object": "checkout.session",
               "client_reference_id": gift_reference(gift, deployment),
               "mode": "payment" if one_off else "subscription", "amount_total": gift.amount_minor,
               "currency": gift.currency.lower(), "payment_status": "paid" if paid else "unpaid",
               "status": "complete" if paid else ("expired" if event_type.endswith("expired") else "open"),
               "payment_intent": f"sb_pi_{secrets.token_hex(10)}" if (paid and one_off) else None,
               "subscription": f"sb_sub_{secrets.token_hex(10)}" if (paid and not one_off) else None,
               "customer": f"sb_cus_{gift.donor_id}" if not one_off else None,
               "metadata": {"portal_deployment": deployment}}
    return _event(event_type, session)


def invoice_paid_event(recurring_gift) -> ProviderEvent:
    """One monthly cycle paid (the first right after checkout, later ones from `portal sandbox renew-monthly`)."""
    invoice = {"id": f"sb_in_{secrets.token_hex(10)}", "object": "invoice", "status": "paid",
               "amount_paid": recurring_gift.amount_minor, "currency": recurring_gift.currency.lower(),
               "subscription": recurring_gift.provider_subscription_id,
               "customer": recurring_gift.provider_customer_id,
               "payment_intent": f"sb_pi_{secrets.token_hex(10)}",
               "parent": {"type": "subscription_details", "subscription_details": {
                   "subscription": recurring_gift.provider_subscription_id,
                   "metadata": {"recurring_gift_id": str(recurring_gift.id),
                                "portal_deployment": current_app.config["PORTAL_DEPLOYMENT_ID"]}}}}
    return _event("invoice.paid", invoice)
