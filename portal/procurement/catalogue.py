"""The buyers' side before any call: departments, the purchase catalogue (购买服务目录), the qualified-organisation
list (承接主体目录) and the local minimum wage. The only code that changes them; every change is audited.

Other procurement modules ask two questions here: `is_qualified(organisation, category, place)` (may this
organisation bid for a call of this category delivered on this place?) and `minimum_wage_for(place)` (the
hourly minimum wage that applies there, for the abnormally-low check). The CSV import of catalogue items is in
portal/procurement/catalogue_import.py.
"""
import re

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from portal.accounts import roles
from portal.accounts.scopes import has_place_role, places_with_role
from portal.audit import service as audit
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.money import format_yuan, parse_amount
from portal.core.time import utcnow
from portal.extensions import db
from portal.orgs.models import SERVICE_AREAS, VERIFIED, Organisation
from portal.places.models import DISTRICT, STREET, Place
from portal.procurement.models import (
    DRAFT,
    SERVICE_UNITS,
    Call,
    CatalogueItem,
    Department,
    Lot,
    LotLine,
    MinimumWage,
    Qualification,
)

DEPARTMENT_NAME_MAX = 120
ITEM_NAME_MAX = 120
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
QUALITY_STANDARD_MAX = 2000
TEXT_MAX = 2000
YEAR_MIN, YEAR_MAX = 2000, 2100
YEARS_REGISTERED_MAX = 100
# A unit price above this is a typo (the ceiling of one hour, visit, person-month or session of service).
CEILING_MAX_MINOR = 1_000_000 * 100
# An hourly wage above this is a typo (yuan entered as fen, or a monthly wage).
HOURLY_WAGE_MAX_MINOR = 1_000 * 100
# Buyers sit on districts (区民政局) and streets (街道办事处); qualifications and minimum wages are set there too.
BUYER_PLACE_KINDS = (DISTRICT, STREET)


# --- loaders (object_policy) ---------------------------------------------------------------------------

def load_item(item_id: int) -> CatalogueItem | None:
    return db.session.scalar(select(CatalogueItem).options(
        joinedload(CatalogueItem.department).joinedload(Department.place)).where(CatalogueItem.id == item_id))


def load_qualification(qualification_id: int) -> Qualification | None:
    return db.session.scalar(select(Qualification).options(
        joinedload(Qualification.place), joinedload(Qualification.organisation))
        .where(Qualification.id == qualification_id))


# --- the two questions other modules ask ----------------------------------------------------------------

def is_qualified(organisation, category: str, place) -> bool:
    """True when `organisation` holds a qualification (not revoked) for `category` on `place` or on a place above
    it. Whether the organisation is still verified (not suspended) is asked separately by the caller, so it can
    say which rule refused."""
    if organisation is None or place is None:
        return False
    return db.session.scalar(
        select(Qualification.id).where(Qualification.organisation_id == organisation.id,
                                       Qualification.category == category,
                                       Qualification.place_id.in_(place.ancestor_ids),
                                       Qualification.revoked_at.is_(None)).limit(1)) is not None


def minimum_wage_for(place) -> int | None:
    """The hourly minimum wage in fen that applies on `place`: its own setting, else the nearest place above it
    with one; None when no place up the tree has one."""
    if place is None:
        return None
    ids = place.ancestor_ids
    rows = dict(db.session.execute(select(MinimumWage.place_id, MinimumWage.hourly_minor)
                                   .where(MinimumWage.place_id.in_(ids))).all())
    for place_id in reversed(ids):
        if place_id in rows:
            return rows[place_id]
    return None


# --- where an official may act -------------------------------------------------------------------------

def buyer_places(user) -> list[Place]:
    """Districts and streets within the places where `user` is an official (where they may set up a department,
    record qualifications and set the minimum wage), in tree order."""
    scopes = places_with_role(user, roles.OFFICIAL)
    if not scopes:
        return []
    return list(db.session.scalars(
        select(Place).where(Place.kind.in_(BUYER_PLACE_KINDS),
                            or_(*[Place.path.startswith(scope.path, autoescape=True) for scope in scopes]))
        .order_by(Place.path)))


def _check_buyer_place(actor, place, field: str = "place") -> None:
    if place is None or place.kind not in BUYER_PLACE_KINDS or not has_place_role(
            actor, place, roles.OFFICIAL, platform_counts=False):
        raise ValidationFailed(_("Choose a district or street in your area from the list."), field=field)


# --- departments ---------------------------------------------------------------------------------------

def _clean_text(value, field: str, maximum: int, required_message: str | None = None) -> str:
    value = (value or "").strip()
    if required_message and not value:
        raise ValidationFailed(required_message, field=field)
    if len(value) > maximum:
        raise ValidationFailed(_("This is too long (at most %(max)d characters).", max=maximum), field=field)
    return value


def create_department(place, name: str, *, actor) -> Department:
    """A buying department (e.g. 西陵区民政局) on a district or street where `actor` is an official."""
    _check_buyer_place(actor, place)
    name = _clean_text(name, "name", DEPARTMENT_NAME_MAX, _("Enter the department's name."))
    taken = db.session.scalar(select(Department.id).where(Department.place_id == place.id, Department.name == name))
    if taken is not None:
        raise ValidationFailed(_("%(place)s already has a department called %(name)s.", place=place.name, name=name),
                               field="name")
    department = Department(place_id=place.id, name=name)
    db.session.add(department)
    db.session.flush()
    audit.record("department.created", "department", department.id, actor=actor,
                 after={"place_id": place.id, "name": name})
    return department


def departments_for(user) -> list[Department]:
    """The departments `user` buys for (an official on or above their place)."""
    places = places_with_role(user, roles.OFFICIAL)
    if not places:
        return []
    return list(db.session.scalars(
        select(Department).join(Place, Place.id == Department.place_id).options(joinedload(Department.place))
        .where(or_(*[Place.path.startswith(scope.path, autoescape=True) for scope in places]))
        .order_by(Place.path, Department.name)))


def all_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).join(Place, Place.id == Department.place_id)
                                   .options(joinedload(Department.place)).order_by(Place.path, Department.name)))


# --- catalogue items -----------------------------------------------------------------------------------

def clean_year(value, field: str = "year") -> int:
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()):
            raise ValidationFailed(_("Enter the year as four digits, e.g. 2026."), field=field)
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not YEAR_MIN <= value <= YEAR_MAX:
        raise ValidationFailed(_("Enter the year as four digits, e.g. 2026."), field=field)
    return value


def clean_code(value, field: str = "code") -> str:
    code = (value or "").strip()
    if not code:
        raise ValidationFailed(_("Enter a code."), field=field)
    if not CODE_RE.match(code):
        raise ValidationFailed(_("A code has 1 to 32 letters, digits, dots, dashes or underscores."), field=field)
    return code


def clean_category(value, field: str = "category") -> str:
    if value not in SERVICE_AREAS:
        raise ValidationFailed(_("Choose a category from the list."), field=field)
    return value


def clean_unit(value, field: str = "unit") -> str:
    if value not in SERVICE_UNITS:
        raise ValidationFailed(_("Choose a unit: hour, visit, person-month or session."), field=field)
    return value


def clean_ceiling(value, field: str = "unit_price_ceiling") -> int:
    """Yuan as typed ('80' or '80.50') -> fen; more than zero and not absurd."""
    return parse_amount(value, field=field, maximum_minor=CEILING_MAX_MINOR)


def item_snapshot(item: CatalogueItem) -> dict:
    return {"department_id": item.department_id, "year": item.year, "code": item.code, "name": item.name,
            "category": item.category, "unit": item.unit, "unit_price_ceiling_minor": item.unit_price_ceiling_minor,
            "quality_standard": item.quality_standard}


def code_taken(department, year: int, code: str, exclude: CatalogueItem | None = None) -> bool:
    statement = select(CatalogueItem.id).where(CatalogueItem.department_id == department.id,
                                               CatalogueItem.year == year, CatalogueItem.code == code)
    if exclude is not None:
        statement = statement.where(CatalogueItem.id != exclude.id)
    return db.session.scalar(statement.limit(1)) is not None


def _clean_item(department, year, code, name, category, unit, ceiling, quality_standard, exclude=None) -> dict:
    values = {"year": clean_year(year), "code": clean_code(code),
              "name": _clean_text(name, "name", ITEM_NAME_MAX, _("Enter the service's name.")),
              "category": clean_category(category), "unit": clean_unit(unit),
              "unit_price_ceiling_minor": clean_ceiling(ceiling),
              "quality_standard": _clean_text(quality_standard, "quality_standard", QUALITY_STANDARD_MAX,
                                              _("Enter the quality standard the service is accepted against."))}
    if code_taken(department, values["year"], values["code"], exclude):
        raise ValidationFailed(_("The %(year)d catalogue already has an item with the code %(code)s.",
                                 year=values["year"], code=values["code"]), field="code")
    return values


def create_item(department, *, actor, year, code, name, category, unit, ceiling, quality_standard) -> CatalogueItem:
    """A catalogue line: `ceiling` is the unit-price ceiling in yuan as typed."""
    values = _clean_item(department, year, code, name, category, unit, ceiling, quality_standard)
    item = CatalogueItem(department_id=department.id, **values)
    db.session.add(item)
    db.session.flush()
    audit.record("catalogue_item.created", "catalogue_item", item.id, actor=actor, after=item_snapshot(item))
    return item


def used_by_published_call(item) -> bool:
    """A call past its draft buys this item: its terms are the call's published terms."""
    return db.session.scalar(select(LotLine.id).join(Lot, Lot.id == LotLine.lot_id).join(Call, Call.id == Lot.call_id)
                             .where(LotLine.catalogue_item_id == item.id, Call.status != DRAFT).limit(1)) is not None


def update_item(item, *, actor, year, code, name, category, unit, ceiling, quality_standard) -> CatalogueItem:
    """Edit a catalogue line, unless a published call buys it (then the line is part of that call's terms: add
    a new line instead)."""
    values = _clean_item(item.department, year, code, name, category, unit, ceiling, quality_standard, exclude=item)
    if used_by_published_call(item) and any(getattr(item, key) != value for key, value in values.items()):
        raise DomainError(_("A published call buys this item, so its terms cannot change. Add a new item for "
                            "future calls instead."))
    before = item_snapshot(item)
    for key, value in values.items():
        setattr(item, key, value)
    after = item_snapshot(item)
    if after != before:
        db.session.flush()
        audit.record("catalogue_item.updated", "catalogue_item", item.id, actor=actor, before=before, after=after)
    return item


def ceiling_text(item) -> str:
    """The ceiling as an official typed it (for the edit form)."""
    return format_yuan(item.unit_price_ceiling_minor).replace(",", "")


def catalogue_query(department_id: int | None = None, year: int | None = None):
    """The public catalogue, newest year first, then by department and code; departments and places loaded
    with the items (one query per page whatever its length)."""
    statement = (select(CatalogueItem).join(Department, Department.id == CatalogueItem.department_id)
                 .options(joinedload(CatalogueItem.department).joinedload(Department.place))
                 .order_by(CatalogueItem.year.desc(), Department.name, CatalogueItem.code))
    if department_id is not None:
        statement = statement.where(CatalogueItem.department_id == department_id)
    if year is not None:
        statement = statement.where(CatalogueItem.year == year)
    return statement


def catalogue_years() -> list[int]:
    return list(db.session.scalars(select(CatalogueItem.year).distinct().order_by(CatalogueItem.year.desc())))


# --- qualified organisations ---------------------------------------------------------------------------

def _qualification_snapshot(qualification: Qualification) -> dict:
    return {"organisation_id": qualification.organisation_id, "place_id": qualification.place_id,
            "category": qualification.category, "years_registered": qualification.years_registered,
            "past_delivery": qualification.past_delivery, "note": qualification.note,
            "revoked_reason": qualification.revoked_reason}


def _clean_years(value) -> int:
    if isinstance(value, str):
        value = value.strip()
        value = int(value) if value.isascii() and value.isdigit() else None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= YEARS_REGISTERED_MAX:
        raise ValidationFailed(_("Enter the years since registration as a whole number from 0 to %(max)d.",
                                 max=YEARS_REGISTERED_MAX), field="years_registered")
    return value


def record_qualification(organisation, place, category: str, *, actor, years_registered=0, past_delivery: str = "",
                         note: str = "") -> Qualification:
    """Enter a verified organisation in the qualified list for a category on a district or street where `actor` is
    an official, with the criteria it met. A revoked entry for the same organisation, place and category is
    recorded again (the same row: its history is in the audit log)."""
    if organisation is None:
        raise ValidationFailed(_("Choose an organisation from the list."), field="organisation")
    if organisation.status != VERIFIED:
        raise ValidationFailed(_("Only a verified organisation can be qualified; %(name)s is not verified.",
                                 name=organisation.name), field="organisation")
    _check_buyer_place(actor, place)
    category = clean_category(category)
    years_registered = _clean_years(years_registered)
    past_delivery = _clean_text(past_delivery, "past_delivery", TEXT_MAX,
                                _("Describe what the organisation has delivered before (or write “none yet”)."))
    note = _clean_text(note, "note", TEXT_MAX)
    existing = db.session.scalar(select(Qualification).where(
        Qualification.organisation_id == organisation.id, Qualification.place_id == place.id,
        Qualification.category == category).with_for_update())
    if existing is not None and existing.revoked_at is None:
        raise ValidationFailed(_("%(name)s is already qualified for %(category)s in %(place)s.",
                                 name=organisation.name, category=SERVICE_AREAS[category], place=place.name),
                               field="category")
    before = _qualification_snapshot(existing) if existing is not None else None
    qualification = existing or Qualification(organisation_id=organisation.id, place_id=place.id, category=category)
    qualification.years_registered, qualification.past_delivery, qualification.note = (
        years_registered, past_delivery, note)
    qualification.recorded_by_id, qualification.recorded_at = actor.id, utcnow()
    qualification.revoked_at = qualification.revoked_reason = None
    db.session.add(qualification)
    db.session.flush()
    audit.record("qualification.recorded", "qualification", qualification.id, actor=actor, before=before,
                 after=_qualification_snapshot(qualification))
    return qualification


def revoke_qualification(qualification, *, actor, reason: str) -> Qualification:
    """Take an organisation off the qualified list for the category, with a reason shown to it and the public."""
    reason = _clean_text(reason, "reason", TEXT_MAX, _("Give the reason for revoking the qualification."))
    if qualification.revoked_at is not None:
        raise IllegalTransition(_("This qualification is already revoked."))
    before = _qualification_snapshot(qualification)
    qualification.revoked_at, qualification.revoked_reason = utcnow(), reason
    db.session.flush()
    audit.record("qualification.revoked", "qualification", qualification.id, actor=actor, before=before,
                 after=_qualification_snapshot(qualification))
    return qualification


def qualified_query(category: str | None = None):
    """The public qualified-organisation list: qualifications in force of verified organisations, by
    organisation; organisations and places loaded with them."""
    statement = (select(Qualification).join(Organisation, Organisation.id == Qualification.organisation_id)
                 .join(Place, Place.id == Qualification.place_id)
                 .options(joinedload(Qualification.organisation), joinedload(Qualification.place))
                 .where(Qualification.revoked_at.is_(None), Organisation.status == VERIFIED)
                 .order_by(Organisation.name, Place.path, Qualification.category))
    if category in SERVICE_AREAS:
        statement = statement.where(Qualification.category == category)
    return statement


def verified_organisations() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).where(Organisation.status == VERIFIED)
                                   .order_by(Organisation.name)))


# --- the local minimum wage ----------------------------------------------------------------------------

def set_minimum_wage(place, *, actor, hourly) -> MinimumWage:
    """Set the hourly minimum wage (yuan as typed) on a district or street where `actor` is an official; the
    places under it follow unless they have their own."""
    _check_buyer_place(actor, place)
    hourly_minor = parse_amount(hourly, field="hourly", maximum_minor=HOURLY_WAGE_MAX_MINOR)
    setting = db.session.get(MinimumWage, place.id)
    before = {"hourly_minor": setting.hourly_minor} if setting is not None else None
    if setting is None:
        setting = MinimumWage(place_id=place.id, hourly_minor=hourly_minor, set_by_id=actor.id)
        db.session.add(setting)
    else:
        if setting.hourly_minor == hourly_minor:
            return setting
        setting.hourly_minor, setting.set_by_id, setting.set_at = hourly_minor, actor.id, utcnow()
    db.session.flush()
    audit.record("minimum_wage.set", "place", place.id, actor=actor, before=before,
                 after={"hourly_minor": hourly_minor})
    return setting


def minimum_wages_in(places: list[Place]) -> dict[int, MinimumWage]:
    """The settings on these places, by place id (one query)."""
    if not places:
        return {}
    return {row.place_id: row for row in db.session.scalars(
        select(MinimumWage).where(MinimumWage.place_id.in_([place.id for place in places])))}


def get_place(place_id) -> Place | None:
    return db.session.get(Place, int(place_id)) if str(place_id or "").isdigit() else None


def get_organisation(organisation_id) -> Organisation | None:
    return db.session.get(Organisation, int(organisation_id)) if str(organisation_id or "").isdigit() else None

