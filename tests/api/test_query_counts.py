"""A list's query count does not grow with its rows (each list is a count, a page and the rows it shows loaded
alongside)."""
import pytest

from tests.api.world import ApiWorld

LISTS = ("/api/v1/projects", "/api/v1/funds", "/api/v1/campaigns", "/api/v1/gifts", "/api/v1/calls",
         "/api/v1/awards", "/api/v1/contracts", "/api/v1/cases")


def _queries(client, count_queries, url: str) -> int:
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("url", LISTS)
def test_a_lists_queries_do_not_grow_with_its_rows(client, count_queries, world, url):
    url = f"{url}?per_page=100"
    one = _queries(client, count_queries, url)
    total = client.get(url).get_json()["meta"]["total"]
    ApiWorld()
    ApiWorld()
    assert client.get(url).get_json()["meta"]["total"] > total
    assert _queries(client, count_queries, url) == one


@pytest.mark.parametrize("url", LISTS)
def test_a_place_filter_costs_one_query_more_at_most(client, count_queries, world, url):
    plain = _queries(client, count_queries, url)
    assert _queries(client, count_queries, f"{url}?place={world.tree['district'].id}") <= plain + 1
