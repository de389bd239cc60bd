"""Open311 GeoReport v2 (portal/cases/open311.py, views/open311.py): every endpoint in JSON and XML with the spec's
fields, the spec's error documents, API keys (portal/cases/api_keys.py) and a run of the `georeport` client."""
import hashlib
import threading
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from werkzeug.serving import make_server

from portal.accounts import roles
from portal.audit.models import AuditEvent
from portal.cases import api_keys
from portal.cases.models import CLOSED, HANDLING, REJECTED, REPORT_PHOTO, ApiKey, Case, CasePhoto
from portal.core.errors import IllegalTransition
from portal.core.time import utcnow
from portal.extensions import db
from tests.concurrency import snapshot
from tests.factories.accounts import UserFactory, grant
from tests.factories.cases import make_case, make_category
from tests.factories.places import make_tree
from tests.factories.procurement import make_department

API = "/open311/v2"
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "address",
                  "address_id", "lat", "long"}
IN_THE_CITY = {"lat": "30.70", "long": "111.29"}  # Yichang, inside the default CASE_CITY_BOUNDS


def build_world():
    tree = make_tree()
    department = make_department(tree["district"], "西陵区城市管理局")
    dumping = make_category(tree["street"], department, code="DUMP", name="楼道堆物",
                            description="楼道、消防通道堆放杂物")
    private = make_category(tree["street"], department, code="HIDE", name="家庭纠纷", is_public=False)
    admin = UserFactory(email="open311-admin@example.org")
    grant(admin, roles.PLATFORM_ADMIN)
    resident = UserFactory(email="open311-resident@example.org")
    key, raw = api_keys.issue_key(admin, "12345热线")
    open_case = make_case(dumping, tree["grid"], resident, status=HANDLING, latitude=30.7, longitude=111.29,
                          title="3栋楼道堆满杂物", next_due_at=utcnow() + timedelta(hours=20))
    closed_case = make_case(dumping, tree["grid"], resident, status=CLOSED, closed_at=utcnow())
    hidden_case = make_case(private, tree["grid"], resident)
    return {"tree": tree, "department": department, "category": dumping, "private": private, "admin": admin,
            "resident": resident, "key": key, "raw_key": raw, "open_case": open_case, "closed_case": closed_case,
            "hidden_case": hidden_case}


@pytest.fixture
def world():
    return build_world()


def case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def xml_of(response) -> ET.Element:
    assert response.content_type.startswith("text/xml")
    return ET.fromstring(response.data)


def post(client, fmt="json", **fields):
    return client.post(f"{API}/requests.{fmt}", data=fields)


# --- discovery and services ---------------------------------------------------------------------------------

def test_discovery_names_the_specification_and_both_formats(client):
    document = client.get(f"{API}/discovery.json").get_json()
    endpoint = document["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["formats"] == ["application/json", "text/xml"]
    root = xml_of(client.get(f"{API}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["application/json", "text/xml"]


def test_services_in_json_carry_the_spec_fields(client, world):
    services = client.get(f"{API}/services.json").get_json()
    dumping = next(service for service in services if service["service_code"] == "DUMP")
    assert set(dumping) == SERVICE_FIELDS
    assert dumping["service_name"] == "楼道堆物"
    assert dumping["metadata"] is False and dumping["type"] == "realtime"
    assert dumping["keywords"] == "西陵区城市管理局" and dumping["group"] == world["tree"]["street"].name


def test_services_in_xml_are_services_of_service_elements(client, world):
    root = xml_of(client.get(f"{API}/services.xml"))
    assert root.tag == "services"
    dumping = next(s for s in root.findall("service") if s.findtext("service_code") == "DUMP")
    assert {child.tag for child in dumping} == SERVICE_FIELDS
    assert dumping.findtext("metadata") == "false" and dumping.findtext("service_name") == "楼道堆物"


def test_an_inactive_category_is_not_a_service(client, world):
    world["category"].is_active = False
    codes = {service["service_code"] for service in client.get(f"{API}/services.json").get_json()}
    assert "DUMP" not in codes and "HIDE" in codes


def test_a_service_definition_has_its_code_and_attributes_in_both_formats(client, world):
    assert client.get(f"{API}/services/DUMP.json").get_json() == {"service_code": "DUMP", "attributes": []}
    root = xml_of(client.get(f"{API}/services/DUMP.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "DUMP" and root.find("attributes") is not None


def test_an_unknown_service_code_is_a_404_error_document_in_both_formats(client, world):
    response = client.get(f"{API}/services/NOPE.json")
    assert response.status_code == 404
    [error] = response.get_json()
    assert error["code"] == 404 and "NOPE" in error["description"]
    response = client.get(f"{API}/services/NOPE.xml")
    assert response.status_code == 404
    root = xml_of(response)
    assert root.tag == "errors" and root.findtext("error/code") == "404"
    assert "NOPE" in root.findtext("error/description")


def test_a_format_other_than_json_or_xml_is_a_404_error_document(client):
    response = client.get(f"{API}/services.csv")
    assert response.status_code == 404
    assert response.get_json()[0]["code"] == 404


# --- reading requests ---------------------------------------------------------------------------------------

def test_requests_in_json_carry_the_spec_fields_of_a_public_case(client, world):
    rows = client.get(f"{API}/requests.json").get_json()
    row = next(row for row in rows if row["service_request_id"] == world["open_case"].reference)
    assert set(row) >= REQUEST_FIELDS
    assert row["status"] == "open" and row["service_code"] == "DUMP" and row["service_name"] == "楼道堆物"
    assert row["agency_responsible"] == "西陵区城市管理局"
    assert row["address"] == world["tree"]["grid"].name and row["address_id"] == world["tree"]["grid"].id
    assert (row["lat"], row["long"]) == (30.7, 111.29)
    assert row["requested_datetime"].endswith("+08:00") and row["expected_datetime"].endswith("+08:00")
    assert row["description"].startswith("3栋楼道堆满杂物")


def test_requests_never_show_a_case_of_a_category_that_is_not_public(client, world):
    ids = {row["service_request_id"] for row in client.get(f"{API}/requests.json").get_json()}
    assert world["open_case"].reference in ids and world["hidden_case"].reference not in ids
    assert client.get(f"{API}/requests/{world['hidden_case'].reference}.json").status_code == 404


def test_requests_in_xml_are_service_requests_of_request_elements(client, world):
    root = xml_of(client.get(f"{API}/requests.xml"))
    assert root.tag == "service_requests"
    request = next(r for r in root.findall("request")
                   if r.findtext("service_request_id") == world["open_case"].reference)
    assert {child.tag for child in request} >= REQUEST_FIELDS
    assert request.findtext("status") == "open" and request.findtext("lat") == "30.7"


def test_a_closed_case_is_closed_and_has_no_expected_datetime(client, world):
    [row] = client.get(f"{API}/requests/{world['closed_case'].reference}.json").get_json()
    assert row["status"] == "closed" and "expected_datetime" not in row


def test_a_rejected_case_is_closed_with_its_reason_in_the_status_notes(client, world):
    case = make_case(world["category"], world["tree"]["grid"], world["resident"], status=REJECTED,
                     rejection_reason="重复上报")
    [row] = client.get(f"{API}/requests/{case.reference}.json").get_json()
    assert row["status"] == "closed" and "重复上报" in row["status_notes"]


def test_a_case_handled_by_a_contracted_organisation_names_it_as_the_agency(client, world):
    from portal.orgs.models import VERIFIED
    from tests.factories.contracts import make_contract
    from tests.factories.orgs import make_organisation

    organisation = make_organisation(world["admin"], world["tree"]["community"], status=VERIFIED, name="阳光物业服务社")
    official = UserFactory()
    contract = make_contract(world["department"], organisation, official, place=world["tree"]["street"])
    category = make_category(world["tree"]["street"], None, code="WUYE", name="物业报修", contract_id=contract.id)
    case = make_case(category, world["tree"]["grid"], world["resident"], contract_id=contract.id)
    [row] = client.get(f"{API}/requests/{case.reference}.json").get_json()
    assert row["agency_responsible"] == "阳光物业服务社"


def test_media_url_is_the_address_of_the_first_photo_and_absent_without_one(app, client, world):
    photo = CasePhoto(case_id=world["open_case"].id, stage=REPORT_PHOTO, storage_key="x.jpg", content_type="image/jpeg",
                      width=10, height=10, size=100, sha256="0" * 64)
    db.session.add(photo)
    db.session.flush()
    rows = {row["service_request_id"]: row for row in client.get(f"{API}/requests.json").get_json()}
    assert rows[world["open_case"].reference]["media_url"].endswith(
        f"/cases/{world['open_case'].id}/photos/{photo.id}")
    assert "media_url" not in rows[world["closed_case"].reference]


def test_requests_filter_by_status(client, world):
    closed = {row["service_request_id"] for row in client.get(f"{API}/requests.json?status=closed").get_json()}
    assert closed == {world["closed_case"].reference}
    both = client.get(f"{API}/requests.json?status=open,closed").get_json()
    assert len(both) == 2


def test_requests_filter_by_service_code(client, world):
    other = make_category(world["tree"]["street"], world["department"], code="LAMP", name="路灯不亮")
    lamp = make_case(other, world["tree"]["grid"], world["resident"])
    rows = client.get(f"{API}/requests.json?service_code=LAMP").get_json()
    assert [row["service_request_id"] for row in rows] == [lamp.reference]


def test_requests_filter_by_dates_and_default_to_the_last_90_days(client, world):
    old = make_case(world["category"], world["tree"]["grid"], world["resident"],
                    reported_at=utcnow() - timedelta(days=120))
    recent = {row["service_request_id"] for row in client.get(f"{API}/requests.json").get_json()}
    assert old.reference not in recent and world["open_case"].reference in recent
    start = (utcnow() - timedelta(days=121)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (utcnow() - timedelta(days=119)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = client.get(f"{API}/requests.json?start_date={start}&end_date={end}").get_json()
    assert [row["service_request_id"] for row in rows] == [old.reference]


def test_a_window_wider_than_90_days_is_a_400(client, world):
    response = client.get(f"{API}/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z")
    assert response.status_code == 400 and response.get_json()[0]["code"] == 400


def test_a_date_that_is_not_a_datetime_is_a_400_in_xml_too(client, world):
    response = client.get(f"{API}/requests.xml?start_date=yesterday")
    assert response.status_code == 400
    assert xml_of(response).findtext("error/code") == "400"


def test_an_unknown_status_filter_is_a_400(client, world):
    assert client.get(f"{API}/requests.json?status=pending").status_code == 400


def test_service_request_ids_override_the_other_filters(client, world):
    ids = f"{world['open_case'].reference},{world['closed_case'].reference}"
    rows = client.get(f"{API}/requests.json?service_request_id={ids}&status=open&service_code=LAMP").get_json()
    assert {row["service_request_id"] for row in rows} == set(ids.split(","))


def test_one_request_in_both_formats(client, world):
    reference = world["open_case"].reference
    [row] = client.get(f"{API}/requests/{reference}.json").get_json()
    assert row["service_request_id"] == reference and set(row) >= REQUEST_FIELDS
    root = xml_of(client.get(f"{API}/requests/{reference}.xml"))
    assert root.tag == "service_requests" and root.findtext("request/service_request_id") == reference


def test_an_unknown_request_is_a_404_error_document(client, world):
    response = client.get(f"{API}/requests/AJ-20260101-99999.xml")
    assert response.status_code == 404 and xml_of(response).findtext("error/code") == "404"


def test_the_requests_list_takes_the_same_queries_however_many_cases(client, world, count_queries):
    def queries() -> int:
        with count_queries() as statements:
            assert client.get(f"{API}/requests.json").status_code == 200
        return len(statements)

    few = queries()
    for n in range(4):
        make_case(world["category"], world["tree"]["grid"], world["resident"], title=f"第{n}栋堆物")
    assert queries() == few


# --- posting a request --------------------------------------------------------------------------------------

def test_a_post_with_a_key_reports_a_case_via_open311(client, world):
    before = case_count()
    response = post(client, api_key=world["raw_key"], service_code="DUMP", description="5栋门口堆了建筑垃圾\n很多",
                    first_name="王", last_name="芳", **IN_THE_CITY)
    assert response.status_code == 200
    [answer] = response.get_json()
    assert {"service_request_id", "service_notice", "token"} <= set(answer)
    case = db.session.scalar(select(Case).where(Case.reference == answer["service_request_id"]))
    assert case_count() == before + 1
    assert case.reported_via == "open311" and case.reporter_id is None and case.reporter_name == "王 芳"
    assert case.title == "5栋门口堆了建筑垃圾" and (case.latitude, case.longitude) == (30.70, 111.29)
    assert case.category_id == world["category"].id and "西陵区城市管理局" in answer["service_notice"]


def test_a_post_answers_in_xml(client, world):
    response = post(client, "xml", api_key=world["raw_key"], service_code="DUMP", description="垃圾桶满了",
                    **IN_THE_CITY)
    root = xml_of(response)
    assert response.status_code == 200 and root.tag == "service_requests"
    assert root.findtext("request/service_request_id").startswith("AJ-")
    assert root.find("request/service_notice") is not None


def test_address_id_is_the_place_of_the_case(client, world):
    grid = world["tree"]["grid"]
    [answer] = post(client, api_key=world["raw_key"], service_code="DUMP", description="楼道堆物",
                    address_id=str(grid.id)).get_json()
    case = db.session.scalar(select(Case).where(Case.reference == answer["service_request_id"]))
    assert case.place_id == grid.id and case.latitude is None


def test_an_address_string_naming_a_place_under_the_category_is_its_place(client, world):
    community = world["tree"]["community"]
    [answer] = post(client, api_key=world["raw_key"], service_code="DUMP", address_string=community.name).get_json()
    case = db.session.scalar(select(Case).where(Case.reference == answer["service_request_id"]))
    assert case.place_id == community.id and case.title == "楼道堆物"


def test_an_address_string_that_is_no_place_is_kept_in_the_description(client, world):
    [answer] = post(client, api_key=world["raw_key"], service_code="DUMP", description="堆物",
                    address_string="东山大道12号", media_url="https://example.org/p.jpg").get_json()
    case = db.session.scalar(select(Case).where(Case.reference == answer["service_request_id"]))
    assert case.place_id == world["category"].place_id
    assert "东山大道12号" in case.description and "https://example.org/p.jpg" in case.description


def test_the_email_of_an_account_never_makes_a_case_in_its_name(client, world):
    [answer] = post(client, api_key=world["raw_key"], service_code="DUMP", email="OPEN311-resident@example.org",
                    first_name="王", last_name="五", **IN_THE_CITY).get_json()
    assert "account_id" not in answer
    case = db.session.scalar(select(Case).where(Case.reference == answer["service_request_id"]))
    assert case.reporter_id is None and case.reporter_name == "王 五"


def test_a_replayed_post_with_the_same_idempotency_key_stores_one_case(client, world):
    fields = dict(api_key=world["raw_key"], service_code="DUMP", description="重发的上报", idempotency_key="phone-1",
                  **IN_THE_CITY)
    first = post(client, **fields).get_json()[0]
    before = case_count()
    again = post(client, **fields).get_json()[0]
    assert again["service_request_id"] == first["service_request_id"]
    assert case_count() == before


def test_the_idempotency_key_header_works_as_the_parameter(client, world):
    fields = dict(api_key=world["raw_key"], service_code="DUMP", **IN_THE_CITY)
    first = client.post(f"{API}/requests.json", data=fields, headers={"Idempotency-Key": "hdr-7"}).get_json()[0]
    before = case_count()
    again = client.post(f"{API}/requests.json", data=fields, headers={"Idempotency-Key": "hdr-7"}).get_json()[0]
    assert again["service_request_id"] == first["service_request_id"] and case_count() == before


def test_two_keys_may_use_the_same_idempotency_key_without_meeting(client, world):
    _other, other_raw = api_keys.issue_key(world["admin"], "网格App")
    first = post(client, api_key=world["raw_key"], service_code="DUMP", idempotency_key="k1", **IN_THE_CITY)
    second = post(client, api_key=other_raw, service_code="DUMP", idempotency_key="k1", **IN_THE_CITY)
    assert first.get_json()[0]["service_request_id"] != second.get_json()[0]["service_request_id"]


def test_a_posted_request_is_audited_with_its_key(client, world):
    [answer] = post(client, api_key=world["raw_key"], service_code="DUMP", **IN_THE_CITY).get_json()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_key.request_posted"))
    assert event.object_id == str(world["key"].id) and event.after["case"] == answer["service_request_id"]


def test_the_token_of_a_post_finds_its_request_in_both_formats(client, world):
    [answer] = post(client, api_key=world["raw_key"], service_code="DUMP", **IN_THE_CITY).get_json()
    [row] = client.get(f"{API}/tokens/{answer['token']}.json").get_json()
    assert row == {"service_request_id": answer["service_request_id"], "token": answer["token"]}
    root = xml_of(client.get(f"{API}/tokens/{answer['token']}.xml"))
    assert root.findtext("request/service_request_id") == answer["service_request_id"]


def test_an_unknown_token_is_a_404(client, world):
    assert client.get(f"{API}/tokens/o311-1-nothing.json").status_code == 404


@pytest.mark.parametrize("api_key", [None, "", "forged-key-0123456789"])
def test_a_post_without_a_live_key_is_a_403_error_document_and_stores_nothing(client, world, api_key):
    before = case_count()
    fields = {"service_code": "DUMP", **IN_THE_CITY}
    if api_key is not None:
        fields["api_key"] = api_key
    response = post(client, **fields)
    assert response.status_code == 403
    assert response.get_json()[0]["code"] == 403
    assert case_count() == before


def test_a_revoked_key_posts_nothing_in_xml_either(client, world):
    api_keys.revoke_key(world["key"], world["admin"])
    before = case_count()
    response = post(client, "xml", api_key=world["raw_key"], service_code="DUMP", **IN_THE_CITY)
    assert response.status_code == 403 and xml_of(response).findtext("error/code") == "403"
    assert case_count() == before


@pytest.mark.parametrize("fields, words", [
    ({"service_code": "NOPE", **IN_THE_CITY}, "NOPE"),
    ({**IN_THE_CITY}, "service_code"),
    ({"service_code": "DUMP"}, "lat"),
    ({"service_code": "DUMP", "lat": "north", "long": "111.29"}, "lat"),
    ({"service_code": "DUMP", "lat": "39.90", "long": "116.40"}, ""),  # Beijing: outside the city
    ({"service_code": "DUMP", "address_id": "999999"}, "address_id"),
    ({"service_code": "DUMP", "media_url": "javascript:alert(1)", **IN_THE_CITY}, "media_url"),
    ({"service_code": "DUMP", "idempotency_key": "has spaces", **IN_THE_CITY}, "idempotency_key"),
    ({"service_code": "DUMP", "description": "bad\x00byte", **IN_THE_CITY}, "description"),
    ({"service_code": "DUMP", "address_id": "١٢"}, "address_id"),
])
def test_a_bad_post_is_a_400_error_document_and_stores_nothing(client, world, fields, words):
    before = case_count()
    response = post(client, api_key=world["raw_key"], **fields)
    assert response.status_code == 400
    [error] = response.get_json()
    assert error["code"] == 400 and words in error["description"]
    assert case_count() == before


def test_a_place_outside_the_category_is_a_400(client, world):
    other_street = make_tree()["grid"]
    before = case_count()
    response = post(client, api_key=world["raw_key"], service_code="DUMP", address_id=str(other_street.id))
    assert response.status_code == 400 and case_count() == before


def test_a_code_shared_by_two_streets_is_told_apart_by_the_address(client, world):
    elsewhere = make_tree()
    twin = make_category(elsewhere["street"], world["department"], code="DUMP", name="楼道堆物")
    assert post(client, api_key=world["raw_key"], service_code="DUMP", **IN_THE_CITY).status_code == 400
    [answer] = post(client, api_key=world["raw_key"], service_code="DUMP",
                    address_id=str(elsewhere["grid"].id)).get_json()
    case = db.session.scalar(select(Case).where(Case.reference == answer["service_request_id"]))
    assert case.category_id == twin.id


# --- API keys -----------------------------------------------------------------------------------------------

def test_only_the_hash_and_a_prefix_of_a_key_are_stored(world):
    key, raw = world["key"], world["raw_key"]
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest() and key.key_prefix == raw[:8]
    assert raw not in {key.name, key.key_hash}


def test_using_a_key_stamps_it(world):
    assert world["key"].last_used_at is None
    assert api_keys.key_for(world["raw_key"]) is world["key"]
    assert world["key"].last_used_at is not None


def test_a_key_is_revoked_once(world):
    api_keys.revoke_key(world["key"], world["admin"])
    assert api_keys.key_for(world["raw_key"]) is None
    with pytest.raises(IllegalTransition):
        api_keys.revoke_key(world["key"], world["admin"])


def test_issuing_and_revoking_are_audited(world):
    api_keys.revoke_key(world["key"], world["admin"])
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "api_key",
                                                                     AuditEvent.object_id == str(world["key"].id))))
    assert actions == {"api_key.issued", "api_key.revoked"}


def test_the_administrator_is_shown_a_new_key_once(client, login_as, world):
    login_as(world["admin"])
    response = client.post_form("/cases/api-keys", {"name": "区12345热线"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    key = db.session.scalar(select(ApiKey).where(ApiKey.name == "区12345热线"))
    page = response.get_data(as_text=True)
    shown = page.split('id="new-key">')[1].split("<")[0]
    assert hashlib.sha256(shown.encode()).hexdigest() == key.key_hash
    assert shown not in client.get("/cases/api-keys").get_data(as_text=True)


def test_a_key_without_a_name_is_refused_beside_the_field(client, login_as, world):
    login_as(world["admin"])
    before = db.session.scalar(select(func.count()).select_from(ApiKey))
    assert client.post_form("/cases/api-keys", {"name": ""}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ApiKey)) == before


def test_the_administrator_revokes_a_key_from_the_page(client, login_as, world):
    login_as(world["admin"])
    response = client.post_form(f"/cases/api-keys/{world['key'].id}/revoke", token_from="/cases/api-keys")
    assert response.status_code == 302
    assert world["key"].revoked_at is not None
    assert post(client, api_key=world["raw_key"], service_code="DUMP", **IN_THE_CITY).status_code == 403


def test_people_who_are_not_platform_administrators_cannot_manage_keys(client, login_as, world):
    login_as(world["resident"])
    assert client.get("/cases/api-keys").status_code == 403
    response = client.post(f"/cases/api-keys/{world['key'].id}/revoke",
                           data={"csrf_token": client.csrf_token("/")})
    assert response.status_code == 403 and world["key"].revoked_at is None


# --- the `georeport` client library against a live server ---------------------------------------------------

@pytest.fixture
def served(app):
    """The app on a loopback port over the committed world, every row it made deleted afterwards."""
    with app.app_context():
        marks = snapshot()  # the highest integer id of every table (audit_events apart)
        marks["audit_events"] = db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
        made = build_world()
        values = {"raw_key": made["raw_key"], "open_case": made["open_case"].reference}
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    server_name = app.config.get("SERVER_NAME")
    app.config["SERVER_NAME"] = None
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{API}", values
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        app.config["SERVER_NAME"] = server_name
        with app.app_context(), db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":  # audit rows are append-only through a trigger
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            for table in reversed(db.metadata.sorted_tables):
                if table.name in marks:
                    connection.execute(table.delete().where(table.c.id > marks[table.name]))


@pytest.mark.no_db_session
@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_the_georeport_client_lists_defines_posts_and_reads_back(served, output_format):
    import requests
    from georeport import GeoReport

    root, values = served
    client = GeoReport(root, api_key=values["raw_key"], output_format=output_format)
    services = client.get_service_list()
    services = services if isinstance(services, list) else [services]  # xmltodict: one element is no list
    assert "DUMP" in {service["service_code"] for service in services}
    definition = client.get_service_definition("DUMP")
    assert definition["service_code"] == "DUMP"
    # the library reads but does not post: the post goes to the same root with the client's own key
    posted = requests.post(f"{root}/requests.{output_format}", timeout=10,
                           data={"api_key": client.api_key, "service_code": "DUMP", "description": "客户端上报",
                                 **IN_THE_CITY})
    assert posted.status_code == 200, posted.text
    if output_format == "json":
        reference = posted.json()[0]["service_request_id"]
    else:
        reference = ET.fromstring(posted.content).findtext("request/service_request_id")
    one = client.get_service_request(reference)
    assert one["service_request_id"] == reference and one["status"] == "open"
    assert one["service_code"] == "DUMP" and one["description"] == "客户端上报"
    listed = client.get_service_requests(service_request_id=f"{reference},{values['open_case']}")
    assert {row["service_request_id"] for row in listed} == {reference, values["open_case"]}
    open_ones = client.get_service_requests(status="open", service_code="DUMP")
    open_ones = open_ones if isinstance(open_ones, list) else [open_ones]
    assert reference in {row["service_request_id"] for row in open_ones}
