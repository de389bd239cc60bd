"""Gifts whose notification is late (主动查单): one job for every rail whose provider has an order query.

The worker's `payments_query_late` (every minute) and `portal payments query-late` ask the provider about each
gift still pending QUERY_AFTER after it was started (WeChat Pay's query by out_trade_no, Alipay's
alipay.trade.query) and apply the answer through the one idempotent event path (webhooks.query_and_apply): the
answer is the same event as the notification, so a payment is credited exactly once, whichever comes first.
An answer that is not final (WeChat Pay's NOTPAY / USERPAYING, Alipay's WAIT_BUYER_PAY, or no trade yet because
the donor never scanned the code) leaves the gift pending.

A gift still unpaid after its provider's `order_lifetime` is closed at the provider first (so its code can never
take money after the gift expired here), then asked about again: a payment made at the last moment (the provider
refuses the close) is credited; a closed order expires the gift on the event path; an order the provider has
closed but has nothing final to say about (Alipay: a QR code nobody scanned has no trade) expires its gift here.
"""
import logging
from datetime import timedelta

from sqlalchemy import select

from portal.core.time import utcnow
from portal.extensions import db
from portal.payments import service, webhooks
from portal.payments.models import EXPIRED, PENDING, Donation

log = logging.getLogger("portal.payments")

# A notification normally comes within seconds; after this the worker asks the provider (主动查单).
QUERY_AFTER = timedelta(minutes=3)
# Older pending gifts are left to `portal payments expire-stale` (no rail keeps an order open that long).
QUERY_WITHIN = timedelta(days=2)
COUNTS = ("queried", "applied", "unpaid", "closed", "errors")


def querying_rails() -> list[str]:
    """The enabled rails whose provider can be asked about an order (it overrides query_order)."""
    from portal.payments.providers import enabled_provider_names, get_provider
    from portal.payments.providers.base import PaymentProvider

    return [name for name in enabled_provider_names(online_only=True)
            if type(get_provider(name)).query_order is not PaymentProvider.query_order]


def pending_to_query(providers: list[str], older_than: timedelta, newer_than: timedelta,
                     limit: int = 200) -> list[int]:
    """Ids of pending gifts on rails with an active query, started between `newer_than` and `older_than` ago."""
    now = utcnow()
    return list(db.session.scalars(
        select(Donation.id).where(Donation.status == PENDING, Donation.provider.in_(providers),
                                  Donation.provider_session_id.is_not(None),
                                  Donation.created_at <= now - older_than, Donation.created_at >= now - newer_than)
        .order_by(Donation.id).limit(limit)))


def query_late_orders(older_than: timedelta = QUERY_AFTER) -> dict:
    """Query every pending gift on a rail with an active query, started more than `older_than` ago, once per
    run; each answer is applied and committed on its own. Returns the counts: queried, and each queried gift in
    one of applied (the provider's final answer is on the books: credited, failed or flagged for review, or
    already by its notification), unpaid (nothing final yet, left open), closed (closed unpaid at the provider,
    the gift expired), errors (the provider could not be asked; asked again next run)."""
    from portal.payments.providers.base import ProviderError

    counts = dict.fromkeys(COUNTS, 0)
    rails = querying_rails()
    if not rails:
        return counts
    ids = pending_to_query(rails, older_than, QUERY_WITHIN)
    db.session.commit()  # only read so far: no transaction held open over the network calls
    for donation_id in ids:
        donation = db.session.get(Donation, donation_id)
        if donation is None or donation.status != PENDING:
            continue  # its notification came meanwhile
        counts["queried"] += 1
        try:
            counts[_query_one(donation)] += 1
        except ProviderError as error:
            db.session.rollback()
            log.warning("order query of donation %s: %s", donation_id, error)
            counts["errors"] += 1
    return counts


def _query_one(donation: Donation) -> str:
    """Ask about one gift (closing its order when it outlived order_lifetime); which count it adds to."""
    from portal.payments.providers import get_provider

    provider = get_provider(donation.provider)
    donation_id = donation.id
    outcome = webhooks.query_and_apply(donation)
    lifetime = provider.order_lifetime
    if outcome is None and lifetime is not None and donation.created_at <= utcnow() - lifetime:
        # past its time at the provider and still unpaid: closed there first, so it can never be paid after the
        # gift expired here; then asked again, since a payment at the last moment makes the provider refuse
        closed_there = provider.close_order(donation)
        outcome = webhooks.query_and_apply(donation)
        if outcome is None:
            if not closed_there:
                db.session.commit()  # nothing written; asked again next run
                return "unpaid"
            service.mark_donation_failed(donation, EXPIRED, f"{provider.name} order closed unpaid")
            db.session.commit()
            return "closed"
        if db.session.get(Donation, donation_id).status == EXPIRED:
            return "closed"  # the provider's CLOSED answer expired the gift on the event path
    if outcome is None:
        db.session.commit()  # nothing written
        return "unpaid"
    return "applied"  # credited (or failed, or flagged) on the event path, or already by its notification
