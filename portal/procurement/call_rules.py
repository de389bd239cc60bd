"""What a call must say before it is saved and before it is published: the details a buyer types, and the
checks on them. Saving a draft checks that what is there is well-formed (amounts, places, catalogue lines,
criteria); publishing checks that the call is complete and fair (dates ahead, weights summing to 100, the
rules of its mode, the needs it answers or the reason it answers none).

Lot caps: a lot's cap may not exceed what its lines could cost at the catalogue's unit-price ceilings
(quantity x ceiling, summed): the ceiling is the most the buyer may pay for a unit, so money above it could
not be spent lawfully and only invites padded bids. The lots' caps together may not exceed the call's cap.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from portal.core.errors import ValidationFailed
from portal.core.forms import has_control_characters
from portal.core.money import MAX_AMOUNT_MINOR, format_yuan
from portal.extensions import db
from portal.needs.models import ACCEPTED, ANSWERED, Need
from portal.orgs.models import SERVICE_AREAS, VERIFIED, Organisation
from portal.places.models import Place
from portal.procurement.models import (
    CALL_MODES,
    CONTEST,
    CRITERION_KINDS,
    DIRECT_GRANT,
    OPEN_TENDER,
    PAST_PERFORMANCE,
    PRICE,
    QUALITY,
    ROADSHOW,
    CatalogueItem,
)

LOCAL_TIME = ZoneInfo("Asia/Shanghai")
MAX_MIN_BIDS = 20
MAX_AWARDS_PER_LOT = 50
PUBLICITY_DAYS = (1, 30)  # the publicity period (公示) of an award, in days
MAX_LOTS = 20
MAX_LINES_PER_LOT = 30
MAX_QUANTITY = 1_000_000


@dataclass
class LineDraft:
    item_id: int
    quantity: int


@dataclass
class LotDraft:
    title: str
    cap_minor: int
    max_awards: int = 1
    lines: list[LineDraft] = field(default_factory=list)


@dataclass
class CriterionDraft:
    kind: str
    name: str
    weight: int
    rubric: str = ""


@dataclass
class CallDetails:
    """Everything a buyer writes in a call, in the service's terms (money in fen, times aware UTC)."""

    mode: str
    category: str
    title: str
    place_id: int | None
    budget_cap_minor: int
    price_floor_minor: int = 0
    description: str = ""
    eligibility: str = ""
    min_bids: int = 1
    questions_until: datetime | None = None
    bids_until: datetime | None = None
    publicity_days: int = 5
    invited_organisation_id: int | None = None
    roadshow_starts_at: datetime | None = None
    roadshow_ends_at: datetime | None = None
    roadshow_place: str = ""
    consultation: str = ""
    no_need_reason: str = ""
    need_ids: list[int] = field(default_factory=list)
    lots: list[LotDraft] = field(default_factory=list)
    criteria: list[CriterionDraft] = field(default_factory=list)


def clean_text(value, field_name: str, limit: int, required: str | None = None) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(required, field=field_name)
    if len(text) > limit:
        raise ValidationFailed(_("Too long (at most %(limit)d characters).", limit=limit), field=field_name)
    if has_control_characters(text):
        raise ValidationFailed(_("Remove the control characters (such as NUL) from this field; only text, "
                                 "line breaks and tabs are accepted."), field=field_name)
    return text


def local_year(moment: datetime) -> int:
    return moment.astimezone(LOCAL_TIME).year


# --- saving (a draft, or the new state of an amended call) -------------------------------------------------
def check_draft(department, details: CallDetails) -> dict:
    """Refuse what is malformed; returns what the checks loaded (the place, the catalogue items by id)."""
    if details.mode not in CALL_MODES:
        raise ValidationFailed(_("Choose how the call is run."), field="mode")
    if details.category not in SERVICE_AREAS:
        raise ValidationFailed(_("Choose the category of service."), field="category")
    details.title = clean_text(details.title, "title", 160, _("Give the call a title."))
    details.description = clean_text(details.description, "description", 10_000)
    details.eligibility = clean_text(details.eligibility, "eligibility", 5_000)
    details.roadshow_place = clean_text(details.roadshow_place, "roadshow_place", 160)
    details.consultation = clean_text(details.consultation, "consultation", 2_000)
    details.no_need_reason = clean_text(details.no_need_reason, "no_need_reason", 2_000)
    place = db.session.get(Place, details.place_id) if details.place_id else None
    if place is None or not place.is_within(department.place):
        raise ValidationFailed(_("Choose where the service is delivered, within %(place)s.",
                                 place=department.place.name), field="place")
    _check_money(details)
    if not 1 <= (details.min_bids or 0) <= MAX_MIN_BIDS:
        raise ValidationFailed(_("The minimum number of bids is between 1 and %(max)d.", max=MAX_MIN_BIDS),
                               field="min_bids")
    if not PUBLICITY_DAYS[0] <= (details.publicity_days or 0) <= PUBLICITY_DAYS[1]:
        raise ValidationFailed(_("The publicity period is between %(low)d and %(high)d days.",
                                 low=PUBLICITY_DAYS[0], high=PUBLICITY_DAYS[1]), field="publicity_days")
    if details.questions_until and details.bids_until and details.questions_until >= details.bids_until:
        raise ValidationFailed(_("Questions must close before the bid deadline."), field="questions_until")
    if details.roadshow_starts_at and details.roadshow_ends_at and \
            details.roadshow_starts_at >= details.roadshow_ends_at:
        raise ValidationFailed(_("The roadshow must end after it starts."), field="roadshow_ends_at")
    items = _check_lots(department, details)
    _check_criteria_shape(details)
    details.need_ids = sorted(set(details.need_ids))
    return {"place": place, "items": items}


def _check_money(details: CallDetails) -> None:
    cap, floor = details.budget_cap_minor, details.price_floor_minor or 0
    if not isinstance(cap, int) or cap <= 0:
        raise ValidationFailed(_("Enter the budget cap."), field="budget_cap")
    if cap > MAX_AMOUNT_MINOR:
        raise ValidationFailed(_("The amount is too large (at most %(max)s yuan).",
                                 max=format_yuan(MAX_AMOUNT_MINOR)), field="budget_cap")
    if floor < 0:
        raise ValidationFailed(_("The amount cannot be negative."), field="price_floor")
    if floor >= cap:
        raise ValidationFailed(_("The price floor must be below the budget cap: prices between them are scored "
                                 "on a line from full marks at the floor to none at the cap."), field="price_floor")
    details.price_floor_minor = floor


def _check_lots(department, details: CallDetails) -> dict:
    if not details.lots:
        raise ValidationFailed(_("A call needs at least one lot, with at least one catalogue line."), field="lots")
    if len(details.lots) > MAX_LOTS:
        raise ValidationFailed(_("At most %(max)d lots.", max=MAX_LOTS), field="lots")
    item_ids = {line.item_id for lot in details.lots for line in lot.lines}
    items = {item.id: item for item in db.session.scalars(
        select(CatalogueItem).where(CatalogueItem.id.in_(item_ids)))} if item_ids else {}
    years = set()
    total = 0
    for number, lot in enumerate(details.lots, start=1):
        lot.title = clean_text(lot.title, "lots", 160, _("Lot %(n)d: give it a title.", n=number))
        if not isinstance(lot.cap_minor, int) or lot.cap_minor <= 0:
            raise ValidationFailed(_("Lot %(n)d: enter its budget cap.", n=number), field="lots")
        if not 1 <= (lot.max_awards or 0) <= MAX_AWARDS_PER_LOT:
            raise ValidationFailed(_("Lot %(n)d: it is awarded to between 1 and %(max)d bidders.", n=number,
                                     max=MAX_AWARDS_PER_LOT), field="lots")
        if not lot.lines:
            raise ValidationFailed(_("Lot %(n)d: add at least one catalogue line.", n=number), field="lots")
        if len(lot.lines) > MAX_LINES_PER_LOT:
            raise ValidationFailed(_("Lot %(n)d: at most %(max)d lines.", n=number, max=MAX_LINES_PER_LOT),
                                   field="lots")
        seen, ceiling_total = set(), 0
        for line in lot.lines:
            item = items.get(line.item_id)
            if item is None or item.department_id != department.id:
                raise ValidationFailed(_("Lot %(n)d: choose items of %(department)s's purchase catalogue.",
                                         n=number, department=department.name), field="lots")
            if item.category != details.category:
                raise ValidationFailed(_("Lot %(n)d: “%(item)s” is not in the call's category.", n=number,
                                         item=item.name), field="lots")
            if item.id in seen:
                raise ValidationFailed(_("Lot %(n)d: “%(item)s” is listed twice.", n=number, item=item.name),
                                       field="lots")
            if not isinstance(line.quantity, int) or not 1 <= line.quantity <= MAX_QUANTITY:
                raise ValidationFailed(_("Lot %(n)d: enter a whole quantity of at least 1 for “%(item)s”.",
                                         n=number, item=item.name), field="lots")
            seen.add(item.id)
            years.add(item.year)
            ceiling_total += line.quantity * item.unit_price_ceiling_minor
        if lot.cap_minor > ceiling_total:
            raise ValidationFailed(_("Lot %(n)d: its cap (%(cap)s yuan) is more than its lines can cost at the "
                                     "catalogue's unit-price ceilings (%(ceiling)s yuan).", n=number,
                                     cap=format_yuan(lot.cap_minor), ceiling=format_yuan(ceiling_total)),
                                   field="lots")
        total += lot.cap_minor
    if len(years) > 1:
        raise ValidationFailed(_("Take every line from one year's catalogue."), field="lots")
    if total > details.budget_cap_minor:
        raise ValidationFailed(_("The lots' caps add up to %(total)s yuan, more than the call's cap of %(cap)s "
                                 "yuan.", total=format_yuan(total), cap=format_yuan(details.budget_cap_minor)),
                               field="lots")
    return items


def _check_criteria_shape(details: CallDetails) -> None:
    for position, criterion in enumerate(details.criteria, start=1):
        if criterion.kind not in CRITERION_KINDS:
            raise ValidationFailed(_("Criterion %(n)d: choose its kind.", n=position), field="criteria")
        criterion.name = clean_text(criterion.name, "criteria", 120,
                                    _("Criterion %(n)d: give it a name.", n=position))
        criterion.rubric = clean_text(criterion.rubric, "criteria", 2_000)
        if not isinstance(criterion.weight, int) or not 1 <= criterion.weight <= 100:
            raise ValidationFailed(_("Criterion %(n)d: its weight is a whole percentage from 1 to 100.",
                                     n=position), field="criteria")


# --- publishing -------------------------------------------------------------------------------------------
def check_publishable(department, details: CallDetails, now: datetime, *, amending: bool = False,
                      questions_changed: bool = True) -> None:
    """Refuse a call that is not complete and fair. `amending`: a published call's new state, whose questions
    may already be closed (then only a changed questions date must lie ahead)."""
    loaded = check_draft(department, details)
    _check_dates(details, now, amending, questions_changed)
    _check_mode(details)
    _check_criteria(details)
    _check_needs(details, loaded["place"])
    years = {item.year for item in loaded["items"].values()}
    allowed = {local_year(now), local_year(details.bids_until)}
    if years and not years <= allowed:
        raise ValidationFailed(_("Take the lines from this year's purchase catalogue (or the deadline's year)."),
                               field="lots")


def _check_dates(details: CallDetails, now: datetime, amending: bool, questions_changed: bool) -> None:
    if details.questions_until is None:
        raise ValidationFailed(_("Enter until when questions are taken."), field="questions_until")
    if details.bids_until is None:
        raise ValidationFailed(_("Enter the bid deadline."), field="bids_until")
    if details.bids_until <= now:
        raise ValidationFailed(_("The bid deadline must be in the future."), field="bids_until")
    if (questions_changed or not amending) and details.questions_until <= now:
        raise ValidationFailed(_("Questions must close in the future."), field="questions_until")
    if details.questions_until >= details.bids_until:
        raise ValidationFailed(_("Questions must close before the bid deadline."), field="questions_until")


def _check_mode(details: CallDetails) -> None:
    if details.mode == DIRECT_GRANT:
        organisation = (db.session.get(Organisation, details.invited_organisation_id)
                        if details.invited_organisation_id else None)
        if organisation is None or organisation.status != VERIFIED:
            raise ValidationFailed(_("A direct grant names the verified organisation invited to propose."),
                                   field="invited_organisation")
        if details.min_bids != 1:
            raise ValidationFailed(_("A direct grant invites one organisation: its minimum number of bids is 1."),
                                   field="min_bids")
    elif details.invited_organisation_id:
        raise ValidationFailed(_("Only a direct grant invites one organisation; open the call to all qualified "
                                 "organisations instead."), field="invited_organisation")
    if details.mode == CONTEST:
        if details.roadshow_starts_at is None or details.roadshow_ends_at is None:
            raise ValidationFailed(_("A contest holds a public roadshow: enter when it starts and ends."),
                                   field="roadshow_starts_at")
        if details.roadshow_starts_at < details.bids_until:
            raise ValidationFailed(_("The roadshow comes after the bid deadline."), field="roadshow_starts_at")
    else:
        details.roadshow_starts_at = details.roadshow_ends_at = None
        details.roadshow_place = ""


def _check_criteria(details: CallDetails) -> None:
    criteria = details.criteria
    kinds = [criterion.kind for criterion in criteria]
    total = sum(criterion.weight for criterion in criteria)
    if total != 100:
        raise ValidationFailed(_("The published weights add up to %(total)d; they must add up to 100.",
                                 total=total), field="criteria")
    if details.mode == OPEN_TENDER and kinds.count(PRICE) != 1:
        raise ValidationFailed(_("An open tender scores price as exactly one criterion."), field="criteria")
    if kinds.count(PRICE) > 1 or kinds.count(PAST_PERFORMANCE) > 1 or kinds.count(ROADSHOW) > 1:
        raise ValidationFailed(_("Price, past performance and the roadshow vote are each one criterion at most."),
                               field="criteria")
    if QUALITY not in kinds:
        raise ValidationFailed(_("Add at least one quality sub-criterion, with its rubric."), field="criteria")
    for criterion in criteria:
        if criterion.kind == QUALITY and not criterion.rubric:
            raise ValidationFailed(_("Quality sub-criterion “%(name)s” needs a rubric: what earns 0 to 5 points.",
                                     name=criterion.name), field="criteria")
    if details.mode == CONTEST and ROADSHOW not in kinds:
        raise ValidationFailed(_("A contest weighs the residents' roadshow vote: add a roadshow criterion."),
                               field="criteria")
    if details.mode != CONTEST and ROADSHOW in kinds:
        raise ValidationFailed(_("Only a contest has a roadshow vote."), field="criteria")


def _check_needs(details: CallDetails, place: Place) -> None:
    if details.need_ids:
        needs = list(db.session.scalars(select(Need).where(Need.id.in_(details.need_ids))))
        if len(needs) != len(details.need_ids):
            raise ValidationFailed(_("Choose needs from the list."), field="needs")
        place_ids = {need.place_id for need in needs}
        places = {p.id: p for p in db.session.scalars(select(Place).where(Place.id.in_(place_ids)))}
        for need in needs:
            if need.status not in (ACCEPTED, ANSWERED) or not places[need.place_id].is_within(place):
                raise ValidationFailed(_("“%(title)s” is not an accepted need of the call's place.",
                                         title=need.title), field="needs")
    elif not details.consultation and not details.no_need_reason:
        raise ValidationFailed(_("Link the residents' needs the call answers, name the consultation it answers, "
                                 "or say publicly why it answers neither."), field="no_need_reason")


def deadline_after_amendment(bids_until: datetime, now: datetime, notice: timedelta) -> tuple[datetime, bool]:
    """An amendment less than `notice` before the deadline moves the deadline to now + notice."""
    if bids_until - now < notice:
        return now + notice, True
    return bids_until, False
