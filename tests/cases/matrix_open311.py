"""Authorization-matrix rows for grid cases: open311 (see tests/cases/matrix.py).

Open311 GeoReport v2 answers anyone (no account: every role alike); posting needs a live API key, given in the
query string, so the empty form is a 400 (no service_code) for every role. The key check is the post's declared
check, which the matrix swaps for a refusing one (then a 403). API keys are managed by platform administrators;
the revoked key is not the one the post uses (the rows run in order within a role)."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect

ADMIN_ONLY = expect(anonymous=LOGIN, admin=200, others=403)

ROUTES: dict = {
    "open311.discovery": ("GET", "/open311/v2/discovery.json", PUBLIC),
    "open311.services": ("GET", "/open311/v2/services.xml", PUBLIC),
    "open311.service_definition": ("GET", "/open311/v2/services/{o311_code}.json", PUBLIC),
    "open311.requests": ("GET", "/open311/v2/requests.json", PUBLIC),
    "open311.post_request": ("POST", "/open311/v2/requests.json?api_key={o311_key}", expect(others=400)),
    "open311.request_detail": ("GET", "/open311/v2/requests/{o311_request}.xml", PUBLIC),
    "open311.token": ("GET", "/open311/v2/tokens/{o311_token}.json", PUBLIC),
    "cases.api_keys_page": ("GET", "/cases/api-keys", ADMIN_ONLY),
    "cases.revoke_api_key": ("POST", "/cases/api-keys/{o311_revoked_key}/revoke",
                             expect(anonymous=LOGIN, admin=302, others=403)),
}


def world(tree, users, category, case, values) -> dict:
    """Ids these rows need, made in the matrix's world: two API keys (one to post with, one to revoke) and a case
    posted through Open311 (its token)."""
    from portal.cases import api_keys
    from tests.factories.cases import make_case

    _key, raw = api_keys.issue_key(users["admin"], "矩阵热线")
    to_revoke, _raw = api_keys.issue_key(users["admin"], "矩阵旧系统")
    posted = make_case(category, tree["grid"], None, reported_via="open311", idempotency_key="o311-0-matrix")
    return {"o311_code": category.code, "o311_key": raw, "o311_revoked_key": to_revoke.id,
            "o311_request": case.reference, "o311_token": posted.idempotency_key}
