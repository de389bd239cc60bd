"""Fixtures for the project tests: a small place tree, a verified organisation with a member, a worker."""
import pytest

from portal.accounts import roles
from portal.orgs.models import VERIFIED
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation
from tests.factories.places import make_place, make_tree
from tests.factories.projects import make_indicator, make_project


@pytest.fixture
def tree():
    places = make_tree()
    places["community2"] = make_place("community", "东山花园社区", places["street"])
    return places


@pytest.fixture
def member():
    return UserFactory(locale="en")


@pytest.fixture
def organisation(member, tree):
    organisation = make_organisation(member, tree["community"], status=VERIFIED)
    grant(member, roles.ORG_ADMIN, organisation)
    return organisation


@pytest.fixture
def worker(tree):
    """The community worker of 铁路坝社区 (the project's place)."""
    user = UserFactory(locale="en")
    grant(user, roles.COMMUNITY_WORKER, tree["community"])
    return user


@pytest.fixture
def project(organisation, member, tree):
    return make_project(organisation, member, [tree["community"]], status="in_progress", title="独居老人助餐服务")


@pytest.fixture
def indicator(project):
    return make_indicator(project)
