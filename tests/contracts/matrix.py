"""The contracts rows of the authorization matrix (tests/test_authorization_matrix.py) and the rows of its world
they need, one module per area like the views package."""
from tests.contracts import matrix_contracts, matrix_delivery, matrix_evaluation, matrix_payments, matrix_sampling

AREAS = (matrix_contracts, matrix_delivery, matrix_sampling, matrix_payments, matrix_evaluation)

CONTRACTS_ROUTES = {}
for _area in AREAS:
    assert not CONTRACTS_ROUTES.keys() & _area.ROUTES.keys()
    CONTRACTS_ROUTES.update(_area.ROUTES)


def contracts_matrix_world(tree, users, verified_org, values) -> dict:
    """A contract of the matrix's verified organisation (its admin is org_member) bought by the district's
    department (the official is its buyer), delivered in the community (the community worker verifies) and
    its grid (the grid worker visits). Each area adds the ids its own rows need."""
    from portal.extensions import db
    from portal.procurement.models import Department
    from tests.factories.contracts import make_contract

    department = db.session.get(Department, values["department"])
    contract = make_contract(department, verified_org, users["official"], place=tree["community"])
    found = {"contract": contract.id}
    for area in AREAS:
        found.update(area.world(tree, users, verified_org, contract, found))
    return found
