"""The outcomes, funds and profile dashboards and the insights index: figures from their snapshots, drill-down,
bad filters answered 400 naming the field, query counts that do not grow with rows, suppressed small counts."""
from datetime import date

import pytest

from portal.extensions import db
from portal.insights.models import GridProfile, InsightSnapshot
from tests.factories.accounts import UserFactory
from tests.factories.funds import make_fund, make_gift
from tests.factories.orgs import make_organisation
from tests.factories.places import make_place, make_tree
from tests.factories.projects import make_indicator, make_project, make_report

EN = {"Accept-Language": "en"}


def _projects(tree, count: int):
    user = UserFactory()
    organisation = make_organisation(user, tree["community"], status="verified")
    for n in range(count):
        project = make_project(organisation, user, [tree["grid"]], category="elderly_care")
        indicator = make_indicator(project, target=60)
        make_report(indicator, user, actual=30 + n, status="approved")


def _fresh():
    """Forget the stored figures, so the next page view computes them (its worst case)."""
    db.session.query(InsightSnapshot).delete()
    db.session.flush()
    db.session.expire_all()  # and start each measured view from the same (empty) identity map


def test_the_index_links_every_dashboard_even_those_still_being_built(client):
    page = client.get("/insights/").get_data(as_text=True)
    for path in ("/insights/outcomes", "/insights/funds", "/insights/profile", "/insights/red-flags",
                 "/insights/contractors"):
        assert f'href="{path}' in page


def test_outcomes_drill_down_from_the_district_to_the_grid(client):
    tree = make_tree()
    _projects(tree, 2)
    page = client.get(f"/insights/outcomes?place={tree['district'].id}", headers=EN).get_data(as_text=True)
    assert f'/insights/outcomes?place={tree["street"].id}' in page and "Figures computed at" in page
    grid_page = client.get(f"/insights/outcomes?place={tree['grid'].id}").get_data(as_text=True)
    assert tree["community"].name in grid_page  # the breadcrumbs lead back up
    assert "52%" in grid_page or "51%" in grid_page  # 30/60 and 31/60: a mean of 50.8%


@pytest.mark.parametrize(("query", "field"), [("year=20x6", "year"), ("year=1066", "year"),
                                              ("category=space", "category"), ("mode=auction", "mode"),
                                              ("service_type=x", "service_type"), ("place=99999999", "place")])
def test_a_bad_outcomes_filter_answers_400_naming_it(client, query, field):
    response = client.get(f"/insights/outcomes?{query}")
    assert response.status_code == 400 and f"“{field}”" in response.get_data(as_text=True)


def test_a_bad_filter_asked_as_json_answers_a_json_error(client):
    response = client.get("/insights/outcomes?year=abc", headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "year"


def test_the_outcomes_page_runs_as_many_queries_however_many_projects(client, count_queries):
    tree = make_tree()
    _projects(tree, 1)
    _fresh()
    with count_queries() as few:
        assert client.get(f"/insights/outcomes?place={tree['district'].id}").status_code == 200
    _projects(tree, 6)
    _fresh()
    with count_queries() as many:
        assert client.get(f"/insights/outcomes?place={tree['district'].id}").status_code == 200
    assert len(many) == len(few)


def test_a_stored_view_is_read_not_recomputed(client, count_queries):
    tree = make_tree()
    _projects(tree, 2)
    client.get("/insights/outcomes").close()
    with count_queries() as statements:
        client.get("/insights/outcomes").close()
    assert not any("indicator_reports" in statement for statement in statements)


def test_fund_transparency_shows_gifts_median_and_donors(client):
    fund = make_fund(make_tree()["community"], name="透明社区公益金")
    for amount in (1_000, 2_000, 9_000):
        make_gift(fund, amount, donor=UserFactory())
    overview = client.get("/insights/funds").get_data(as_text=True)
    assert "透明社区公益金" in overview and "¥20.00" in overview  # the median of 10, 20 and 90 yuan
    page = client.get(f"/insights/funds/{fund.id}")
    assert page.status_code == 200 and "¥120.00" in page.get_data(as_text=True)


def test_the_funds_pages_run_as_many_queries_however_many_gifts(client, count_queries):
    fund = make_fund(make_tree()["community"])
    make_gift(fund, 1_000, donor=UserFactory())
    _fresh()
    with count_queries() as few:
        client.get(f"/insights/funds/{fund.id}").close()
    for _n in range(8):
        make_gift(fund, 1_500, donor=UserFactory())
    _fresh()
    with count_queries() as many:
        client.get(f"/insights/funds/{fund.id}").close()
    assert len(many) == len(few)


def test_an_unknown_fund_is_404(client):
    assert client.get("/insights/funds/99999999").status_code == 404


def _ledger(grid, **counts):
    values = {"age_0_17": 50, "age_18_59": 200, "age_60_79": 80, "age_80_plus": 20, "living_alone": 12,
              "unable_to_self_care": 6, **counts}
    db.session.add(GridProfile(place_id=grid.id, as_of=date(2026, 11, 30), **values))
    db.session.flush()


def test_the_profile_suppresses_counts_under_five(client):
    tree = make_tree()
    _ledger(tree["grid"], living_alone=3, unable_to_self_care=1)
    page = client.get(f"/insights/profile?place={tree['community'].id}").get_data(as_text=True)
    row = page[page.index(tree["grid"].name):]
    row = row[:row.index("</tr>")]
    assert row.count("&lt;5") == 2 and ">3<" not in row and ">1<" not in row
    assert ">80<" in row  # larger counts are shown


def test_the_profile_suggests_elderly_care_where_many_live_alone(client):
    tree = make_tree()
    _ledger(tree["grid"], living_alone=30, unable_to_self_care=10)
    page = client.get(f"/insights/profile?place={tree['community'].id}", headers=EN).get_data(as_text=True)
    assert "40 living alone or unable to care for themselves" in page


def test_the_profile_page_runs_as_many_queries_however_many_grids(client, count_queries):
    tree = make_tree()
    _ledger(tree["grid"])
    _fresh()
    with count_queries() as few:
        client.get(f"/insights/profile?place={tree['community'].id}").close()
    for n in range(5):
        _ledger(make_place("grid", f"第{n + 2}网格", tree["community"]))
    _fresh()
    with count_queries() as many:
        client.get(f"/insights/profile?place={tree['community'].id}").close()
    assert len(many) == len(few)


def test_a_profile_of_no_place_is_400(client):
    response = client.get("/insights/profile?place=abc")
    assert response.status_code == 400 and "“place”" in response.get_data(as_text=True)



def test_an_outcomes_place_without_indicators_says_so_once_and_points_up(client):
    tree = make_tree()
    _projects(tree, 1)  # on the grid; its community's other grid has none
    empty_grid = make_place("grid", "铁路坝第2网格", tree["community"])
    page = client.get(f"/insights/outcomes?place={empty_grid.id}").get_data(as_text=True)
    assert page.count("No running project with an indicator matches this place") == 1
    assert f'href="/insights/outcomes?place={tree["community"].id}">{tree["community"].name}</a>' in page
    assert "No indicator in this view." not in page  # no empty breakdowns under the message
