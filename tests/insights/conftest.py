"""The insights pages' tests read English messages (the portal answers in Chinese unless asked otherwise)."""
import pytest


@pytest.fixture(autouse=True)
def english(request):
    if "client" in request.fixturenames:
        request.getfixturevalue("client").get("/lang/en").close()
