"""Payments factories: gifts in each state, monthly gifts, and the rows the authorization matrix visits."""
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds import ledger
from portal.payments.models import (
    ACTIVE,
    NAMED,
    OFFLINE,
    PENDING,
    SANDBOX,
    SUCCEEDED,
    Donation,
    RecurringGift,
)
from portal.payments.providers.sandbox import SESSION_PREFIX


def make_donation(fund, donor=None, amount_minor: int = 5_000, status: str = SUCCEEDED, provider: str = SANDBOX,
                  campaign=None, team=None, **fields) -> Donation:
    """A donation; a succeeded one gets its receipt number and is posted through the real ledger."""
    donation = Donation(fund_id=fund.id, campaign_id=getattr(campaign, "id", None), team_id=getattr(team, "id", None),
                        donor_id=getattr(donor, "id", None),
                        donor_name=fields.pop("donor_name", getattr(donor, "display_name", None) or "王大妈"),
                        display_mode=fields.pop("display_mode", NAMED), amount_minor=amount_minor,
                        provider=provider, status=PENDING, **fields)
    db.session.add(donation)
    db.session.flush()
    if status == SUCCEEDED:
        donation.status = SUCCEEDED
        donation.succeeded_at = utcnow()
        donation.receipt_number = f"R{utcnow().year}-{donation.id:08d}"
        db.session.flush()
        ledger.post_gift(donation)
    else:
        donation.status = status
        db.session.flush()
    return donation


def make_recurring_gift(fund, donor, amount_minor: int = 2_000, status: str = ACTIVE, campaign=None) -> RecurringGift:
    gift = RecurringGift(fund_id=fund.id, campaign_id=getattr(campaign, "id", None), donor_id=donor.id,
                         donor_name=donor.display_name, amount_minor=amount_minor, provider=SANDBOX, status=status)
    db.session.add(gift)
    db.session.flush()
    gift.provider_subscription_id = f"sb_sub_factory{gift.id}"
    db.session.flush()
    return gift


def payments_matrix_world(values: dict, resident) -> dict:
    """For tests/test_authorization_matrix.py, on the funds rows in `values`: the resident's paid gift,
    pending sandbox checkout and monthly gift, and a pending offline gift recorded by the fund's treasurer."""
    from flask import current_app

    from portal.accounts.models import RoleAssignment
    from portal.funds.models import Campaign, Fund
    from portal.payments.providers.sandbox import checkout_token

    fund = db.session.get(Fund, values["fund"])
    campaign = db.session.get(Campaign, values["campaign"])
    recorder = db.session.get(RoleAssignment, values["fund_assignment"]).user
    paid = make_donation(fund, resident, campaign=campaign)
    pending = make_donation(fund, resident, status=PENDING, campaign=campaign)
    with current_app.test_request_context():
        token = checkout_token(pending)
    pending.provider_session_id = SESSION_PREFIX + token
    monthly = make_recurring_gift(fund, resident, campaign=campaign)
    offline = make_donation(fund, None, status=PENDING, provider=OFFLINE, offline_method="cash",
                            offline_receipt_ref="MATRIX-1", recorded_by_id=recorder.id, donor_name="现金捐赠人")
    db.session.flush()
    return {"donation": paid.id, "sandbox_token": token, "recurring_gift": monthly.id, "offline_donation": offline.id}
