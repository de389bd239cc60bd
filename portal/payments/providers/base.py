"""The interface every payment provider implements (Stripe, sandbox, offline), and what it returns."""
from abc import ABC, abstractmethod
from dataclasses import dataclass, field


def gift_reference(gift, deployment_id: str) -> str:
    """`donation-<id>-<deployment>` or `recurring-<id>-<deployment>`: the checkout's client_reference_id and
    idempotency key. The deployment part keeps two portals on one Stripe account (staging and production
    both number gifts from 1) from matching, or reusing, each other's sessions."""
    from portal.payments.models import Donation

    kind = "donation" if isinstance(gift, Donation) else "recurring"
    return f"{kind}-{gift.id}-{deployment_id}"


def parse_gift_reference(reference, prefix: str) -> tuple[int | None, str | None]:
    """(gift id, deployment) of a reference made by gift_reference (deployment None in older references)."""
    if not isinstance(reference, str) or not reference.startswith(prefix):
        return None, None
    number, _sep, deployment = reference[len(prefix):].partition("-")
    if not number.isdigit():
        return None, None
    return int(number), deployment or None


class ProviderError(RuntimeError):
    """The provider could not be reached or refused the call; the message is for logs, not for people."""


class SignatureError(ValueError):
    """A webhook whose signature is wrong, missing or too old: answered 400, nothing stored."""


@dataclass
class Checkout:
    """A started checkout: the provider's session id (stored on the gift) and where to send the donor."""

    session_id: str
    url: str
    #: "redirect": send the donor to `url`; "qr": show `qr_payload` as a QR code to scan (desktop)
    kind: str = "redirect"
    qr_payload: str | None = None


@dataclass
class RefundResult:
    provider_refund_id: str | None
    status: str  # succeeded | pending | failed


@dataclass
class ProviderEvent:
    """A verified provider event in Stripe's shape: {id, type, created, data: {object: {...}}}."""

    id: str
    type: str
    created: int | None
    payload: dict = field(repr=False)

    @property
    def object(self) -> dict:
        return (self.payload.get("data") or {}).get("object") or {}


class PaymentProvider(ABC):
    """One payment provider. Only the Stripe implementation imports the `stripe` library."""

    name: str = ""
    #: True when the donor pays on a checkout page (card); False for gifts the treasurer records.
    online: bool = True
    #: True when a refund or a cancelled subscription takes effect at once (no webhook follows).
    settles_at_once: bool = False

    @abstractmethod
    def start_checkout(self, gift, success_url: str, cancel_url: str) -> Checkout:
        """Open a checkout for a pending Donation (one-off) or RecurringGift (monthly)."""

    @abstractmethod
    def refund(self, donation, refund) -> RefundResult:
        """Give `refund.amount_minor` of `donation` back to the donor."""

    @abstractmethod
    def cancel_subscription(self, recurring_gift) -> None:
        """Stop a monthly gift at the provider."""

    @abstractmethod
    def parse_webhook(self, raw_body: bytes, headers) -> ProviderEvent:
        """Verify and parse a webhook; raise SignatureError when it cannot be trusted."""
