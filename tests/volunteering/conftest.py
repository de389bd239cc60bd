"""Fixtures for volunteering tests: a place tree, an organisation with a published project, an opportunity."""
import pytest

from tests.factories.accounts import UserFactory
from tests.factories.places import make_tree
from tests.factories.volunteering import make_opportunity, make_organiser_and_project


@pytest.fixture
def tree():
    return make_tree()


@pytest.fixture
def organiser_and_project(tree):
    return make_organiser_and_project(tree["community"])


@pytest.fixture
def organiser(organiser_and_project):
    return organiser_and_project[0]


@pytest.fixture
def project(organiser_and_project):
    return organiser_and_project[1]


@pytest.fixture
def opportunity(project, organiser):
    return make_opportunity(project, organiser)


@pytest.fixture
def volunteer():
    return UserFactory(locale="en")
