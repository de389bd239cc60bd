"""Authorization-matrix rows for grid cases: open311 (see tests/cases/matrix.py)."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect  # noqa: F401  (the rows' vocabulary)

ROUTES: dict = {}


def world(tree, users, category, case, values) -> dict:
    """Ids these rows need, made in the matrix's world."""
    return {}
