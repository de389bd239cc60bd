"""Authorization-matrix rows for insights: funds (see tests/insights/matrix.py)."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect  # noqa: F401  (the rows' vocabulary)

ROUTES: dict = {}


def world(tree, users, values) -> dict:
    """Ids these rows need, made in the matrix's world."""
    return {}
