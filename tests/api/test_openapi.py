"""The OpenAPI document: valid OpenAPI 3, generated from the code, and true: every documented endpoint answers
200 (201 for the write) with a document its schema accepts."""
import re

from openapi_spec_validator import validate

from tests.api.schema_check import problems, response_schema


def _url(path: str, ids: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: str(ids[match.group(1)]), path)


def test_the_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.0")


def test_every_resource_has_a_list_and_a_one_object_route(document):
    for resource in ("projects", "funds", "campaigns", "gifts", "calls", "awards", "contracts", "cases"):
        assert "get" in document["paths"][f"/api/v1/{resource}"]
        one = [path for path in document["paths"] if re.fullmatch(rf"/api/v1/{resource}/\{{\w+\}}", path)]
        assert len(one) == 1 and "get" in document["paths"][one[0]]


def test_every_documented_read_answers_what_its_schema_describes(client, world, document):
    ids = world.ids()
    called = []
    for path, item in document["paths"].items():
        if "get" not in item:
            continue
        response = client.get(_url(path, ids))
        assert response.status_code == 200, (path, response.get_json())
        found = problems(document, response_schema(document, path, "get", 200), response.get_json())
        assert not found, (path, found)
        called.append(path)
    assert len(called) == 16


def test_every_list_finds_the_worlds_objects(client, world, document):
    for path in document["paths"]:
        if "{" not in path:
            assert client.get(path).get_json()["meta"]["total"] >= 1, path


def test_the_documented_write_answers_what_its_schema_describes(client, world, document):
    response = client.post("/api/v1/cases", json={"category_id": world.category.id, "title": "路灯不亮"},
                           headers={"Authorization": f"Bearer {world.raw_key}"})
    assert response.status_code == 201
    assert not problems(document, response_schema(document, "/api/v1/cases", "post", 201), response.get_json())


def test_errors_answer_the_documented_error_document(client, world, document):
    response = client.get("/api/v1/projects?per_page=1000")
    assert response.status_code == 400
    assert not problems(document, response_schema(document, "/api/v1/projects", "get", 400), response.get_json())


def test_the_write_documents_its_keys(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["apiKeyHeader"]["name"] == "X-API-Key"
    assert document["paths"]["/api/v1/cases"]["post"]["security"] == [{"bearerAuth": []}, {"apiKeyHeader": []}]
    assert "security" not in document["paths"]["/api/v1/cases"]["get"]


def test_the_page_lists_every_endpoint_in_both_languages(client, document):
    english = client.get("/api/v1/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    chinese = client.get("/api/v1/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    for path in document["paths"]:
        assert path in english and path in chinese
    assert "Public API" in english and "公开接口" in chinese
    assert "cdn" not in english.lower() and "swagger" not in english.lower()
