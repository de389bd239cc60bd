"""The payments lists load what they show in a fixed number of queries, however many rows they list
(STYLE.md 5): "My giving", a fund's donations and a fund's offline gifts."""
from portal.payments.models import FAILED, OFFLINE, PENDING, SUCCEEDED
from tests.factories.accounts import UserFactory
from tests.factories.funds import make_campaign, make_team
from tests.factories.payments import make_donation, make_recurring_gift
from tests.payments.conftest import EN


def _gift_to_a_new_campaign(world, donor, **fields):
    """A gift whose campaign, team and (for offline gifts) recorder and confirmer appear nowhere else."""
    campaign = make_campaign(world.fund, world.captain)
    team = make_team(campaign, UserFactory())
    return make_donation(world.fund, donor, campaign=campaign, team=team, **fields)


def _offline_gift(world, status):
    fields = {"provider": OFFLINE, "status": status, "offline_method": "cash",
              "offline_receipt_ref": f"XJ-{UserFactory().id}", "recorded_by_id": UserFactory().id}
    if status != PENDING:
        fields["confirmed_by_id"] = UserFactory().id
    return _gift_to_a_new_campaign(world, None, **fields)


def _same_count_with_more_rows(client, count_queries, url, add_rows, expected_text):
    add_rows(2)
    with count_queries() as few:
        assert client.get(url, headers=EN).status_code == 200
    add_rows(12)
    with count_queries() as many:
        response = client.get(url, headers=EN)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count(expected_text) >= 14
    assert len(many) == len(few), "\n".join(many)


def test_my_giving_does_not_grow_with_gifts(client, login_as, world, count_queries):
    login_as(world.donor)

    def add_rows(n):
        for _ in range(n):
            _gift_to_a_new_campaign(world, world.donor)
            make_recurring_gift(world.fund, world.donor, campaign=make_campaign(world.fund, world.captain))
            make_team(make_campaign(world.fund, world.captain), UserFactory(), members=[world.donor])

    _same_count_with_more_rows(client, count_queries, "/me/giving", add_rows, "/receipt")


def test_fund_donations_do_not_grow_with_gifts(client, login_as, world, count_queries):
    login_as(world.treasurer)

    def add_rows(n):
        for number in range(n):
            _gift_to_a_new_campaign(world, UserFactory(), status=SUCCEEDED if number % 2 else FAILED)

    _same_count_with_more_rows(client, count_queries, f"/funds/{world.fund.id}/donations", add_rows,
                               "/manage")


def test_offline_gifts_do_not_grow_with_gifts(client, login_as, world, count_queries):
    login_as(world.member)

    def add_rows(n):
        for number in range(n):
            _offline_gift(world, PENDING if number % 2 else SUCCEEDED)

    _same_count_with_more_rows(client, count_queries, f"/funds/{world.fund.id}/offline-gifts", add_rows, "XJ-")
