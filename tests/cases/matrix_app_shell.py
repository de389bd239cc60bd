"""Authorization-matrix rows for grid cases: app_shell, the phone app (see tests/cases/matrix.py).

The page and its session are for anyone signed in (a resident gets the report form); the manifest and the
service worker are public files. The queue's POSTs carry only a CSRF token: no idempotency key, so 400 for
whoever may send them; the follow-up is the grid worker's and the community worker's of the case's place.
"""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect

SIGNED_IN = expect(anonymous=LOGIN, others=200)

ROUTES: dict = {
    "cases.app": ("GET", "/cases/app", SIGNED_IN),
    "cases.app_session": ("GET", "/cases/app/session", SIGNED_IN),
    "cases.app_manifest": ("GET", "/cases/app/manifest.webmanifest", PUBLIC),
    "cases.app_service_worker": ("GET", "/cases/app/sw.js", PUBLIC),
    "cases.app_report": ("POST", "/cases/app/reports", expect(anonymous=LOGIN, others=400)),
    "cases.app_verify": ("POST", "/cases/app/cases/{case}/verify",
                         expect(anonymous=LOGIN, grid_worker=400, community_worker=400, others=404)),
}


def world(tree, users, category, case, values) -> dict:
    """Ids these rows need, made in the matrix's world."""
    return {}
