"""Authorization-matrix rows for insights: outcomes and the insights index (see tests/insights/matrix.py)."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect  # noqa: F401  (the rows' vocabulary)

ROUTES: dict = {
    "insights.index": ("GET", "/insights/", PUBLIC),
    "insights.outcomes_page": ("GET", "/insights/outcomes?place={district}&year=2026", PUBLIC),
}


def world(tree, users, values) -> dict:
    """Ids these rows need, made in the matrix's world."""
    return {}
