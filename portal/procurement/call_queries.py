"""Read-only queries of the calls pages: the public list, the call's page extras, the official's workbench."""
from dataclasses import dataclass, field

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts import roles
from portal.accounts.scopes import places_with_role
from portal.core.time import utcnow
from portal.extensions import db
from portal.needs.models import ACCEPTED, ANSWERED, Need
from portal.orgs.models import VERIFIED, Organisation
from portal.places.models import GRID, Place
from portal.places.service import subtree_ids_query
from portal.procurement import sections
from portal.procurement.models import (
    ASKED,
    AWARDED,
    CALL_MODES,
    CLOSED,
    CONFIRMED,
    DRAFT,
    EVALUATION,
    EXPLAINED,
    OBJECTION_OPEN,
    PUBLIC_STATUSES,
    PUBLISHED,
    Bid,
    Call,
    CallNeed,
    CallQuestion,
    CallRevision,
    CatalogueItem,
    Department,
    Lot,
    LotLine,
    LowPriceReview,
    Objection,
)


# --- the public list ---------------------------------------------------------------------------------------
def place_choices() -> list[Place]:
    """Places a call may be filtered by (everything above the grids), tree order."""
    return list(db.session.scalars(select(Place).where(Place.kind != GRID).order_by(Place.path)))


def list_query(mode: str = "", status: str = "", place: Place | None = None, category: str = ""):
    """Published calls (any state after draft), open ones first, then the most recently published."""
    statement = (select(Call).options(joinedload(Call.department), joinedload(Call.place))
                 .where(Call.status.in_(PUBLIC_STATUSES))
                 .order_by(case((Call.status == PUBLISHED, 0), else_=1), Call.published_at.desc(), Call.id.desc()))
    if mode in CALL_MODES:
        statement = statement.where(Call.mode == mode)
    if status in PUBLIC_STATUSES:
        statement = statement.where(Call.status == status)
    if place is not None:
        statement = statement.where(Call.place_id.in_(subtree_ids_query(place)))
    if category:
        statement = statement.where(Call.category == category)
    return statement


# --- a call's page -----------------------------------------------------------------------------------------
def call_for_page(call_id: int) -> Call | None:
    return db.session.scalar(select(Call).options(
        joinedload(Call.department).joinedload(Department.place), joinedload(Call.place),
        joinedload(Call.invited_organisation),
        selectinload(Call.lots).selectinload(Lot.lines).joinedload(LotLine.item),
        selectinload(Call.criteria)).where(Call.id == call_id))


def needs_of(call: Call) -> list[Need]:
    return list(db.session.scalars(select(Need).join(CallNeed, CallNeed.need_id == Need.id)
                                   .where(CallNeed.call_id == call.id).order_by(Need.backing_count.desc(), Need.id)))


def revisions_of(call: Call) -> list[CallRevision]:
    return list(db.session.scalars(select(CallRevision).where(CallRevision.call_id == call.id)
                                   .order_by(CallRevision.number.desc())))


# --- the draft form's choices ------------------------------------------------------------------------------
def department_places(department) -> list[Place]:
    return list(db.session.scalars(select(Place).where(Place.id.in_(subtree_ids_query(department.place)))
                                   .order_by(Place.path)))


def catalogue_choices(department) -> list[CatalogueItem]:
    """The department's catalogue items of this year and later, newest year first."""
    from portal.procurement.call_rules import local_year

    return list(db.session.scalars(select(CatalogueItem).where(CatalogueItem.department_id == department.id,
                                                               CatalogueItem.year >= local_year(utcnow()) - 1)
                                   .order_by(CatalogueItem.year.desc(), CatalogueItem.code)))


def need_choices(department, keep_ids=()) -> list[Need]:
    """Accepted or answered needs in the department's place (the service checks they lie in the call's place)."""
    condition = (Need.place_id.in_(subtree_ids_query(department.place)) & Need.status.in_((ACCEPTED, ANSWERED)))
    if keep_ids:
        condition = or_(condition, Need.id.in_(list(keep_ids)))
    return list(db.session.scalars(select(Need).options(joinedload(Need.place)).where(condition)
                                   .order_by(Need.backing_count.desc(), Need.id).limit(200)))


def organisation_choices() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).where(Organisation.status == VERIFIED)
                                   .order_by(Organisation.name).limit(500)))


# --- the official's workbench ------------------------------------------------------------------------------
def departments_in_scope(user) -> list[Department]:
    scopes = places_with_role(user, roles.OFFICIAL)
    if not scopes:
        return []
    within = or_(*[Place.path.startswith(scope.path, autoescape=True) for scope in scopes])
    return list(db.session.scalars(select(Department).join(Place, Place.id == Department.place_id)
                                   .options(joinedload(Department.place)).where(within)
                                   .order_by(Place.path, Department.name)))


@dataclass
class Workbench:
    departments: list
    drafts: list = field(default_factory=list)
    questions: list = field(default_factory=list)
    evaluation: list = field(default_factory=list)
    publicity: list = field(default_factory=list)
    objections: list = field(default_factory=list)
    low_price: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # (kind, call id) -> how many
    actions: list = field(default_factory=list)  # (call, label, url) from sections.buyer_actions

    @property
    def empty(self) -> bool:
        return not (self.drafts or self.questions or self.evaluation or self.publicity or self.objections
                    or self.low_price or self.actions)


def _counts_by_call(statement) -> dict:
    return {row[0]: row[1] for row in db.session.execute(statement)}


def workbench(user) -> Workbench:
    """The calls of the departments in the official's scope, grouped by what the buyer must do."""
    departments = departments_in_scope(user)
    bench = Workbench(departments=departments)
    if not departments:
        return bench
    department_ids = [department.id for department in departments]
    calls = list(db.session.scalars(
        select(Call).options(joinedload(Call.department), joinedload(Call.place))
        .where(Call.department_id.in_(department_ids),
               Call.status.in_((DRAFT, PUBLISHED, CLOSED, EVALUATION, AWARDED, CONFIRMED)))  # confirmed: to sign
        .order_by(Call.bids_until.is_(None), Call.bids_until, Call.id)))
    ids = [call.id for call in calls]
    questions = _counts_by_call(select(CallQuestion.call_id, func.count())
                                .where(CallQuestion.call_id.in_(ids), CallQuestion.answer.is_(None))
                                .group_by(CallQuestion.call_id)) if ids else {}
    objections = _counts_by_call(select(Objection.call_id, func.count())
                                 .where(Objection.call_id.in_(ids), Objection.status == OBJECTION_OPEN)
                                 .group_by(Objection.call_id)) if ids else {}
    low_price = _counts_by_call(select(Bid.call_id, func.count()).join(LowPriceReview, LowPriceReview.bid_id == Bid.id)
                                .where(Bid.call_id.in_(ids), LowPriceReview.status.in_((ASKED, EXPLAINED)))
                                .group_by(Bid.call_id)) if ids else {}
    now = utcnow()
    for call in calls:
        if call.status == DRAFT:
            bench.drafts.append(call)
        if questions.get(call.id):
            bench.questions.append(call)
            bench.counts[("questions", call.id)] = questions[call.id]
        if call.status in (CLOSED, EVALUATION) or (call.status == PUBLISHED and call.bids_until
                                                    and call.bids_until <= now):
            bench.evaluation.append(call)
        if call.status == AWARDED:
            bench.publicity.append(call)
        if objections.get(call.id):
            bench.objections.append(call)
            bench.counts[("objections", call.id)] = objections[call.id]
        if low_price.get(call.id):
            bench.low_price.append(call)
            bench.counts[("low_price", call.id)] = low_price[call.id]
        for found in sections.buyer_actions(call):
            for label, url in found or ():
                bench.actions.append((call, label, url))
    return bench
