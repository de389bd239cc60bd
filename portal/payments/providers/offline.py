"""Offline gifts (cash, bank transfer): recorded by the treasurer, confirmed by a second committee member."""
from portal.payments.providers.base import (
    Checkout,
    PaymentProvider,
    ProviderError,
    ProviderEvent,
    RefundResult,
    SignatureError,
)


class OfflineProvider(PaymentProvider):
    name = "offline"
    online = False
    settles_at_once = True

    def __init__(self, config):
        self.config = config

    def start_checkout(self, gift, success_url: str, cancel_url: str) -> Checkout:
        raise ProviderError("offline gifts are recorded by the treasurer, not paid online")

    def refund(self, donation, refund) -> RefundResult:
        # the treasurer hands the cash back or transfers it; the ledger entry follows at once
        return RefundResult(provider_refund_id=None, status="succeeded")

    def cancel_subscription(self, recurring_gift) -> None:
        raise ProviderError("offline gifts have no subscriptions")

    def parse_webhook(self, raw_body: bytes, headers) -> ProviderEvent:
        raise SignatureError("offline gifts have no webhooks")
