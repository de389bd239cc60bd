"""The case board: rates computed right on a small hand-made world, what the public and officials see, the
filters, the weekly trend, a fixed number of queries, and the map drawn without outside servers."""
import re
from datetime import timedelta

import pytest

from portal.accounts import roles
from portal.cases import board as case_board
from portal.cases.models import CLOSED, DISPATCHED, EVALUATED, HANDLED, HANDLING, REJECTED, SATISFIED, UNSATISFIED
from portal.core.time import utcnow
from tests.factories.accounts import UserFactory, grant
from tests.factories.cases import make_case, make_category
from tests.factories.places import make_place, make_tree
from tests.factories.procurement import make_department


@pytest.fixture
def world():
    """Street A (the tree's) with five public cases reported in the last 30 days and one of a non-public
    category; street B with one open case reported 40 days ago; one rejected report. Category clocks: accept
    2 h, handle 72 h, feedback 24 h (98 h in all)."""
    now = utcnow()
    tree = make_tree()
    street_b = make_place("street", "西陵街道", tree["district"])
    community_b = make_place("community", "夷陵路社区", street_b)
    roads = make_department(tree["district"], "区城管局")
    housing = make_department(tree["district"], "区住建局")
    public = make_category(tree["street"], roads, name="占道经营", accept_hours=2, handle_hours=72, feedback_hours=24)
    hidden = make_category(tree["street"], housing, name="违章搭建", is_public=False, accept_hours=2,
                           handle_hours=72, feedback_hours=24)
    reporter = UserFactory()
    ago = lambda **delta: now - timedelta(**delta)  # noqa: E731
    point = {"latitude": 30.70, "longitude": 111.28}
    cases = {
        # taken up in 1 h (in time), closed, the reporter satisfied
        "satisfied": make_case(public, tree["grid"], reporter, status=EVALUATED, reported_at=ago(days=5, hours=1),
                               dispatched_at=ago(days=5), accepted_at=ago(days=5) + timedelta(hours=1),
                               closed_at=ago(days=3), evaluated_at=ago(days=2), satisfaction=SATISFIED, **point),
        # taken up 3 h after dispatch (late), handled, not verified yet: its whole clock (98 h) has run out
        "late": make_case(public, tree["grid"], reporter, status=HANDLED, reported_at=ago(days=5, hours=2),
                          dispatched_at=ago(days=5), accepted_at=ago(days=5) + timedelta(hours=3),
                          handled_at=ago(days=2), next_due_at=ago(days=1), latitude=30.701, longitude=111.281),
        # dispatched 10 h ago and not taken up: its accept clock (2 h) ran out, so it is overdue
        "waiting": make_case(public, tree["community"], reporter, status=DISPATCHED, reported_at=ago(hours=11),
                             dispatched_at=ago(hours=10), next_due_at=ago(hours=8), latitude=30.702,
                             longitude=111.279),
        # dispatched an hour ago: nothing due yet
        "fresh": make_case(public, tree["community"], reporter, status=DISPATCHED, reported_at=ago(hours=2),
                           dispatched_at=ago(hours=1), next_due_at=ago(hours=-1)),
        # taken up in 30 minutes, closed, the reporter not satisfied (the second time: it stays evaluated)
        "unsatisfied": make_case(public, tree["grid"], reporter, status=EVALUATED, reported_at=ago(days=6, hours=1),
                                 dispatched_at=ago(days=6), accepted_at=ago(days=6) + timedelta(minutes=30),
                                 closed_at=ago(days=4), satisfaction=UNSATISFIED),
        # reported before the period, still being handled and overdue
        "old": make_case(public, community_b, reporter, status=HANDLING, reported_at=ago(days=40),
                         dispatched_at=ago(days=39), accepted_at=ago(days=39) + timedelta(hours=1),
                         next_due_at=ago(days=36), latitude=30.69, longitude=111.30),
        # a non-public category: taken up in time, closed, satisfied
        "hidden": make_case(hidden, tree["grid"], reporter, status=CLOSED, reported_at=ago(days=5, hours=1),
                            dispatched_at=ago(days=5), accepted_at=ago(days=5) + timedelta(hours=1),
                            closed_at=ago(days=3), satisfaction=SATISFIED, title="违建的标题", **point),
        "rejected": make_case(public, tree["grid"], reporter, status=REJECTED, reported_at=ago(days=1)),
    }
    return {"now": now, "tree": tree, "street_b": street_b, "community_b": community_b, "roads": roads,
            "housing": housing, "cases": cases, "public": public, "hidden": hidden}


def _board(world, private_places=(), **filters):
    streets = case_board.street_choices()
    return case_board.case_board(case_board.Filters(**filters), list(private_places) if private_places is not None
                                 else None, streets, now=world["now"])


def _counts(figures):
    return (figures.reported, figures.open, figures.overdue, figures.response_due, figures.responded,
            figures.solve_due, figures.solved, figures.evaluated, figures.satisfied)


def test_the_public_totals_count_public_categories_only(world):
    totals = _board(world).totals
    # reported 5 in the period; open now: late, waiting, fresh, old; overdue: late, waiting, old
    # response: due satisfied, late, waiting, unsatisfied; in time satisfied, unsatisfied
    # solve: due satisfied, late, unsatisfied; solved satisfied, unsatisfied; evaluated 2, satisfied 1
    assert _counts(totals) == (5, 4, 3, 4, 2, 3, 2, 2, 1)
    assert (totals.response_rate, round(totals.solve_rate, 3), totals.satisfaction_rate) == (0.5, 0.667, 0.5)


def test_an_official_over_the_place_also_counts_its_non_public_categories(world):
    totals = _board(world, private_places=[world["tree"]["district"]]).totals
    assert _counts(totals) == (6, 4, 3, 5, 3, 4, 3, 3, 2)


def test_an_official_elsewhere_sees_the_public_figures(world):
    totals = _board(world, private_places=[world["street_b"]]).totals
    assert totals.reported == 5


def test_a_platform_administrator_sees_every_category(world):
    assert _board(world, private_places=None).totals.reported == 6


def test_a_rejected_report_is_no_case_on_the_board(world):
    board = _board(world, private_places=None)
    assert world["cases"]["rejected"].id not in {point.id for point in board.points}
    assert board.totals.reported == 6  # the rejected one, reported yesterday, is not counted


def test_the_rows_per_street_and_community_split_the_totals(world):
    board = _board(world)
    streets = {row.label: row.figures for row in board.streets}
    assert (streets["夜明珠街道"].open, streets["夜明珠街道"].overdue, streets["夜明珠街道"].reported) == (3, 2, 5)
    assert (streets["西陵街道"].open, streets["西陵街道"].overdue, streets["西陵街道"].reported) == (1, 1, 0)
    communities = {row.label: row for row in board.communities}
    assert communities["铁路坝社区"].figures.open == 3  # its grid's cases count for the community
    assert communities["夷陵路社区"].parent_label == "西陵街道"


def test_the_rows_per_department_name_each_handler(world):
    board = _board(world, private_places=None)
    handlers = {row.label: row.figures for row in board.handlers}
    assert set(handlers) == {"区城管局", "区住建局"}
    assert (handlers["区住建局"].reported, handlers["区住建局"].solved) == (1, 1)
    assert handlers["区城管局"].responded == 2


def test_a_contracted_organisation_is_a_handler_of_its_own(world):
    from tests.factories.contracts import make_contract
    from tests.factories.orgs import make_organisation

    official = UserFactory()
    organisation = make_organisation(official, world["tree"]["community"], status="verified", name="绿城物业服务中心")
    contract = make_contract(world["roads"], organisation, official)
    category = make_category(world["tree"]["street"], None, name="绿化损毁", contract_id=contract.id)
    make_case(category, world["tree"]["grid"], UserFactory(), status=DISPATCHED, contract_id=contract.id,
              reported_at=world["now"] - timedelta(days=1), dispatched_at=world["now"] - timedelta(hours=20))
    rows = {row.key: row for row in _board(world).handlers}
    row = rows[f"contract-{contract.id}"]
    assert (row.label, row.is_contracted, row.figures.response_due, row.figures.responded) == (
        "绿城物业服务中心", True, 1, 0)


def test_the_street_filter_keeps_that_street_only(world):
    board = _board(world, street=world["street_b"])
    assert [row.label for row in board.streets] == ["西陵街道"]
    assert (board.totals.open, board.totals.reported) == (1, 0)
    assert [point.id for point in board.points] == [world["cases"]["old"].id]


def test_the_department_filter_keeps_that_department_only(world):
    board = _board(world, private_places=None, department_id=world["housing"].id)
    assert (board.totals.reported, [row.label for row in board.handlers]) == (1, ["区住建局"])


def test_the_longer_period_counts_the_older_case(world):
    assert _board(world, days=90).totals.reported == 6


def test_filters_that_name_nothing_are_ignored(world):
    streets = case_board.street_choices()
    filters = case_board.parse_filters("999999", "x", "45", streets)
    assert (filters.street, filters.department_id, filters.contract_id, filters.days) == (None, None, None, 30)
    filters = case_board.parse_filters(str(world["street_b"].id), "contract-7", "90", streets)
    assert (filters.street.id, filters.contract_id, filters.days) == (world["street_b"].id, 7, 90)


def test_each_week_counts_its_reported_and_closed_cases(world):
    weeks = _board(world).weeks
    assert weeks[0].starts <= world["now"] - timedelta(days=30) < weeks[0].starts + timedelta(days=7)
    assert sum(week.reported for week in weeks) == 5
    assert sum(week.closed for week in weeks) == 2  # satisfied and unsatisfied; hidden is not public
    closed_on = (world["now"] - timedelta(days=3)).astimezone(case_board.WEEK_TIMEZONE)
    week = next(w for w in weeks if w.starts <= closed_on < w.starts + timedelta(days=7))
    assert week.closed >= 1


def test_the_map_clusters_are_streets_when_the_points_span_several(world):
    clusters = {row.label: row.figures for row in _board(world).clusters}
    assert set(clusters) == {"夜明珠街道", "西陵街道"}
    latitude, longitude = clusters["夜明珠街道"].centroid
    assert (round(latitude, 4), round(longitude, 4), clusters["夜明珠街道"].points) == (30.701, 111.28, 3)


def test_the_map_clusters_are_communities_within_one_street(world):
    clusters = {row.label: row.figures for row in _board(world, street=world["tree"]["street"]).clusters}
    assert {label: figures.points for label, figures in clusters.items()} == {"铁路坝社区": 3}


# --- the page ------------------------------------------------------------------------------------

def test_the_page_shows_each_rate_with_its_counts(client, world):
    html = client.get("/cases/board").get_data(as_text=True)
    assert re.search(r'<span class="rate">50%</span> <span class="muted rate-counts" title="[^"]+">\(2/4\)</span>',
                     html)


def test_the_public_page_never_shows_a_non_public_case_nor_its_department(client, world):
    html = client.get("/cases/board").get_data(as_text=True)
    assert "违建的标题" not in html and "区住建局" not in html
    assert "区城管局" in html


def test_an_official_sees_the_non_public_case_on_the_map(client, login_as, world):
    official = UserFactory()
    grant(official, roles.OFFICIAL, world["tree"]["district"])
    login_as(official)
    assert "违建的标题" in client.get("/cases/board").get_data(as_text=True)


def test_the_page_takes_a_fixed_number_of_queries(client, world, count_queries):
    client.get("/cases/board")  # warm: the app's first request loads what every request shares
    with count_queries() as few:
        client.get("/cases/board?days=90")
    tree = world["tree"]
    for n in range(12):
        community = make_place("community", f"新社区{n}", world["street_b"])
        make_case(world["public"], community, UserFactory(), status=EVALUATED if n % 2 else DISPATCHED,
                  reported_at=world["now"] - timedelta(days=n), dispatched_at=world["now"] - timedelta(days=n),
                  accepted_at=world["now"] - timedelta(days=n, hours=-1), satisfaction=SATISFIED,
                  latitude=30.6 + n / 100, longitude=111.2)
        make_case(world["hidden"], tree["grid"], UserFactory(), reported_at=world["now"] - timedelta(days=n))
    with count_queries() as many:
        response = client.get("/cases/board?days=90")
    assert response.status_code == 200
    assert len(many) == len(few)


def _svg(html: str) -> str:
    match = re.search(r"<svg class=\"case-map-svg\".*?</svg>", html, re.S)
    assert match, "no map on the page"
    return match.group(0)


def test_the_map_links_each_case_by_name_and_calls_no_outside_server(client, world):
    svg = _svg(client.get("/cases/board").get_data(as_text=True))
    waiting = world["cases"]["waiting"]
    assert re.search(rf'<a class="map-point map-point-overdue" href="/cases/{waiting.id}" '
                     rf'aria-label="{waiting.reference}[:：]', svg)
    assert "http" not in svg and "<image" not in svg and "//" not in svg


def test_a_configured_tile_server_draws_tiles_under_the_points(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "CASE_MAP_TILE_URL", "https://tiles.example.org/{z}/{x}/{y}.png")
    svg = _svg(client.get("/cases/board").get_data(as_text=True))
    tiles = re.findall(r'<image href="https://tiles\.example\.org/(\d+)/(\d+)/(\d+)\.png"', svg)
    assert tiles and len({zoom for zoom, _x, _y in tiles}) == 1
    assert svg.index("<image") < svg.index("map-point")  # under the points


def test_a_tile_server_joins_the_image_sources_of_the_policy():
    from portal import _content_security_policy

    assert "img-src 'self' data:;" in _content_security_policy({})
    assert "img-src 'self' data: https://tiles.example.org;" in _content_security_policy(
        {"CASE_MAP_TILE_URL": "https://tiles.example.org/{z}/{x}/{y}.png"})


def test_the_board_is_public_and_says_when_nothing_is_there(client):
    html = client.get("/cases/board").get_data(as_text=True)
    assert "case-map-svg" not in html

