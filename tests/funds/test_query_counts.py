"""List pages load what they show in a fixed number of queries, however many rows there are."""
import pytest

from portal.extensions import db
from portal.funds import disbursements
from portal.funds.models import LIVE, TeamMember
from tests.factories.accounts import UserFactory
from tests.factories.funds import (
    make_campaign,
    make_disbursement,
    make_fund,
    make_gift,
    make_pool,
    make_refund,
    make_team,
)
from tests.funds.conftest import EN


def _count(client, count_queries, path):
    client.get(path, headers=EN)  # warm-up: templates compiled, nothing cached between requests anyway
    with count_queries() as statements:
        response = client.get(path, headers=EN)
    assert response.status_code == 200
    return len(statements)


def _add_campaigns(world, n):
    for i in range(n):
        fund = make_fund(world.tree["community"] if i % 2 else world.tree["street"])
        campaign = make_campaign(fund, world.worker, status=LIVE)
        make_team(campaign, UserFactory())
        make_gift(fund, 1_000 + i, campaign=campaign, donor=world.resident)


def test_the_campaign_list_query_count_does_not_grow(client, count_queries, world):
    _add_campaigns(world, 2)
    few = _count(client, count_queries, "/campaigns/")
    _add_campaigns(world, 9)
    many = _count(client, count_queries, "/campaigns/")
    assert many == few
    filtered = _count(client, count_queries, f"/campaigns/?place={world.tree['street'].id}&sort=raised")
    assert filtered == few


def _add_ledger_rows(world, n):
    pool = make_pool(world.campaign, cap_minor=10**9)
    team = make_team(world.campaign, UserFactory())
    for i in range(n):
        make_gift(world.fund, 500 + i, campaign=world.campaign, team=team, donor=world.resident)

    disbursement = make_disbursement(world.fund, world.worker, 100)
    disbursements.approve_disbursement(disbursement, world.committee)
    disbursements.pay_disbursement(disbursement, world.treasurer, f"TR-{n}")
    return pool


def test_the_fund_page_with_its_ledger_query_count_does_not_grow(client, count_queries, world):
    _add_ledger_rows(world, 2)
    few = _count(client, count_queries, f"/funds/{world.fund.id}")
    _add_ledger_rows(world, 30)
    many = _count(client, count_queries, f"/funds/{world.fund.id}")
    assert many == few


def test_the_public_ledger_pages_by_keyset_at_the_same_cost(client, count_queries, world):
    from sqlalchemy import func, select

    from portal.funds.models import LedgerEntry

    _add_ledger_rows(world, 60)  # gifts, their matches and a payment: three pages of 50 entries
    marker, path, seen, pages = f"/funds/{world.fund.id}?before=", f"/funds/{world.fund.id}", 0, []
    while path:
        html = client.get(path, headers=EN).get_data(as_text=True)
        assert ("Newest entries" in html) == bool(pages)
        seen += html.count('<tr class="entry-')
        pages.append(path)
        path = marker + html.split(marker)[1].split("#")[0] if marker in html else None
    total = db.session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.fund_id == world.fund.id))
    assert (len(pages), seen) == (3, total)
    assert len({_count(client, count_queries, path) for path in pages}) == 1


def _gifts_from_many_donors(world, team, n):
    """n gifts from n new donors, named, initials and anonymous, some refunded in part: what grows."""
    for i in range(n):
        donor = UserFactory()
        if i % 2:
            db.session.add(TeamMember(team_id=team.id, user_id=donor.id))
        gift = make_gift(world.fund, 1_000 + i, campaign=world.campaign, team=team if i % 2 else None, donor=donor,
                         display_mode=("named", "initials", "anonymous")[i % 3])
        if i % 5 == 4:
            make_refund(gift, 100)
        make_gift(world.fund, 700, campaign=world.campaign, donor_name=f"现金捐赠人{i}")


@pytest.mark.parametrize("page", ["campaign", "fund", "team", "campaigns", "projects", "give"])
def test_public_pages_cost_the_same_with_one_gift_and_with_many(client, count_queries, login_as, world, page):
    if page == "give":
        login_as(world.other_resident)  # the give form asks for an account
    team = make_team(world.campaign, world.resident, name="红马甲")
    make_gift(world.fund, 1_000, campaign=world.campaign, team=team, donor=world.resident)
    path = {"campaign": f"/campaigns/{world.campaign.id}", "fund": f"/funds/{world.fund.id}",
            "team": f"/teams/{team.id}", "campaigns": "/campaigns/", "projects": "/projects/",
            "give": f"/give/campaign/{world.campaign.id}"}[page]
    one = _count(client, count_queries, path)
    _gifts_from_many_donors(world, team, 40)
    assert _count(client, count_queries, path) == one


def test_the_campaign_page_query_count_does_not_grow(client, count_queries, world):
    _add_ledger_rows(world, 2)
    few = _count(client, count_queries, f"/campaigns/{world.campaign.id}")
    _add_ledger_rows(world, 15)
    for _ in range(5):
        make_team(world.campaign, UserFactory())
    many = _count(client, count_queries, f"/campaigns/{world.campaign.id}")
    assert many == few


def test_the_fund_list_query_count_does_not_grow(client, count_queries, world):
    few = _count(client, count_queries, "/funds/")
    for _ in range(8):
        make_fund(world.tree["community"])
    assert _count(client, count_queries, "/funds/") == few
