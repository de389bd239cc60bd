"""Delivery reports: the contractor reports the units delivered in a period, with evidence and the service
records (people served, sessions held) the units cover; a community worker or the buyer's official verifies
the report or returns it with a reason. Only verified reports count toward payment (portal/contracts/payable.py).

The rules a report must meet (each refused with a message beside its field, and nothing stored):

- the contract is active and the milestone is one of its milestones still pending (an accepted milestone is
  closed to reports: report against the next one);
- the period starts on or before it ends, lies within the contract's term, and has begun (not in the future);
- units are whole numbers 0 or more per contract line, at least one above 0, and a line's units never exceed
  its **remaining quantity**: the line's contracted quantity less the units of the contract's other reports
  that are awaiting verification or verified (a returned report holds no units until it is sent again);
- at least one service record; each has a contract line, a label, a date within the period, whole units of
  1 or more, an optional phone number and an optional grid (by its code, within the contract's place) for a
  grid worker's visit; the records of a line cover at most the units reported on that line;
- evidence files are PDF, JPG or PNG, checked by their content (a file named .pdf holding a picture is
  refused), at most MAX_EVIDENCE_FILES.

Records come as rows typed in the form and/or a CSV (columns RECORD_COLUMNS); either is all or nothing, every
bad line named with its line number, like the places import. A verified report never changes (409).
"""
import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.audit import service as audit
from portal.contracts import steps
from portal.contracts.models import (
    ACTIVE,
    BENEFICIARY,
    PENDING,
    RETURNED,
    SESSION_RECORD,
    SUBMITTED,
    VERIFIED,
    Contract,
    DeliveryEvidence,
    DeliveryReport,
    ReportLine,
    Sample,
    ServiceRecord,
)
from portal.core.csv_import import ImportRejected, RowError, decode_csv
from portal.core.errors import IllegalTransition, ValidationFailed
from portal.core.forms import has_control_characters
from portal.core.time import utcnow
from portal.core.uploads import DOCUMENT_TYPES, check_upload, store_upload
from portal.extensions import db
from portal.notifications import service as notifications
from portal.places.models import GRID, Place

MAX_EVIDENCE_FILES = 10
MAX_RECORDS = 2000
MAX_CSV_BYTES = 2 * 1024 * 1024
RECORD_COLUMNS = ("line", "kind", "label", "grid_code", "phone", "served_on", "units")
KIND_WORDS = {"person": BENEFICIARY, "session": SESSION_RECORD, BENEFICIARY: BENEFICIARY,
              SESSION_RECORD: SESSION_RECORD, "人": BENEFICIARY, "场次": SESSION_RECORD}
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,30}$")


# --- checking ------------------------------------------------------------------------------------------

def _check_period(contract: Contract, start: date | None, end: date | None) -> None:
    if start is None:
        raise ValidationFailed(_("Enter the first day of the period."), field="period_start")
    if end is None:
        raise ValidationFailed(_("Enter the last day of the period."), field="period_end")
    if end < start:
        raise ValidationFailed(_("The period cannot end before it starts."), field="period_end")
    if start < contract.starts_on or end > contract.ends_on:
        raise ValidationFailed(_("The period must lie within the contract's term (%(start)s to %(end)s).",
                                 start=contract.starts_on.isoformat(), end=contract.ends_on.isoformat()),
                               field="period_start")
    if start > utcnow().date():
        raise ValidationFailed(_("Report a period that has begun, not one in the future."), field="period_start")


def remaining_quantity(contract: Contract, exclude_report_id: int | None = None) -> dict[int, int]:
    """line id -> the units still open to report: quantity less the units of reports awaiting verification or
    verified (returned reports hold none)."""
    query = (select(ReportLine.contract_line_id, func.coalesce(func.sum(ReportLine.units), 0))
             .join(DeliveryReport, DeliveryReport.id == ReportLine.report_id)
             .where(DeliveryReport.contract_id == contract.id, DeliveryReport.status.in_((SUBMITTED, VERIFIED)))
             .group_by(ReportLine.contract_line_id))
    if exclude_report_id is not None:
        query = query.where(DeliveryReport.id != exclude_report_id)
    taken = {line_id: int(units) for line_id, units in db.session.execute(query)}
    return {line.id: line.quantity - taken.get(line.id, 0) for line in contract.lines}


def _check_units(contract: Contract, units: dict, exclude_report_id: int | None) -> dict[int, int]:
    remaining = remaining_quantity(contract, exclude_report_id)
    clean = {}
    for line in contract.lines:
        raw = units.get(line.id, units.get(str(line.id), ""))
        text = str(raw if raw is not None else "").strip() or "0"
        if not re.fullmatch(r"\d{1,9}", text):
            raise ValidationFailed(_("Units of “%(line)s” must be a whole number, 0 or more.", line=line.name),
                                   field=f"units_{line.id}")
        value = int(text)
        if value > remaining[line.id]:
            raise ValidationFailed(_("“%(line)s” has %(remaining)d %(unit)s left to report of %(quantity)d "
                                     "contracted; %(units)d is too many.", line=line.name,
                                     remaining=remaining[line.id], unit=line.unit, quantity=line.quantity,
                                     units=value), field=f"units_{line.id}")
        clean[line.id] = value
    if not any(clean.values()):
        raise ValidationFailed(_("Report at least one unit delivered on one line."),
                               field=f"units_{contract.lines[0].id}" if contract.lines else None)
    return clean


@dataclass
class RecordRow:
    line_id: int
    kind: str
    label: str
    place_id: int | None
    phone: str
    served_on: date
    units: int


def _grids_by_code(contract: Contract, codes: set[str]) -> dict[str, Place]:
    if not codes:
        return {}
    places = db.session.scalars(select(Place).where(Place.code.in_(codes), Place.kind == GRID))
    return {place.code: place for place in places if place.is_within(contract.place) or place.id == contract.place_id}


def _parse_record(raw: dict, line_no: int, contract: Contract, start: date, end: date,
                  grids: dict[str, Place]) -> tuple[RecordRow | None, list[RowError]]:
    errors = []
    numbers = {str(n): line for n, line in enumerate(contract.lines, start=1)}
    line = numbers.get(str(raw.get("line") or "").strip())
    if line is None:
        errors.append(RowError(line_no, "line", _("Give the contract line's number (1 to %(count)d).",
                                                  count=len(contract.lines))))
    kind = KIND_WORDS.get(str(raw.get("kind") or "person").strip().lower())
    if kind is None:
        errors.append(RowError(line_no, "kind", _("The kind is “person” or “session”.")))
    label = str(raw.get("label") or "").strip()
    if not label:
        errors.append(RowError(line_no, "label", _("Name the person served or the session held.")))
    elif has_control_characters(label):
        errors.append(RowError(line_no, "label", _("Remove the control characters (such as NUL) from this field; "
                                                   "only text, line breaks and tabs are accepted.")))
    elif len(label) > 120:
        errors.append(RowError(line_no, "label", _("The label is at most 120 characters.")))
    code = str(raw.get("grid_code") or "").strip()
    place = grids.get(code) if code else None
    if code and place is None:
        errors.append(RowError(line_no, "grid_code", _("No grid with the code %(code)s lies within the contract's "
                                                       "place.", code=code)))
    phone = str(raw.get("phone") or "").strip()
    if phone and not PHONE.match(phone):
        errors.append(RowError(line_no, "phone", _("The phone number has digits only (a leading + is allowed).")))
    served_on = raw.get("served_on")
    if not isinstance(served_on, date):
        try:
            served_on = date.fromisoformat(str(served_on or "").strip())
        except ValueError:
            served_on = None
            errors.append(RowError(line_no, "served_on", _("Give the date as YYYY-MM-DD.")))
    if served_on is not None and not start <= served_on <= end:
        errors.append(RowError(line_no, "served_on", _("The date must lie within the report's period.")))
    units_text = str(raw.get("units") or "1").strip()
    if not re.fullmatch(r"\d{1,6}", units_text) or int(units_text) < 1:
        errors.append(RowError(line_no, "units", _("Units are a whole number, 1 or more.")))
    if errors:
        return None, errors
    return RecordRow(line.id, kind, label, getattr(place, "id", None), phone, served_on, int(units_text)), []


def parse_records_csv(data: bytes | str) -> list[tuple[int, dict]]:
    """(line number, raw row) of a records CSV; ImportRejected for an unreadable file or header."""
    if len(data) > MAX_CSV_BYTES:
        raise ValidationFailed(_("The CSV file is larger than 2 MB; split it over several reports."),
                               field="records_csv")
    text = decode_csv(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except StopIteration:
        raise ImportRejected([RowError(1, "", _("The file is empty."))]) from None
    except csv.Error as error:
        raise ImportRejected([RowError(1, "", _("The file is not valid CSV: %(reason)s", reason=str(error)))]) \
            from None
    while header and not header[-1]:
        header.pop()
    missing = [name for name in ("line", "label", "served_on") if name not in header]
    unknown = [name for name in header if name not in RECORD_COLUMNS]
    if missing or unknown:
        raise ImportRejected([RowError(1, ", ".join(missing + unknown), _(
            "The first line must be: %(header)s", header=",".join(RECORD_COLUMNS)))])
    rows = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            rows.append((reader.line_num, dict(zip(header, cells, strict=False))))
    except csv.Error as error:
        raise ImportRejected([RowError(reader.line_num, "", _("The file is not valid CSV: %(reason)s",
                                                              reason=str(error)))]) from None
    return rows


def records_template_csv(contract: Contract) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RECORD_COLUMNS)
    writer.writerow(["1", "person", "王阿姨 (3栋)", "", "13800000000", contract.starts_on.isoformat(), "1"])
    return "\ufeff" + out.getvalue()


def _check_records(contract: Contract, start: date, end: date, typed: list[dict], csv_rows: list[tuple[int, dict]],
                   units: dict[int, int]) -> list[RecordRow]:
    """Typed rows are numbered as on the form (row 1, 2...); CSV rows by their line in the file."""
    typed = [row for row in typed if any(str(value or "").strip() for key, value in row.items()
                                         if key not in ("kind", "units", "line"))]
    every = [(n, row) for n, row in enumerate(typed, start=1)] + csv_rows
    if len(every) > MAX_RECORDS:
        raise ValidationFailed(_("A report may hold at most %(max)d records.", max=MAX_RECORDS), field="records")
    grids = _grids_by_code(contract, {str(row.get("grid_code") or "").strip() for _n, row in every} - {""})
    records, errors = [], []
    for line_no, raw in every:
        record, problems = _parse_record(raw, line_no, contract, start, end, grids)
        errors.extend(problems)
        if record is not None:
            records.append(record)
    if errors:
        raise ImportRejected(errors)
    if not records:
        raise ValidationFailed(_("Add the people served or sessions held: type them in the rows or upload a CSV."),
                               field="records")
    _check_coverage(contract, [(record.line_id, record.units) for record in records], units)
    return records


def _check_coverage(contract: Contract, pairs: list[tuple[int, int]], units: dict[int, int]) -> None:
    covered: dict[int, int] = {}
    for line_id, record_units in pairs:
        covered[line_id] = covered.get(line_id, 0) + record_units
    for line in contract.lines:
        if covered.get(line.id, 0) > units.get(line.id, 0):
            raise ValidationFailed(_("The records of “%(line)s” cover %(covered)d units, more than the %(units)d "
                                     "reported.", line=line.name, covered=covered[line.id],
                                     units=units.get(line.id, 0)), field="records")


def _check_files(files) -> list:
    files = [item for item in (files or []) if item is not None and getattr(item, "filename", "")]
    if len(files) > MAX_EVIDENCE_FILES:
        raise ValidationFailed(_("Attach at most %(count)d files.", count=MAX_EVIDENCE_FILES), field="evidence")
    for item in files:
        check_upload(item, DOCUMENT_TYPES, field="evidence")  # every file checked before any is stored
        item.stream.seek(0)
    return files


# --- reporting -----------------------------------------------------------------------------------------

@dataclass
class ReportInput:
    period_start: date | None
    period_end: date | None
    units: dict
    narrative: str = ""
    files: tuple = ()
    records: tuple = ()  # typed rows: dicts of RECORD_COLUMNS
    records_csv: bytes | str | None = None


def _narrative(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > 5000:
        raise ValidationFailed(_("The narrative is at most 5000 characters."), field="narrative")
    if not text:
        raise ValidationFailed(_("Say what was delivered in the period."), field="narrative")
    return text


def _write(report: DeliveryReport, contract: Contract, data: ReportInput, replace_records: bool) -> dict:
    _check_period(contract, data.period_start, data.period_end)
    units = _check_units(contract, data.units, report.id)
    narrative = _narrative(data.narrative)
    csv_rows = parse_records_csv(data.records_csv) if data.records_csv else []
    if replace_records:
        records = _check_records(contract, data.period_start, data.period_end, list(data.records), csv_rows, units)
    else:  # the records kept must still fit the corrected units and period
        records = []
        _check_coverage(contract, [(r.contract_line_id, r.units) for r in report.records], units)
        if any(not data.period_start <= r.served_on <= data.period_end for r in report.records):
            raise ValidationFailed(_("The period must hold the dates of the report's service records."),
                                   field="period_start")
    files = _check_files(data.files)
    report.period_start, report.period_end, report.narrative = data.period_start, data.period_end, narrative
    if report.id is None:
        db.session.add(report)
        db.session.flush()
    existing = {line.contract_line_id: line for line in report.lines}
    for line_id, value in units.items():
        if line_id in existing:
            existing[line_id].units = value
        else:
            db.session.add(ReportLine(report_id=report.id, contract_line_id=line_id, units=value))
    if replace_records:
        for old in list(report.records):
            db.session.delete(old)
        db.session.flush()
        for record in records:
            db.session.add(ServiceRecord(report_id=report.id, contract_line_id=record.line_id, kind=record.kind,
                                         label=record.label, place_id=record.place_id, contact_phone=record.phone,
                                         served_on=record.served_on, units=record.units))
    for file_storage in files:
        stored = store_upload(file_storage, DOCUMENT_TYPES, field="evidence")
        db.session.add(DeliveryEvidence(report_id=report.id, original_name=stored.original_name,
                                        content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                                        storage_key=stored.storage_key))
    db.session.flush()
    db.session.expire(report, ["lines", "records", "evidence"])
    return {"report_id": report.id, "milestone_id": report.milestone_id, "units": {str(k): v for k, v in units.items()},
            "period_start": str(data.period_start), "period_end": str(data.period_end),
            "records": len(records), "evidence": len(files)}


def _verifier_ids(contract: Contract) -> list[int]:
    from portal.accounts import roles
    from portal.accounts.models import RoleAssignment

    place_ids = set(contract.place.ancestor_ids) | {contract.place_id}
    return sorted(set(db.session.scalars(select(RoleAssignment.user_id).where(
        RoleAssignment.role == roles.COMMUNITY_WORKER, RoleAssignment.scope_type == roles.SCOPE_PLACE,
        RoleAssignment.scope_id.in_(place_ids)))))


def report_delivery(contract: Contract, milestone, user, data: ReportInput) -> DeliveryReport:
    if contract.status != ACTIVE:
        raise IllegalTransition(_("Delivery is reported on an active contract only."))
    if milestone is None or milestone.contract_id != contract.id:
        raise ValidationFailed(_("Choose one of the contract's milestones."), field="milestone")
    if milestone.status != PENDING:
        raise ValidationFailed(_("This milestone is already accepted; report against the next one."),
                               field="milestone")
    report = DeliveryReport(contract_id=contract.id, milestone_id=milestone.id, status=SUBMITTED,
                            submitted_by_id=user.id, submitted_at=utcnow())
    after = _write(report, contract, data, replace_records=True)
    audit.record("delivery.reported", "contract", contract.id, actor=user, after={**after, "status": SUBMITTED})
    notifications.notify_many(_verifier_ids(contract), "delivery_report", f"{contract.reference} {contract.title}",
                              url=url_for("contracts.report_page", contract_id=contract.id, report_id=report.id))
    return report


def refuse_if_verified(report: DeliveryReport) -> None:
    if report.status == VERIFIED:
        raise IllegalTransition(_("This report is verified and never changes: its units count toward payment. "
                                  "Report further delivery in a new report."))


def resubmit_report(report: DeliveryReport, user, data: ReportInput) -> DeliveryReport:
    """A returned report, corrected and sent again. Records given (rows or CSV) replace the old ones; none given
    keeps them. Once residents were sampled from its records, the records stay as they are (the sample and its
    answers belong to them): only units, period, narrative and evidence change. New evidence adds to the old."""
    refuse_if_verified(report)
    contract = report.contract
    if contract.status != ACTIVE:
        raise IllegalTransition(_("Delivery is reported on an active contract only."))
    if report.status != RETURNED:
        raise IllegalTransition(_("Only a returned report can be corrected and sent again."))
    sampled = db.session.scalar(select(Sample.id).where(Sample.report_id == report.id)) is not None
    has_new_records = bool(data.records_csv) or any(
        any(str(value or "").strip() for key, value in row.items() if key not in ("kind", "units", "line"))
        for row in data.records)
    if sampled and has_new_records:
        raise ValidationFailed(_("Residents were sampled from this report's records, so the records cannot change. "
                                 "Correct the units, period, narrative or evidence."), field="records")
    before = {"status": report.status, "period_start": str(report.period_start),
              "period_end": str(report.period_end), "units": {str(line.contract_line_id): line.units
                                                              for line in report.lines}}
    after = _write(report, contract, data, replace_records=has_new_records)
    steps.move_report(report, SUBMITTED)
    report.submitted_by_id, report.submitted_at, report.return_reason = user.id, utcnow(), None
    db.session.flush()
    audit.record("delivery.resubmitted", "contract", contract.id, actor=user, before=before,
                 after={**after, "status": SUBMITTED})
    notifications.notify_many(_verifier_ids(contract), "delivery_report", f"{contract.reference} {contract.title}",
                              url=url_for("contracts.report_page", contract_id=contract.id, report_id=report.id))
    return report


def verify_report(report: DeliveryReport, user) -> DeliveryReport:
    refuse_if_verified(report)
    steps.move_report(report, VERIFIED)
    report.verified_by_id, report.verified_at = user.id, utcnow()
    db.session.flush()
    _decided(report, user, "delivery.verified", SUBMITTED, {})
    return report


def return_report(report: DeliveryReport, user, reason: str | None) -> DeliveryReport:
    refuse_if_verified(report)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say what is missing or wrong, so the contractor can correct it."), field="reason")
    if len(reason) > 2000:
        raise ValidationFailed(_("The reason is at most 2000 characters."), field="reason")
    steps.move_report(report, RETURNED)
    report.return_reason = reason
    db.session.flush()
    _decided(report, user, "delivery.returned", SUBMITTED, {"reason": reason})
    return report


def _decided(report: DeliveryReport, user, action: str, before: str, extra: dict) -> None:
    contract = report.contract
    audit.record(action, "contract", contract.id, actor=user, before={"report_id": report.id, "status": before},
                 after={"report_id": report.id, "status": report.status, **extra})
    notifications.notify(report.submitted_by_id, "delivery_report", f"{contract.reference} {contract.title}",
                         body=extra.get("reason", ""),
                         url=url_for("contracts.report_page", contract_id=contract.id, report_id=report.id))


# --- reading -------------------------------------------------------------------------------------------

def load_report(contract_id: int, report_id: int) -> DeliveryReport | None:
    from sqlalchemy.orm import joinedload, selectinload

    report = db.session.scalar(select(DeliveryReport).options(
        joinedload(DeliveryReport.contract), selectinload(DeliveryReport.lines), selectinload(DeliveryReport.evidence),
        selectinload(DeliveryReport.records).joinedload(ServiceRecord.place)).where(DeliveryReport.id == report_id))
    return report if report is not None and report.contract_id == contract_id else None


def load_evidence(contract_id: int, report_id: int, evidence_id: int) -> DeliveryEvidence | None:
    item = db.session.get(DeliveryEvidence, evidence_id)
    if item is None or item.report_id != report_id:
        return None
    return item if load_report(contract_id, report_id) is not None else None


def reports_of(contract: Contract) -> list[DeliveryReport]:
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(select(DeliveryReport).options(selectinload(DeliveryReport.lines))
                                   .where(DeliveryReport.contract_id == contract.id)
                                   .order_by(DeliveryReport.id.desc())))
