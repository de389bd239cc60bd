"""Offline gifts: the treasurer records cash or a transfer, a second committee member confirms it."""
import pytest
from sqlalchemy import func, select

from portal.core.errors import DomainError
from portal.extensions import db
from portal.funds import ledger
from portal.payments import offline, service
from portal.payments.models import Donation
from tests.factories.accounts import UserFactory
from tests.payments.conftest import EN


def _record(client, fund, **fields):
    data = {"amount": "300", "method": "cash", "receipt_ref": "XJ-2026-0001", "donor_name": "刘阿姨",
            "display_mode": "initials", "campaign": "", "team": "", **fields}
    url = f"/funds/{fund.id}/offline-gifts/new"
    return client.post_form(url, data, headers=EN)


def _gift() -> Donation:
    return db.session.scalar(select(Donation).order_by(Donation.id.desc()))


def test_the_treasurer_records_and_a_second_member_confirms(client, login_as, world):
    login_as(world.treasurer)
    response = _record(client, world.fund, campaign=str(world.campaign.id), team=str(world.team.id),
                       donor_email=world.donor.email)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    gift = _gift()
    assert (gift.status, gift.provider, gift.offline_method, gift.amount_minor) == ("pending", "offline", "cash", 30000)
    assert gift.donor_id == world.donor.id and gift.recorded_by_id == world.treasurer.id
    assert ledger.campaign_raised(world.campaign.id) == 0  # does not count yet
    client.post_form("/logout", {}, token_from="/")
    login_as(world.member)
    page = client.get(f"/funds/{world.fund.id}/offline-gifts", headers=EN).get_data(as_text=True)
    assert "XJ-2026-0001" in page and "Confirm" in page
    client.post_form(f"/donations/{gift.id}/confirm-offline", {}, token_from=f"/funds/{world.fund.id}/offline-gifts")
    db.session.refresh(gift)
    assert gift.status == "succeeded" and gift.confirmed_by_id == world.member.id and gift.receipt_number
    assert ledger.campaign_raised(world.campaign.id) == 30000
    assert ledger.team_raised(world.team.id) == 30000


def test_the_recorder_cannot_confirm_their_own_entry(client, login_as, world):
    login_as(world.treasurer)
    _record(client, world.fund)
    gift = _gift()
    page = client.get(f"/funds/{world.fund.id}/offline-gifts", headers=EN).get_data(as_text=True)
    assert "You recorded this gift" in page and f"/donations/{gift.id}/confirm-offline" not in page
    # the second-person rule is the route's declared check (can_confirm_offline_gift), as on the page
    for step in ("confirm-offline", "reject-offline"):
        response = client.post_form(f"/donations/{gift.id}/{step}", {"reason": "x"},
                                    token_from=f"/funds/{world.fund.id}/offline-gifts")
        assert response.status_code == 404
    db.session.refresh(gift)
    assert gift.status == "pending"
    assert ledger.fund_balance(world.fund.id) == 0
    with pytest.raises(DomainError) as refused:
        offline.confirm_offline_gift(gift, world.treasurer)
    assert refused.value.code == "same_person"


def test_a_second_treasurer_may_confirm(world):
    from portal.accounts import roles
    from tests.factories.accounts import grant

    second = UserFactory()
    grant(second, roles.TREASURER, world.fund)
    gift = offline.record_offline_gift(world.fund, None, None, "赵师傅", "named", 5000, "bank_transfer", "BT-88",
                                       world.treasurer)
    offline.confirm_offline_gift(gift, second)
    assert gift.status == "succeeded"


def test_a_member_rejects_with_a_reason_and_nothing_counts(client, login_as, world):
    login_as(world.treasurer)
    _record(client, world.fund)
    gift = _gift()
    client.post_form("/logout", {}, token_from="/")
    login_as(world.member)
    url = f"/donations/{gift.id}/reject-offline"
    client.post_form(url, {"reason": ""}, token_from=f"/funds/{world.fund.id}/offline-gifts")
    db.session.refresh(gift)
    assert gift.status == "pending"
    client.post_form(url, {"reason": "收据号与现金不符"}, token_from=f"/funds/{world.fund.id}/offline-gifts")
    db.session.refresh(gift)
    assert gift.status == "failed"
    assert ledger.fund_balance(world.fund.id) == 0
    # a decided gift cannot be confirmed afterwards
    with pytest.raises(DomainError):
        offline.confirm_offline_gift(gift, world.member)


def test_only_the_treasurer_records(client, login_as, world):
    login_as(world.member)
    assert client.get(f"/funds/{world.fund.id}/offline-gifts/new").status_code == 404
    with pytest.raises(DomainError):
        offline.record_offline_gift(world.fund, None, None, "x", "named", 100, "cash", "R1", world.member)
    client.post_form("/logout", {}, token_from="/")
    login_as(world.other)
    assert client.get(f"/funds/{world.fund.id}/offline-gifts").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0


def test_an_outsider_cannot_confirm(world):
    gift = offline.record_offline_gift(world.fund, None, None, "x", "named", 100, "cash", "R1", world.treasurer)
    with pytest.raises(DomainError):
        offline.confirm_offline_gift(gift, world.other)
    assert gift.status == "pending"


@pytest.mark.parametrize("fields, field", [
    ({"amount": "0"}, "amount"), ({"amount": "-3"}, "amount"), ({"amount": "1.234"}, "amount"),
    ({"amount": "99999999999"}, "amount"), ({"receipt_ref": ""}, "receipt_ref"), ({"donor_name": ""}, "donor_name"),
    ({"donor_email": "nobody@example.org"}, "donor_email"), ({"method": "bitcoin"}, "method"),
])
def test_bad_offline_input_is_refused_next_to_its_field(client, login_as, world, fields, field):
    login_as(world.treasurer)
    response = _record(client, world.fund, **fields)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0


def test_a_receipt_number_is_recorded_once_per_fund(client, login_as, world):
    login_as(world.treasurer)
    _record(client, world.fund)
    response = _record(client, world.fund)
    assert response.status_code == 400
    assert "already recorded" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 1


def test_an_offline_refund_is_posted_at_once(world):
    gift = offline.record_offline_gift(world.fund, None, None, "x", "named", 10000, "cash", "R9", world.treasurer)
    offline.confirm_offline_gift(gift, world.member)
    refund = service.refund_donation(gift, 4000, "退回", world.treasurer)
    assert refund.status == "succeeded"
    assert gift.status == "partially_refunded"
    assert ledger.fund_balance(world.fund.id) == 6000


def test_confirming_a_gift_already_rejected_says_why_on_the_list(client, login_as, world):
    """A second committee member may act (the route's check); that the gift is decided is the service's 409,
    said on the list the button is on, not a 404."""
    gift = offline.record_offline_gift(world.fund, None, None, "x", "named", 100, "cash", "R9", world.treasurer)
    offline.reject_offline_gift(gift, world.member, "收据号不符")
    login_as(world.member)
    desk = f"/funds/{world.fund.id}/offline-gifts"
    response = client.post_form(f"/donations/{gift.id}/confirm-offline", {}, token_from=desk, headers=EN)
    assert response.status_code == 302 and response.headers["Location"].endswith(desk)
    assert "already decided" in client.get(desk, headers=EN).get_data(as_text=True)
    db.session.refresh(gift)
    assert gift.status == "failed"


def test_an_online_gift_is_not_an_offline_gift_to_confirm(client, login_as, world):
    online = offline.record_offline_gift(world.fund, None, None, "x", "named", 100, "cash", "R8", world.treasurer)
    online.provider = "sandbox"
    db.session.flush()
    login_as(world.member)
    desk = f"/funds/{world.fund.id}/offline-gifts"
    assert client.post_form(f"/donations/{online.id}/confirm-offline", {}, token_from=desk).status_code == 404
    db.session.refresh(online)
    assert online.status == "pending"
