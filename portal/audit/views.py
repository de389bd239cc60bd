"""The admin's audit log: filter, page through and export the append-only record of sensitive actions."""
import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import get_timezone
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.accounts import roles
from portal.accounts import service as accounts
from portal.accounts.models import User
from portal.audit import catalogue, policy
from portal.audit import service as audit
from portal.audit.changes import changes, changes_as_text
from portal.audit.forms import AuditFilterForm
from portal.audit.models import AuditEvent
from portal.core.pagination import paginate
from portal.core.policy import allowed_if
from portal.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

PER_PAGE = 50
EXPORT_BATCH = 500
FILTER_NAMES = ("action", "actor", "object_type", "object_id", "date_from", "date_to")


def _local_zone() -> ZoneInfo:
    # The zone the pages show times in (Flask-Babel's, Asia/Shanghai), as a zoneinfo zone for arithmetic.
    return ZoneInfo(str(get_timezone()))


def local_day_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which local `day` begins."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _filter_form() -> AuditFilterForm:
    form = AuditFilterForm(catalogue.ACTIONS, catalogue.OBJECT_TYPES, formdata=request.args)
    form.validate()
    return form


def _filtered_events(form: AuditFilterForm):
    """Newest first, narrowed by every filter that is filled in and valid."""

    def given(field) -> bool:
        return bool(field.data) and not field.errors

    statement = select(AuditEvent)
    if given(form.action):
        statement = statement.where(AuditEvent.action == form.action.data)
    if given(form.actor) and form.actor.data.strip():
        actors = select(User.id).where(User.email.contains(form.actor.data.strip().lower(), autoescape=True))
        statement = statement.where(AuditEvent.actor_id.in_(actors))
    if given(form.object_type):
        statement = statement.where(AuditEvent.object_type == form.object_type.data)
    if given(form.object_id) and form.object_id.data.strip():
        statement = statement.where(AuditEvent.object_id == form.object_id.data.strip())
    zone = _local_zone()
    if given(form.date_from):
        statement = statement.where(AuditEvent.created_at >= local_day_start(form.date_from.data, zone))
    if given(form.date_to):
        end = local_day_start(form.date_to.data + timedelta(days=1), zone)
        statement = statement.where(AuditEvent.created_at < end)
    return statement.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def _active_filters() -> dict:
    return {name: value for name in FILTER_NAMES if (value := request.args.get(name, "").strip())}


def role_subjects(events) -> dict[int, dict]:
    """{event id: {"user", "role", "scope"}} for role grants and revocations on a page: the snapshot keeps
    ids (so an erased person's name is not copied into the log); the names are read now, in one query for
    the users and one per kind of scope, however many events the page shows."""
    snapshots = {}
    for event in events:
        snapshot = event.after if event.after is not None else event.before
        if event.object_type == "role_assignment" and isinstance(snapshot, dict) and "role" in snapshot:
            snapshots[event.id] = snapshot
    if not snapshots:
        return {}
    users = accounts.user_names(snapshot.get("user_id") for snapshot in snapshots.values())
    scopes = accounts.scope_names((snapshot.get("scope_type"), snapshot.get("scope_id"))
                                  for snapshot in snapshots.values())
    subjects = {}
    for event_id, snapshot in snapshots.items():
        scope_type, scope_id = snapshot.get("scope_type"), snapshot.get("scope_id")
        scope = roles.SCOPE_LABELS.get(scope_type, scope_type or "")
        if scope_id is not None:
            scope = f"{scope} {scopes.get((scope_type, scope_id), f'#{scope_id}')}"
        subjects[event_id] = {"user": users.get(snapshot.get("user_id"), f"#{snapshot.get('user_id')}"),
                              "role": roles.ROLE_LABELS.get(snapshot["role"], snapshot["role"]), "scope": scope}
    return subjects


def _render_log(form: AuditFilterForm):
    statement = _filtered_events(form).options(joinedload(AuditEvent.actor))
    page = paginate(statement, per_page=PER_PAGE)
    status = 400 if form.errors else 200
    return render_template("audit/log.html", form=form, page=page, changes_of=changes,
                           subjects=role_subjects(page.items), filters=_active_filters()), status


@bp.route("/")
@allowed_if(policy.can_view_audit_log)
def log():
    return _render_log(_filter_form())


def _csv_cell(value) -> str:
    """Text for a CSV cell; a leading = + - @ would make a spreadsheet run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CSV_HEADER = ("time", "actor_email", "actor_name", "action", "object_type", "object_id", "changes",
              "before", "after", "ip_address")


def _csv_row(event: AuditEvent, zone: ZoneInfo) -> list[str]:
    def as_json(snapshot):
        return "" if snapshot is None else json.dumps(snapshot, ensure_ascii=False, sort_keys=True, default=str)

    actor = event.actor
    cells = [event.created_at.astimezone(zone).isoformat(timespec="seconds"),
             actor.email if actor else "", actor.display_name if actor else "", event.action,
             event.object_type, event.object_id, changes_as_text(event.before, event.after),
             as_json(event.before), as_json(event.after), event.ip_address]
    return [_csv_cell(cell) for cell in cells]


@bp.route("/export.csv")
@allowed_if(policy.can_view_audit_log)
def export_csv():
    form = _filter_form()
    if form.errors:
        return _render_log(form)
    # Taking a copy of the log (personal data: emails, addresses) is itself a sensitive action.
    audit.record("audit.exported", "audit_log", None, after={"filters": _active_filters()})
    statement = (_filtered_events(form).options(joinedload(AuditEvent.actor))
                 .execution_options(yield_per=EXPORT_BATCH))
    zone = _local_zone()

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # so spreadsheet programs read the Chinese text as UTF-8
        writer.writerow(CSV_HEADER)
        for event in db.session.scalars(statement):
            writer.writerow(_csv_row(event, zone))
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    filename = f"audit-log-{datetime.now(zone):%Y%m%d-%H%M}.csv"
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})
