"""Gifts in kind (goods, skills, time): their own lifecycle, valued apart from cash; a sale becomes money."""
import pytest

from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.extensions import db
from portal.funds import in_kind, queries
from portal.funds.models import PLEDGED, RECEIVED, SOLD, WITHDRAWN
from portal.payments import offline
from portal.payments.models import OFFLINE, PENDING, SUCCEEDED
from tests.funds.conftest import EN


def _pledge(world, value=20_000, **fields):
    values = dict(donor=world.resident, category="goods", description="二手儿童图书 40 本",
                  estimated_value_minor=value)
    values.update(fields)
    return in_kind.pledge_in_kind(world.fund, world.resident, **values)


def test_the_transition_table():
    assert {PLEDGED: {RECEIVED, WITHDRAWN}, RECEIVED: {SOLD}} == in_kind.IN_KIND_TRANSITIONS


def test_a_pledge_is_counted_apart_from_cash(world):
    _pledge(world)
    _pledge(world, value=5_000, category="skills", description="周六义剪")
    totals = queries.in_kind_totals(fund_id=world.fund.id)
    assert totals.by_status == {PLEDGED: (2, 25_000)} and totals.open_value == 25_000
    db.session.refresh(world.fund)
    assert world.fund.raised_minor == 0 and world.fund.balance_minor == 0


def test_received_then_sold_becomes_a_pending_cash_gift_that_a_second_member_confirms(world):
    pledge = _pledge(world, campaign=world.campaign)
    in_kind.receive_in_kind(pledge, world.treasurer)
    donation = in_kind.sell_in_kind(pledge, world.treasurer, amount_minor=12_000, method="cash",
                                    receipt_ref="SALE-001")
    assert pledge.status == SOLD and pledge.sold_donation_id == donation.id
    assert (donation.provider, donation.status, donation.campaign_id) == (OFFLINE, PENDING, world.campaign.id)
    assert donation.donor_id == world.resident.id
    offline.confirm_offline_gift(donation, world.committee)
    assert donation.status == SUCCEEDED
    db.session.refresh(world.campaign)
    assert world.campaign.raised_minor == 12_000
    assert queries.in_kind_totals(campaign_id=world.campaign.id).by_status == {SOLD: (1, 20_000)}


def test_selling_before_receiving_is_illegal(world):
    pledge = _pledge(world)
    with pytest.raises(IllegalTransition):
        in_kind.sell_in_kind(pledge, world.treasurer, amount_minor=100, method="cash", receipt_ref="X")


def test_a_received_pledge_cannot_be_withdrawn(world):
    pledge = _pledge(world)
    in_kind.receive_in_kind(pledge, world.treasurer)
    with pytest.raises(IllegalTransition):
        in_kind.withdraw_in_kind(pledge, world.resident)


def test_withdrawing_a_pledge(world):
    pledge = _pledge(world)
    in_kind.withdraw_in_kind(pledge, world.resident)
    assert pledge.status == WITHDRAWN
    assert queries.in_kind_totals(fund_id=world.fund.id).open_value == 0


@pytest.mark.parametrize("fields,field", [({"category": "cash"}, "category"), ({"description": ""}, "description"),
                                          ({"estimated_value_minor": -1}, "estimated_value"),
                                          ({"display_mode": "loud"}, "display_mode")])
def test_bad_pledges_are_refused(world, fields, field):
    with pytest.raises(ValidationFailed) as caught:
        _pledge(world, **fields)
    assert caught.value.field == field


def test_only_the_treasurer_records_sales(world):
    pledge = _pledge(world)
    in_kind.receive_in_kind(pledge, world.treasurer)
    with pytest.raises(DomainError):
        in_kind.sell_in_kind(pledge, world.committee, amount_minor=100, method="cash", receipt_ref="S-1")


def test_a_resident_pledges_through_the_page_and_the_fund_page_shows_it_apart(client, login_as, world):
    login_as(world.resident)
    path = f"/funds/{world.fund.id}/in-kind/new"
    data = {"category": "time", "description": "每周陪老人聊天 2 小时", "estimated_value": "", "campaign": "",
            "display_mode": "initials"}
    assert client.post_form(path, data).status_code == 302
    bad = client.post_form(path, {**data, "estimated_value": "-3"}, headers=EN)
    assert bad.status_code == 400 and 'id="estimated_value-error"' in bad.get_data(as_text=True)
    html = client.get(f"/funds/{world.fund.id}", headers=EN).get_data(as_text=True)
    assert "Gifts in kind" in html and "never added to the money raised" in html


def test_the_treasurer_receives_and_sells_through_the_pages(client, login_as, world):
    pledge = _pledge(world)
    login_as(world.treasurer)
    manage = f"/funds/{world.fund.id}/manage"
    assert client.post_form(f"/in-kind/{pledge.id}/receive", token_from=manage).status_code == 302
    sell = f"/in-kind/{pledge.id}/sell"
    bad = client.post_form(sell, {"amount": "0", "method": "cash", "receipt_ref": "S-9"}, headers=EN)
    assert bad.status_code == 400 and 'id="amount-error"' in bad.get_data(as_text=True)
    assert client.post_form(sell, {"amount": "88", "method": "cash", "receipt_ref": "S-9"}).status_code == 302
    db.session.refresh(pledge)
    assert pledge.status == SOLD
