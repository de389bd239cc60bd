"""Every funds page renders for the people who may open it."""
from tests.factories.funds import make_gift, make_pool, make_team
from tests.funds.conftest import EN


def test_public_pages_render(client, world):
    team = make_team(world.campaign, world.resident, name="夕阳红小分队")
    make_pool(world.campaign)
    make_gift(world.fund, 10_000, campaign=world.campaign, team=team, donor=world.resident)
    for path in ("/funds/", f"/funds/{world.fund.id}", "/campaigns/", f"/campaigns/{world.campaign.id}",
                 f"/teams/{team.id}"):
        response = client.get(path, headers=EN)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:3000])


def test_management_pages_render(client, login_as, world):
    login_as(world.treasurer)
    for path in (f"/funds/{world.fund.id}/manage", f"/campaigns/{world.campaign.id}/edit",
                 f"/campaigns/{world.campaign.id}/updates/new", f"/campaigns/{world.campaign.id}/matching/new",
                 f"/funds/{world.fund.id}/campaigns/new", f"/funds/{world.fund.id}/in-kind/new",
                 f"/campaigns/{world.campaign.id}/teams/new"):
        response = client.get(path, headers=EN)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:3000])
