"""The donation, monthly-gift and refund lifecycles are tables; every illegal step is one clear 409."""
import pytest

from portal.core.errors import IllegalTransition
from portal.extensions import db
from portal.payments import service
from portal.payments.models import (
    ACTIVE,
    CANCELLED,
    DISPUTED,
    DONATION_STATUSES,
    EXPIRED,
    FAILED,
    FLAGGED,
    PARTIALLY_REFUNDED,
    PENDING,
    RECURRING_STATUSES,
    REFUNDED,
    SUCCEEDED,
    Donation,
    RecurringGift,
)
from tests.factories.funds import make_gift
from tests.payments.conftest import EN


def _donation(world, status: str, provider: str = "sandbox") -> Donation:
    donation = Donation(fund_id=world.fund.id, campaign_id=world.campaign.id, donor_id=world.donor.id,
                        donor_name="张小明", amount_minor=1000, provider=provider, status=status)
    db.session.add(donation)
    db.session.flush()
    return donation


def test_the_tables_name_only_known_statuses():
    for table, labels in ((service.DONATION_TRANSITIONS, service.STATUS_LABELS),
                          (service.RECURRING_TRANSITIONS, RECURRING_STATUSES)):
        for current, targets in table.items():
            assert current in labels and targets <= set(labels)
    assert FLAGGED in DONATION_STATUSES
    assert service.DONATION_TRANSITIONS[PENDING] == {SUCCEEDED, FAILED, EXPIRED, FLAGGED}
    assert REFUNDED not in service.DONATION_TRANSITIONS or PENDING not in service.DONATION_TRANSITIONS[REFUNDED]


@pytest.mark.parametrize("current,target", [(REFUNDED, PENDING), (FAILED, SUCCEEDED), (EXPIRED, SUCCEEDED),
                                            (FLAGGED, SUCCEEDED), (PENDING, REFUNDED), (SUCCEEDED, FAILED)])
def test_an_illegal_donation_step_is_a_409_and_changes_nothing(world, current, target):
    donation = _donation(world, current)
    with pytest.raises(IllegalTransition) as caught:
        service.move_donation(donation, target)
    assert caught.value.status_code == 409 and caught.value.code == "illegal_transition"
    assert donation.status == current


def test_a_legal_step_returns_the_status_before(world):
    donation = _donation(world, PENDING)
    assert service.move_donation(donation, EXPIRED) == PENDING
    assert donation.status == EXPIRED


def test_an_expired_gift_cannot_be_paid_later(world):
    donation = _donation(world, EXPIRED)
    with pytest.raises(IllegalTransition):
        service.mark_donation_succeeded(donation)
    assert donation.status == EXPIRED and donation.receipt_number is None


def test_an_illegal_monthly_gift_step_is_a_409(world):
    gift = RecurringGift(fund_id=world.fund.id, donor_id=world.donor.id, donor_name="张小明", amount_minor=1000,
                         provider="sandbox", status=CANCELLED)
    db.session.add(gift)
    db.session.flush()
    with pytest.raises(IllegalTransition) as caught:
        service.move_recurring_gift(gift, ACTIVE)
    assert caught.value.status_code == 409
    assert service.activate_recurring_gift(gift, "sub_x", "cus_x") is False
    assert gift.status == CANCELLED


def test_refunding_a_pending_gift_through_the_page_answers_409(client, login_as, world):
    donation = _donation(world, PENDING)
    login_as(world.treasurer)
    response = client.post_form(f"/donations/{donation.id}/refund", {"amount": "1", "reason": "x"},
                                token_from=f"/donations/{donation.id}/manage", headers=EN)
    assert response.status_code == 409
    db.session.refresh(donation)
    assert donation.status == PENDING and donation.refunded_minor == 0


def test_a_dispute_won_after_a_partial_refund_returns_to_partly_refunded(world):
    donation = make_gift(world.fund, 1000, campaign=world.campaign, donor=world.donor)
    service.move_donation(donation, PARTIALLY_REFUNDED)
    service.move_donation(donation, DISPUTED)
    assert service.move_donation(donation, PARTIALLY_REFUNDED) == DISPUTED
