"""Places pages: public browse and place pages, admin create/edit/move/import, plotly served locally."""
import io
import json
import re

import pytest
from sqlalchemy import func, select

from portal.accounts import roles
from portal.extensions import db
from portal.orgs.models import PENDING, VERIFIED
from portal.places.models import Place
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation
from tests.factories.places import make_place, make_tree

EN = {"Accept-Language": "en"}


@pytest.fixture
def admin():
    user = UserFactory(locale="en")  # signed-in users see their own language, whatever the browser says
    grant(user, roles.PLATFORM_ADMIN)
    return user


def _place_count():
    return db.session.scalar(select(func.count()).select_from(Place))


def _by_code(code):
    return db.session.scalar(select(Place).where(Place.code == code))


# --- public pages -------------------------------------------------------------------------------

def test_browse_page_shows_the_tree_with_counts(client):
    tree = make_tree()
    make_place("grid", "铁路坝第2网格", tree["community"])
    creator = UserFactory()
    make_organisation(creator, tree["grid"], status=VERIFIED)
    make_organisation(creator, tree["community"], status=VERIFIED)
    make_organisation(creator, tree["community"], status=PENDING)  # not public, not counted
    html = client.get("/places/", headers=EN).get_data(as_text=True)
    for name in ("西陵区", "夜明珠街道", "铁路坝社区", "铁路坝第1网格", "铁路坝第2网格"):
        assert name in html
    assert "1 street · 1 community · 2 grids · 2 verified organisations" in html
    assert "2 grids · 2 verified organisations" in html
    assert "with roles" not in html  # role counts are for administrators and officials


def test_browse_page_embeds_the_chart_as_json_and_a_table(client):
    tree = make_tree()
    make_organisation(UserFactory(), tree["grid"], status=VERIFIED)
    response = client.get("/places/", headers=EN)
    html = response.get_data(as_text=True)
    match = re.search(r'<script type="application/json" id="street-chart-data">(.*?)</script>', html, re.S)
    figure = json.loads(match.group(1))
    assert figure["data"][0]["type"] == "bar"
    assert figure["layout"]["xaxis"]["title"]["text"] == "Verified organisations"
    assert 'data-plotly-src="/vendor/plotly.min.js?v=' in html
    assert "<table" in html and "The figures as a table" in html
    # no inline executable script: only external files and JSON data blocks
    assert not re.search(r"<script(?![^>]*(src=|type=\"application/json\"))", html)


def test_no_chart_while_no_street_has_a_verified_organisation(client):
    tree = make_tree()
    make_organisation(UserFactory(), tree["grid"], status=PENDING)
    html = client.get("/places/", headers=EN).get_data(as_text=True)
    assert "street-chart-data" not in html and "plotly" not in html


def test_browse_page_with_no_places_says_so(client):
    html = client.get("/places/", headers=EN).get_data(as_text=True)
    assert "No places have been entered yet." in html


def _grow(street, communities, grids_each=3):
    for c in range(communities):
        community = make_place("community", f"社区{c}", street)
        for g in range(grids_each):
            make_place("grid", f"网格{c}-{g}", community)


def test_browse_page_loads_in_a_fixed_number_of_queries(client, count_queries):
    street = make_tree()["street"]
    _grow(street, 1)
    client.get("/places/")  # warm up whatever is loaded once per process
    with count_queries() as few:
        assert client.get("/places/").status_code == 200
    _grow(street, 19)
    with count_queries() as many:
        assert client.get("/places/").status_code == 200
    assert len(few) == len(many), (few, many)
    assert len(many) <= 3


def test_browse_page_query_count_does_not_grow_for_a_signed_in_official(client, login_as, count_queries):
    tree = make_tree()
    official = UserFactory(locale="en")
    grant(official, roles.OFFICIAL, tree["district"])
    login_as(official)
    _grow(tree["street"], 2)
    with count_queries() as few:
        html = client.get("/places/", headers=EN).get_data(as_text=True)
    _grow(tree["street"], 18)
    with count_queries() as many:
        client.get("/places/")
    assert len(few) == len(many)
    assert "1 person with a role" in html


def test_place_page_shows_breadcrumb_children_and_figures(client):
    tree = make_tree()
    make_place("grid", "铁路坝第2网格", tree["community"])
    tree["grid"].population = 450
    make_organisation(UserFactory(), tree["grid"], status=VERIFIED)
    html = client.get(f"/places/{tree['community'].id}", headers=EN).get_data(as_text=True)
    crumbs = html[html.index('aria-label="You are here"'):html.index("</nav>", html.index("You are here"))]
    assert crumbs.index("西陵区") < crumbs.index("夜明珠街道") < crumbs.index("铁路坝社区")
    assert "铁路坝第1网格" in html and "铁路坝第2网格" in html
    assert "450" in html  # the community has no population of its own: its grids' sum
    assert "Edit" not in html  # public visitors see no admin buttons


def test_unknown_place_is_404(client):
    assert client.get("/places/999999").status_code == 404


# --- administration -------------------------------------------------------------------------------

def test_admin_creates_a_place(client, login_as, admin):
    tree = make_tree()
    login_as(admin)
    response = client.post_form("/places/new", {"kind": "grid", "name": "铁路坝第9网格", "code": "G9",
                                                "parent": str(tree["community"].id), "population": "300",
                                                "households": ""})
    assert response.status_code == 302
    grid = _by_code("G9")
    assert grid.path == tree["community"].path + f"{grid.id}/"
    assert grid.population == 300 and grid.households is None


def test_bad_create_is_400_with_the_message_at_the_field_and_saves_nothing(client, login_as, admin):
    tree = make_tree()
    login_as(admin)
    before = _place_count()
    response = client.post_form("/places/new", {"kind": "street", "name": "错误街道", "code": "S9",
                                                "parent": str(tree["community"].id)}, headers=EN)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="parent-error"' in html and "must be placed under a district" in html
    assert _place_count() == before


def test_duplicate_code_on_create_is_shown_at_the_code_field(client, login_as, admin):
    tree = make_tree()
    login_as(admin)
    response = client.post_form("/places/new", {"kind": "grid", "name": "重复", "code": tree["grid"].code,
                                                "parent": str(tree["community"].id)}, headers=EN)
    assert response.status_code == 400
    assert 'id="code-error"' in response.get_data(as_text=True)


def test_admin_edits_a_place(client, login_as, admin):
    tree = make_tree()
    login_as(admin)
    path = f"/places/{tree['community'].id}/edit"
    response = client.post_form(path, {"name": "铁路坝社区", "code": "C-NEW", "population": "3100",
                                       "households": "1000"})
    assert response.status_code == 302
    assert tree["community"].code == "C-NEW" and tree["community"].population == 3100


def test_admin_moves_a_community_and_its_grids(client, login_as, admin):
    tree = make_tree()
    other_street = make_place("street", "西陵街道", tree["district"])
    login_as(admin)
    path = f"/places/{tree['community'].id}/move"
    page = client.get(path).get_data(as_text=True)
    assert f'value="{other_street.id}"' in page and f'value="{tree["grid"].id}"' not in page
    response = client.post_form(path, {"parent": str(other_street.id)})
    assert response.status_code == 302
    assert tree["grid"].path.startswith(other_street.path)


def test_manage_lists_and_searches_places(client, login_as, admin, count_queries):
    tree = make_tree()
    login_as(admin)
    html = client.get("/places/manage?q=铁路坝", headers=EN).get_data(as_text=True)
    assert "铁路坝社区" in html and "铁路坝第1网格" in html and "夜明珠街道</a>" not in html
    assert "2 places found" in html
    html = client.get("/places/manage?kind=street", headers=EN).get_data(as_text=True)
    assert "夜明珠街道" in html and "1 place found" in html
    _grow(tree["street"], 1)
    with count_queries() as few:
        client.get("/places/manage")
    _grow(tree["street"], 10)
    with count_queries() as many:
        client.get("/places/manage")
    assert len(few) == len(many)


@pytest.mark.parametrize("path", ["/places/manage", "/places/new", "/places/import", "/places/import/template.csv"])
def test_non_admins_are_refused(client, login_as, path):
    tree = make_tree()
    official = UserFactory()
    grant(official, roles.OFFICIAL, tree["district"])
    login_as(official)
    assert client.get(path).status_code == 403


def test_non_admin_cannot_post_a_new_place(client, login_as):
    tree = make_tree()
    login_as(UserFactory())
    before = _place_count()
    response = client.post_form("/places/new", {"kind": "grid", "name": "x", "code": "X1",
                                                "parent": str(tree["community"].id)}, token_from="/")
    assert response.status_code == 403
    assert _place_count() == before


IMPORT = "kind,name,code,parent_code,population,households\n" \
         "district,伍家岗区,420503,,,\nstreet,大公桥街道,420503001,420503,30000,\n"


def test_admin_imports_a_csv_file(client, login_as, admin):
    login_as(admin)
    response = client.post_form("/places/import", {"file": (io.BytesIO(IMPORT.encode("utf-8-sig")), "places.csv")},
                                content_type="multipart/form-data", headers=EN, follow_redirects=True)
    assert response.status_code == 200
    assert "2 places imported." in response.get_data(as_text=True)
    assert _by_code("420503001").parent_id == _by_code("420503").id


def test_admin_imports_pasted_text(client, login_as, admin):
    login_as(admin)
    response = client.post_form("/places/import", {"text": IMPORT})
    assert response.status_code == 302
    assert _by_code("420503") is not None


def test_rejected_import_shows_every_bad_line_and_saves_nothing(client, login_as, admin):
    login_as(admin)
    before = _place_count()
    bad = IMPORT + "community,,C1,420503001,,\ngrid,网格,G1,NOPE,,\n"
    response = client.post_form("/places/import", {"file": (io.BytesIO(bad.encode()), "places.csv")},
                                content_type="multipart/form-data", headers=EN)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    table = html[html.index('class="import-errors"'):]
    assert re.search(r'<td class="num">4</td><td>name</td>', table)
    assert re.search(r'<td class="num">5</td><td>parent_code</td>', table)
    assert "Nothing was imported" in html
    assert _place_count() == before


def test_import_without_file_or_text_is_400(client, login_as, admin):
    login_as(admin)
    response = client.post_form("/places/import", {}, headers=EN)
    assert response.status_code == 400
    assert "Choose a CSV file or paste its text." in response.get_data(as_text=True)


def test_template_csv_downloads_with_bom(client, login_as, admin):
    login_as(admin)
    response = client.get("/places/import/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeffkind,name,code,parent_code".encode())


# --- plotly.min.js from the installed package -----------------------------------------------------

def test_plotly_is_served_from_the_python_package_with_long_caching(client):
    response = client.get("/vendor/plotly.min.js?v=1")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert b"plotly.js" in response.data[:300]
    cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache
    response.close()
