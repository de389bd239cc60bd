"""Who may do what with donations, receipts, refunds, offline gifts and monthly gifts.

Giving needs a signed-in donor (so every receipt belongs to someone). A receipt is the donor's and
the fund treasurer's only; everybody else gets a 404. The fund roles come from portal.funds.policy.
A route declares the `can_...` of its action, asked with the route's object: it says WHO may act;
whether the gift's status allows the step is the service's 409.
"""
from portal.funds.policy import can_view_campaign, is_committee, is_second_person, is_treasurer
from portal.payments.models import PARTIALLY_REFUNDED, SUCCEEDED


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated


def can_give(user) -> bool:
    return _signed_in(user)


def can_give_to_fund(user, fund) -> bool:
    """Any signed-in person (a closed fund's page says it takes no gifts)."""
    return can_give(user)


def can_give_to_campaign(user, campaign) -> bool:
    """Any signed-in person who sees the campaign (a draft only its fund's managers)."""
    return can_give(user) and can_view_campaign(user, campaign)


def is_donor(user, gift) -> bool:
    return _signed_in(user) and gift.donor_id is not None and gift.donor_id == user.id


def can_view_receipt(user, donation) -> bool:
    return is_donor(user, donation) or is_treasurer(user, donation.fund)


def can_pay_gift(user, donation) -> bool:
    """The pay page of a QR rail (WeChat Pay), its status and "I have paid": the donor only."""
    return is_donor(user, donation)


def can_use_sandbox_checkout(user, gift) -> bool:
    return is_donor(user, gift)


def can_view_donation_admin(user, donation) -> bool:
    """The donation's management page: the fund's treasurer and committee."""
    return is_committee(user, donation.fund)


def can_view_fund_donations(user, fund) -> bool:
    return is_committee(user, fund)


def can_refund_donation(user, donation) -> bool:
    """Refunds are the treasurer's (whether the gift's status allows one is the service's rule)."""
    return is_treasurer(user, donation.fund)


def shows_refund_form(user, donation) -> bool:
    return donation.status in (SUCCEEDED, PARTIALLY_REFUNDED) and can_refund_donation(user, donation)


def can_record_offline_gift(user, fund) -> bool:
    return fund.is_active and is_treasurer(user, fund)


def can_review_offline_gifts(user, fund) -> bool:
    return is_committee(user, fund)


def can_confirm_offline_gift(user, donation) -> bool:
    """A second committee member: anyone of the fund's committee except the person who recorded it."""
    return is_committee(user, donation.fund) and is_second_person(user, donation.recorded_by_id)


def can_reject_offline_gift(user, donation) -> bool:
    """The same second committee member decides either way."""
    return can_confirm_offline_gift(user, donation)


def can_view_my_giving(user) -> bool:
    return _signed_in(user)


def can_view_recurring_gift(user, gift) -> bool:
    return is_donor(user, gift)


def can_cancel_recurring_gift(user, gift) -> bool:
    """Only the donor stops their monthly gift (one already stopped is the service's 409)."""
    return is_donor(user, gift)
