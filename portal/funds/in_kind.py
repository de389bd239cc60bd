"""Gifts in kind (goods, skills, time): pledged, received by the treasurer, sold for the fund (the money then
becomes an offline gift through payments) or withdrawn."""
from flask_babel import gettext as _

from portal.audit import service as audit
from portal.core.errors import DomainError, ValidationFailed
from portal.core.lifecycle import move_status
from portal.core.money import MAX_AMOUNT_MINOR, check_amount_minor
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds import hooks
from portal.funds.checks import line_text
from portal.funds.models import (
    IN_KIND_CATEGORIES,
    IN_KIND_STATUSES,
    LIVE,
    PLEDGED,
    RECEIVED,
    SOLD,
    WITHDRAWN,
    Fund,
    InKindPledge,
)
from portal.funds.service import DISPLAY_MODES, ensure_campaign_accepts_gifts

# The lifecycle (DESIGN.md section 5): current status -> the statuses it may move to.
IN_KIND_TRANSITIONS = {
    PLEDGED: {RECEIVED, WITHDRAWN},
    RECEIVED: {SOLD},
}


def _pledge_snapshot(pledge: InKindPledge) -> dict:
    return {"status": pledge.status, "category": pledge.category, "description": pledge.description,
            "estimated_value_minor": pledge.estimated_value_minor, "sold_donation_id": pledge.sold_donation_id}


def pledge_in_kind(fund: Fund, recorded_by, *, donor=None, donor_name: str = "", display_mode: str = "named",
                   category: str, description: str, estimated_value_minor: int, campaign=None) -> InKindPledge:
    """A pledge of goods, skills or time; by a resident for themselves, or entered by the treasurer."""
    if not fund.is_active:
        raise DomainError(_("This fund is closed."))
    donor_name = line_text(donor_name or getattr(donor, "display_name", ""), "donor_name",
                       _("Enter the giver's name."), 80)
    if display_mode not in DISPLAY_MODES:
        raise ValidationFailed(_("Choose how the name is shown."), field="display_mode")
    if category not in IN_KIND_CATEGORIES:
        raise ValidationFailed(_("Choose goods, skills or time."), field="category")
    description = line_text(description, "description", _("Describe what is given."), 300)
    if (isinstance(estimated_value_minor, bool) or not isinstance(estimated_value_minor, int)
            or estimated_value_minor < 0):
        raise ValidationFailed(_("Enter the estimated value in yuan (0 if unknown)."), field="estimated_value")
    if estimated_value_minor > MAX_AMOUNT_MINOR:
        raise ValidationFailed(_("The estimated value is too large."), field="estimated_value")
    if campaign is not None:
        if campaign.fund_id != fund.id:
            raise ValidationFailed(_("Choose a campaign of this fund."), field="campaign")
        if campaign.status != LIVE:
            raise ValidationFailed(_("This campaign does not take pledges now."), field="campaign")
    pledge = InKindPledge(fund_id=fund.id, campaign_id=getattr(campaign, "id", None),
                          donor_id=getattr(donor, "id", None), donor_name=donor_name, display_mode=display_mode,
                          category=category, description=description, estimated_value_minor=estimated_value_minor,
                          currency=fund.currency, status=PLEDGED, recorded_by_id=getattr(recorded_by, "id", None))
    db.session.add(pledge)
    db.session.flush()
    audit.record("in_kind.pledged", "in_kind_pledge", pledge.id, actor=recorded_by, after=_pledge_snapshot(pledge))
    return pledge


def receive_in_kind(pledge: InKindPledge, treasurer) -> InKindPledge:
    before = _pledge_snapshot(pledge)
    move_status(pledge, IN_KIND_TRANSITIONS, IN_KIND_STATUSES, RECEIVED, _("A pledge"))
    pledge.received_at = utcnow()
    db.session.flush()
    audit.record("in_kind.received", "in_kind_pledge", pledge.id, actor=treasurer, before=before,
                 after=_pledge_snapshot(pledge))
    return pledge


def sell_in_kind(pledge: InKindPledge, treasurer, *, amount_minor: int, method: str, receipt_ref: str):
    """received -> sold: the sale becomes an offline money gift (pending until a second member confirms it)."""
    before = _pledge_snapshot(pledge)
    move_status(pledge, IN_KIND_TRANSITIONS, IN_KIND_STATUSES, SOLD, _("A pledge"))
    amount_minor = check_amount_minor(amount_minor, field="amount")
    campaign = pledge.campaign
    if campaign is not None:
        try:
            ensure_campaign_accepts_gifts(campaign)
        except DomainError:
            campaign = None  # the campaign has finished: the money still goes to the fund
    donation = hooks.in_kind_sold.call_one(pledge, campaign, amount_minor, method, receipt_ref, treasurer)
    pledge.sold_donation_id = donation.id
    db.session.flush()
    audit.record("in_kind.sold", "in_kind_pledge", pledge.id, actor=treasurer, before=before,
                 after=_pledge_snapshot(pledge))
    return donation


def withdraw_in_kind(pledge: InKindPledge, actor) -> InKindPledge:
    before = _pledge_snapshot(pledge)
    move_status(pledge, IN_KIND_TRANSITIONS, IN_KIND_STATUSES, WITHDRAWN, _("A pledge"))
    db.session.flush()
    audit.record("in_kind.withdrawn", "in_kind_pledge", pledge.id, actor=actor, before=before,
                 after=_pledge_snapshot(pledge))
    return pledge
