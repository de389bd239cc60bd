"""The catalogue pages: the public catalogue and qualified list (filters, fixed query counts), departments,
items, the CSV import page and its template, qualifications and the minimum wage, as an official."""
import io

import pytest
from sqlalchemy import func, select

from portal.accounts import roles
from portal.core.time import utcnow
from portal.extensions import db
from portal.orgs.models import PENDING, VERIFIED
from portal.procurement.models import CatalogueItem, Department, MinimumWage, Qualification
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation
from tests.factories.places import make_tree
from tests.factories.procurement import make_catalogue_item, make_department, qualify

EN = {"Accept-Language": "en"}
HEADER = "year,code,name,category,unit,unit_price_ceiling,quality_standard\n"


@pytest.fixture
def tree():
    return make_tree()


@pytest.fixture
def official(tree):
    user = UserFactory(locale="en")
    grant(user, roles.OFFICIAL, tree["district"])
    return user


@pytest.fixture
def department(tree):
    return make_department(tree["district"], "西陵区民政局")


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- the public catalogue ------------------------------------------------------------------------------

def test_the_catalogue_filters_by_department_and_year(client, tree, department):
    street_department = make_department(tree["street"], "夜明珠街道办事处")
    make_catalogue_item(department, name="居家养老上门服务", year=2026, ceiling_minor=4550)
    make_catalogue_item(department, name="去年的助餐服务", year=2025)
    make_catalogue_item(street_department, name="街道文化活动", year=2026)

    html = client.get("/procurement/catalogue", headers=EN).get_data(as_text=True)
    assert all(name in html for name in ("居家养老上门服务", "去年的助餐服务", "街道文化活动"))
    assert "¥45.50" in html
    html = client.get(f"/procurement/catalogue?department={department.id}&year=2026", headers=EN).get_data(as_text=True)
    assert "居家养老上门服务" in html and "去年的助餐服务" not in html and "街道文化活动" not in html


def test_an_official_sees_their_departments_and_edit_links_others_do_not(client, login_as, official, department):
    item = make_catalogue_item(department)
    edit = f"/procurement/catalogue/items/{item.id}/edit"
    assert edit not in client.get("/procurement/catalogue", headers=EN).get_data(as_text=True)
    login_as(official)
    html = client.get("/procurement/catalogue", headers=EN).get_data(as_text=True)
    assert edit in html and f"/procurement/departments/{department.id}/import" in html


def _catalogue_rows(tree, n):
    for i in range(n):
        department = make_department(tree["district"] if i % 2 else tree["street"])
        make_catalogue_item(department)


def _queries(client, count_queries, path):
    client.get(path, headers=EN)
    with count_queries() as statements:
        response = client.get(path, headers=EN)
    assert response.status_code == 200
    return len(statements)


def test_the_catalogue_query_count_does_not_grow(client, count_queries, tree):
    _catalogue_rows(tree, 2)
    few = _queries(client, count_queries, "/procurement/catalogue")
    _catalogue_rows(tree, 9)
    assert _queries(client, count_queries, "/procurement/catalogue") == few


def test_the_catalogue_query_count_does_not_grow_for_an_official(client, count_queries, login_as, tree, official):
    login_as(official)
    _catalogue_rows(tree, 2)
    few = _queries(client, count_queries, "/procurement/catalogue")
    _catalogue_rows(tree, 9)
    assert _queries(client, count_queries, "/procurement/catalogue") == few


def _qualified_rows(tree, official, n):
    for _ in range(n):
        organisation = make_organisation(UserFactory(), tree["community"], status=VERIFIED)
        qualify(organisation, tree["district"], official)
        qualify(organisation, tree["street"], official, category="disability")


def test_the_qualified_list_query_count_does_not_grow(client, count_queries, login_as, tree, official):
    login_as(official)  # with the revoke buttons
    _qualified_rows(tree, official, 2)
    few = _queries(client, count_queries, "/procurement/qualified")
    _qualified_rows(tree, official, 8)
    assert _queries(client, count_queries, "/procurement/qualified") == few
    assert _queries(client, count_queries, "/procurement/qualified?category=disability") == few


def test_the_qualified_list_filters_by_category_and_hides_revoked_and_unverified(client, tree, official):
    caring = make_organisation(UserFactory(), tree["community"], status=VERIFIED, name="夕阳红服务中心")
    helping = make_organisation(UserFactory(), tree["community"], status=VERIFIED, name="助残之家")
    revoked = make_organisation(UserFactory(), tree["community"], status=VERIFIED, name="被撤销的中心")
    pending = make_organisation(UserFactory(), tree["community"], status=VERIFIED, name="待审核的中心")
    qualify(caring, tree["district"], official)
    qualify(helping, tree["district"], official, category="disability")
    qualify(revoked, tree["district"], official).revoked_at = utcnow()
    qualify(pending, tree["district"], official)
    pending.status = PENDING

    html = client.get("/procurement/qualified", headers=EN).get_data(as_text=True)
    assert "夕阳红服务中心" in html and "助残之家" in html
    assert "被撤销的中心" not in html and "待审核的中心" not in html
    html = client.get("/procurement/qualified?category=disability", headers=EN).get_data(as_text=True)
    assert "助残之家" in html and "夕阳红服务中心" not in html


# --- departments and items -----------------------------------------------------------------------------

def test_an_official_sets_up_a_department_through_the_form(client, login_as, tree, official):
    login_as(official)
    response = client.post_form("/procurement/departments/new",
                                {"place": str(tree["street"].id), "name": "夜明珠街道办事处"})
    assert response.status_code == 302
    department = db.session.scalar(select(Department).where(Department.name == "夜明珠街道办事处"))
    assert department.place_id == tree["street"].id


def test_a_tampered_place_id_gets_a_message_and_stores_nothing(client, login_as, tree, official):
    login_as(official)
    before = _count(Department)
    response = client.post_form("/procurement/departments/new",
                                {"place": str(tree["community"].id), "name": "社区居委会"}, headers=EN)
    assert response.status_code == 400
    assert _count(Department) == before


def test_an_item_typed_in_yuan_is_stored_in_fen(client, login_as, official, department):
    login_as(official)
    response = client.post_form(f"/procurement/departments/{department.id}/items/new", {
        "year": "2026", "code": "YL-01", "name": "居家养老上门服务", "category": "elderly_care", "unit": "hour",
        "ceiling": "45.5", "quality_standard": "回访满意率不低于90%"})
    assert response.status_code == 302
    item = db.session.scalar(select(CatalogueItem).where(CatalogueItem.code == "YL-01"))
    assert item.unit_price_ceiling_minor == 4550 and item.department_id == department.id


def test_a_bad_ceiling_is_named_beside_its_field_and_nothing_is_stored(client, login_as, official, department):
    login_as(official)
    before = _count(CatalogueItem)
    response = client.post_form(f"/procurement/departments/{department.id}/items/new", {
        "year": "2026", "code": "YL-01", "name": "上门服务", "category": "elderly_care", "unit": "hour",
        "ceiling": "四十五", "quality_standard": "标准"}, headers=EN)
    assert response.status_code == 400
    assert "Enter the amount in yuan as a number" in response.get_data(as_text=True)
    assert _count(CatalogueItem) == before


def test_editing_an_item_changes_its_ceiling(client, login_as, official, department):
    item = make_catalogue_item(department, ceiling_minor=4000)
    login_as(official)
    form = client.get(f"/procurement/catalogue/items/{item.id}/edit", headers=EN).get_data(as_text=True)
    assert 'value="40"' in form
    response = client.post_form(f"/procurement/catalogue/items/{item.id}/edit", {
        "year": str(item.year), "code": item.code, "name": item.name, "category": item.category, "unit": item.unit,
        "ceiling": "42", "quality_standard": item.quality_standard})
    assert response.status_code == 302
    assert db.session.get(CatalogueItem, item.id).unit_price_ceiling_minor == 4200


# --- the CSV import page -------------------------------------------------------------------------------

def test_a_bad_csv_shows_every_line_and_imports_nothing(client, login_as, official, department):
    login_as(official)
    before = _count(CatalogueItem)
    text = HEADER + "2026,YL-01,上门服务,elderly_care,hour,45,记录\n2026,YL-02,助餐,elderly_care,day,18,按时\n"
    response = client.post_form(f"/procurement/departments/{department.id}/import", {"text": text}, headers=EN)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "1 problem in the file. Nothing was imported." in html and "<td class=\"num\">3</td>" in html
    assert _count(CatalogueItem) == before


def test_an_uploaded_csv_is_imported(client, login_as, official, department):
    login_as(official)
    data = (HEADER + "2026,YL-01,上门服务,养老服务,小时,45,记录\n").encode("utf-8-sig")
    response = client.post_form(f"/procurement/departments/{department.id}/import",
                                {"file": (io.BytesIO(data), "catalogue.csv")},
                                content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalar(select(CatalogueItem.unit).where(CatalogueItem.department_id == department.id)) == "hour"


def test_the_template_downloads_as_a_csv_with_the_header(client, login_as, official):
    login_as(official)
    response = client.get("/procurement/catalogue/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True).lstrip("\ufeff").startswith(HEADER.strip())


# --- qualifications and the minimum wage ---------------------------------------------------------------

def test_an_official_records_and_revokes_a_qualification(client, login_as, tree, official):
    organisation = make_organisation(UserFactory(), tree["community"], status=VERIFIED)
    login_as(official)
    response = client.post_form("/procurement/qualified/new", {
        "organisation": str(organisation.id), "place": str(tree["district"].id), "category": "elderly_care",
        "years_registered": "3", "past_delivery": "两个社区的居家养老服务", "note": ""})
    assert response.status_code == 302
    qualification = db.session.scalar(select(Qualification).where(Qualification.organisation_id == organisation.id))
    assert qualification.years_registered == 3

    no_reason = client.post_form(f"/procurement/qualified/{qualification.id}/revoke", {"reason": ""})
    assert no_reason.status_code == 400 and db.session.get(Qualification, qualification.id).revoked_at is None
    revoked = client.post_form(f"/procurement/qualified/{qualification.id}/revoke", {"reason": "评估不合格"})
    assert revoked.status_code == 302
    assert db.session.get(Qualification, qualification.id).revoked_reason == "评估不合格"


def test_a_pending_organisation_is_not_offered_and_cannot_be_posted(client, login_as, tree, official):
    pending = make_organisation(UserFactory(), tree["community"], status=PENDING, name="待审核的中心")
    login_as(official)
    assert "待审核的中心" not in client.get("/procurement/qualified/new", headers=EN).get_data(as_text=True)
    response = client.post_form("/procurement/qualified/new", {
        "organisation": str(pending.id), "place": str(tree["district"].id), "category": "elderly_care",
        "years_registered": "3", "past_delivery": "服务"}, headers=EN)
    assert response.status_code == 400
    assert _count(Qualification) == 0


def test_the_minimum_wage_page_sets_and_shows_what_applies(client, login_as, tree, official):
    login_as(official)
    response = client.post_form("/procurement/minimum-wages", {"place": str(tree["district"].id), "hourly": "18.5"})
    assert response.status_code == 302
    assert db.session.get(MinimumWage, tree["district"].id).hourly_minor == 1850
    html = client.get("/procurement/minimum-wages", headers=EN).get_data(as_text=True)
    assert html.count("¥18.50") == 3  # the district's own setting, and what applies on it and on its street


def test_the_navigation_leads_to_the_purchase_of_services(client):
    html = client.get("/", headers=EN).get_data(as_text=True)
    assert 'href="/procurement/"' in html and "Purchase of services" in html
    calls_page = client.get("/procurement/", headers=EN).get_data(as_text=True)
    assert 'href="/procurement/catalogue"' in calls_page and 'href="/procurement/qualified"' in calls_page
