"""The sandbox checkout's buttons (pay, fail, cancel) and its monthly renewals: they build the events Stripe
would send and apply them through the webhook handlers, so the demo and tests take the real money path."""
from flask_babel import gettext as _
from sqlalchemy import select

from portal.core.errors import IllegalTransition, ValidationFailed
from portal.extensions import db
from portal.funds import ledger
from portal.payments import webhooks
from portal.payments.models import ACTIVE, SANDBOX, Donation, RecurringGift
from portal.payments.providers import get_provider, sandbox
from portal.payments.service import ensure_awaiting_payment

SANDBOX_PAY, SANDBOX_FAIL, SANDBOX_CANCEL = "pay", "fail", "cancel"


def complete_sandbox_checkout(gift: Donation | RecurringGift, outcome: str) -> list[str]:
    """The sandbox page's buttons: build the events Stripe would send and apply them as webhooks do."""
    if gift.provider != SANDBOX:
        raise IllegalTransition(_("This gift is not paid through the sandbox."))
    ensure_awaiting_payment(gift)
    get_provider(SANDBOX)
    event_type = {SANDBOX_PAY: "checkout.session.completed", SANDBOX_FAIL: "checkout.session.async_payment_failed",
                  SANDBOX_CANCEL: "checkout.session.expired"}.get(outcome)
    if event_type is None:
        raise ValidationFailed(_("Choose pay, fail or cancel."), field="action")
    with ledger.hot_rows_last():  # both events' cached totals at the end, after the monthly gift's lock
        outcomes = [webhooks.receive_event(SANDBOX, sandbox.session_event(gift, event_type))]
        if outcome == SANDBOX_PAY and isinstance(gift, RecurringGift):
            # the first monthly cycle is paid together with the checkout, as on Stripe
            db.session.refresh(gift)
            outcomes.append(webhooks.receive_event(SANDBOX, sandbox.invoice_paid_event(gift)))
    return outcomes


def renew_sandbox_monthly_gifts() -> int:
    """`portal sandbox renew-monthly`: the next cycle of every active sandbox monthly gift."""
    get_provider(SANDBOX)
    gifts = db.session.scalars(select(RecurringGift).where(RecurringGift.provider == SANDBOX,
                                                           RecurringGift.status == ACTIVE)
                               .order_by(RecurringGift.id)).all()
    for gift in gifts:
        webhooks.receive_event(SANDBOX, sandbox.invoice_paid_event(gift))
    return len(gifts)
