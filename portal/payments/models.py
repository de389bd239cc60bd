"""Donations and what providers tell us about them: recurring gifts, refunds, disputes, webhook events."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db

STRIPE, SANDBOX, OFFLINE, WECHATPAY, ALIPAY = "stripe", "sandbox", "offline", "wechatpay", "alipay"
PROVIDERS = {STRIPE: _l("Card (Stripe)"), SANDBOX: _l("Sandbox card (demo)"), OFFLINE: _l("Cash or bank transfer"),
             WECHATPAY: _l("WeChat Pay"), ALIPAY: _l("Alipay")}

# Donation lifecycle (DESIGN.md 5; the table is payments.service.DONATION_TRANSITIONS): pending -> succeeded
# -> refunded | disputed; pending -> failed | expired | flagged (the provider reported another amount or
# currency than we asked for: no money credited, a treasurer looks at it).
PENDING, SUCCEEDED, FAILED, EXPIRED, REFUNDED, PARTIALLY_REFUNDED, DISPUTED, FLAGGED = (
    "pending", "succeeded", "failed", "expired", "refunded", "partially_refunded", "disputed", "flagged")
DONATION_STATUSES = {PENDING: _l("Pending"), SUCCEEDED: _l("Succeeded"), FAILED: _l("Failed"),
                     EXPIRED: _l("Expired"), REFUNDED: _l("Refunded"), PARTIALLY_REFUNDED: _l("Partly refunded"),
                     DISPUTED: _l("Disputed"), FLAGGED: _l("Needs review (amount did not match)")}
NAMED, INITIALS, ANONYMOUS = "named", "initials", "anonymous"
DISPLAY_MODES = {NAMED: _l("Show my name"), INITIALS: _l("Show my initials"), ANONYMOUS: _l("Anonymous")}
ONE_OFF, MONTHLY = "one_off", "monthly"
OFFLINE_CASH, OFFLINE_BANK = "cash", "bank_transfer"
OFFLINE_METHODS = {OFFLINE_CASH: _l("Cash"), OFFLINE_BANK: _l("Bank transfer")}


class Donation(db.Model):
    __tablename__ = "donations"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refund_within_amount"),
        UniqueConstraint("provider", "provider_payment_id", name="uq_donations_provider_payment"),
        UniqueConstraint("provider", "provider_invoice_id", name="uq_donations_provider_invoice"),
        Index("ix_donations_campaign_status", "campaign_id", "status"),
        # the campaign and fund pages with a million gifts (BENCHMARKS.md): recent gifts and donor counts
        Index("ix_donations_campaign_succeeded", "campaign_id", "succeeded_at", "id"),
        Index("ix_donations_team_succeeded", "team_id", "succeeded_at", "id"),  # a team page's latest gifts
        Index("ix_donations_campaign_donor", "campaign_id", "donor_id",
              postgresql_where=text("status IN ('succeeded', 'partially_refunded')"),
              sqlite_where=text("status IN ('succeeded', 'partially_refunded')")),
        Index("ix_donations_fund_donor", "fund_id", "donor_id",
              postgresql_where=text("status IN ('succeeded', 'partially_refunded')"),
              sqlite_where=text("status IN ('succeeded', 'partially_refunded')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    donor_name: Mapped[str] = mapped_column(String(80))
    display_mode: Mapped[str] = mapped_column(String(16), default=NAMED)
    message: Mapped[str] = mapped_column(String(200), default="")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    provider: Mapped[str] = mapped_column(String(16))
    frequency: Mapped[str] = mapped_column(String(16), default=ONE_OFF)
    status: Mapped[str] = mapped_column(String(24), default=PENDING, index=True)
    recurring_gift_id: Mapped[int | None] = mapped_column(ForeignKey("recurring_gifts.id"), index=True)
    # provider references: checkout session, payment intent / charge, invoice (monthly cycles)
    provider_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_payment_id: Mapped[str | None] = mapped_column(String(255))
    provider_invoice_id: Mapped[str | None] = mapped_column(String(255))
    # offline gifts: recorded by the treasurer, confirmed by a second committee member
    offline_method: Mapped[str | None] = mapped_column(String(16))
    offline_receipt_ref: Mapped[str | None] = mapped_column(String(64))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at = mapped_column(UTCDateTime())
    receipt_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at = mapped_column(UTCDateTime(), default=utcnow, index=True)
    succeeded_at = mapped_column(UTCDateTime())

    fund = relationship("Fund")
    campaign = relationship("Campaign")
    team = relationship("Team")
    donor = relationship("User", foreign_keys=[donor_id])
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])
    recurring_gift = relationship("RecurringGift", back_populates="donations")
    refunds: Mapped[list["Refund"]] = relationship(back_populates="donation", order_by="Refund.id")

    @property
    def net_minor(self) -> int:
        return self.amount_minor - self.refunded_minor


ACTIVE, CANCELLED = "active", "cancelled"
RECURRING_STATUSES = {PENDING: _l("Pending"), ACTIVE: _l("Active"), CANCELLED: _l("Cancelled"),
                      FAILED: _l("Failed")}


class RecurringGift(db.Model):
    """A monthly gift: a provider subscription whose paid invoices each become a Donation."""

    __tablename__ = "recurring_gifts"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    donor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    donor_name: Mapped[str] = mapped_column(String(80))
    display_mode: Mapped[str] = mapped_column(String(16), default=NAMED)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    provider: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    provider_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_customer_id: Mapped[str | None] = mapped_column(String(255))
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at = mapped_column(UTCDateTime())

    fund = relationship("Fund")
    campaign = relationship("Campaign")
    donor = relationship("User")
    donations: Mapped[list[Donation]] = relationship(back_populates="recurring_gift", order_by="Donation.id")


REFUND_STATUSES = {PENDING: _l("On its way"), SUCCEEDED: _l("Refunded"), FAILED: _l("Failed")}


class Refund(db.Model):
    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    reason: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default=PENDING)  # pending | succeeded | failed
    provider_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    succeeded_at = mapped_column(UTCDateTime())

    donation: Mapped[Donation] = relationship(back_populates="refunds")


class Dispute(db.Model):
    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), index=True)
    provider_dispute_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    reason: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | won | lost
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    closed_at = mapped_column(UTCDateTime())

    donation: Mapped[Donation] = relationship()


class WebhookEvent(db.Model):
    """Each provider event stored once (primary key = provider's event id) and applied once."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(64), index=True)
    provider_created: Mapped[int | None] = mapped_column(BigInteger)  # the event's own timestamp (ordering)
    payload: Mapped[dict] = mapped_column(JSON)
    received_at = mapped_column(UTCDateTime(), default=utcnow)
    processed_at = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(Text)
