"""Fixtures for the needs tests: a place tree with two communities, residents and the workers."""
import pytest
from flask_babel import force_locale

from portal.accounts import roles
from tests.factories.accounts import UserFactory, grant
from tests.factories.places import make_place, make_tree


@pytest.fixture
def english():
    """Services outside a request speak Chinese (the default); service tests read the English messages."""
    with force_locale("en"):
        yield


@pytest.fixture
def tree():
    places = make_tree()
    places["grid2"] = make_place("grid", "铁路坝第2网格", places["community"])
    places["community2"] = make_place("community", "东山花园社区", places["street"])
    return places


@pytest.fixture
def resident():
    return UserFactory(locale="en")


@pytest.fixture
def worker(tree):
    """The community worker of 铁路坝社区."""
    user = UserFactory(locale="en")
    grant(user, roles.COMMUNITY_WORKER, tree["community"])
    return user


@pytest.fixture
def grid_worker(tree):
    """The grid worker of 铁路坝第1网格."""
    user = UserFactory(locale="en")
    grant(user, roles.GRID_WORKER, tree["grid"])
    return user
