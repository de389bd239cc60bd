"""The open-data routes: pages of packages with links.next, clear errors for a bad page, a draft's 404, query
counts that do not grow with calls, the CLI writing valid packages."""
import json

import pytest

from portal.opendata import validation, views
from tests.factories.procurement import make_call
from tests.opendata.world import OpenDataWorld


@pytest.fixture
def world(app):
    return OpenDataWorld()


def test_the_releases_route_answers_a_valid_release_package(client, world):
    response = client.get("/opendata/ocds/releases.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    package = response.get_json()
    assert {r["ocid"] for r in package["releases"]} == {f"ocds-cnportal-{world.done.id}",
                                                         f"ocds-cnportal-{world.sealed.id}"}
    assert "links" not in package
    assert validation.errors(package) == []


def test_the_records_route_answers_a_valid_record_package(client, world):
    package = client.get("/opendata/ocds/records.json").get_json()
    assert len(package["records"]) == 2
    assert validation.errors(package, "record") == []


def test_a_call_has_its_own_releases_and_record(client, world):
    releases = client.get(f"/opendata/ocds/calls/{world.done.id}/releases.json").get_json()
    record = client.get(f"/opendata/ocds/calls/{world.done.id}/record.json").get_json()
    assert {r["ocid"] for r in releases["releases"]} == {f"ocds-cnportal-{world.done.id}"}
    assert [linked["url"].split("#")[1] for linked in record["records"][0]["releases"]] == \
        [r["id"] for r in releases["releases"]]


def test_a_draft_is_not_open_data_even_to_its_buyer(client, login_as, world):
    login_as(world.world.official)
    response = client.get(f"/opendata/ocds/calls/{world.draft.id}/releases.json")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "404"
    assert client.get(f"/opendata/ocds/calls/{world.draft.id}/record.json").status_code == 404
    body = client.get("/opendata/ocds/releases.json").get_data(as_text=True)
    assert world.draft.reference not in body


def test_the_packages_are_paged_with_links_next(client, world, monkeypatch):
    monkeypatch.setattr(views, "CALLS_PER_PAGE", 1)
    first = client.get("/opendata/ocds/releases.json").get_json()
    assert first["links"]["next"].endswith("/opendata/ocds/releases.json?page=2")
    second = client.get("/opendata/ocds/releases.json?page=2").get_json()
    assert "links" not in second
    assert {r["ocid"] for r in first["releases"]} | {r["ocid"] for r in second["releases"]} == \
        {f"ocds-cnportal-{world.done.id}", f"ocds-cnportal-{world.sealed.id}"}
    records = client.get("/opendata/ocds/records.json").get_json()
    assert records["links"]["next"].endswith("/opendata/ocds/records.json?page=2")


@pytest.mark.parametrize("page", ["0", "abc", "-1", "99999999999"])
def test_a_bad_page_is_a_clear_json_error_naming_the_field(client, world, page):
    response = client.get(f"/opendata/ocds/releases.json?page={page}")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "page"


def test_a_page_past_the_last_is_a_json_404_naming_the_field(client, world):
    response = client.get("/opendata/ocds/records.json?page=7")
    assert response.status_code == 404
    assert response.get_json()["error"]["field"] == "page"


def test_the_package_route_query_count_does_not_grow_with_calls(client, world, count_queries):
    client.get("/opendata/ocds/releases.json")  # warm up (the app's first request loads settings)
    with count_queries() as few:
        assert client.get("/opendata/ocds/records.json").status_code == 200
    for _ in range(4):
        extra = OpenDataWorld()
        make_call(extra.world.department, extra.world.official)
    with count_queries() as many:
        package = client.get("/opendata/ocds/records.json").get_json()
    assert len(package["records"]) == 2 + 4 * 3
    assert len(many) == len(few)


def test_the_index_page_links_the_packages_and_tables(client):
    response = client.get("/opendata/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "/opendata/ocds/releases.json" in text and "/opendata/payments.xlsx" in text
    assert "CC BY 4.0" in text


def test_the_cli_writes_valid_packages(runner, world, tmp_path):
    result = runner.invoke(args=["opendata", "ocds", "--out", str(tmp_path), "--base-url", "https://portal.example.org"])
    assert result.exit_code == 0, result.output
    releases = json.loads((tmp_path / "releases.json").read_text(encoding="utf-8"))
    records = json.loads((tmp_path / "records.json").read_text(encoding="utf-8"))
    assert validation.errors(releases) == [] and validation.errors(records, "record") == []
    assert releases["uri"] == "https://portal.example.org/opendata/ocds/releases.json"
    assert (tmp_path / "calls" / f"{world.done.id}-releases.json").exists()
    assert not (tmp_path / "calls" / f"{world.draft.id}-releases.json").exists()
