"""What the API reads: one filtered statement per resource, paged in two queries (a count and the page) with the
related rows it shows loaded alongside, so a list costs the same number of queries however many rows there are.

Only public objects: projects, campaigns and calls past their draft; counted gifts (succeeded or partly
refunded); awards of published calls; every contract (contracts are public: portal/contracts/policy.py); cases of
public categories only. Nothing here selects a sealed bid's content or a reporter; a bid's price reaches the
API only as an award's amount, which exists only after the opening.
"""
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.cases.models import Case, CaseCategory
from portal.contracts.models import APPROVED, Contract, ContractPayment
from portal.core.errors import ValidationFailed
from portal.extensions import db
from portal.funds.models import DRAFT as CAMPAIGN_DRAFT
from portal.funds.models import Campaign, Fund
from portal.opendata import queries as opendata
from portal.payments.models import PARTIALLY_REFUNDED, SUCCEEDED, Donation
from portal.places.models import Place
from portal.places.service import subtree_condition
from portal.procurement.models import CONFIRMED, CONTRACTED, PUBLIC_STATUSES, Award, Bid, Call
from portal.projects.models import DRAFT as PROJECT_DRAFT
from portal.projects.models import ProjectPlace, ServiceProject

CITY_TIME = ZoneInfo("Asia/Shanghai")
COUNTED_GIFTS = (SUCCEEDED, PARTIALLY_REFUNDED)


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _paged(statement, filters: dict, key_column, *options) -> Page:
    """The page asked for (newest first by `key_column`) with `options` loading what it shows, and how many
    match (counted over the statement without them)."""
    page, per_page = filters["page"], filters["per_page"]
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    items = list(db.session.scalars(statement.options(*options).order_by(key_column.desc()).limit(per_page)
                                    .offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


def place_of(filters: dict) -> Place | None:
    """The `place` filter's place; a place id the portal does not have is a 400 naming it."""
    place_id = filters.get("place")
    if place_id is None:
        return None
    place = db.session.get(Place, place_id)
    if place is None:
        raise ValidationFailed(_("place names no place of the portal."), field="place")
    return place


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The first moment of `year` and of the next, in the city's time."""
    return datetime(year, 1, 1, tzinfo=CITY_TIME), datetime(year + 1, 1, 1, tzinfo=CITY_TIME)


def _in_year(statement, column, filters: dict):
    if filters.get("year") is None:
        return statement
    start, end = year_bounds(filters["year"])
    return statement.where(column >= start, column < end)


def _in_place(statement, column, filters: dict):
    place = place_of(filters)
    return statement if place is None else statement.where(subtree_condition(column, place))


# --- projects ----------------------------------------------------------------------------------------------
PROJECT_LOADS = (joinedload(ServiceProject.organisation),
                 selectinload(ServiceProject.places).joinedload(ProjectPlace.place),
                 selectinload(ServiceProject.indicators))


def _projects():
    return select(ServiceProject).where(ServiceProject.status != PROJECT_DRAFT)


def projects(filters: dict) -> Page:
    """Projects past their draft; `year` is the year a project starts."""
    statement = _projects()
    place = place_of(filters)
    if place is not None:
        statement = statement.where(exists().where(ProjectPlace.project_id == ServiceProject.id,
                                                   subtree_condition(ProjectPlace.place_id, place)))
    if filters.get("year") is not None:
        year = filters["year"]
        statement = statement.where(ServiceProject.starts_on >= datetime(year, 1, 1).date(),
                                    ServiceProject.starts_on < datetime(year + 1, 1, 1).date())
    for name in ("status", "category"):
        if filters.get(name) is not None:
            statement = statement.where(getattr(ServiceProject, name) == filters[name])
    return _paged(statement, filters, ServiceProject.id, *PROJECT_LOADS)


def project(project_id: int) -> ServiceProject | None:
    return db.session.scalar(_projects().options(*PROJECT_LOADS).where(ServiceProject.id == project_id))


# --- funds, campaigns, gifts -------------------------------------------------------------------------------
def funds(filters: dict) -> Page:
    statement = _in_year(_in_place(select(Fund), Fund.place_id, filters), Fund.created_at, filters)
    if filters.get("status") is not None:
        statement = statement.where(Fund.is_active.is_(filters["status"] == "active"))
    return _paged(statement, filters, Fund.id, joinedload(Fund.place))


def fund(fund_id: int) -> Fund | None:
    return db.session.scalar(select(Fund).options(joinedload(Fund.place)).where(Fund.id == fund_id))


def _campaigns():
    return (select(Campaign).join(Fund, Fund.id == Campaign.fund_id).where(Campaign.status != CAMPAIGN_DRAFT))


CAMPAIGN_LOADS = (joinedload(Campaign.fund).joinedload(Fund.place),)


def campaigns(filters: dict) -> Page:
    """Campaigns past their draft; `year` is the year a campaign starts."""
    statement = _in_year(_in_place(_campaigns(), Fund.place_id, filters), Campaign.starts_at, filters)
    if filters.get("status") is not None:
        statement = statement.where(Campaign.status == filters["status"])
    if filters.get("fund") is not None:
        statement = statement.where(Campaign.fund_id == filters["fund"])
    return _paged(statement, filters, Campaign.id, *CAMPAIGN_LOADS)


def campaign(campaign_id: int) -> Campaign | None:
    return db.session.scalar(_campaigns().options(*CAMPAIGN_LOADS).where(Campaign.id == campaign_id))


def _gifts():
    """Counted gifts only (a pending, failed or fully refunded gift is not a gift the fund has). The donor's
    account is never loaded: the rows module shows the name the donor chose, or none."""
    return select(Donation).where(Donation.status.in_(COUNTED_GIFTS))


def gifts(filters: dict) -> Page:
    """`year` is the year the gift arrived; `place` the fund's place."""
    statement = _gifts()
    place = place_of(filters)
    if place is not None:
        statement = statement.where(Donation.fund_id.in_(select(Fund.id).where(subtree_condition(Fund.place_id,
                                                                                                 place))))
    statement = _in_year(statement, Donation.succeeded_at, filters)
    if filters.get("fund") is not None:
        statement = statement.where(Donation.fund_id == filters["fund"])
    if filters.get("campaign") is not None:
        statement = statement.where(Donation.campaign_id == filters["campaign"])
    return _paged(statement, filters, Donation.id)


def gift(gift_id: int) -> Donation | None:
    return db.session.scalar(_gifts().where(Donation.id == gift_id))


# --- calls and awards --------------------------------------------------------------------------------------
def calls(filters: dict) -> Page:
    """Published calls (never a draft), with their public facts (portal/opendata/queries.py: tenderers once
    opened, awards once decided). `year` is the year a call was published."""
    statement = select(Call).where(Call.status.in_(PUBLIC_STATUSES))
    statement = _in_year(_in_place(statement, Call.place_id, filters), Call.published_at, filters)
    for name in ("status", "mode", "category"):
        if filters.get(name) is not None:
            statement = statement.where(getattr(Call, name) == filters[name])
    found = _paged(statement, filters, Call.id)
    found.items = opendata.call_data([call.id for call in found.items])
    return found


def call(call_id: int):
    """The public facts of a published call, or None (a draft is no public data)."""
    found = opendata.call_data([call_id])
    return found[0] if found else None


def _awards():
    return select(Award).join(Call, Call.id == Award.call_id).where(Call.status.in_(PUBLIC_STATUSES))


AWARD_LOADS = (joinedload(Award.bid).joinedload(Bid.organisation), joinedload(Award.lot))


@dataclass
class AwardData:
    award: Award
    call: Call


def _with_calls(awards: list[Award]) -> list[AwardData]:
    """Each award with its call (and the call's place), in one query."""
    call_ids = sorted({award.call_id for award in awards})
    calls_by_id = {call.id: call for call in db.session.scalars(
        select(Call).options(joinedload(Call.place)).where(Call.id.in_(call_ids)))} if call_ids else {}
    return [AwardData(award, calls_by_id[award.call_id]) for award in awards]


def award_status(award: Award, call: Call) -> str:
    """As the open-data tables say it: cancelled, active once the call's award is confirmed, else pending."""
    if award.cancelled_at is not None:
        return "cancelled"
    return "active" if call.status in (CONFIRMED, CONTRACTED) else "pending"


def awards(filters: dict) -> Page:
    """`year` is the year an award was decided; `place` the call's place."""
    statement = _in_year(_in_place(_awards(), Call.place_id, filters), Award.decided_at, filters)
    status = filters.get("status")
    if status == "cancelled":
        statement = statement.where(Award.cancelled_at.is_not(None))
    elif status == "active":
        statement = statement.where(Award.cancelled_at.is_(None), Call.status.in_((CONFIRMED, CONTRACTED)))
    elif status == "pending":
        statement = statement.where(Award.cancelled_at.is_(None), Call.status.not_in((CONFIRMED, CONTRACTED)))
    if filters.get("call") is not None:
        statement = statement.where(Award.call_id == filters["call"])
    found = _paged(statement, filters, Award.id, *AWARD_LOADS)
    found.items = _with_calls(found.items)
    return found


def award(award_id: int) -> AwardData | None:
    found = db.session.scalar(_awards().options(*AWARD_LOADS).where(Award.id == award_id))
    return _with_calls([found])[0] if found is not None else None


# --- contracts ---------------------------------------------------------------------------------------------
CONTRACT_LOADS = (joinedload(Contract.department), joinedload(Contract.organisation), joinedload(Contract.place),
                  selectinload(Contract.milestones))


def approved_payments(contract_ids: list[int]) -> dict[int, list[ContractPayment]]:
    """Each contract's approved payments (one query)."""
    found: dict[int, list] = {contract_id: [] for contract_id in contract_ids}
    if contract_ids:
        for payment in db.session.scalars(select(ContractPayment).where(
                ContractPayment.contract_id.in_(contract_ids), ContractPayment.status == APPROVED)
                .order_by(ContractPayment.decided_at, ContractPayment.id)):
            found[payment.contract_id].append(payment)
    return found


def contracts(filters: dict) -> tuple[Page, dict]:
    """`year` is the year a contract was signed."""
    statement = _in_year(_in_place(select(Contract), Contract.place_id, filters), Contract.signed_at, filters)
    for name, column in (("status", Contract.status), ("call", Contract.call_id),
                         ("organisation", Contract.organisation_id)):
        if filters.get(name) is not None:
            statement = statement.where(column == filters[name])
    found = _paged(statement, filters, Contract.id, *CONTRACT_LOADS)
    return found, approved_payments([contract.id for contract in found.items])


def contract(contract_id: int) -> Contract | None:
    return db.session.scalar(select(Contract).options(*CONTRACT_LOADS).where(Contract.id == contract_id))


# --- cases -------------------------------------------------------------------------------------------------
def _cases():
    """Cases of public categories (a category an administrator keeps private, say elder abuse, never leaves)."""
    return (select(Case).join(CaseCategory, CaseCategory.id == Case.category_id)
            .where(CaseCategory.is_public.is_(True)))


CASE_LOADS = (joinedload(Case.category), joinedload(Case.place))


def cases(filters: dict) -> Page:
    """`year` is the year a case was reported; `category` a category code."""
    statement = _in_year(_in_place(_cases(), Case.place_id, filters), Case.reported_at, filters)
    if filters.get("status") is not None:
        statement = statement.where(Case.status == filters["status"])
    if filters.get("category") is not None:
        statement = statement.where(CaseCategory.code == filters["category"])
    return _paged(statement, filters, Case.id, *CASE_LOADS)


def case(case_id: int) -> Case | None:
    return db.session.scalar(_cases().options(*CASE_LOADS).where(Case.id == case_id))


