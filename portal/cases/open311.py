"""Open311 GeoReport v2 over the cases service: case categories as services, cases of public categories as
service requests, a posted request turned into `service.report_case`, each document in the spec's JSON or XML.

Only the field names of the spec (http://wiki.open311.org/GeoReport_v2) leave this module; a service request's
id is the case's reference (AJ-YYYYMMDD-00042). Errors are the spec's error documents with the HTTP status.
"""
import re
import secrets
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.audit import service as audit
from portal.cases import service
from portal.cases.models import OPEN_STATUSES, REJECTED, REPORT_PHOTO, Case, CaseCategory
from portal.contracts.models import Contract
from portal.core.errors import DomainError
from portal.core.forms import has_control_characters
from portal.core.time import utcnow
from portal.extensions import db
from portal.places.models import Place

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
MAX_REQUESTS = 1000  # the most one GET /requests answers
DEFAULT_DAYS = 90  # the spec's default window, and the widest a query may ask for
CITY_TIME = ZoneInfo("Asia/Shanghai")  # datetimes leave in the city's time, with their offset
VIA = "open311"
DESCRIPTION_MAX = 4000
ADDRESS_MAX = 255
MEDIA_URL_MAX = 1000
# a client's own idempotency key; it is stored under its API key (o311-<key id>-<client key>), so two systems
# never collide with each other or with a phone's offline queue, and the stored key is the request's token
CLIENT_KEY = re.compile(r"^[A-Za-z0-9._~-]{1,48}$")
TOKEN_PREFIX = "o311-"
# the XML element of one item of each list the documents hold
ITEM_ELEMENTS = {"services": "service", "service_requests": "request", "errors": "error",
                 "attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


class Open311Error(Exception):
    """An answer that is an Open311 error document: `status` is the HTTP status and the document's code."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


# --- documents ------------------------------------------------------------------------------------------

def _xml_value(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for name, inner in value.items():
            if inner is not None:
                _xml_value(ET.SubElement(element, name), inner)
    elif isinstance(value, list):
        for inner in value:
            _xml_value(ET.SubElement(element, ITEM_ELEMENTS[element.tag]), inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def to_xml(root: str, value) -> bytes:
    """`value` (a list of rows, or one row) under the element `root`, each list item in its spec element."""
    element = ET.Element(root)
    _xml_value(element, value)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def without_nones(value):
    """JSON leaves out what a case does not have (a point, a photo), as the XML does."""
    if isinstance(value, dict):
        return {name: without_nones(inner) for name, inner in value.items() if inner is not None}
    if isinstance(value, list):
        return [without_nones(inner) for inner in value]
    return value


def error_rows(status: int, description: str) -> list[dict]:
    return [{"code": status, "description": description}]


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(CITY_TIME).isoformat(timespec="seconds")


# --- discovery and services -----------------------------------------------------------------------------

def discovery(endpoint_url: str, contact: str) -> dict:
    return {"changeset": iso(utcnow().replace(hour=0, minute=0, second=0, microsecond=0)), "contact": contact,
            "key_service": _("API keys for posting requests are issued by the portal's administrators."),
            "endpoints": [{"specification": SPECIFICATION, "url": endpoint_url, "type": "production",
                           "formats": ["application/json", "text/xml"]}]}


def active_categories() -> list[CaseCategory]:
    return list(db.session.scalars(
        select(CaseCategory).options(joinedload(CaseCategory.place), joinedload(CaseCategory.department))
        .where(CaseCategory.is_active.is_(True)).order_by(CaseCategory.code, CaseCategory.id)))


def service_row(category: CaseCategory) -> dict:
    """A category as a GeoReport service. No category has extra attributes, so metadata is false."""
    keywords = [category.department.name] if category.department is not None else []
    return {"service_code": category.code, "service_name": category.name, "description": category.description or "",
            "metadata": False, "type": "realtime", "keywords": ",".join(keywords), "group": category.place.name}


def find_service(code: str) -> CaseCategory | None:
    return db.session.scalars(select(CaseCategory).where(CaseCategory.code == code, CaseCategory.is_active.is_(True))
                              .order_by(CaseCategory.id)).first()


def service_definition(category: CaseCategory) -> dict:
    return {"service_code": category.code, "attributes": []}


# --- requests -------------------------------------------------------------------------------------------

def _public_cases():
    return (select(Case).join(CaseCategory, CaseCategory.id == Case.category_id)
            .options(joinedload(Case.category), joinedload(Case.place), joinedload(Case.department),
                     joinedload(Case.contract).joinedload(Contract.organisation), selectinload(Case.photos))
            .where(CaseCategory.is_public.is_(True)))


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _when(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a W3C datetime, such as 2026-05-01T00:00:00+08:00.",
                                  name=name)) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CITY_TIME)


def find_requests(args) -> list[Case]:
    """GET /requests: cases of public categories. `service_request_id` (comma separated) overrides the other
    filters; otherwise service_code (comma separated), status (open, closed) and start_date/end_date, by default
    the last 90 days and never a wider window. The newest first, at most 1000."""
    statement = _public_cases().order_by(Case.reported_at.desc(), Case.id.desc()).limit(MAX_REQUESTS)
    ids = _split(args.get("service_request_id"))
    if ids:
        return list(db.session.scalars(statement.where(Case.reference.in_(ids[:MAX_REQUESTS]))).unique())
    codes = _split(args.get("service_code"))
    if codes:
        statement = statement.where(CaseCategory.code.in_(codes))
    statuses = set(_split(args.get("status")))
    if statuses - {"open", "closed"}:
        raise Open311Error(400, _("status must be open, closed or both (open,closed)."))
    if statuses == {"open"}:
        statement = statement.where(Case.status.in_(OPEN_STATUSES))
    elif statuses == {"closed"}:
        statement = statement.where(Case.status.not_in(OPEN_STATUSES))
    start, end = _when(args.get("start_date"), "start_date"), _when(args.get("end_date"), "end_date")
    window = timedelta(days=DEFAULT_DAYS)
    if start is None and end is None:
        end = utcnow()
    start = start if start is not None else end - window
    end = end if end is not None else start + window
    if end < start or end - start > window:
        raise Open311Error(400, _("start_date must come before end_date, at most %(days)s days apart.",
                                  days=DEFAULT_DAYS))
    statement = statement.where(Case.reported_at >= start, Case.reported_at <= end)
    return list(db.session.scalars(statement).unique())


def find_request(reference: str) -> Case | None:
    return db.session.scalars(_public_cases().where(Case.reference == reference)).unique().first()


def find_token(token: str) -> Case | None:
    """The case a posted request made, by the token its answer gave (every Open311 case has one)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return db.session.scalar(select(Case).where(Case.idempotency_key == token, Case.reported_via == VIA))


def _updated_at(case: Case) -> datetime:
    stamps = (case.reported_at, case.filed_at, case.dispatched_at, case.accepted_at, case.handled_at,
              case.feedback_at, case.verified_at, case.closed_at, case.evaluated_at, case.escalated_at)
    return max(stamp for stamp in stamps if stamp is not None)


def _status_notes(case: Case) -> str:
    from portal.cases.models import CASE_STATUSES

    note = case.rejection_reason if case.status == REJECTED else (case.feedback_note or case.handling_note)
    label = str(CASE_STATUSES.get(case.status, case.status))
    return f"{label}: {note}" if note else label


def _description(case: Case) -> str:
    if not case.description or case.description.startswith(case.title):
        return case.description or case.title
    return f"{case.title}\n{case.description}"


def _agency(case: Case) -> str:
    """Who handles it: the department, or the contracted organisation."""
    if case.department is not None:
        return case.department.name
    return case.contract.organisation.name if case.contract is not None else ""


def first_photo(case: Case):
    photos = [photo for photo in case.photos if photo.stage == REPORT_PHOTO] or list(case.photos)
    return photos[0] if photos else None


def request_row(case: Case, media_url: str | None = None) -> dict:
    """A case as a GeoReport service request (nothing of its reporter)."""
    is_open = case.status in OPEN_STATUSES
    return {"service_request_id": case.reference, "status": "open" if is_open else "closed",
            "status_notes": _status_notes(case), "service_name": case.category.name,
            "service_code": case.category.code, "description": _description(case),
            "agency_responsible": _agency(case),
            "service_notice": "", "requested_datetime": iso(case.reported_at),
            "updated_datetime": iso(_updated_at(case)), "expected_datetime": iso(case.next_due_at) if is_open else None,
            "address": case.place.name, "address_id": case.place_id, "lat": case.latitude, "long": case.longitude,
            "media_url": media_url}


def token_row(case: Case) -> dict:
    return {"service_request_id": case.reference, "token": case.idempotency_key}


# --- posting a request ----------------------------------------------------------------------------------

def _text(values, name: str, limit: int) -> str:
    value = (values.get(name) or "").strip()
    if has_control_characters(value):  # as every form refuses them (PostgreSQL refuses NUL in text)
        raise Open311Error(400, _("%(name)s holds control characters.", name=name))
    if len(value) > limit:
        raise Open311Error(400, _("%(name)s is too long (at most %(n)s characters).", name=name, n=limit))
    return value


def _point(values) -> tuple[float | None, float | None]:
    lat, lon = (values.get("lat") or "").strip(), (values.get("long") or "").strip()
    if not lat and not lon:
        return None, None
    try:
        latitude, longitude = float(lat), float(lon)
    except ValueError:
        latitude = longitude = float("nan")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):  # NaN and inf fail too
        raise Open311Error(400, _("lat and long must both be decimal degrees (WGS84), such as 30.70 and 111.29."))
    return latitude, longitude


def _address_place(values) -> Place | None:
    raw = (values.get("address_id") or "").strip()
    if not raw:
        return None
    place = db.session.get(Place, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    if place is None:
        raise Open311Error(400, _("address_id names no place of the portal."))
    return place


def _category(code: str, place: Place | None) -> CaseCategory:
    """The active category with this service_code; where several places use one code, the one over the
    address's place (the nearest), else the caller has to say where."""
    candidates = list(db.session.scalars(
        select(CaseCategory).options(joinedload(CaseCategory.place))
        .where(CaseCategory.code == code, CaseCategory.is_active.is_(True)).order_by(CaseCategory.id)))
    if not candidates:
        raise Open311Error(400, _("service_code %(code)s is not a service of this portal (see services).", code=code))
    if len(candidates) == 1:
        return candidates[0]
    over = [category for category in candidates if place is not None and place.is_within(category.place)]
    if not over:
        raise Open311Error(400, _("service_code %(code)s is offered in several places: give the address_id of "
                                  "the place.", code=code))
    return max(over, key=lambda category: (len(category.place.path), -category.id))


def _named_place(category: CaseCategory, address: str) -> Place | None:
    if not address:
        return None
    return db.session.scalars(select(Place).where(Place.name == address, Place.path.startswith(category.place.path))
                              .order_by(Place.path)).first()


def _idempotency_key(api_key, values, header: str | None) -> str:
    client_key = (values.get("idempotency_key") or header or "").strip() or secrets.token_urlsafe(18)
    if not CLIENT_KEY.match(client_key):
        raise Open311Error(400, _("idempotency_key must be 1 to 48 letters, digits, dots, dashes, tildes or "
                                  "underscores."))
    return f"{TOKEN_PREFIX}{api_key.id}-{client_key}"


def post_request(values, api_key, idempotency_header: str | None = None) -> tuple[Case, bool]:
    """POST /requests: the posted fields checked, then one `service.report_case` (via "open311"). A replay with
    the same idempotency key (per API key) answers the case it made and stores nothing. An outside system never
    makes a case in a portal account's name (an email anyone knows would do it): only the name given is kept."""
    code = _text(values, "service_code", 32)
    if not code:
        raise Open311Error(400, _("service_code is required."))
    latitude, longitude = _point(values)
    place = _address_place(values)
    address = _text(values, "address_string", ADDRESS_MAX)
    if latitude is None and place is None and not address:
        raise Open311Error(400, _("Say where: lat and long, address_string or address_id."))
    category = _category(code, place)
    description = _text(values, "description", DESCRIPTION_MAX)
    media_url = _text(values, "media_url", MEDIA_URL_MAX)
    if media_url and not media_url.startswith(("http://", "https://")):
        raise Open311Error(400, _("media_url must be an http or https address."))
    reporter_name = " ".join(part for part in (_text(values, "first_name", 40), _text(values, "last_name", 40))
                             if part)
    _text(values, "email", 254)  # checked like every field, never matched to an account
    reporter = None
    if place is None:
        place = _named_place(category, address)
    extra = []
    if address and (place is None or place.name != address):
        extra.append(_("Address: %(address)s", address=address))
    if media_url:
        extra.append(_("Photo: %(url)s", url=media_url))
    title = (description.splitlines()[0].strip() if description else "") or category.name
    if len(title) > 120:
        title = title[:119] + "…"
    try:
        case, created = service.report_case(
            reporter, category_id=category.id, title=title, description="\n\n".join([description, *extra]).strip(),
            place_id=place.id if place is not None else None, latitude=latitude, longitude=longitude,
            idempotency_key=_idempotency_key(api_key, values, idempotency_header), via=VIA,
            reporter_name=reporter_name if reporter is None else "")
    except DomainError as error:
        raise Open311Error(error.status_code if error.status_code in (400, 403) else 400, error.message) from error
    if created:
        audit.record("api_key.request_posted", "api_key", api_key.id, actor=reporter,
                     after={"case": case.reference, "key_prefix": api_key.key_prefix})
    return case, created


def post_answer(case: Case) -> dict:
    notice = (_("Received. %(agency)s handles %(service)s.", agency=case.category.department.name,
                service=case.category.name) if case.category.department is not None else _("Received."))
    return {"service_request_id": case.reference, "token": case.idempotency_key, "service_notice": notice,
            "account_id": case.reporter_id}
