"""A street with a department that handles a category of cases, and the people of the loop."""
from types import SimpleNamespace

import pytest

from portal.accounts import roles
from tests.factories.accounts import UserFactory, grant
from tests.factories.cases import make_category
from tests.factories.places import make_place, make_tree
from tests.factories.procurement import make_department


@pytest.fixture
def loop(db_session):
    """tree (district > street > community > grid, plus a second grid), the street's department and its official
    (the handler), a community worker, the grid's grid worker, a resident who reports, and a category on the
    street handled by the department (accept 2 h, handle 72 h, feedback 24 h)."""
    tree = make_tree()
    other_grid = make_place("grid", "铁路坝第2网格", tree["community"])
    department = make_department(tree["street"], name="夜明珠街道城管科")
    official, community_worker, grid_worker, resident = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    grant(official, roles.OFFICIAL, tree["street"])
    grant(community_worker, roles.COMMUNITY_WORKER, tree["community"])
    grant(grid_worker, roles.GRID_WORKER, tree["grid"])
    category = make_category(tree["street"], department, code="DUIWU", accept_hours=2, handle_hours=72,
                             feedback_hours=24)
    return SimpleNamespace(tree=tree, grid=tree["grid"], other_grid=other_grid, department=department,
                           official=official, community_worker=community_worker, grid_worker=grid_worker,
                           resident=resident, category=category)
