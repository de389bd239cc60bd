"""The API's rows of the authorization matrix (tests/test_authorization_matrix.py): reading is open to everyone
alike (no account counts: the API reads as nobody in particular), so every read is PUBLIC. Reporting a case
needs an API key in a header (HEADERS, sent by the matrix with the row), so the empty form is a 400 (no
category_id, no title) for every role; the key check is the route's declared check, which the matrix swaps for a
refusing one (then a 403). The one-object reads declare their public check (portal/api/policy.py): READ_BY_EVERYONE."""
from tests.procurement.matrix_expect import PUBLIC, expect

ROUTES: dict = {
    "api_pages.index": ("GET", "/api/v1/", PUBLIC),
    "api_pages.openapi_json": ("GET", "/api/v1/openapi.json", PUBLIC),
    "api.projects": ("GET", "/api/v1/projects", PUBLIC),
    "api.project": ("GET", "/api/v1/projects/{api_project}", PUBLIC),
    "api.funds": ("GET", "/api/v1/funds?per_page=100", PUBLIC),
    "api.fund": ("GET", "/api/v1/funds/{api_fund}", PUBLIC),
    "api.campaigns": ("GET", "/api/v1/campaigns?status=live", PUBLIC),
    "api.campaign": ("GET", "/api/v1/campaigns/{api_campaign}", PUBLIC),
    "api.gifts": ("GET", "/api/v1/gifts?fund={api_fund}", PUBLIC),
    "api.gift": ("GET", "/api/v1/gifts/{api_gift}", PUBLIC),
    "api.calls": ("GET", "/api/v1/calls", PUBLIC),
    "api.call": ("GET", "/api/v1/calls/{api_call}", PUBLIC),
    "api.awards": ("GET", "/api/v1/awards", PUBLIC),
    "api.award": ("GET", "/api/v1/awards/{api_award}", PUBLIC),
    "api.contracts": ("GET", "/api/v1/contracts", PUBLIC),
    "api.contract": ("GET", "/api/v1/contracts/{api_contract}", PUBLIC),
    "api.cases": ("GET", "/api/v1/cases", PUBLIC),
    "api.case": ("GET", "/api/v1/cases/{api_case}", PUBLIC),
    "api.report_case": ("POST", "/api/v1/cases", expect(others=400)),
}
# headers the matrix sends with a row (the key to report with)
HEADERS = {"api.report_case": {"X-API-Key": "{api_key}"}}
READ_BY_EVERYONE = {"api.project", "api.fund", "api.campaign", "api.gift", "api.call", "api.award", "api.contract",
                    "api.case"}


def world(tree, users, values) -> dict:
    """The API's own small world (tests/api/world.py) beside the matrix's, and its key."""
    from tests.api.world import ApiWorld

    made = ApiWorld()
    return {"api_project": made.project.id, "api_fund": made.fund.id, "api_campaign": made.campaign.id,
            "api_gift": made.named_gift.id, "api_call": made.done.id, "api_award": made.award.id,
            "api_contract": made.contract.id, "api_case": made.case.id, "api_key": made.raw_key}
