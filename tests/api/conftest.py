import pytest

from tests.api.world import ApiWorld


@pytest.fixture
def world(app):
    return ApiWorld()


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()
