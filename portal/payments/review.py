"""What a person must look at, for the treasurer's gift list and `portal reconcile`: paid checkouts held for
review, flagged gifts, provider events not applied, refunds the provider has not confirmed."""
from datetime import timedelta

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.money import format_yuan
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds import hooks
from portal.funds.models import Fund
from portal.payments.models import FLAGGED, PENDING, Donation, Refund, WebhookEvent


def payments_held_for_review(fund: Fund, limit: int = 50) -> list[tuple]:
    """(audit event, donation) of paid checkouts held for review on this fund's gifts, newest first: what
    the treasurer sees on the fund's gift list (webhooks._hold_for_review records them)."""
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "donation.payment_held_for_review",
                                                         AuditEvent.object_type == "donation")
                                .order_by(AuditEvent.id.desc()).limit(limit)).all()
    ids = {int(event.object_id) for event in events if (event.object_id or "").isdigit()}
    if not ids:
        return []
    donations = {donation.id: donation for donation in db.session.scalars(
        select(Donation).where(Donation.id.in_(ids), Donation.fund_id == fund.id))}
    return [(event, donations[int(event.object_id)]) for event in events
            if (event.object_id or "").isdigit() and int(event.object_id) in donations]


@hooks.review_items.register
def items_awaiting_review() -> list[str]:
    """Money the provider reported that a person must look at (nothing of it was credited): lines for people.

    Gifts whose paid amount or currency did not match, and paid checkouts that did not belong to the gift
    they named (a session the portal never created, or another gift's reference). These are not
    differences in the books: `portal reconcile` lists them apart and exits 3 for them alone.
    """
    lines = []
    for donation in db.session.scalars(select(Donation).where(Donation.status == FLAGGED).order_by(Donation.id)):
        lines.append(f"donation {donation.id} ({donation.provider}): the provider reported another amount or "
                     f"currency than {format_yuan(donation.amount_minor)} {donation.currency}; nothing was credited")
    held = db.session.scalars(select(WebhookEvent).where(WebhookEvent.outcome.like("review:%"))
                              .order_by(WebhookEvent.received_at, WebhookEvent.id))
    for row in held:
        lines.append(f"provider event {row.id} ({row.type}) received {row.received_at:%Y-%m-%d %H:%M} UTC: "
                     f"{row.outcome[len('review: '):]}")
    return lines


@hooks.provider_differences.register
def provider_differences(now=None) -> list[str]:
    """What the payment providers told us that the books do not reflect (yet): lines for people.

    Provider events still waiting for their payment after an hour, and refunds the provider has not
    confirmed after a day. (Gifts held for review are items_awaiting_review, not differences.)
    """
    now = now or utcnow()
    lines = []
    waiting = db.session.scalars(select(WebhookEvent).where(WebhookEvent.processed_at.is_(None),
                                                            WebhookEvent.received_at < now - timedelta(hours=1))
                                 .order_by(WebhookEvent.received_at))
    for row in waiting:
        lines.append(f"provider event {row.id} ({row.type}) received {row.received_at:%Y-%m-%d %H:%M} UTC is not "
                     f"applied: {row.outcome}")
    refunds = db.session.scalars(select(Refund).where(Refund.status == PENDING,
                                                      Refund.created_at < now - timedelta(days=1)).order_by(Refund.id))
    for refund in refunds:
        lines.append(f"refund {refund.id} of donation {refund.donation_id} ({format_yuan(refund.amount_minor)}) "
                     f"has waited for the provider since {refund.created_at:%Y-%m-%d}")
    return lines
