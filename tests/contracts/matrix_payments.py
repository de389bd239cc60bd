"""Authorization-matrix rows for contracts: payments (see tests/contracts/matrix.py)."""
from tests.procurement.matrix_expect import LOGIN, expect  # noqa: F401  (the rows' vocabulary)

ROUTES: dict = {}


def world(tree, users, verified_org, contract, values) -> dict:
    """Ids these rows need, made in the matrix's world."""
    return {}
