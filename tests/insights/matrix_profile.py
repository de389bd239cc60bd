"""Authorization-matrix rows for insights: profile (see tests/insights/matrix.py). The profile is aggregate and
public; grid ledgers are imported by the grid worker, community worker and official of the world's places (and the
platform administrator)."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect  # noqa: F401  (the rows' vocabulary)

LEDGER_KEEPERS = expect(anonymous=LOGIN, official=200, admin=200, community_worker=200, grid_worker=200,
                        others=403)

ROUTES: dict = {
    "insights.profile_page": ("GET", "/insights/profile?place={community}", PUBLIC),
    "insights.grid_profiles_import": ("GET", "/insights/profile/import", LEDGER_KEEPERS),
    "insights.grid_profiles_template": ("GET", "/insights/profile/template.csv", LEDGER_KEEPERS),
}


def world(tree, users, values) -> dict:
    """Ids these rows need, made in the matrix's world."""
    return {}
