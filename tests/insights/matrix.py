"""The insights rows of the authorization matrix (tests/test_authorization_matrix.py), one module per dashboard."""
from tests.insights import (
    matrix_contractors,
    matrix_funds,
    matrix_outcomes,
    matrix_profile,
    matrix_redflags,
)

AREAS = (matrix_outcomes, matrix_contractors, matrix_redflags, matrix_funds, matrix_profile)

INSIGHTS_ROUTES = {}
for _area in AREAS:
    assert not INSIGHTS_ROUTES.keys() & _area.ROUTES.keys()
    INSIGHTS_ROUTES.update(_area.ROUTES)


def insights_matrix_world(tree, users, values) -> dict:
    """Each area adds the ids its own rows need (the matrix's world already has calls, contracts and funds)."""
    found = {}
    for area in AREAS:
        found.update(area.world(tree, users, values))
    return found
