"""What payments does for funds' campaigns (registered with portal/funds/hooks.py when create_app wires the
domains): a finished campaign's monthly gifts stop, a failed all-or-nothing campaign's gifts go back, also
money that arrived after it failed or closed; and an in-kind pledge sold for money becomes an offline gift."""
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from portal.accounts.models import User
from portal.audit import service as audit
from portal.core.errors import DomainError, IllegalTransition
from portal.extensions import db
from portal.funds import hooks
from portal.funds import service as funds
from portal.funds.models import ALL_OR_NOTHING, CLOSED, FAILED, Campaign
from portal.payments import service
from portal.payments.models import Donation
from portal.payments.offline import record_offline_gift

MONEY_IN = funds.MONEY_IN


@hooks.campaign_finished.register
def on_campaign_finished(campaign: Campaign, actor) -> None:
    _stop_monthly_gifts(campaign, actor)
    if campaign.status == FAILED:
        refund_campaign_gifts(campaign, actor)


def _stop_monthly_gifts(campaign: Campaign, actor) -> None:
    """A finished campaign takes no more monthly gifts; a provider that cannot be reached now does not
    keep the campaign open (the cancellation is noted, and late money is still recorded, never lost)."""
    try:
        with db.session.begin_nested():
            service.cancel_recurring_gifts_for_campaign(campaign, actor)
    except DomainError as error:
        audit.record("campaign.monthly_gifts_not_cancelled", "campaign", campaign.id, actor=actor,
                     after={"error": error.message[:300]})


def refund_campaign_gifts(campaign: Campaign, actor=None) -> list[str]:
    """Give back every gift of a failed all-or-nothing campaign, also money that arrived after it failed or
    closed (a late webhook); returns messages for gifts that could not be refunded now (the `portal
    campaigns finish-due` command tries them again). Takes effect once even when two runs overlap."""
    funds.lock_paid_gifts(campaign.id)
    if not funds.finished_as_failed(campaign):
        raise IllegalTransition(_("Only a failed all-or-nothing campaign refunds its gifts."))
    failures = []
    reason = _("All-or-nothing campaign “%(title)s” did not reach its goal.", title=campaign.title)[:300]
    for donation, amount in funds.refundable_gifts(campaign.id):
        try:
            with db.session.begin_nested():
                service.refund_donation(donation, amount, reason, actor)
                if campaign.finished_at is not None and donation.succeeded_at is not None \
                        and donation.succeeded_at > campaign.finished_at:
                    audit.record("campaign.late_gift_refunded", "donation", donation.id, actor=actor,
                                 after={"campaign_id": campaign.id, "amount_minor": amount,
                                        "campaign_status": campaign.status})
        except DomainError as error:
            failures.append(f"gift #{donation.id}: {error.message}")
            audit.record("campaign.refund_failed", "donation", donation.id, actor=actor,
                         after={"campaign_id": campaign.id, "amount_minor": amount, "error": error.message[:300]})
    return failures


def failed_campaigns_owing_refunds() -> list[Campaign]:
    """Failed campaigns (also closed ones that had failed) with a gift still to give back: a refund failed,
    or money arrived late."""
    owing = (select(Donation.campaign_id)
             .where(Donation.status.in_(MONEY_IN),
                    Donation.amount_minor > Donation.refunded_minor))
    candidates = db.session.scalars(select(Campaign).where(
        Campaign.id.in_(owing), or_(Campaign.status == FAILED,
                                    and_(Campaign.status == CLOSED, Campaign.funding_model == ALL_OR_NOTHING)))
        .order_by(Campaign.id))
    return [campaign for campaign in candidates if funds.finished_as_failed(campaign)]


@hooks.in_kind_sold.register
def record_in_kind_sale(pledge, campaign, amount_minor: int, method: str, receipt_ref: str, treasurer) -> Donation:
    """The money of a sold in-kind pledge: an offline gift in the donor's name, pending a second member."""
    donor = db.session.get(User, pledge.donor_id) if pledge.donor_id else None
    return record_offline_gift(pledge.fund, campaign, None, pledge.donor_name, pledge.display_mode, amount_minor,
                               method, receipt_ref, treasurer, donor=donor)
