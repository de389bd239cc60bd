"""Authorization-matrix rows for insights: contractors (see tests/insights/matrix.py).

Contractor performance is public; one organisation's page follows the organisation's own visibility (a
pending organisation only to its people and the officials over it, as its profile)."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect  # noqa: F401  (the rows' vocabulary)

ROUTES: dict = {
    "insights.contractors": ("GET", "/insights/contractors", PUBLIC),
    # a pending organisation's page: only to its admin (org_member) and the officials over it (a verified
    # organisation's is public: tests/insights/test_contractors_pages.py)
    "insights.contractor": ("GET", "/insights/contractors/{pending_org}",
                            expect(org_member=200, official=200, admin=200, others=404)),
}


def world(tree, users, values) -> dict:
    """Ids these rows need, made in the matrix's world."""
    return {}
