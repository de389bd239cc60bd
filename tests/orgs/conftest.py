"""Shared pieces for the organisation tests: a small place tree and people in their roles."""
import pytest

from portal.accounts import roles
from tests.factories.accounts import UserFactory, grant
from tests.factories.places import make_place, make_tree


@pytest.fixture
def places():
    tree = make_tree()
    tree["other_street"] = make_place("street", "西陵街道", tree["district"])
    tree["other_community"] = make_place("community", "云集社区", tree["other_street"])
    return tree


@pytest.fixture
def founder():
    return UserFactory(email="founder@example.org", locale="en")


@pytest.fixture
def street_official(places):
    """An official over the street of `places["community"]` only."""
    official = UserFactory(email="street.official@example.org", locale="en")
    grant(official, roles.OFFICIAL, places["street"])
    return official


@pytest.fixture
def other_official(places):
    """An official over another street: out of scope for organisations in `places["community"]`."""
    official = UserFactory(email="other.official@example.org", locale="en")
    grant(official, roles.OFFICIAL, places["other_street"])
    return official
