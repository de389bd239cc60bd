"""Who may do what with donations, receipts, refunds, offline gifts and monthly gifts.

Giving needs a signed-in donor (so every receipt belongs to someone). A receipt is the donor's and
the fund treasurer's only; everybody else gets a 404. The fund roles come from portal.funds.policy.
"""
from portal.funds.policy import is_committee, is_treasurer
from portal.payments.models import ACTIVE, OFFLINE, PARTIALLY_REFUNDED, PENDING, SUCCEEDED


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated


def can_give(user) -> bool:
    return _signed_in(user)


def is_donor(user, gift) -> bool:
    return _signed_in(user) and gift.donor_id is not None and gift.donor_id == user.id


def can_view_receipt(user, donation) -> bool:
    return is_donor(user, donation) or is_treasurer(user, donation.fund)


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
    return (donation.provider == OFFLINE and donation.status == PENDING and is_committee(user, donation.fund)
            and donation.recorded_by_id != user.id)


can_reject_offline_gift = can_confirm_offline_gift


def can_view_my_giving(user) -> bool:
    return _signed_in(user)


def can_view_recurring_gift(user, gift) -> bool:
    return is_donor(user, gift)


def can_cancel_recurring_gift(user, gift) -> bool:
    return is_donor(user, gift) and gift.status in (PENDING, ACTIVE)
