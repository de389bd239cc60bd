"""The public JSON API at /api/v1 (flask-smorest blueprint; see portal/api/__init__.py for why that library).

Each resource has a list (paged: `page`, `per_page` at most 100; filters `place` (a subtree), `year`, `status`
and its own) and a one-object route. Reading is open to anyone and rate limited per address (API_RATE_LIMIT);
reporting a case needs an API key (portal/api/access.py). Thin: queries.py reads, rows.py shapes, schemas.py
documents and dumps.
"""
from flask import current_app, g, request, url_for
from flask_smorest import Blueprint
from marshmallow import RAISE

from portal.api import errors, policy, queries, rows, schemas
from portal.api.access import api_key_required, public_object
from portal.audit import service as audit
from portal.cases import api_keys
from portal.cases import service as cases_service
from portal.core.policy import public
from portal.extensions import limiter

API_PREFIX = "/api/v1"
VIA = "api"  # a case's reported_via (portal/cases/service.py, VIAS)
TOKEN_PREFIX = "api-"  # a client's idempotency key is stored as api-<key id>-<client key>: no collisions

blp = Blueprint("api", __name__, url_prefix=API_PREFIX,
                description="Public data of the portal: projects, funds, campaigns, gifts, calls, awards, contracts "
                            "and grid cases.")
errors.register(blp)
# one budget per address for the whole API (its pages included: portal/api/pages.py)
RATE_LIMIT = limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api")
RATE_LIMIT(blp)


def _documented_errors(*statuses):
    def decorator(view):
        for status in statuses:
            view = blp.alt_response(status, schema=schemas.Error, description=_ERROR_TEXT[status])(view)
        return view

    return decorator


_ERROR_TEXT = {400: "a parameter or field is wrong (the error names it)", 401: "no API key",
               403: "the API key is forged or revoked", 404: "no such public object",
               429: "too many requests from this address (API_RATE_LIMIT)"}


def _filters(query_schema):
    """The list's query parameters, parsed by its schema: an unknown one or a bad value is a 400 naming it."""
    return blp.arguments(query_schema, location="query", unknown=RAISE, error_status_code=400)


def _page(found: queries.Page, row) -> dict:
    args = request.args.to_dict()

    def link(page: int) -> str:
        return url_for(request.endpoint, **{**args, "page": page, "per_page": found.per_page}, _external=True)

    return {"data": [row(item) for item in found.items],
            "meta": {"page": found.page, "per_page": found.per_page, "total": found.total, "pages": found.pages},
            "links": {"self": link(found.page), "next": link(found.page + 1) if found.page < found.pages else None,
                      "prev": link(found.page - 1) if found.page > 1 else None}}


# --- projects ----------------------------------------------------------------------------------------------
@blp.route("/projects", tags=["projects"])
@_filters(schemas.ProjectQuery)
@blp.response(200, schemas.page_of(schemas.Project))
@_documented_errors(400, 429)
@public
def projects(filters):
    """Service projects (past their draft); `year` is the year a project starts."""
    return _page(queries.projects(filters), rows.project_row)


@blp.route("/projects/<int:project_id>", tags=["projects"])
@blp.response(200, schemas.Project)
@_documented_errors(404, 429)
@public_object(policy.can_read_project, queries.project)
def project(found):
    """One service project with its indicators."""
    return rows.project_row(found)


# --- funds, campaigns, gifts -------------------------------------------------------------------------------
@blp.route("/funds", tags=["funds"])
@_filters(schemas.FundQuery)
@blp.response(200, schemas.page_of(schemas.Fund))
@_documented_errors(400, 429)
@public
def funds(filters):
    """Community funds with what they raised, paid out and hold; `year` is the year a fund was set up."""
    return _page(queries.funds(filters), rows.fund_row)


@blp.route("/funds/<int:fund_id>", tags=["funds"])
@blp.response(200, schemas.Fund)
@_documented_errors(404, 429)
@public_object(policy.can_read_fund, queries.fund)
def fund(found):
    """One fund."""
    return rows.fund_row(found)


@blp.route("/campaigns", tags=["campaigns"])
@_filters(schemas.CampaignQuery)
@blp.response(200, schemas.page_of(schemas.Campaign))
@_documented_errors(400, 429)
@public
def campaigns(filters):
    """Fundraising campaigns (past their draft); `year` is the year a campaign starts, `place` its fund's place."""
    return _page(queries.campaigns(filters), rows.campaign_row)


@blp.route("/campaigns/<int:campaign_id>", tags=["campaigns"])
@blp.response(200, schemas.Campaign)
@_documented_errors(404, 429)
@public_object(policy.can_read_campaign, queries.campaign)
def campaign(found):
    """One campaign."""
    return rows.campaign_row(found)


@blp.route("/gifts", tags=["gifts"])
@_filters(schemas.GiftQuery)
@blp.response(200, schemas.page_of(schemas.Gift))
@_documented_errors(400, 429)
@public
def gifts(filters):
    """Gifts received (anonymised: a donor appears only as they chose to be shown); `year` is the year a gift
    arrived, `place` its fund's place."""
    return _page(queries.gifts(filters), rows.gift_row)


@blp.route("/gifts/<int:gift_id>", tags=["gifts"])
@blp.response(200, schemas.Gift)
@_documented_errors(404, 429)
@public_object(policy.can_read_gift, queries.gift)
def gift(found):
    """One gift (anonymised)."""
    return rows.gift_row(found)


# --- calls, awards, contracts ------------------------------------------------------------------------------
@blp.route("/calls", tags=["calls"])
@_filters(schemas.CallQuery)
@blp.response(200, schemas.page_of(schemas.Call))
@_documented_errors(400, 429)
@public
def calls(filters):
    """Published calls for services (never a draft; no bid is counted or priced before the opening); `year` is
    the year a call was published."""
    return _page(queries.calls(filters), rows.call_row)


@blp.route("/calls/<int:call_id>", tags=["calls"])
@blp.response(200, schemas.Call)
@_documented_errors(404, 429)
@public_object(policy.can_read_call, queries.call)
def call(found):
    """One published call with its lots, criteria and awards."""
    return rows.call_row(found)


@blp.route("/awards", tags=["awards"])
@_filters(schemas.AwardQuery)
@blp.response(200, schemas.page_of(schemas.Award))
@_documented_errors(400, 429)
@public
def awards(filters):
    """Awards with their winner and price; `year` is the year an award was decided, `place` its call's place."""
    return _page(queries.awards(filters), rows.award_row)


@blp.route("/awards/<int:award_id>", tags=["awards"])
@blp.response(200, schemas.Award)
@_documented_errors(404, 429)
@public_object(policy.can_read_award, queries.award)
def award(found):
    """One award."""
    return rows.award_row(found)


@blp.route("/contracts", tags=["contracts"])
@_filters(schemas.ContractQuery)
@blp.response(200, schemas.page_of(schemas.Contract))
@_documented_errors(400, 429)
@public
def contracts(filters):
    """Contracts with their milestones and approved payments; `year` is the year a contract was signed."""
    found, payments = queries.contracts(filters)
    return _page(found, lambda contract: rows.contract_row(contract, payments[contract.id]))


@blp.route("/contracts/<int:contract_id>", tags=["contracts"])
@blp.response(200, schemas.Contract)
@_documented_errors(404, 429)
@public_object(policy.can_read_contract, queries.contract)
def contract(found):
    """One contract with its milestones and approved payments."""
    return rows.contract_row(found, queries.approved_payments([found.id])[found.id])


# --- cases -------------------------------------------------------------------------------------------------
@blp.route("/cases", tags=["cases"])
@_filters(schemas.CaseQuery)
@blp.response(200, schemas.page_of(schemas.Case))
@_documented_errors(400, 429)
@public
def cases(filters):
    """Grid cases of public categories (nothing of who reported them); `year` is the year a case was reported."""
    return _page(queries.cases(filters), rows.case_row)


@blp.route("/cases/<int:case_id>", tags=["cases"])
@blp.response(200, schemas.Case)
@_documented_errors(404, 429)
@public_object(policy.can_read_case, queries.case)
def case(found):
    """One grid case of a public category."""
    return rows.case_row(found)


@blp.route("/cases", methods=["POST"], tags=["cases"])
@api_key_required(api_keys.key_for)
@blp.arguments(schemas.CaseReport, location="json", unknown=RAISE, error_status_code=400)
@blp.response(201, schemas.Case, description="the case was made")
@blp.alt_response(200, schema=schemas.Case, description="a resend with the same idempotency_key: the case it made")
@_documented_errors(400, 401, 403, 429)
@blp.doc(security=[{"bearerAuth": []}, {"apiKeyHeader": []}])
def report_case(report):
    """Report a grid case from another system (a hotline, a city app), with an API key."""
    key = g.api_key
    client_key = report["idempotency_key"] or (request.headers.get("Idempotency-Key") or "").strip() or None
    case, created = cases_service.report_case(
        None, category_id=report["category_id"], title=report["title"], description=report["description"],
        place_id=report["place_id"], latitude=report["latitude"], longitude=report["longitude"],
        idempotency_key=f"{TOKEN_PREFIX}{key.id}-{client_key}" if client_key else None, via=VIA,
        reporter_name=report["reporter_name"])
    if created:
        audit.record("api_key.case_reported", "api_key", key.id, actor=None,
                     after={"case": case.reference, "key_prefix": key.key_prefix})
    return rows.case_row(case), 201 if created else 200
