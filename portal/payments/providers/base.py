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


#: Checkout kinds: the donor is sent to `url` (a card page), or pays on the portal's own pay page
#: (/give/<donation>/pay, which `url` then is) by scanning `qr_payload` or following `pay_url` (PAGE).
REDIRECT, QR, PAGE = "redirect", "qr", "page"


@dataclass
class Checkout:
    """A started checkout: the provider's session id (stored on the gift) and where to send the donor."""

    session_id: str
    url: str
    kind: str = REDIRECT
    qr_payload: str | None = None
    #: a provider's cashier the donor opens from the portal's pay page (WeChat Pay H5 on a phone): a link the
    #: donor follows, not a redirect, so the page stays the place to come back to and see the gift confirmed
    pay_url: str | None = None


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
    #: False for rails without subscriptions (WeChat Pay Native/H5): the give form says monthly is not offered.
    supports_monthly: bool = True

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

    def query_order(self, gift) -> ProviderEvent | None:
        """Ask the provider for the state of a pending gift's order (a late notification); None when the
        provider has nothing final to say. Rails whose notifications always come (Stripe retries for three days)
        keep this default."""
        return None

    #: How long a checkout can be paid; None: the provider expires its sessions itself and says so (Stripe).
    order_lifetime = None

    def close_order(self, gift) -> bool:
        """Close the unpaid order of a gift past order_lifetime, at the provider (rails with order_lifetime).
        True when the order can no longer take money (closed now or before, or the provider never had it);
        False when the provider refused because it was paid meanwhile (the query that follows credits it)."""
        return True

    def download_bill(self, day) -> str | None:
        """The provider's trade bill of `day` (a date, China time) as text, downloaded through its API and checked
        as the provider says (WeChat Pay: the SHA1 of the file); what `portal reconcile --bill` reads from a
        file. None for rails without a daily bill (Stripe, the sandbox, offline gifts); ProviderError when the
        download fails or does not verify."""
        return None
