"""What the payments pages load: the routes' objects (loaders for object_policy: None is a 404) and lists."""
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.funds.models import LIVE, Campaign, Fund
from portal.payments.models import OFFLINE, SANDBOX, Donation, RecurringGift
from portal.payments.providers import enabled_provider_names
from portal.payments.providers.sandbox import SESSION_PREFIX


def load_donation(donation_id: int) -> Donation | None:
    return db.session.scalar(
        select(Donation).options(joinedload(Donation.fund), joinedload(Donation.campaign), joinedload(Donation.team))
        .where(Donation.id == donation_id))


def load_receipted_donation(donation_id: int) -> Donation | None:
    """A donation with its receipt issued (before that there is no receipt to download)."""
    donation = load_donation(donation_id)
    return donation if donation is not None and donation.receipt_number is not None else None


def load_offline_gift(donation_id: int) -> Donation | None:
    """A gift the treasurer recorded by hand (an online gift is not one the committee confirms)."""
    donation = load_donation(donation_id)
    return donation if donation is not None and donation.provider == OFFLINE else None


def load_recurring_gift(gift_id: int) -> RecurringGift | None:
    return db.session.scalar(select(RecurringGift).options(joinedload(RecurringGift.fund),
                                                           joinedload(RecurringGift.campaign))
                             .where(RecurringGift.id == gift_id))


def load_sandbox_gift(token: str):
    """The one-off or monthly gift behind a sandbox checkout (none while the sandbox is switched off)."""
    if SANDBOX not in enabled_provider_names():
        return None
    session_id = SESSION_PREFIX + token
    gift = db.session.scalar(select(Donation).where(Donation.provider == SANDBOX,
                                                    Donation.provider_session_id == session_id))
    if gift is None:
        gift = db.session.scalar(select(RecurringGift).where(RecurringGift.provider == SANDBOX,
                                                             RecurringGift.provider_session_id == session_id))
    return gift


def load_fund(fund_id: int) -> Fund | None:
    return db.session.get(Fund, fund_id)


def campaign_for_giving(campaign_id: int) -> Campaign | None:
    return db.session.scalar(select(Campaign).options(joinedload(Campaign.fund), selectinload(Campaign.teams))
                             .where(Campaign.id == campaign_id))


def live_campaigns(fund: Fund) -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).options(selectinload(Campaign.teams))
                                   .where(Campaign.fund_id == fund.id, Campaign.status == LIVE)
                                   .order_by(Campaign.title)))


def history_of(donation: Donation) -> list[AuditEvent]:
    """What happened to a donation, oldest first (its audit records)."""
    return list(db.session.scalars(select(AuditEvent).options(joinedload(AuditEvent.actor))
                                   .where(AuditEvent.object_type == "donation",
                                          AuditEvent.object_id == str(donation.id))
                                   .order_by(AuditEvent.created_at, AuditEvent.id)))


def fund_donations_query(fund: Fund, status: str | None = None):
    """A fund's gifts, newest first, optionally of one status (for paginate())."""
    statement = (select(Donation).options(joinedload(Donation.campaign), joinedload(Donation.team))
                 .where(Donation.fund_id == fund.id).order_by(Donation.created_at.desc(), Donation.id.desc()))
    if status:
        statement = statement.where(Donation.status == status)
    return statement
