"""Authorization-matrix rows for grid cases: board (see tests/cases/matrix.py)."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect  # noqa: F401  (the rows' vocabulary)

ROUTES: dict = {
    # public figures over public categories; officials also count their places' non-public ones
    "cases.board": ("GET", "/cases/board", PUBLIC),
}


def world(tree, users, category, case, values) -> dict:
    """Ids these rows need, made in the matrix's world."""
    return {}
