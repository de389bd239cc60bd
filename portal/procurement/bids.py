"""Sealed bids: submitting, replacing and withdrawing a bid before the deadline, and the one way to read one.

A bid's content (approach, proposed indicators, team, cost lines, price, the files' SHA-256s) is sealed with
portal/procurement/sealing.py the moment it arrives; its files are stored encrypted under the upload folder.
The bidder gets a receipt (the SHA-256 of the canonical content, the time, the version) and nothing else
about the bid is kept in plaintext. `read_bid_content` is the only function that unseals a bid, and it
refuses until the call has been opened (portal/procurement/opening.py): no page, export, log, audit record
or role (the buyer and the platform administrator included) reads a content or a price before that.
The audit log records ids, the version and the receipt hash, never the content.
"""
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts import roles
from portal.accounts.models import RoleAssignment
from portal.audit import service as audit
from portal.core.errors import DomainError, ValidationFailed
from portal.core.money import parse_amount
from portal.core.time import utcnow
from portal.core.uploads import DOCUMENT_TYPES, check_upload
from portal.extensions import db
from portal.orgs.models import PENDING, REJECTED, SUSPENDED, VERIFIED
from portal.procurement import sealing
from portal.procurement.catalogue import is_qualified
from portal.procurement.models import (
    DIRECT_GRANT,
    DRAFT,
    PUBLISHED,
    SUBMITTED,
    WITHDRAWN,
    Bid,
    BidFile,
    BidReceipt,
    Call,
)

STAFF, MATERIALS, OVERHEADS = "staff", "materials", "overheads"
MAX_FILES = 5
MAX_INDICATORS = 10
MAX_STAFF_LINES = 10
MAX_PEOPLE, MAX_HOURS = 1000, 100_000


class BidNotOpened(DomainError):
    """Reading a bid's content before its call is opened: a 409 whoever asks."""


class BidNeverOpened(DomainError):
    """A withdrawn bid is never opened: 404, as if there were nothing to read."""

    status_code = 404


@dataclass
class StaffLine:
    label: str
    people: str
    hours: str
    rate: str  # yuan per hour, as typed


@dataclass
class BidDraft:
    """What the bid form sends, as typed; the service parses and checks every part."""
    approach: str
    team: str
    indicators: list[dict] = field(default_factory=list)  # {"name", "unit", "baseline", "target"} as typed
    staff: list[StaffLine] = field(default_factory=list)
    materials: str = ""
    overheads: str = ""
    files: list = field(default_factory=list)  # werkzeug FileStorage


# --- who may bid ---------------------------------------------------------------------------------------
def eligibility_problem(call: Call, organisation) -> str | None:
    """Why `organisation` may not bid for `call` (a sentence for the page), or None when it may."""
    if organisation.status != VERIFIED:
        return {PENDING: _("%(org)s is not verified yet: only verified organisations may bid.", org=organisation.name),
                REJECTED: _("%(org)s was not verified: only verified organisations may bid.", org=organisation.name),
                SUSPENDED: _("%(org)s is suspended and may not bid.", org=organisation.name),
                }.get(organisation.status, _("Only verified organisations may bid."))
    if call.mode == DIRECT_GRANT and call.invited_organisation_id != organisation.id:
        return _("This direct grant is offered only to the organisation it invites.")
    if not is_qualified(organisation, call.category, call.place):
        return _("%(org)s is not on the qualified-organisation list for this category of service here; the "
                 "buyer's officials keep that list.", org=organisation.name)
    return None


def _taking_bids(call: Call) -> None:
    """409 unless the call is published and its deadline has not passed (the server's clock decides)."""
    if call.status != PUBLISHED:
        raise DomainError(_("This call is not taking bids."))
    if utcnow() >= call.bids_until:
        raise DomainError(_("The deadline for bids passed at %(time)s; the server's clock refuses late bids.",
                            time=format_datetime(call.bids_until, "short")), code="late")


def _lock_call(call: Call) -> Call:
    """The call's row, locked: a bid arriving as the opening starts waits for it (or the other way round)."""
    return db.session.scalar(select(Call).where(Call.id == call.id).with_for_update()
                             .execution_options(populate_existing=True))


def _lock_bid(bid: Bid) -> Bid:
    """The bid's row, locked and read again (two clicks of "withdraw" cannot both pass the status check)."""
    return db.session.scalar(select(Bid).where(Bid.id == bid.id).with_for_update()
                             .execution_options(populate_existing=True))


# --- content -------------------------------------------------------------------------------------------
def _number(text, field_name: str, label: str) -> int | str:
    raw = str(text or "").strip().replace(",", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationFailed(_("%(what)s must be a number.", what=label), field=field_name) from None
    if not value.is_finite() or value < 0 or value > Decimal("999999999999"):
        raise ValidationFailed(_("%(what)s must be a number, zero or more.", what=label), field=field_name)
    if value != value.quantize(Decimal("0.01")):
        raise ValidationFailed(_("%(what)s has at most two decimals.", what=label), field=field_name)
    return int(value) if value == value.to_integral_value() else str(value.normalize())


def _whole(text, field_name: str, label: str, maximum: int) -> int:
    raw = str(text or "").strip()
    if not raw.isdigit() or not 0 < int(raw) <= maximum:
        raise ValidationFailed(_("%(what)s must be a whole number from 1 to %(max)d.", what=label, max=maximum),
                               field=field_name)
    return int(raw)


def _indicators(rows: list[dict]) -> list[dict]:
    indicators = []
    for row in rows:
        values = {key: str(row.get(key) or "").strip() for key in ("name", "unit", "baseline", "target")}
        if not any(values.values()):
            continue
        if not values["name"] or not values["unit"] or not values["target"]:
            raise ValidationFailed(_("Give each proposed indicator a name, a unit and a target (leave a row "
                                     "empty to skip it)."), field="indicators")
        if len(values["name"]) > 160 or len(values["unit"]) > 32:
            raise ValidationFailed(_("An indicator's name has at most 160 characters and its unit 32."),
                                   field="indicators")
        indicators.append({"name": values["name"], "unit": values["unit"],
                           "baseline": _number(values["baseline"] or "0", "indicators", _("A baseline")),
                           "target": _number(values["target"], "indicators", _("A target"))})
    if not indicators:
        raise ValidationFailed(_("Propose at least one indicator with its target, in the results framework's "
                                 "terms (name, unit, baseline, target)."), field="indicators")
    if len(indicators) > MAX_INDICATORS:
        raise ValidationFailed(_("Propose at most %(n)d indicators.", n=MAX_INDICATORS), field="indicators")
    return indicators


def _cost_lines(draft: BidDraft) -> list[dict]:
    lines = []
    for line in draft.staff:
        typed = [str(v or "").strip() for v in (line.label, line.people, line.hours, line.rate)]
        if not any(typed):
            continue
        if not all(typed):
            raise ValidationFailed(_("Fill in every column of a staff line (role, people, hours each, hourly rate) "
                                     "or leave it empty."), field="staff")
        people = _whole(line.people, "staff", _("The number of people"), MAX_PEOPLE)
        hours = _whole(line.hours, "staff", _("The hours each"), MAX_HOURS)
        rate = parse_amount(line.rate, field="staff")
        lines.append({"kind": STAFF, "label": typed[0][:120], "people": people, "hours": hours,
                      "rate_minor": rate, "amount_minor": people * hours * rate})
    if not lines:
        raise ValidationFailed(_("List the staff who deliver the service: people x hours x hourly rate."),
                               field="staff")
    if len(lines) > MAX_STAFF_LINES:
        raise ValidationFailed(_("At most %(n)d staff lines.", n=MAX_STAFF_LINES), field="staff")
    for kind, typed, name in ((MATERIALS, draft.materials, "materials"), (OVERHEADS, draft.overheads, "overheads")):
        amount = parse_amount(typed, field=name, minimum_minor=0) if str(typed or "").strip() else 0
        lines.append({"kind": kind, "label": kind, "amount_minor": amount})
    return lines


def staff_cost_and_hours(cost_lines: list[dict]) -> tuple[int, int]:
    """(staff cost in fen, staff hours) of a bid's cost lines: sum of the staff lines, people x hours."""
    staff = [line for line in cost_lines if line.get("kind") == STAFF]
    return (sum(int(line["amount_minor"]) for line in staff),
            sum(int(line.get("people", 1)) * int(line.get("hours", 0)) for line in staff))


def _checked_files(files) -> list:
    chosen = [f for f in files or () if f is not None and getattr(f, "filename", "")]
    if len(chosen) > MAX_FILES:
        raise ValidationFailed(_("Attach at most %(n)d files.", n=MAX_FILES), field="files")
    return [check_upload(f, DOCUMENT_TYPES, field="files") for f in chosen]


def build_content(call: Call, lot, organisation, draft: BidDraft, checked_files: list) -> dict:
    """The bid's canonical content (see tests/factories/procurement.py bid_content), checked: the price is the
    total of the cost lines, more than zero and within the lot's cap."""
    approach, team = (draft.approach or "").strip(), (draft.team or "").strip()
    if not approach:
        raise ValidationFailed(_("Describe your approach."), field="approach")
    if not team:
        raise ValidationFailed(_("Describe the team."), field="team")
    indicators = _indicators(draft.indicators)
    cost_lines = _cost_lines(draft)
    price = sum(line["amount_minor"] for line in cost_lines)
    if price <= 0:
        raise ValidationFailed(_("The total price must be more than zero."), field="staff")
    if price > lot.budget_cap_minor:
        raise ValidationFailed(_("The total of the cost lines (%(price)s) is over the lot's cap of %(cap)s.",
                                 price=_yuan(price), cap=_yuan(lot.budget_cap_minor)), field="staff")
    return {"call": call.reference, "lot": lot.number, "organisation": organisation.id,
            "approach": approach, "indicators": indicators, "team": team, "cost_lines": cost_lines,
            "price_minor": price,
            "files": [{"name": f.original_name, "sha256": f.sha256, "size": len(f.data),
                       "content_type": f.content_type} for f in checked_files],
            # random, so nobody holding only the receipt hash can test guesses of the content against it
            "nonce": secrets.token_hex(16)}


def _yuan(minor: int) -> str:
    from portal.core.formatting import money

    return money(minor)


def _store_files(bid: Bid, checked_files: list) -> None:
    root = Path(current_app.config["UPLOAD_DIR"])
    for checked in checked_files:
        key = f"bids/{secrets.token_hex(16)}.sealed"
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(sealing.seal_bytes(checked.data))
        db.session.add(BidFile(bid_id=bid.id, bid_version=bid.version, original_name=checked.original_name,
                               content_type=checked.content_type, size=len(checked.data), sha256=checked.sha256,
                               storage_key=key))


def _prepare(call: Call, lot, organisation, draft: BidDraft) -> tuple[dict, list]:
    """Every check that needs no lock, in the order a person fixes them."""
    if lot is None or lot.call_id != call.id:
        raise ValidationFailed(_("Choose a lot of this call."), field="lot")
    if lot.unsuccessful:
        raise DomainError(_("This lot is closed."))
    problem = eligibility_problem(call, organisation)
    if problem:
        raise DomainError(problem, field="organisation")
    _taking_bids(call)
    checked = _checked_files(draft.files)
    return build_content(call, lot, organisation, draft, checked), checked


def _receipt(bid: Bid, action: str, receipt_sha256: str) -> BidReceipt:
    receipt = BidReceipt(bid_id=bid.id, version=bid.version, action=action, receipt_sha256=receipt_sha256,
                         issued_at=utcnow())
    db.session.add(receipt)
    return receipt


def _audit(action: str, bid: Bid, actor, receipt: str, before: dict | None = None) -> None:
    # ids, version and receipt hash only: never the content, the price or a file's name
    audit.record(action, "bid", bid.id, actor=actor, before=before,
                 after={"call": bid.call_id, "lot": bid.lot_id, "organisation": bid.organisation_id,
                        "version": bid.version, "status": bid.status, "receipt": receipt})


# --- the bidder's actions ------------------------------------------------------------------------------
def submit_bid(call: Call, lot, organisation, actor, draft: BidDraft) -> BidReceipt:
    """Seal and store a new bid for `lot` (or a new version of this organisation's withdrawn one)."""
    content, checked = _prepare(call, lot, organisation, draft)
    _taking_bids(_lock_call(call))
    existing = db.session.scalar(select(Bid).where(Bid.lot_id == lot.id, Bid.organisation_id == organisation.id)
                                 .with_for_update())
    if existing is not None and existing.status != WITHDRAWN:
        raise DomainError(_("%(org)s already has a bid for this lot: replace it instead.", org=organisation.name))
    ciphertext, receipt_sha256 = sealing.seal({**content, "version": (existing.version + 1) if existing else 1})
    now = utcnow()
    if existing is None:
        bid = Bid(call_id=call.id, lot_id=lot.id, organisation_id=organisation.id, status=SUBMITTED, version=1,
                  sealed_content=ciphertext, receipt_sha256=receipt_sha256, submitted_by_id=actor.id,
                  submitted_at=now)
        db.session.add(bid)
    else:
        bid = existing
        bid.version += 1
        bid.status, bid.sealed_content, bid.receipt_sha256 = SUBMITTED, ciphertext, receipt_sha256
        bid.submitted_by_id, bid.submitted_at, bid.withdrawn_at = actor.id, now, None
    db.session.flush()
    _store_files(bid, checked)
    receipt = _receipt(bid, "submitted", receipt_sha256)
    _audit("bid.submitted", bid, actor, receipt_sha256)
    db.session.flush()
    return receipt


def replace_bid(bid: Bid, actor, draft: BidDraft) -> BidReceipt:
    """A new version of a submitted bid, sealed under a new receipt; the earlier receipts stay listed."""
    call, lot, organisation = bid.call, bid.lot, bid.organisation
    if bid.status != SUBMITTED:
        raise DomainError(_("Only a submitted bid can be replaced (this one is %(status)s).",
                            status=_status_label(bid.status)))
    content, checked = _prepare(call, lot, organisation, draft)
    _taking_bids(_lock_call(call))
    _lock_bid(bid)
    if bid.status != SUBMITTED:
        raise DomainError(_("Only a submitted bid can be replaced (this one is %(status)s).",
                            status=_status_label(bid.status)))
    before = {"version": bid.version, "receipt": bid.receipt_sha256}
    bid.version += 1
    bid.sealed_content, bid.receipt_sha256 = sealing.seal({**content, "version": bid.version})
    bid.submitted_by_id, bid.submitted_at = actor.id, utcnow()
    db.session.flush()
    _store_files(bid, checked)
    receipt = _receipt(bid, "replaced", bid.receipt_sha256)
    _audit("bid.replaced", bid, actor, bid.receipt_sha256, before=before)
    db.session.flush()
    return receipt


def withdraw_bid(bid: Bid, actor) -> BidReceipt:
    """Take a submitted bid out of the opening (the row and its receipts stay); until the deadline."""
    if bid.status != SUBMITTED:
        raise DomainError(_("Only a submitted bid can be withdrawn (this one is %(status)s).",
                            status=_status_label(bid.status)))
    _taking_bids(_lock_call(bid.call))
    _lock_bid(bid)
    if bid.status != SUBMITTED:
        raise DomainError(_("Only a submitted bid can be withdrawn (this one is %(status)s).",
                            status=_status_label(bid.status)))
    bid.status, bid.withdrawn_at = WITHDRAWN, utcnow()
    receipt = _receipt(bid, "withdrawn", bid.receipt_sha256)
    _audit("bid.withdrawn", bid, actor, bid.receipt_sha256, before={"status": SUBMITTED})
    db.session.flush()
    return receipt


def _status_label(status: str) -> str:
    from portal.procurement.models import BID_STATUSES

    return str(BID_STATUSES.get(status, status))


def organisation_admin_ids(organisation_ids) -> list[int]:
    if not organisation_ids:
        return []
    return list(db.session.scalars(select(RoleAssignment.user_id).where(
        RoleAssignment.role == roles.ORG_ADMIN, RoleAssignment.scope_type == roles.SCOPE_ORGANISATION,
        RoleAssignment.scope_id.in_(sorted(set(organisation_ids)))).distinct()))


# --- reading -------------------------------------------------------------------------------------------
def is_opened(call: Call) -> bool:
    return call.opened_at is not None and call.status not in (DRAFT, PUBLISHED)


def read_bid_content(bid: Bid) -> dict:
    """The bid's content in plaintext: THE ONLY function that unseals a bid. Refuses (409) until the call has
    been opened, whoever asks; a withdrawn bid is never opened (404). Who may ask is the caller's policy."""
    if not is_opened(bid.call):
        raise BidNotOpened(_("Bids stay sealed until the opening after the deadline (%(time)s).",
                             time=format_datetime(bid.call.bids_until, "short")), code="sealed")
    if bid.status == WITHDRAWN:
        raise BidNeverOpened(_("This bid was withdrawn before the deadline and is never opened."))
    return sealing.unseal(bid.sealed_content)


def read_bid_file(bid_file: BidFile, user, recused_organisation_ids=frozenset()) -> bytes:
    """A file of the bid's current version in plaintext, under the same rule as its content (after the opening
    only; never a withdrawn bid), and never for an evaluator recused from the bidder."""
    bid = bid_file.bid
    read_bid_content(bid)  # raises unless the bid may be read now
    if bid_file.bid_version != bid.version:
        raise BidNeverOpened(_("This file belongs to an earlier version of the bid, replaced before the deadline."))
    if bid.organisation_id in recused_organisation_ids:
        raise DomainError(_("You declared a conflict of interest with %(name)s: you are recused from its bid.",
                            name=bid.organisation.name))
    path = Path(current_app.config["UPLOAD_DIR"]) / bid_file.storage_key
    data = sealing.unseal_bytes(path.read_bytes())
    audit.record("bid.file_read", "bid", bid.id, actor=user, after={"file": bid_file.id, "sha256": bid_file.sha256})
    return data


def receipts_of(bid: Bid) -> list[BidReceipt]:
    return list(db.session.scalars(select(BidReceipt).where(BidReceipt.bid_id == bid.id)
                                   .order_by(BidReceipt.issued_at, BidReceipt.id)))


def bids_of_organisations(organisation_ids) -> list[Bid]:
    """"My bids": every bid of these organisations with its call, lot and organisation, in one query."""
    from sqlalchemy.orm import joinedload

    if not organisation_ids:
        return []
    return list(db.session.scalars(select(Bid).options(joinedload(Bid.call), joinedload(Bid.lot),
                                                       joinedload(Bid.organisation))
                                   .where(Bid.organisation_id.in_(sorted(organisation_ids)))
                                   .order_by(Bid.submitted_at.desc(), Bid.id.desc())))
