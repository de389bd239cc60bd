"""The red-flags page: who sees which flags, the filters, bad input, query counts, links."""
import pytest

from portal.extensions import db
from portal.insights import snapshots
from portal.insights.redflags import SNAPSHOT
from tests.factories.accounts import UserFactory
from tests.factories.procurement import opened_call
from tests.insights.flags_world import FlagsWorld


@pytest.fixture
def world(app):
    return FlagsWorld()


def test_the_public_sees_public_flags_with_a_link_to_the_call(client, world):
    page = client.get("/insights/red-flags").get_data(as_text=True)
    assert f'href="/procurement/calls/{world.single.id}">{world.single.reference}</a>' in page
    assert "Only one organisation bid on this competitive call." in page
    assert "Figures computed at" in page


def test_the_public_does_not_see_the_abnormally_low_winner(client, world):
    page = client.get("/insights/red-flags").get_data(as_text=True)
    assert "won with a bid flagged abnormally low" not in page


def test_an_official_sees_the_abnormally_low_winner(client, login_as, world):
    login_as(world.official)
    page = client.get("/insights/red-flags?kind=low_winner").get_data(as_text=True)
    assert "won with a bid flagged abnormally low" in page and world.contested.reference in page


def test_a_resident_asking_for_a_restricted_kind_is_told_it_is_for_officials(client, login_as, world):
    login_as(UserFactory())
    response = client.get("/insights/red-flags?kind=close_runner_up")
    assert response.status_code == 200 and "only officials see it" in response.get_data(as_text=True)


def test_the_kind_filter_keeps_one_kind(client, world):
    page = client.get("/insights/red-flags?kind=amendment_inflation").get_data(as_text=True)
    assert "Amendments raised the contract" in page and "Only one organisation bid" not in page


def test_the_department_filter_keeps_one_buyer(client, world):
    other = FlagsWorld()
    page = client.get(f"/insights/red-flags?department={other.department.id}").get_data(as_text=True)
    assert other.single.reference in page and f">{world.single.reference}<" not in page


def test_the_year_filter(client, world):
    assert world.single.reference in client.get(f"/insights/red-flags?year={world.single.published_at.year}")\
        .get_data(as_text=True)
    assert f">{world.single.reference}<" not in client.get("/insights/red-flags?year=2001").get_data(as_text=True)


@pytest.mark.parametrize(("query", "field"), [("kind=bogus", "kind"), ("year=1800", "year"), ("year=abc", "year"),
                                              ("department=x", "department"), ("department=999999", "department"),
                                              ("page=0", "page"), ("page=99999", "page")])
def test_a_bad_filter_answers_400_naming_the_field(client, world, query, field):
    response = client.get(f"/insights/red-flags?{query}")
    assert response.status_code == 400 and f"({field})" in response.get_data(as_text=True)


def test_a_bad_filter_answers_json_when_json_is_asked(client, world):
    response = client.get("/insights/red-flags?kind=bogus", headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "kind"


def test_the_query_count_does_not_grow_with_flags(client, login_as, world, count_queries):
    login_as(world.official)
    snapshots.compute_and_store(SNAPSHOT, {})
    client.get("/insights/red-flags")
    with count_queries() as few:
        client.get("/insights/red-flags")
    for _n in range(4):
        opened_call(world.department, world.official, [world.b], [10_000_000], world.admin)
    snapshots.compute_and_store(SNAPSHOT, {})
    db.session.flush()
    with count_queries() as many:
        page = client.get("/insights/red-flags").get_data(as_text=True)
    assert page.count("Only one organisation bid") == 5
    assert len(many) == len(few)
