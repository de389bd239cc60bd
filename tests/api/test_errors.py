"""Bad input answers a JSON error naming the field, {"error": {"code", "message", "field"}}, never HTML or a 500."""
import pytest


def _error(response, status: int) -> dict:
    assert response.status_code == status and response.mimetype == "application/json", response.data[:300]
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "field"} and error["code"] == str(status) and error["message"]
    return error


@pytest.mark.parametrize("size", ["101", "1000000", "0", "-1", "ten"])
def test_a_bad_page_size_is_a_400_naming_per_page(client, size):
    assert _error(client.get(f"/api/v1/projects?per_page={size}"), 400)["field"] == "per_page"


def test_the_largest_page_size_is_allowed(client):
    assert client.get("/api/v1/cases?per_page=100").status_code == 200


@pytest.mark.parametrize("resource", ["projects", "funds", "campaigns", "gifts", "calls", "awards", "contracts",
                                      "cases"])
def test_an_unknown_filter_is_a_400_naming_it(client, resource):
    error = _error(client.get(f"/api/v1/{resource}?colour=red"), 400)
    assert error["field"] == "colour" and "colour" in error["message"]


def test_an_unknown_status_is_a_400_naming_status(client):
    assert _error(client.get("/api/v1/calls?status=draft"), 400)["field"] == "status"


def test_a_year_out_of_range_is_a_400_naming_year(client):
    assert _error(client.get("/api/v1/cases?year=99999"), 400)["field"] == "year"


def test_a_place_the_portal_does_not_have_is_a_400_naming_place(client):
    assert _error(client.get("/api/v1/contracts?place=987654"), 400)["field"] == "place"


def test_a_missing_object_is_a_json_404(client):
    assert _error(client.get("/api/v1/contracts/987654"), 404)["field"] is None


def test_an_unknown_address_under_the_api_is_a_json_404(client):
    _error(client.get("/api/v1/nothing-here"), 404)


def test_a_wrong_method_is_a_json_405(client):
    _error(client.delete("/api/v1/projects"), 405)


def test_too_many_requests_is_a_json_429(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "2 per minute")
    assert client.get("/api/v1/funds").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200  # one budget for the whole API
    assert "2 per minute" in _error(client.get("/api/v1/projects"), 429)["message"]


def test_an_error_message_speaks_the_callers_language(client):
    error = _error(client.get("/api/v1/projects?per_page=500", headers={"Accept-Language": "zh-CN"}), 400)
    assert "per_page" in error["message"] and "100" in error["message"]
    assert any("\u4e00" <= char <= "\u9fff" for char in error["message"])
