"""Stripe Checkout behind the provider interface: the only module that imports the `stripe` library.

One-off gifts are Checkout Sessions in `payment` mode, monthly gifts in `subscription` mode with an
inline monthly price. The pending gift's reference (`donation-<id>-<deployment>`, base.gift_reference) is the
session's client_reference_id and the idempotency key of the create call, so a repeated "pay" gets the
same session back from Stripe; every metadata block carries `portal_deployment` too. Webhooks are
verified on the raw body with the endpoint secret (stripe.Webhook.construct_event, 5-minute tolerance).
"""
import json

import stripe

from portal.payments.models import Donation
from portal.payments.providers.base import (
    Checkout,
    PaymentProvider,
    ProviderError,
    ProviderEvent,
    RefundResult,
    SignatureError,
    gift_reference,
)

WEBHOOK_TOLERANCE_SECONDS = 300


class StripeProvider(PaymentProvider):
    name = "stripe"
    online = True
    settles_at_once = False

    def __init__(self, config):
        self.secret_key = config.get("STRIPE_SECRET_KEY")
        self.webhook_secret = config.get("STRIPE_WEBHOOK_SECRET")
        self.api_base = config.get("STRIPE_API_BASE")
        self.deployment_id = config.get("PORTAL_DEPLOYMENT_ID") or ""

    def _client(self) -> "stripe.StripeClient":
        if not self.secret_key:
            raise ProviderError("STRIPE_SECRET_KEY is not set")
        base = {"api": self.api_base.rstrip("/")} if self.api_base else None
        return stripe.StripeClient(self.secret_key, base_addresses=base, max_network_retries=1)

    # --- checkout ---------------------------------------------------------------------------------
    def start_checkout(self, gift, success_url: str, cancel_url: str) -> Checkout:
        reference = gift_reference(gift, self.deployment_id)
        what = gift.campaign.title if gift.campaign is not None else gift.fund.name
        price = {"currency": gift.currency.lower(), "unit_amount": gift.amount_minor,
                 "product_data": {"name": what[:250]}}
        metadata = {"fund_id": str(gift.fund_id), "campaign_id": str(gift.campaign_id or ""),
                    "team_id": str(gift.team_id or ""), "portal_deployment": self.deployment_id}
        params = {"client_reference_id": reference, "success_url": success_url, "cancel_url": cancel_url,
                  "line_items": [{"quantity": 1, "price_data": price}]}
        if isinstance(gift, Donation):
            metadata["donation_id"] = str(gift.id)
            params.update(mode="payment", submit_type="donate", metadata=metadata,
                          payment_intent_data={"metadata": metadata, "description": what[:250]})
        else:
            metadata["recurring_gift_id"] = str(gift.id)
            price["recurring"] = {"interval": "month"}
            params.update(mode="subscription", metadata=metadata, subscription_data={"metadata": metadata})
        if gift.donor is not None and gift.donor.email:
            params["customer_email"] = gift.donor.email
        try:
            session = self._client().v1.checkout.sessions.create(params=params, options={"idempotency_key": reference})
        except stripe.StripeError as error:
            raise ProviderError(f"stripe checkout for {reference}: {error}") from error
        return Checkout(session_id=session.id, url=session.url)

    # --- refunds and subscriptions -----------------------------------------------------------------
    def refund(self, donation, refund) -> RefundResult:
        payment = donation.provider_payment_id
        if not payment:
            raise ProviderError(f"donation {donation.id} has no Stripe payment to refund")
        params = {"amount": refund.amount_minor, "reason": "requested_by_customer",
                  "metadata": {"donation_id": str(donation.id), "refund_id": str(refund.id),
                               "portal_deployment": self.deployment_id}}
        params["charge" if payment.startswith(("ch_", "py_")) else "payment_intent"] = payment
        try:
            # the key is unique per Refund row even where a rolled-back id is handed out again (SQLite)
            key = f"refund-{refund.id}-{int(refund.created_at.timestamp() * 1_000_000)}"
            result = self._client().v1.refunds.create(params=params, options={"idempotency_key": key})
        except stripe.StripeError as error:
            raise ProviderError(f"stripe refund of donation {donation.id}: {error}") from error
        status = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}.get(result.status, "pending")
        return RefundResult(provider_refund_id=result.id, status=status)

    def cancel_subscription(self, recurring_gift) -> None:
        client = self._client()
        try:
            if recurring_gift.provider_subscription_id:
                client.v1.subscriptions.cancel(recurring_gift.provider_subscription_id,
                                               options={"idempotency_key": f"cancel-recurring-{recurring_gift.id}"})
            elif recurring_gift.provider_session_id:
                # checkout never completed: close the session so it cannot start a subscription later
                client.v1.checkout.sessions.expire(recurring_gift.provider_session_id)
        except stripe.InvalidRequestError as error:
            if error.code not in ("resource_missing",) and "already" not in str(error).lower():
                raise ProviderError(f"stripe cancel of recurring gift {recurring_gift.id}: {error}") from error
        except stripe.StripeError as error:
            raise ProviderError(f"stripe cancel of recurring gift {recurring_gift.id}: {error}") from error

    # --- webhooks ---------------------------------------------------------------------------------
    def parse_webhook(self, raw_body: bytes, headers) -> ProviderEvent:
        if not self.webhook_secret:
            raise SignatureError("STRIPE_WEBHOOK_SECRET is not set")
        signature = headers.get("Stripe-Signature")
        if not signature:
            raise SignatureError("no Stripe-Signature header")
        try:
            # the signature alone, then our own parsing: construct_event assumes a JSON object and
            # raises AttributeError on a signed `[]`, `"x"` or `1`
            text = raw_body.decode("utf-8")
            stripe.WebhookSignature.verify_header(text, signature, self.webhook_secret,
                                                  tolerance=WEBHOOK_TOLERANCE_SECONDS)
            payload = json.loads(text)
        except (ValueError, stripe.SignatureVerificationError) as error:
            raise SignatureError(str(error)) from error
        if not isinstance(payload, dict) or not payload.get("id") or not payload.get("type"):
            raise SignatureError("not a Stripe event")
        return ProviderEvent(id=str(payload["id"]), type=str(payload["type"]), created=payload.get("created"),
                             payload=payload)
