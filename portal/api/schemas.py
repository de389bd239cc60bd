"""The API's documented shapes (marshmallow): what each resource answers, each list's filters, the error document.

The OpenAPI document is generated from these (flask-smorest and apispec), so what is documented is what is
dumped. Money is integer fen (`*_minor`) beside a `currency`; times are ISO 8601 in the city's time zone with
their offset (+08:00); a field the object does not have is null.
"""
from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, fields, validate

from portal.cases.models import CASE_STATUSES
from portal.contracts.models import CONTRACT_STATUSES
from portal.funds.models import CAMPAIGN_STATUSES
from portal.funds.models import DRAFT as CAMPAIGN_DRAFT
from portal.payments.models import DISPLAY_MODES
from portal.procurement.models import CALL_MODES, PUBLIC_STATUSES
from portal.projects.models import CATEGORIES, PROJECT_STATUSES
from portal.projects.models import DRAFT as PROJECT_DRAFT

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_PAGE = 1_000_000
FIRST_YEAR, LAST_YEAR = 2000, 2100
AWARD_STATUSES = ("pending", "active", "cancelled")
FUND_STATUSES = ("active", "inactive")


def _money(description: str):
    return fields.Integer(required=True, metadata={"description": f"{description}, in fen (1/100 yuan)"})


def _when(description: str = ""):
    return fields.DateTime(allow_none=True, metadata={"description": description or "ISO 8601 with offset"})


# --- errors ------------------------------------------------------------------------------------------------
class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "the HTTP status, as text (\"400\", \"404\")"})
    message = fields.String(required=True, metadata={"description": "what went wrong, for people"})
    field = fields.String(allow_none=True, required=True,
                          metadata={"description": "the parameter or body field at fault, or null"})


class Error(Schema):
    error = fields.Nested(ErrorBody, required=True)


# --- small references --------------------------------------------------------------------------------------
class PlaceRef(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "district, street, community or grid"})


class NamedRef(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class OrganisationRef(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    credit_code = fields.String(required=True, metadata={"description": "unified social credit code (USCC)"})


class PageMeta(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "objects matching the filters"})
    pages = fields.Integer(required=True)


class PageLinks(Schema):
    self = fields.String(required=True)
    next = fields.String(allow_none=True, required=True)
    prev = fields.String(allow_none=True, required=True)


# --- list parameters ---------------------------------------------------------------------------------------
class ListQuery(Schema):
    """Every list: pages, and the place subtree and year filters. An unknown parameter is a 400 naming it."""

    class Meta:
        unknown = RAISE

    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE, error=_l(
        "page is a whole number from 1.")), metadata={"description": "the page, from 1"})
    per_page = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(1, MAX_PER_PAGE, error=_l(
        "per_page is a whole number from 1 to 100.")), metadata={"description": "objects per page, at most 100"})
    place = fields.Integer(validate=validate.Range(1, 2**31 - 1), metadata={
        "description": "a place id: only objects in that place or below it (a district, street, community, grid)"})
    year = fields.Integer(validate=validate.Range(FIRST_YEAR, LAST_YEAR, error=_l(
        "year is a year from 2000 to 2100.")), metadata={"description": "the calendar year (city time)"})


def _status(choices, description: str):
    return fields.String(validate=validate.OneOf(list(choices)), metadata={"description": description})


class ProjectQuery(ListQuery):
    status = _status([s for s in PROJECT_STATUSES if s != PROJECT_DRAFT], "the project's status")
    category = _status(CATEGORIES, "the service area")


class FundQuery(ListQuery):
    status = _status(FUND_STATUSES, "whether the fund takes gifts")


class CampaignQuery(ListQuery):
    status = _status([s for s in CAMPAIGN_STATUSES if s != CAMPAIGN_DRAFT], "the campaign's status")
    fund = fields.Integer(validate=validate.Range(1, 2**31 - 1), metadata={"description": "a fund id"})


class GiftQuery(ListQuery):
    fund = fields.Integer(validate=validate.Range(1, 2**31 - 1), metadata={"description": "a fund id"})
    campaign = fields.Integer(validate=validate.Range(1, 2**31 - 1), metadata={"description": "a campaign id"})


class CallQuery(ListQuery):
    status = _status(PUBLIC_STATUSES, "the call's status")
    mode = _status(CALL_MODES, "how the service is bought")
    category = _status(CATEGORIES, "the service area")


class AwardQuery(ListQuery):
    status = _status(AWARD_STATUSES, "pending in the publicity period, active once confirmed, or cancelled")
    call = fields.Integer(validate=validate.Range(1, 2**31 - 1), metadata={"description": "a call id"})


class ContractQuery(ListQuery):
    status = _status(CONTRACT_STATUSES, "the contract's status")
    call = fields.Integer(validate=validate.Range(1, 2**31 - 1), metadata={"description": "a call id"})
    organisation = fields.Integer(validate=validate.Range(1, 2**31 - 1),
                                  metadata={"description": "the contracted organisation's id"})


class CaseQuery(ListQuery):
    status = _status(CASE_STATUSES, "the case's step")
    category = fields.String(validate=validate.Length(1, 32), metadata={"description": "a category code"})


# --- projects ----------------------------------------------------------------------------------------------
class Indicator(Schema):
    name = fields.String(required=True)
    unit = fields.String(required=True)
    baseline = fields.String(required=True, metadata={"description": "a decimal number, as text"})
    target = fields.String(required=True, metadata={"description": "a decimal number, as text"})
    direction = fields.String(required=True, metadata={"description": "increase or decrease"})


class Project(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    category = fields.String(required=True)
    service_type = fields.String(required=True)
    status = fields.String(required=True)
    organisation = fields.Nested(OrganisationRef, required=True)
    places = fields.List(fields.Nested(PlaceRef), required=True)
    starts_on = fields.Date(allow_none=True, required=True)
    ends_on = fields.Date(allow_none=True, required=True)
    budget_minor = _money("the budget")
    currency = fields.String(required=True)
    beneficiaries_target = fields.Integer(required=True)
    published_at = _when()
    indicators = fields.List(fields.Nested(Indicator), required=True)


# --- funds, campaigns, gifts -------------------------------------------------------------------------------
class Fund(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    description = fields.String(required=True)
    place = fields.Nested(PlaceRef, required=True)
    status = fields.String(required=True, metadata={"description": "active or inactive"})
    currency = fields.String(required=True)
    raised_minor = _money("raised so far")
    disbursed_minor = _money("paid out")
    balance_minor = _money("the balance")
    donor_count = fields.Integer(required=True)
    created_at = _when()


class Campaign(Schema):
    id = fields.Integer(required=True)
    fund = fields.Nested(NamedRef, required=True)
    place = fields.Nested(PlaceRef, required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    status = fields.String(required=True)
    funding_model = fields.String(required=True)
    goal_minor = _money("the goal")
    raised_minor = _money("raised so far")
    currency = fields.String(required=True)
    donor_count = fields.Integer(required=True)
    starts_at = _when()
    ends_at = _when()
    published_at = _when()


class Gift(Schema):
    id = fields.Integer(required=True)
    fund_id = fields.Integer(required=True)
    campaign_id = fields.Integer(allow_none=True, required=True)
    team_id = fields.Integer(allow_none=True, required=True)
    amount_minor = _money("the gift")
    refunded_minor = _money("refunded of it")
    currency = fields.String(required=True)
    display_mode = fields.String(required=True, validate=validate.OneOf(list(DISPLAY_MODES)),
                                 metadata={"description": "how the donor chose to be shown"})
    donor = fields.String(allow_none=True, required=True, metadata={
        "description": "the name (named) or initials (initials) the donor chose to show; null for an anonymous gift"})
    message = fields.String(allow_none=True, required=True, metadata={"description": "null for an anonymous gift"})
    succeeded_at = _when()


# --- calls and awards --------------------------------------------------------------------------------------
class Lot(Schema):
    number = fields.Integer(required=True)
    title = fields.String(required=True)
    budget_cap_minor = _money("the lot's budget cap")


class Criterion(Schema):
    kind = fields.String(required=True)
    name = fields.String(required=True)
    weight = fields.Integer(required=True, metadata={"description": "percent"})


class AwardOfCall(Schema):
    id = fields.Integer(required=True)
    lot_number = fields.Integer(required=True)
    supplier = fields.Nested(OrganisationRef, required=True)
    amount_minor = _money("the awarded price")
    status = fields.String(required=True)


class Call(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    department = fields.Nested(NamedRef, required=True)
    place = fields.Nested(PlaceRef, required=True)
    mode = fields.String(required=True)
    category = fields.String(required=True)
    status = fields.String(required=True)
    currency = fields.String(required=True)
    budget_cap_minor = _money("the budget cap")
    published_at = _when()
    questions_until = _when()
    bids_until = _when("bids are sealed until then")
    opened_at = _when()
    number_of_tenderers = fields.Integer(allow_none=True, required=True, metadata={
        "description": "organisations that bid; null until the bids are opened"})
    awarded_at = _when()
    confirmed_at = _when()
    lots = fields.List(fields.Nested(Lot), required=True)
    criteria = fields.List(fields.Nested(Criterion), required=True)
    awards = fields.List(fields.Nested(AwardOfCall), required=True, metadata={"description": "empty until an award"})


class CallRef(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)


class Award(Schema):
    id = fields.Integer(required=True)
    call = fields.Nested(CallRef, required=True)
    place = fields.Nested(PlaceRef, required=True)
    lot_number = fields.Integer(required=True)
    lot_title = fields.String(required=True)
    supplier = fields.Nested(OrganisationRef, required=True)
    amount_minor = _money("the awarded price")
    currency = fields.String(required=True)
    total_score = fields.Float(required=True, metadata={"description": "out of 100"})
    status = fields.String(required=True, validate=validate.OneOf(AWARD_STATUSES))
    decided_at = _when()
    cancelled_at = _when()


# --- contracts ---------------------------------------------------------------------------------------------
class Milestone(Schema):
    id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    title = fields.String(required=True)
    due_on = fields.Date(allow_none=True, required=True)
    share_bp = fields.Integer(required=True, metadata={"description": "the most it pays, in 1/10000 of the value"})
    status = fields.String(required=True)
    accepted_at = _when()


class Payment(Schema):
    id = fields.Integer(required=True)
    milestone_id = fields.Integer(required=True)
    amount_minor = _money("the payment")
    approved_at = _when()


class Contract(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)
    call_id = fields.Integer(allow_none=True, required=True)
    department = fields.Nested(NamedRef, required=True)
    supplier = fields.Nested(OrganisationRef, required=True)
    place = fields.Nested(PlaceRef, required=True)
    status = fields.String(required=True)
    currency = fields.String(required=True)
    original_value_minor = _money("the value when signed")
    value_minor = _money("the value after amendments in force")
    paid_minor = _money("paid so far")
    signed_at = _when()
    starts_on = fields.Date(allow_none=True, required=True)
    ends_on = fields.Date(allow_none=True, required=True)
    milestones = fields.List(fields.Nested(Milestone), required=True)
    payments = fields.List(fields.Nested(Payment), required=True, metadata={"description": "approved payments"})


# --- cases -------------------------------------------------------------------------------------------------
class CaseCategoryRef(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class Case(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    category = fields.Nested(CaseCategoryRef, required=True)
    place = fields.Nested(PlaceRef, required=True)
    status = fields.String(required=True)
    open = fields.Boolean(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    latitude = fields.Float(allow_none=True, required=True)
    longitude = fields.Float(allow_none=True, required=True)
    reported_at = _when()
    closed_at = _when()


class CaseReport(Schema):
    """A case reported by another system (a hotline, a city app). The reporter is the API key's system."""

    class Meta:
        unknown = RAISE

    category_id = fields.Integer(required=True, metadata={"description": "an active case category's id"})
    title = fields.String(required=True, validate=validate.Length(1, 120))
    description = fields.String(load_default="", validate=validate.Length(0, 4000))
    place_id = fields.Integer(load_default=None, allow_none=True, metadata={
        "description": "the grid or community; by default the category's place"})
    latitude = fields.Float(load_default=None, allow_none=True)
    longitude = fields.Float(load_default=None, allow_none=True)
    reporter_name = fields.String(load_default="", validate=validate.Length(0, 80))
    idempotency_key = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[A-Za-z0-9._~-]{1,48}$"), metadata={"description": "resending with the same key makes no second case"})


# --- pages -------------------------------------------------------------------------------------------------
def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The list document of `item_schema`: {data, meta, links}."""
    return type(f"{item_schema.__name__}Page", (Schema,), {
        "data": fields.List(fields.Nested(item_schema), required=True),
        "meta": fields.Nested(PageMeta, required=True),
        "links": fields.Nested(PageLinks, required=True),
    })
