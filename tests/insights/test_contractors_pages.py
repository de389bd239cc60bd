"""Contractor performance pages: the list compared within a category and sorted, one organisation's record with
its trend, the past-performance score equal to the ranking's, bad input, query counts."""
import pytest

from portal.extensions import db
from portal.insights import contractors as service
from portal.insights import snapshots
from portal.procurement.hooks import past_performance_rating
from tests.factories.contracts import make_contract
from tests.insights.flags_world import FlagsWorld


@pytest.fixture
def world(app):
    world = FlagsWorld()
    make_contract(world.department, world.b, world.official)  # b: a contract, nothing delivered, no rating
    return world


def test_the_list_shows_each_organisation_with_a_link_to_its_record(client, world):
    page = client.get("/insights/contractors").get_data(as_text=True)
    assert f'href="/insights/contractors/{world.a.id}">{world.a.name}</a>' in page
    assert f'href="/insights/contractors/{world.b.id}">{world.b.name}</a>' in page and "Figures computed at" in page


def test_the_past_performance_score_in_the_list_is_the_rankings(app, world):
    table, _at = service.performance_table(None, "value_minor", True)
    row = next(r for r in table["rows"] if r["organisation_id"] == world.a.id)
    assert row["past_performance"] == past_performance_rating(world.a) == 0.75


def test_the_list_sorts_by_the_chosen_column(client, world):
    page = client.get("/insights/contractors?sort=mean_rating&order=desc").get_data(as_text=True)
    assert page.index(world.a.name) < page.index(world.b.name)
    page = client.get("/insights/contractors?sort=organisation&order=asc").get_data(as_text=True)
    first, second = sorted([world.a.name, world.b.name])
    assert page.index(first) < page.index(second)


def test_a_category_compares_its_contracts_only(client, world):
    page = client.get("/insights/contractors?category=disability").get_data(as_text=True)
    assert world.a.name not in page and "No organisation holds a contract in this category yet." in page


@pytest.mark.parametrize(("query", "field"), [("category=bogus", "category"), ("sort=password", "sort"),
                                              ("order=sideways", "order")])
def test_a_bad_parameter_answers_400_naming_it(client, world, query, field):
    response = client.get(f"/insights/contractors?{query}")
    assert response.status_code == 400 and f"({field})" in response.get_data(as_text=True)


def test_the_record_explains_its_past_performance_score(client, world):
    page = client.get(f"/insights/contractors/{world.a.id}").get_data(as_text=True)
    assert "Why this past-performance score" in page and "75.0%" in page
    assert world.contract.reference in page and 'id="trend-chart-data"' in page


def test_without_a_final_rating_the_record_says_the_score_is_neutral(client, world):
    page = client.get(f"/insights/contractors/{world.b.id}").get_data(as_text=True)
    assert "gets the neutral 50.0%" in page


def test_the_record_of_an_unknown_organisation_is_404(client, world):
    assert client.get("/insights/contractors/999999").status_code == 404


def test_the_query_counts_do_not_grow_with_contracts(client, world, count_queries):
    snapshots.compute_and_store(service.SNAPSHOT, {})
    client.get("/insights/contractors")
    with count_queries() as few_list:
        client.get("/insights/contractors")
    with count_queries() as few_record:
        client.get(f"/insights/contractors/{world.a.id}")
    for _n in range(4):
        make_contract(world.department, world.a, world.official)
        make_contract(world.department, world.c, world.official)
    snapshots.compute_and_store(service.SNAPSHOT, {})
    db.session.flush()
    with count_queries() as many_list:
        page = client.get("/insights/contractors").get_data(as_text=True)
    with count_queries() as many_record:
        client.get(f"/insights/contractors/{world.a.id}")
    assert world.c.name in page
    assert len(many_list) == len(few_list) and len(many_record) == len(few_record)
