"""The purchase-of-services rows of the authorization matrix (tests/test_authorization_matrix.py) and the rows
of its world they need. Each area keeps its own module, so the matrix reads like the views package."""
from tests.procurement import matrix_awards, matrix_bids, matrix_calls, matrix_catalogue, matrix_evaluation

AREAS = (matrix_catalogue, matrix_calls, matrix_bids, matrix_evaluation, matrix_awards)

PROCUREMENT_ROUTES = {}
for _area in AREAS:
    assert not PROCUREMENT_ROUTES.keys() & _area.ROUTES.keys()
    PROCUREMENT_ROUTES.update(_area.ROUTES)


def procurement_matrix_world(tree, users, verified_org) -> dict:
    """The department, calls, bids and panel the procurement rows point at. `users` maps the matrix's role
    names to users (org_member is the verified organisation's admin; evaluator holds the evaluator role on
    the district). Each area adds the ids its own rows need."""
    from tests.factories.procurement import make_department

    department = make_department(tree["district"], "西陵区民政局")
    values = {"department": department.id}
    for area in AREAS:
        values.update(area.world(tree, users, verified_org, department, values))
    return values
