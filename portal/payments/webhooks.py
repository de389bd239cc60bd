"""Applying provider events (Stripe webhooks, and the sandbox's events of the same shape).

Each event is stored once (WebhookEvent's primary key is the provider's event id): a duplicate does
nothing. It is applied in the caller's transaction; the row locks taken by the service functions
make concurrent deliveries of different events about one donation take turns.

Out-of-order delivery: an event about a payment we have not seen succeed yet (charge.refunded or a
dispute before checkout.session.completed, invoice.paid before its subscription's checkout) is kept
with processed_at empty and outcome "deferred: ...". Whenever a later event makes a gift succeed or
activates a monthly gift, the deferred events are applied again, oldest first. We chose this over
fetching the state from Stripe because it needs no network call inside the webhook's transaction,
works the same for the sandbox, and every step stays visible in the webhook_events table.
Refund events are applied from the charge's cumulative amount_refunded, so a stale or repeated one
can never post a refund twice.
"""
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from portal.audit import service as audit
from portal.core import pipeline
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds import ledger
from portal.payments import service
from portal.payments.models import (
    CANCELLED,
    DISPUTED,
    EXPIRED,
    FAILED,
    PARTIALLY_REFUNDED,
    PENDING,
    REFUNDED,
    SUCCEEDED,
    Dispute,
    Donation,
    RecurringGift,
    Refund,
    WebhookEvent,
)
from portal.payments.providers.base import ProviderEvent, parse_gift_reference

DUPLICATE = "duplicate"
# Stripe stops retrying a delivery after three days; an event still waiting after that is for a person.
DEFER_FOR = timedelta(days=3)


@dataclass
class Outcome:
    text: str
    done: bool = True  # False: deferred until the payment it refers to is known
    unlocks: bool = False  # True: a gift succeeded or a subscription started; retry deferred events


def _id_of(value) -> str | None:
    """Stripe fields hold an id or, when expanded, the object."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def _reference_id(reference: str | None, prefix: str) -> int | None:
    return parse_gift_reference(reference, prefix)[0]


def _deployment_of(obj: dict) -> str | None:
    """The deployment an object was made by: its metadata, its checkout reference, or its subscription's."""
    metadata = obj.get("metadata") or {}
    if isinstance(metadata, dict) and metadata.get("portal_deployment"):
        return str(metadata["portal_deployment"])
    for prefix in ("donation-", "recurring-"):
        _gift_id, deployment = parse_gift_reference(obj.get("client_reference_id"), prefix)
        if deployment:
            return deployment
    details = ((obj.get("parent") or {}).get("subscription_details") or obj.get("subscription_details") or {})
    deployment = (details.get("metadata") or {}).get("portal_deployment")
    return str(deployment) if deployment else None


def _metadata_id(obj: dict, key: str) -> int | None:
    value = (obj.get("metadata") or {}).get(key)
    return int(value) if isinstance(value, str) and value.isdigit() else None


# --- receiving -------------------------------------------------------------------------------------

def receive_event(provider_name: str, event: ProviderEvent) -> str:
    """Store the event once and apply it. Returns the outcome ("duplicate" when already received).

    The cached totals the event moves (a gift's campaign and fund rows, which every gift to the campaign
    updates) are written at the end, after everything else the event does (ledger.hot_rows_last).
    """
    with ledger.hot_rows_last():
        row = _store_once(provider_name, event)
        if row is None:
            return DUPLICATE
        outcome = apply_stored_event(row)
        if outcome.unlocks:
            retry_deferred_events(provider_name)
        return outcome.text


def receive_and_commit(provider_name: str, event: ProviderEvent) -> str:
    """receive_event as a whole delivery (the webhook route: its own request boundary), committed together
    with the hot rows' UPDATEs (ledger.hot_rows_last(commit=True)), so a gift holds its campaign's and
    fund's row locks for that one round trip."""
    with ledger.hot_rows_last(commit=True):
        return receive_event(provider_name, event)


def _store_once(provider_name: str, event: ProviderEvent) -> WebhookEvent | None:
    """INSERT ... ON CONFLICT DO NOTHING: the stored row (in the session), or None for a duplicate. A second
    delivery of an event still being applied waits here for the first one's commit, then is a duplicate."""
    values = dict(id=event.id, provider=provider_name, type=event.type, provider_created=event.created,
                  payload=event.payload, received_at=utcnow(), processed_at=None, outcome=None)
    if not pipeline.fetch(_insert_once(db.session.get_bind().dialect.name), values):
        return None
    # the row as inserted, kept out of the session: its outcome is one queued UPDATE (apply_stored_event)
    return WebhookEvent(**values)


@lru_cache(maxsize=2)
def _insert_once(dialect: str):
    """Built once (a Core statement on the table; the ORM would read the parameters as rows to insert)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = WebhookEvent.__table__
    return insert(table).on_conflict_do_nothing(index_elements=[table.c.id]).returning(table.c.id)


def apply_stored_event(row: WebhookEvent) -> Outcome:
    handler = HANDLERS.get(row.type)
    obj = (row.payload.get("data") or {}).get("object") or {}
    deployment = _deployment_of(obj) if isinstance(obj, dict) else None
    if deployment is not None and deployment != current_app.config["PORTAL_DEPLOYMENT_ID"]:
        # a staging and a production portal on one Stripe account both receive every event
        outcome = Outcome(f"ignored: another deployment ({deployment[:40]})")
    elif handler:
        outcome = handler(obj, row)
    else:
        outcome = Outcome("ignored: not an event the portal uses")
    # sent with the unit of work's last statements (portal.core.pipeline), before any deferred event is read
    pipeline.save_columns(row, WebhookEvent.__table__, outcome=outcome.text[:2000],
                          processed_at=utcnow() if outcome.done else row.processed_at)
    db.session.flush()  # what the handler changed through the ORM (nothing, on a gift's common path)
    return outcome


def retry_deferred_events(provider_name: str) -> int:
    """Apply again the events that waited for a payment; those still waiting stay deferred."""
    # the writes queued so far (this event's outcome) go first, with this read, in one round trip; nearly
    # always nothing waits, and then no event is loaded
    ids = [row_id for (row_id,) in pipeline.run_queued_then(
        _deferred_ids(), {"provider": provider_name, "since": utcnow() - DEFER_FOR})]
    if not ids:
        return 0
    rows = db.session.scalars(select(WebhookEvent).where(WebhookEvent.id.in_(ids))
                              .order_by(WebhookEvent.provider_created, WebhookEvent.received_at)).all()
    applied = 0
    for row in rows:
        if row.processed_at is None and apply_stored_event(row).done:
            applied += 1
    return applied


@lru_cache(maxsize=1)
def _deferred_ids():
    """The deferred events still in time, locked (skipping those another delivery is applying); built once."""
    table = WebhookEvent.__table__
    return (select(table.c.id).where(or_(*(table.c.type == kind for kind in DEFERRABLE)),
                                     table.c.processed_at.is_(None), table.c.provider == bindparam("provider"),
                                     table.c.received_at >= bindparam("since"))
            .order_by(table.c.provider_created, table.c.received_at).with_for_update(skip_locked=True))


def deferred_count() -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookEvent)
                             .where(WebhookEvent.processed_at.is_(None)))


# --- the active order query (late notifications) ------------------------------------------------------

def query_and_apply(donation: Donation) -> str | None:
    """Ask the provider about a pending gift's order and apply what it says through receive_event, as if
    its notification had come: the event id is the same as the notification's, so the payment is applied
    once whichever arrives first. None when the provider has nothing final to say yet."""
    from portal.payments.providers import get_provider

    if donation.status != PENDING or not donation.provider_session_id:
        return None
    event = get_provider(donation.provider).query_order(donation)  # before any row lock: a network call
    if event is None:
        return None
    return receive_and_commit(donation.provider, event)


# --- finding our rows ------------------------------------------------------------------------------

def _gift_for_session(model, session: dict, provider_name: str, prefix: str, metadata_key: str):
    """(our gift whose stored session id this is, or None; the gift id the session's reference claims).

    Only the stored session id finds a gift: a reference or metadata alone (which anyone who can create a
    session on the Stripe account can set) never does.
    """
    claimed = _reference_id(session.get("client_reference_id"), prefix) or _metadata_id(session, metadata_key)
    gift = None
    if session.get("id") and model is Donation:
        # every event about a checkout changes its donation: found and locked in one statement
        gift = service.lock_donation_of_session(provider_name, str(session["id"]))
    elif session.get("id"):
        gift = db.session.scalar(select(model).where(model.provider == provider_name,
                                                     model.provider_session_id == str(session["id"])))
    return gift, claimed


def _hold_for_review(model, gift, claimed_id: int | None, session: dict, row: WebhookEvent, why: str) -> Outcome:
    """A paid completion that does not belong to the gift it names: recorded on that gift's history for the
    treasurer (and listed by `portal reconcile`), never credited."""
    object_type = "donation" if model is Donation else "recurring_gift"
    target = gift.id if gift is not None else claimed_id
    audit.record(f"{object_type}.payment_held_for_review", object_type, target,
                 after={"event": row.id, "session": str(session.get("id"))[:255], "reason": why,
                        "claimed_id": claimed_id, "paid_minor": session.get("amount_total"),
                        "paid_currency": session.get("currency"),
                        "payment": _id_of(session.get("payment_intent")) or _id_of(session.get("subscription"))})
    return Outcome(f"review: {why} (session {str(session.get('id'))[:80]}, {object_type} {target}); "
                   "nothing credited")


def _completion_is_paid(session: dict, row: WebhookEvent) -> bool:
    return (row.type in ("checkout.session.completed", "checkout.session.async_payment_succeeded")
            and session.get("payment_status") in ("paid", "no_payment_required"))


def _session_mismatch(model, gift, claimed_id, session: dict, row: WebhookEvent) -> Outcome | None:
    """None when the session is our gift's own; else what to answer (review for money, ignore otherwise)."""
    kind = "donation" if model is Donation else "monthly gift"
    if gift is not None and (claimed_id is None or claimed_id == gift.id):
        return None
    if gift is None and (claimed_id is None or db.session.get(model, claimed_id) is None):
        return Outcome(f"ignored: no {kind} of ours for this checkout")
    if not _completion_is_paid(session, row):
        return Outcome(f"ignored: the session is not the one we created for {kind} {claimed_id}")
    if gift is None:
        return _hold_for_review(model, None, claimed_id, session, row,
                                f"paid session the portal never created for {kind} {claimed_id}")
    return _hold_for_review(model, gift, claimed_id, session, row,
                            f"session of {kind} {gift.id} names {kind} {claimed_id}")


def _subscription_of_invoice(invoice: dict) -> tuple[str | None, int | None]:
    """(subscription id, our recurring gift id) from an invoice of any recent API version."""
    details = ((invoice.get("parent") or {}).get("subscription_details")
               or invoice.get("subscription_details") or {})
    subscription = _id_of(invoice.get("subscription")) or _id_of(details.get("subscription"))
    metadata = details.get("metadata") or {}
    if not metadata:
        lines = (invoice.get("lines") or {}).get("data") or []
        metadata = (lines[0].get("metadata") or {}) if lines else {}
    gift_id = metadata.get("recurring_gift_id")
    return subscription, int(gift_id) if isinstance(gift_id, str) and gift_id.isdigit() else None


def _recurring_for(subscription_id: str | None, gift_id: int | None) -> RecurringGift | None:
    if subscription_id:
        gift = db.session.scalar(select(RecurringGift).where(
            RecurringGift.provider_subscription_id == subscription_id))
        if gift is not None:
            return gift
    return db.session.get(RecurringGift, gift_id) if gift_id is not None else None


def _payment_of_invoice(invoice: dict) -> str | None:
    payment = _id_of(invoice.get("payment_intent")) or _id_of(invoice.get("charge"))
    if payment:
        return payment
    for item in ((invoice.get("payments") or {}).get("data") or []):
        inner = item.get("payment") or {}
        payment = _id_of(inner.get("payment_intent")) or _id_of(inner.get("charge"))
        if payment:
            return payment
    return None


def _donation_for_charge(obj: dict, provider_name: str) -> Donation | None:
    """A charge or dispute names its payment intent and charge; our donations store one of them."""
    candidates = [_id_of(obj.get("payment_intent")), _id_of(obj.get("charge")),
                  obj.get("id") if obj.get("object") == "charge" else None]
    candidates = [value for value in candidates if value]
    if candidates:
        donation = db.session.scalar(select(Donation).where(Donation.provider == provider_name,
                                                            Donation.provider_payment_id.in_(candidates)))
        if donation is not None:
            return donation
    donation_id = _metadata_id(obj, "donation_id")
    return db.session.get(Donation, donation_id) if donation_id is not None else None


def _paid_matches(donation_or_gift, amount, currency) -> bool:
    return amount == donation_or_gift.amount_minor and (currency or "").upper() == donation_or_gift.currency


# --- checkout sessions -------------------------------------------------------------------------------

def on_checkout_session(session: dict, row: WebhookEvent) -> Outcome:
    if session.get("mode") == "subscription" or _reference_id(session.get("client_reference_id"), "recurring-"):
        return _on_subscription_checkout(session, row)
    donation, claimed = _gift_for_session(Donation, session, row.provider, "donation-", "donation_id")
    mismatch = _session_mismatch(Donation, donation, claimed, session, row)
    if mismatch is not None:
        return mismatch
    paid = session.get("payment_status") in ("paid", "no_payment_required")
    if row.type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        if not paid:
            return Outcome("checkout complete, waiting for the asynchronous payment")
        donation = service.lock_donation(donation)
        if donation.status in service.SETTLED:
            return Outcome(f"already credited (donation {donation.id})")
        if not service.can_move(donation, service.DONATION_TRANSITIONS, SUCCEEDED):
            return Outcome(f"ignored: donation {donation.id} is {donation.status}")
        payment_id = _id_of(session.get("payment_intent"))
        if payment_id and not donation.provider_payment_id:
            donation.provider_payment_id = payment_id
        if not _paid_matches(donation, session.get("amount_total"), session.get("currency")):
            service.flag_donation(donation, {"expected_minor": donation.amount_minor,
                                             "paid_minor": session.get("amount_total"),
                                             "expected_currency": donation.currency,
                                             "paid_currency": session.get("currency"), "event": row.id})
            return Outcome(f"amount or currency mismatch: donation {donation.id} flagged, nothing credited")
        credited = service.mark_donation_succeeded(donation, at=utcnow())
        return Outcome(f"credited donation {donation.id}" if credited else "already credited", unlocks=credited)
    if row.type == "checkout.session.async_payment_failed":
        changed = service.mark_donation_failed(donation, FAILED, "payment failed")
        return Outcome(f"donation {donation.id} failed" if changed else f"ignored: donation is {donation.status}")
    if row.type == "checkout.session.expired":
        changed = service.mark_donation_failed(donation, EXPIRED, "checkout expired")
        return Outcome(f"donation {donation.id} expired" if changed else f"ignored: donation is {donation.status}")
    return Outcome("ignored")


def _on_subscription_checkout(session: dict, row: WebhookEvent) -> Outcome:
    gift, claimed = _gift_for_session(RecurringGift, session, row.provider, "recurring-", "recurring_gift_id")
    mismatch = _session_mismatch(RecurringGift, gift, claimed, session, row)
    if mismatch is not None:
        return mismatch
    paid = session.get("payment_status") in ("paid", "no_payment_required")
    if row.type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        if not paid:
            return Outcome("subscription checkout complete, waiting for the payment")
        activated = service.activate_recurring_gift(gift, _id_of(session.get("subscription")),
                                                    _id_of(session.get("customer")))
        # the money of each month arrives with invoice.paid, which makes that month's Donation
        return Outcome(f"monthly gift {gift.id} active" if activated else "already active", unlocks=True)
    if row.type in ("checkout.session.async_payment_failed", "checkout.session.expired"):
        changed = service.end_recurring_gift(gift, FAILED, reason=row.type)
        return Outcome(f"monthly gift {gift.id} failed" if changed else f"ignored: monthly gift is {gift.status}")
    return Outcome("ignored")


# --- subscriptions and invoices ------------------------------------------------------------------------

def on_invoice_paid(invoice: dict, row: WebhookEvent) -> Outcome:
    subscription_id, gift_id = _subscription_of_invoice(invoice)
    gift = _recurring_for(subscription_id, gift_id)
    if gift is None or gift.provider != row.provider:
        if gift_id is None and subscription_id is None:
            return Outcome("ignored: not an invoice of a subscription")
        return Outcome("deferred: waiting for the subscription's checkout", done=False)
    service.activate_recurring_gift(gift, subscription_id, _id_of(invoice.get("customer")))
    if not invoice.get("id"):
        return Outcome("ignored: invoice without id")
    donation, credited = service.record_cycle(gift, invoice["id"], invoice.get("amount_paid"),
                                              invoice.get("currency"), _payment_of_invoice(invoice), at=utcnow())
    if donation.status == service.FLAGGED:
        return Outcome(f"amount or currency mismatch: donation {donation.id} flagged, nothing credited")
    return Outcome(f"credited monthly donation {donation.id}" if credited else "cycle already recorded",
                   unlocks=credited)


def on_invoice_payment_failed(invoice: dict, row: WebhookEvent) -> Outcome:
    subscription_id, gift_id = _subscription_of_invoice(invoice)
    gift = _recurring_for(subscription_id, gift_id)
    if gift is None or gift.provider != row.provider:
        return Outcome("ignored: no monthly gift of ours")
    if gift.status == PENDING:
        service.end_recurring_gift(gift, FAILED, reason="first payment failed")
        return Outcome(f"monthly gift {gift.id} failed")
    audit.record("recurring_gift.payment_failed", "recurring_gift", gift.id,
                 after={"invoice": invoice.get("id"), "attempt": invoice.get("attempt_count")})
    return Outcome(f"payment failed for monthly gift {gift.id}; the provider retries")


def on_subscription_deleted(subscription: dict, row: WebhookEvent) -> Outcome:
    gift = _recurring_for(subscription.get("id"), _metadata_id(subscription, "recurring_gift_id"))
    if gift is None or gift.provider != row.provider:
        return Outcome("ignored: no monthly gift of ours")
    changed = service.end_recurring_gift(gift, CANCELLED, reason="subscription ended at the provider")
    return Outcome(f"monthly gift {gift.id} cancelled" if changed else "already stopped")


# --- refunds -----------------------------------------------------------------------------------------

def on_charge_refunded(charge: dict, row: WebhookEvent) -> Outcome:
    donation = _donation_for_charge(charge, row.provider)
    if donation is None or donation.status == PENDING:
        return Outcome("deferred: waiting for the payment to be confirmed", done=False)
    donation = service.lock_donation(donation)
    if donation.status not in service.SETTLED:
        return Outcome(f"ignored: donation {donation.id} is {donation.status}")
    if (charge.get("currency") or "").upper() != donation.currency:
        audit.record("donation.refund_mismatch", "donation", donation.id, after={"event": row.id})
        return Outcome("currency mismatch: refund not posted")
    refunded_total = min(int(charge.get("amount_refunded") or 0), donation.amount_minor)
    missing = refunded_total - donation.refunded_minor
    if missing <= 0:
        return Outcome("refunds already recorded")
    settled = []
    # refunds the treasurer started first, oldest first, then whatever was refunded at the provider itself
    for refund in db.session.scalars(select(Refund).where(Refund.donation_id == donation.id,
                                                          Refund.status == PENDING).order_by(Refund.id)):
        if refund.amount_minor <= missing:
            service.settle_refund(donation, refund)
            missing -= refund.amount_minor
            settled.append(refund.id)
    if missing > 0:
        refund = Refund(donation_id=donation.id, amount_minor=missing, currency=donation.currency,
                        reason=_("Refunded at the payment provider"), status=PENDING)
        db.session.add(refund)
        db.session.flush()
        service.settle_refund(donation, refund)
        settled.append(refund.id)
    return Outcome(f"refunds posted for donation {donation.id}: {settled}")


def on_refund_updated(refund_obj: dict, row: WebhookEvent) -> Outcome:
    """A refund we started that the provider could not complete: it no longer counts as on its way."""
    if not refund_obj.get("id"):
        return Outcome("ignored")
    refund = db.session.scalar(select(Refund).where(Refund.provider_refund_id == refund_obj["id"]))
    if refund is None or refund.status != PENDING:
        return Outcome("ignored: no pending refund of ours")
    if refund_obj.get("status") in ("failed", "canceled"):
        service.move_refund(refund, FAILED)
        audit.record("donation.refund_failed", "donation", refund.donation_id, after={"refund_id": refund.id})
        return Outcome(f"refund {refund.id} failed")
    return Outcome("refund still on its way; charge.refunded posts it")


def on_provider_refund(obj: dict, row: WebhookEvent) -> Outcome:
    """A refund notification of a rail that names each refund (WeChat Pay's REFUND.*): {refund_id, out_trade_no,
    status, amount_minor, currency}. A refund we started settles or fails; one made at the provider's own
    merchant console is recorded and posted once (its refund id is unique on Refund)."""
    refund_id = str(obj.get("refund_id") or "")
    donation = db.session.scalar(select(Donation).where(Donation.provider == row.provider,
                                                        Donation.provider_session_id == str(obj.get("out_trade_no"))))
    if not refund_id or donation is None:
        return Outcome("ignored: no gift of ours for this refund")
    if donation.status == PENDING:
        return Outcome("deferred: waiting for the payment to be confirmed", done=False)
    donation = service.lock_donation(donation)
    refund = db.session.scalar(select(Refund).where(Refund.provider_refund_id == refund_id).with_for_update())
    if obj.get("status") != "SUCCESS":
        if refund is not None and refund.status == PENDING and obj.get("status") in ("CLOSED", "ABNORMAL"):
            service.move_refund(refund, FAILED)
            audit.record("donation.refund_failed", "donation", donation.id, after={"refund_id": refund.id})
            return Outcome(f"refund {refund.id} failed")
        return Outcome("ignored: refund not finished")
    amount = obj.get("amount_minor")
    if (obj.get("currency") or donation.currency).upper() != donation.currency or not isinstance(amount, int):
        audit.record("donation.refund_mismatch", "donation", donation.id, after={"event": row.id})
        return Outcome("currency mismatch: refund not posted")
    if refund is not None:
        if refund.status != PENDING:
            return Outcome(f"refund {refund.id} already {refund.status}")
        if refund.amount_minor != amount:
            audit.record("donation.refund_mismatch", "donation", donation.id, after={"event": row.id})
            return Outcome(f"review: refund {refund.id} asked {refund.amount_minor}, provider refunded {amount}")
        service.settle_refund(donation, refund)
        return Outcome(f"refund {refund.id} posted for donation {donation.id}")
    if donation.status not in service.SETTLED or amount <= 0 or amount > donation.net_minor:
        audit.record("donation.refund_mismatch", "donation", donation.id, after={"event": row.id})
        return Outcome(f"review: refund of {amount} does not fit donation {donation.id}")
    refund = Refund(donation_id=donation.id, amount_minor=amount, currency=donation.currency,
                    reason=_("Refunded at the payment provider"), status=PENDING, provider_refund_id=refund_id)
    db.session.add(refund)
    db.session.flush()
    service.settle_refund(donation, refund)
    return Outcome(f"refund {refund.id} (made at the provider) posted for donation {donation.id}")


# --- disputes (chargebacks) ----------------------------------------------------------------------------

def _open_dispute(donation: Donation, obj: dict) -> Dispute:
    amount = min(int(obj.get("amount") or donation.amount_minor), donation.amount_minor - donation.refunded_minor)
    dispute = Dispute(donation_id=donation.id, provider_dispute_id=obj["id"], amount_minor=amount,
                      currency=donation.currency, reason=str(obj.get("reason") or "")[:64], status="open")
    db.session.add(dispute)
    db.session.flush()
    if amount > 0:
        ledger.post_dispute(donation, dispute)
    before = service.move_donation(donation, DISPUTED)
    audit.record("donation.disputed", "donation", donation.id, before={"status": before},
                 after={"status": DISPUTED, "dispute_id": dispute.id, "amount_minor": amount,
                        "reason": dispute.reason})
    return dispute


def _dispute_donation(obj: dict, row: WebhookEvent) -> tuple[Donation | None, Outcome | None]:
    if not obj.get("id"):
        return None, Outcome("ignored: dispute without id")
    donation = _donation_for_charge(obj, row.provider)
    if donation is None or donation.status == PENDING:
        return None, Outcome("deferred: waiting for the payment to be confirmed", done=False)
    donation = service.lock_donation(donation)
    if donation.status not in service.SETTLED:
        return None, Outcome(f"ignored: donation {donation.id} is {donation.status}")
    if (obj.get("currency") or "").upper() != donation.currency:
        return None, Outcome("currency mismatch: dispute not posted")
    return donation, None


def on_dispute_created(obj: dict, row: WebhookEvent) -> Outcome:
    donation, outcome = _dispute_donation(obj, row)
    if outcome:
        return outcome
    if db.session.scalar(select(Dispute).where(Dispute.provider_dispute_id == obj["id"])) is not None:
        return Outcome("dispute already recorded")
    dispute = _open_dispute(donation, obj)
    return Outcome(f"dispute {dispute.id} opened on donation {donation.id}")


def on_dispute_closed(obj: dict, row: WebhookEvent) -> Outcome:
    donation, outcome = _dispute_donation(obj, row)
    if outcome:
        return outcome
    dispute = db.session.scalars(select(Dispute).where(Dispute.provider_dispute_id == obj["id"])
                                 .with_for_update()).first()
    if dispute is None:  # closed arrived before created: open it first, then close it
        dispute = _open_dispute(donation, obj)
    if dispute.status != "open":
        return Outcome(f"dispute {dispute.id} already closed")
    won = obj.get("status") in ("won", "warning_closed")
    dispute.status = "won" if won else "lost"
    dispute.closed_at = utcnow()
    if won:
        if dispute.amount_minor > 0:
            ledger.post_dispute_won(donation, dispute)
        still_open = db.session.scalar(select(func.count()).select_from(Dispute).where(
            Dispute.donation_id == donation.id, Dispute.status == "open"))
        if not still_open:
            service.move_donation(donation, SUCCEEDED if donation.refunded_minor == 0 else (
                PARTIALLY_REFUNDED if donation.refunded_minor < donation.amount_minor else REFUNDED))
    audit.record("donation.dispute_closed", "donation", donation.id,
                 after={"dispute_id": dispute.id, "status": dispute.status, "donation_status": donation.status})
    return Outcome(f"dispute {dispute.id} {dispute.status}")


HANDLERS = {
    "checkout.session.completed": on_checkout_session,
    "checkout.session.async_payment_succeeded": on_checkout_session,
    "checkout.session.async_payment_failed": on_checkout_session,
    "checkout.session.expired": on_checkout_session,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_failed": on_invoice_payment_failed,
    "customer.subscription.deleted": on_subscription_deleted,
    "charge.refunded": on_charge_refunded,
    "refund.updated": on_refund_updated,
    "refund.failed": on_refund_updated,
    "charge.dispute.created": on_dispute_created,
    "charge.dispute.closed": on_dispute_closed,
    "provider.refund": on_provider_refund,
}
# Events that may arrive before the payment they are about, and wait for it.
DEFERRABLE = ("invoice.paid", "charge.refunded", "charge.dispute.created", "charge.dispute.closed",
              "provider.refund")
