"""Matching pools (配捐): a sponsor matches gifts at a ratio, within a cap, a per-donor limit and a window."""
from datetime import timedelta

import pytest

from portal.core.errors import IllegalTransition, ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds import ledger, queries, service
from portal.funds.models import CLOSED
from portal.funds.reconcile import reconcile
from tests.factories.funds import make_gift, make_pool, make_refund
from tests.funds.conftest import EN


def _pool(world, **fields):
    now = utcnow()
    values = dict(sponsor_name="三峡爱心企业", ratio_numerator=1, ratio_denominator=1, cap_minor=5_000,
                  per_donor_cap_minor=None, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=10))
    values.update(fields)
    return service.create_matching_pool(world.campaign, world.treasurer, **values)


def test_gifts_are_matched_until_the_cap_and_no_further(world):
    pool = _pool(world)
    make_gift(world.fund, 3_000, campaign=world.campaign, donor=world.resident)
    make_gift(world.fund, 3_000, campaign=world.campaign, donor=world.other_resident)
    make_gift(world.fund, 3_000, campaign=world.campaign, donor_name="现金")
    db.session.refresh(pool)
    db.session.refresh(world.campaign)
    assert pool.used_minor == 5_000 == ledger.pool_used(pool.id)
    assert world.campaign.raised_minor == 9_000 + 5_000
    assert reconcile(with_provider=False) == []


def test_a_ratio_of_one_for_two_adds_half(world):
    pool = _pool(world, ratio_denominator=2, cap_minor=100_000)
    make_gift(world.fund, 3_001, campaign=world.campaign, donor=world.resident)
    db.session.refresh(pool)
    assert pool.used_minor == 1_500  # whole fen, rounded down


def test_the_per_donor_limit_holds_across_gifts(world):
    pool = _pool(world, cap_minor=100_000, per_donor_cap_minor=2_000)
    make_gift(world.fund, 1_500, campaign=world.campaign, donor=world.resident)
    make_gift(world.fund, 1_500, campaign=world.campaign, donor=world.resident)
    make_gift(world.fund, 1_500, campaign=world.campaign, donor=world.other_resident)
    db.session.refresh(pool)
    assert pool.used_minor == 2_000 + 1_500


def test_gifts_outside_the_window_are_not_matched(world):
    pool = _pool(world, starts_at=utcnow() + timedelta(days=1), ends_at=utcnow() + timedelta(days=2))
    make_gift(world.fund, 1_000, campaign=world.campaign, donor=world.resident)
    db.session.refresh(pool)
    assert pool.used_minor == 0


def test_a_refund_gives_the_same_share_of_the_match_back(world):
    pool = _pool(world, cap_minor=100_000)
    gift = make_gift(world.fund, 4_000, campaign=world.campaign, donor=world.resident)
    make_refund(gift, 1_000)
    db.session.refresh(pool)
    assert pool.used_minor == 3_000
    assert reconcile(with_provider=False) == []


@pytest.mark.parametrize("fields,field", [
    ({"ratio_numerator": 0}, "ratio_numerator"), ({"ratio_denominator": 101}, "ratio_denominator"),
    ({"cap_minor": 0}, "cap"), ({"per_donor_cap_minor": 6_000}, "per_donor_cap"),
    ({"sponsor_name": " "}, "sponsor_name")])
def test_bad_pools_are_refused(world, fields, field):
    with pytest.raises(ValidationFailed) as caught:
        _pool(world, **fields)
    assert caught.value.field == field


def test_matching_ends_before_it_starts_is_refused(world):
    with pytest.raises(ValidationFailed) as caught:
        _pool(world, starts_at=utcnow(), ends_at=utcnow() - timedelta(days=1))
    assert caught.value.field == "ends_at"


def test_no_pool_for_a_closed_campaign(world):
    world.campaign.status = CLOSED
    with pytest.raises(IllegalTransition):
        _pool(world)


def test_the_campaign_page_shows_each_pools_use(client, world):
    make_pool(world.campaign, cap_minor=10_000, sponsor_name="夷陵超市")
    make_gift(world.fund, 2_500, campaign=world.campaign, donor=world.resident)
    html = client.get(f"/campaigns/{world.campaign.id}", headers=EN).get_data(as_text=True)
    assert "夷陵超市" in html and "¥25.00 used of ¥100.00" in html
    assert [p.used_minor for p in queries.matching_pools(world.campaign)] == [2_500]


def test_the_treasurer_adds_matching_through_the_form(client, login_as, world):
    login_as(world.treasurer)
    path = f"/campaigns/{world.campaign.id}/matching/new"
    day = service.local_day(world.campaign.starts_at).isoformat()
    data = {"sponsor_name": "夷陵超市", "ratio_numerator": "1", "ratio_denominator": "1", "cap": "1000",
            "per_donor_cap": "100.5", "starts_at": day, "ends_at": day}
    assert client.post_form(path, data).status_code == 302
    pool = queries.matching_pools(world.campaign)[0]
    assert (pool.cap_minor, pool.per_donor_cap_minor) == (100_000, 10_050)
    bad = client.post_form(path, {**data, "cap": "12.345"}, headers=EN)
    assert bad.status_code == 400 and 'id="cap-error"' in bad.get_data(as_text=True)


def test_a_committee_member_who_is_not_treasurer_cannot_add_matching(client, login_as, world):
    login_as(world.committee)
    assert client.get(f"/campaigns/{world.campaign.id}/matching/new").status_code == 404
