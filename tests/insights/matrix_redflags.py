"""Authorization-matrix rows for insights: redflags (see tests/insights/matrix.py).

The red-flags page is public (procurement transparency); what each role sees differs (officials and platform
admins also see the flags on non-public data), which tests/insights/test_redflags_pages.py checks."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect  # noqa: F401  (the rows' vocabulary)

ROUTES: dict = {
    "insights.red_flags": ("GET", "/insights/red-flags", PUBLIC),
}


def world(tree, users, values) -> dict:
    """Ids these rows need, made in the matrix's world."""
    return {}
