"""Offline gifts: cash or a bank transfer the treasurer records, which counts once a second committee member
confirms it (or is rejected with a reason). In-kind goods sold for money become such a gift too."""
from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit import service as audit
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.lifecycle import can_move
from portal.core.money import check_amount_minor
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds.models import Campaign, Fund, Team
from portal.funds.policy import is_committee, is_second_person, is_treasurer
from portal.payments.models import FAILED, OFFLINE, OFFLINE_METHODS, ONE_OFF, PENDING, SUCCEEDED, Donation
from portal.payments.providers import get_provider
from portal.payments.service import (
    DONATION_TRANSITIONS,
    clean_donor_name,
    ensure_campaign_accepts_gifts,
    gift_target,
    lock_donation,
    mark_donation_succeeded,
    move_donation,
    status_label,
)


def record_offline_gift(fund: Fund, campaign: Campaign | None, team: Team | None, donor_name: str,
                        display_mode: str, amount_minor: int, method: str, receipt_ref: str, recorded_by,
                        donor=None) -> Donation:
    """Cash or a bank transfer the treasurer received: pending until a second committee member confirms."""
    if not is_treasurer(recorded_by, fund):
        raise DomainError(_("Only the fund's treasurer records offline gifts."), code="forbidden")
    get_provider(OFFLINE)
    amount_minor = check_amount_minor(amount_minor, field="amount")
    if method not in OFFLINE_METHODS:
        raise ValidationFailed(_("Choose cash or bank transfer."), field="method")
    receipt_ref = (receipt_ref or "").strip()
    if not receipt_ref:
        raise ValidationFailed(_("Enter the number of the paper receipt or the bank transfer."), field="receipt_ref")
    if len(receipt_ref) > 64:
        raise ValidationFailed(_("The receipt number is too long (at most 64 characters)."), field="receipt_ref")
    donor_name, display_mode = clean_donor_name(donor_name, display_mode)
    fund = gift_target(fund, campaign, team)
    if campaign is not None:
        ensure_campaign_accepts_gifts(campaign, team)
    duplicate = db.session.scalar(select(Donation.id).where(
        Donation.fund_id == fund.id, Donation.provider == OFFLINE, Donation.offline_receipt_ref == receipt_ref,
        Donation.status != FAILED).limit(1))
    if duplicate is not None:
        raise ValidationFailed(_("A gift with this receipt number is already recorded for this fund."),
                               field="receipt_ref")
    donation = Donation(fund_id=fund.id, campaign_id=getattr(campaign, "id", None), team_id=getattr(team, "id", None),
                        donor_id=getattr(donor, "id", None), donor_name=donor_name, display_mode=display_mode,
                        amount_minor=amount_minor, currency=fund.currency, provider=OFFLINE, frequency=ONE_OFF,
                        status=PENDING, offline_method=method, offline_receipt_ref=receipt_ref,
                        recorded_by_id=recorded_by.id)
    db.session.add(donation)
    db.session.flush()
    audit.record("donation.offline_recorded", "donation", donation.id, actor=recorded_by,
                 after={"amount_minor": amount_minor, "method": method, "receipt_ref": receipt_ref,
                        "fund_id": fund.id, "campaign_id": donation.campaign_id})
    return donation


def _check_second_member(donation: Donation, member) -> None:
    if donation.provider != OFFLINE:
        raise IllegalTransition(_("Only offline gifts are confirmed by the committee."))
    if not can_move(donation, DONATION_TRANSITIONS, SUCCEEDED):
        raise IllegalTransition(_("This gift is already decided (%(status)s).", status=status_label(donation.status)))
    if not is_committee(member, donation.fund):
        raise DomainError(_("Only a member of the fund's committee confirms offline gifts."), code="forbidden")
    if not is_second_person(member, donation.recorded_by_id):
        raise DomainError(_("A second committee member, not the person who recorded the gift, must confirm it."),
                          code="same_person")


def confirm_offline_gift(donation: Donation, confirmer) -> Donation:
    donation = lock_donation(donation)
    _check_second_member(donation, confirmer)
    donation.confirmed_by_id = confirmer.id
    donation.confirmed_at = utcnow()
    db.session.flush()
    mark_donation_succeeded(donation, actor=confirmer)
    audit.record("donation.offline_confirmed", "donation", donation.id, actor=confirmer,
                 after={"confirmed_by_id": confirmer.id})
    return donation


def reject_offline_gift(donation: Donation, confirmer, reason: str) -> Donation:
    donation = lock_donation(donation)
    _check_second_member(donation, confirmer)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the gift is rejected."), field="reason")
    move_donation(donation, FAILED)
    donation.confirmed_by_id = confirmer.id
    donation.confirmed_at = utcnow()
    audit.record("donation.offline_rejected", "donation", donation.id, actor=confirmer,
                 before={"status": PENDING}, after={"status": FAILED, "reason": reason[:300]})
    return donation
