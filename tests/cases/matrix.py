"""The grid cases rows of the authorization matrix (tests/test_authorization_matrix.py), one module per area."""
from tests.cases import matrix_app_shell, matrix_board, matrix_cases, matrix_open311

AREAS = (matrix_cases, matrix_app_shell, matrix_board, matrix_open311)

CASES_ROUTES = {}
for _area in AREAS:
    assert not CASES_ROUTES.keys() & _area.ROUTES.keys()
    CASES_ROUTES.update(_area.ROUTES)


def cases_matrix_world(tree, users, values) -> dict:
    """A category on the street handled by the district's department (the matrix's official is its official),
    and a case reported by the resident in the grid (the grid worker's) of the community (the community
    worker's). Each area adds the ids its own rows need."""
    from portal.extensions import db
    from portal.procurement.models import Department
    from tests.factories.cases import make_case, make_category

    department = db.session.get(Department, values["department"])
    category = make_category(tree["street"], department)
    case = make_case(category, tree["grid"], users["resident"])
    found = {"case_category": category.id, "case": case.id}
    for area in AREAS:
        found.update(area.world(tree, users, category, case, found))
    return found
