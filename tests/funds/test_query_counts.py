"""List pages load what they show in a fixed number of queries, however many rows there are."""
from portal.funds.models import LIVE
from tests.factories.accounts import UserFactory
from tests.factories.funds import make_campaign, make_disbursement, make_fund, make_gift, make_pool, make_team
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
    from portal.funds import service

    disbursement = make_disbursement(world.fund, world.worker, 100)
    service.approve_disbursement(disbursement, world.committee)
    service.pay_disbursement(disbursement, world.treasurer, f"TR-{n}")
    return pool


def test_the_fund_page_with_its_ledger_query_count_does_not_grow(client, count_queries, world):
    _add_ledger_rows(world, 2)
    few = _count(client, count_queries, f"/funds/{world.fund.id}")
    _add_ledger_rows(world, 30)
    many = _count(client, count_queries, f"/funds/{world.fund.id}")
    assert many == few
    assert _count(client, count_queries, f"/funds/{world.fund.id}?page=2") == few


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
