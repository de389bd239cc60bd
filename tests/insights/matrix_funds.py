"""Authorization-matrix rows for insights: funds (see tests/insights/matrix.py)."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect  # noqa: F401  (the rows' vocabulary)

ROUTES: dict = {
    "insights.funds_page": ("GET", "/insights/funds", PUBLIC),
    "insights.fund_page": ("GET", "/insights/funds/{fund}", PUBLIC),  # every fund is public (can_view_fund)
}


def world(tree, users, values) -> dict:
    """Ids these rows need, made in the matrix's world (its fund is the funds rows' own)."""
    return {}
