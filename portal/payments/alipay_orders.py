"""Alipay orders whose notification is late (主动查单): ask Alipay (alipay.trade.query) and apply its answer.

The answer becomes an event of the same shape as a notification (`alipay_query_<order>_<status>`) and goes
through the same idempotent path (portal.payments.webhooks): a paid trade credits its donation exactly once,
whether the query or the notification comes first; whichever comes second finds the gift already credited.
An order still unpaid after its QR code's lifetime (CLOSE_AFTER) is closed at Alipay (alipay.trade.close, which
Alipay refuses for a trade paid meanwhile, so a payment is never lost to the close) and its gift expires.
Run by the worker every minute and by `portal payments alipay-query`.
"""
from datetime import timedelta

from sqlalchemy import select

from portal.core.time import utcnow
from portal.extensions import db
from portal.payments import service, webhooks
from portal.payments.models import ALIPAY, EXPIRED, PENDING, Donation
from portal.payments.providers import enabled_provider_names, get_provider
from portal.payments.providers.alipay_provider import AlipayProvider
from portal.payments.providers.base import ProviderError

#: Alipay's first notification usually comes within seconds; after this we ask.
QUERY_AFTER = timedelta(minutes=5)
#: an unpaid QR code closes itself after 2 hours (QR_TIMEOUT); older pending orders are left to expire-stale
QUERY_FOR = timedelta(days=1)
#: the QR code's own lifetime (alipay_provider.QR_TIMEOUT, 2 hours) and a margin: unpaid after this, closed
CLOSE_AFTER = AlipayProvider.order_lifetime


def query_open_orders(older_than: timedelta = QUERY_AFTER, limit: int = 200) -> dict:
    """Query Alipay for pending Alipay donations started more than `older_than` ago; each answer applied and
    committed on its own. Returns counts {queried, applied, unknown, errors}. Nothing when Alipay is off."""
    counts = {"queried": 0, "applied": 0, "unknown": 0, "closed": 0, "errors": 0}
    if ALIPAY not in enabled_provider_names():
        return counts
    provider = get_provider(ALIPAY)
    now = utcnow()
    ids = db.session.scalars(select(Donation.id).where(
        Donation.provider == ALIPAY, Donation.status == PENDING, Donation.provider_session_id.is_not(None),
        Donation.created_at < now - older_than, Donation.created_at > now - QUERY_FOR)
        .order_by(Donation.id).limit(limit)).all()
    db.session.commit()  # only read so far: no transaction held open over the network calls
    for donation_id in ids:
        donation = db.session.get(Donation, donation_id)
        counts["queried"] += 1
        try:
            event = provider.query_trade(donation)
        except ProviderError:
            counts["errors"] += 1
            db.session.commit()  # nothing written
            continue
        unpaid = event is None or event.type.startswith("alipay.")  # no trade yet, or WAIT_BUYER_PAY
        if unpaid and donation.created_at < now - CLOSE_AFTER:
            counts[_close(provider, donation)] += 1
            continue
        if event is None:
            counts["unknown"] += 1
            db.session.commit()  # nothing written
            continue
        if webhooks.receive_and_commit(ALIPAY, event) != webhooks.DUPLICATE:
            counts["applied"] += 1
    return counts


def _close(provider, donation: Donation) -> str:
    """Close the unpaid order at Alipay first, then ask again: a trade paid at the last moment (Alipay refused
    the close) is credited, a closed one expires its gift on the event path, one never scanned expires here."""
    try:
        provider.close_order(donation)
        event = provider.query_trade(donation)
    except ProviderError:
        db.session.commit()  # nothing written; asked again next run
        return "errors"
    if event is not None:
        webhooks.receive_and_commit(ALIPAY, event)
        return "applied" if event.type == "checkout.session.completed" else "closed"
    service.mark_donation_failed(donation, EXPIRED, "alipay order closed unpaid")
    db.session.commit()
    return "closed"
