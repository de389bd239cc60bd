"""Reporting a case through the API: an administrator's API key in a header, the case made through the cases
service (via "api"), a resend with the same idempotency key making nothing new, and every refusal as JSON."""
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.cases.models import Case
from portal.extensions import db


def _report(world, **fields) -> dict:
    return {"category_id": world.category.id, "title": "路灯不亮", "place_id": world.tree["grid"].id, **fields}


def _cases() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def _error(response, status: int) -> dict:
    assert response.status_code == status and response.mimetype == "application/json"
    return response.get_json()["error"]


def test_a_report_with_a_bearer_key_makes_a_case_through_the_service(client, world):
    response = client.post("/api/v1/cases", json=_report(world, description="3栋门口的路灯坏了"),
                           headers={"Authorization": f"Bearer {world.raw_key}"})
    assert response.status_code == 201
    case = db.session.get(Case, response.get_json()["id"])
    assert case.reported_via == "api" and case.reporter_id is None and case.place_id == world.tree["grid"].id
    assert case.reference == response.get_json()["reference"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_key.case_reported")).one()
    assert event.object_id == str(world.key.id) and event.after["case"] == case.reference


def test_the_x_api_key_header_works_too(client, world):
    response = client.post("/api/v1/cases", json=_report(world), headers={"X-API-Key": world.raw_key})
    assert response.status_code == 201


def test_a_resend_with_the_same_idempotency_key_makes_no_second_case(client, world):
    headers = {"X-API-Key": world.raw_key}
    first = client.post("/api/v1/cases", json=_report(world, idempotency_key="hotline-778"), headers=headers)
    before = _cases()
    again = client.post("/api/v1/cases", json=_report(world, idempotency_key="hotline-778"), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"] and _cases() == before


def test_a_missing_key_is_a_401(client, world):
    before = _cases()
    response = client.post("/api/v1/cases", json=_report(world))
    assert _error(response, 401)["field"] == "Authorization"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _cases() == before


def test_a_forged_key_is_a_403(client, world):
    before = _cases()
    assert _error(client.post("/api/v1/cases", json=_report(world), headers={"Authorization": "Bearer forged-key"}),
                  403)["field"] == "Authorization"
    assert _cases() == before


def test_a_revoked_key_is_a_403(client, world):
    before = _cases()
    _error(client.post("/api/v1/cases", json=_report(world), headers={"X-API-Key": world.revoked_raw_key}), 403)
    assert _cases() == before


def test_a_missing_field_is_a_400_naming_it(client, world):
    report = _report(world)
    del report["title"]
    assert _error(client.post("/api/v1/cases", json=report, headers={"X-API-Key": world.raw_key}),
                  400)["field"] == "title"


def test_an_unknown_field_is_a_400_naming_it(client, world):
    error = _error(client.post("/api/v1/cases", json=_report(world, reporter_id=1),
                               headers={"X-API-Key": world.raw_key}), 400)
    assert error["field"] == "reporter_id"


def test_a_category_the_service_refuses_is_a_400_naming_it(client, world):
    error = _error(client.post("/api/v1/cases", json=_report(world, category_id=987654),
                               headers={"X-API-Key": world.raw_key}), 400)
    assert error["field"] == "category_id"


def test_a_point_outside_the_city_is_a_400_naming_it(client, world):
    error = _error(client.post("/api/v1/cases", json=_report(world, latitude=10.0, longitude=10.0),
                               headers={"X-API-Key": world.raw_key}), 400)
    assert error["field"] == "latitude"


def test_a_key_is_never_taken_from_the_address(client, world):
    _error(client.post(f"/api/v1/cases?api_key={world.raw_key}", json=_report(world)), 401)
