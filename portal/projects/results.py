"""Indicators and results reports of service projects: setting targets, reporting actuals, review, progress."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import pandas as pd
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from analytics.charts import figure_data
from analytics.results import indicator_summary, overall_progress, progress_chart, progress_timeline
from portal.accounts import roles
from portal.accounts.models import RoleAssignment, User
from portal.audit import service as audit
from portal.core.errors import IllegalTransition, ValidationFailed
from portal.core.time import utcnow
from portal.core.uploads import DOCUMENT_TYPES, store_upload
from portal.extensions import db
from portal.notifications import service as notifications
from portal.places.models import Place
from portal.projects.models import (
    APPROVED,
    DIRECTIONS,
    INCREASE,
    PROJECT_STATUSES,
    RETURNED,
    SUBMITTED,
    Indicator,
    IndicatorReport,
    ProjectPlace,
    ReportEvidence,
    ServiceProject,
)
from portal.projects.policy import MEMBER_ROLES, organisation_ids_of
from portal.projects.service import EDITABLE_STATUSES, REPORTABLE_STATUSES, _text

MAX_EVIDENCE_FILES = 5
VALUE_LIMIT = Decimal("999999999999.99")  # Numeric(14, 2)


# --- values ----------------------------------------------------------------------------------------

def parse_value(value, field: str, label_required: str | None = None) -> Decimal:
    """A measured value (baseline, target, actual): a number, not negative, at most two decimals."""
    raw = str(value if value is not None else "").strip().replace(",", "")
    if not raw:
        raise ValidationFailed(label_required or _("Enter a number."), field=field)
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ValidationFailed(_("Enter a number, e.g. 40 or 12.5."), field=field) from None
    if not number.is_finite():
        raise ValidationFailed(_("Enter a number, e.g. 40 or 12.5."), field=field)
    if number < 0:
        raise ValidationFailed(_("The value cannot be negative."), field=field)
    if number != number.quantize(Decimal("0.01")):
        raise ValidationFailed(_("Use at most two decimals."), field=field)
    if number > VALUE_LIMIT:
        raise ValidationFailed(_("The number is too large."), field=field)
    return number.quantize(Decimal("0.01"))


# --- indicators ------------------------------------------------------------------------------------

def _clean_indicator(name, unit, baseline, target, direction) -> dict:
    return {
        "name": _text(name, "name", 160, _("Name what is measured, e.g. “Elderly people visited weekly”.")),
        "unit": _text(unit, "unit", 32, _("Give the unit, e.g. “people”, “meals”, “%”.")),
        "baseline": parse_value(baseline if baseline not in (None, "") else "0", "baseline"),
        "target": parse_value(target, "target", _("Enter the target value.")),
        "direction": direction if direction in DIRECTIONS else _fail_direction(),
    }


def _fail_direction():
    raise ValidationFailed(_("Choose whether higher or lower is better."), field="direction")


def add_indicator(project: ServiceProject, user: User, name, unit, baseline, target,
                  direction: str = INCREASE) -> Indicator:
    if project.status not in EDITABLE_STATUSES:
        raise IllegalTransition(_("A project that is “%(status)s” takes no new indicators.",
                                  status=PROJECT_STATUSES[project.status]))
    clean = _clean_indicator(name, unit, baseline, target, direction)
    position = db.session.scalar(select(func.count()).select_from(Indicator).where(
        Indicator.project_id == project.id)) or 0
    indicator = Indicator(project_id=project.id, position=position, **clean)
    db.session.add(indicator)
    db.session.flush()
    audit.record("project.indicator_added", "service_project", project.id, actor=user,
                 after={"indicator_id": indicator.id, **_indicator_snapshot(indicator)})
    return indicator


def _indicator_snapshot(indicator: Indicator) -> dict:
    return {"name": indicator.name, "unit": indicator.unit, "baseline": str(indicator.baseline),
            "target": str(indicator.target), "direction": indicator.direction}


def update_indicator(indicator: Indicator, user: User, name, unit, baseline, target, direction) -> Indicator:
    project = indicator.project
    if project.status not in EDITABLE_STATUSES:
        raise IllegalTransition(_("A project that is “%(status)s” can no longer change its indicators.",
                                  status=PROJECT_STATUSES[project.status]))
    before = _indicator_snapshot(indicator)
    for key, value in _clean_indicator(name, unit, baseline, target, direction).items():
        setattr(indicator, key, value)
    db.session.flush()
    after = _indicator_snapshot(indicator)
    if after != before:
        # a changed target changes every progress figure: the record keeps what it was
        audit.record("project.indicator_updated", "service_project", project.id, actor=user,
                     before={"indicator_id": indicator.id, **before}, after={"indicator_id": indicator.id, **after})
    return indicator


# --- results reports -------------------------------------------------------------------------------

def submit_report(indicator: Indicator, user: User, period_start: date | None, period_end: date | None, actual,
                  narrative: str, files=()) -> IndicatorReport:
    """An actual for one period with its evidence; it counts once a community worker approves it."""
    project = indicator.project
    if project.status not in REPORTABLE_STATUSES:
        raise IllegalTransition(_("Results are reported once the project is in progress."))
    if period_start is None:
        raise ValidationFailed(_("Enter the first day of the period."), field="period_start")
    if period_end is None:
        raise ValidationFailed(_("Enter the last day of the period."), field="period_end")
    if period_end < period_start:
        raise ValidationFailed(_("The period cannot end before it starts."), field="period_end")
    if period_end > utcnow().date():
        raise ValidationFailed(_("Report a period that has ended, not one in the future."), field="period_end")
    value = parse_value(actual, "actual", _("Enter the value reached in this period."))
    narrative = _text(narrative, "narrative", 5000, one_line=False)
    files = [item for item in (files or []) if item is not None and getattr(item, "filename", "")]
    if len(files) > MAX_EVIDENCE_FILES:
        raise ValidationFailed(_("Attach at most %(count)d files.", count=MAX_EVIDENCE_FILES), field="evidence")
    report = IndicatorReport(indicator_id=indicator.id, period_start=period_start, period_end=period_end,
                             actual=value, narrative=narrative, status=SUBMITTED, submitted_by_id=user.id,
                             submitted_at=utcnow())
    db.session.add(report)
    db.session.flush()
    for file_storage in files:
        stored = store_upload(file_storage, DOCUMENT_TYPES, field="evidence")
        db.session.add(ReportEvidence(report_id=report.id, original_name=stored.original_name,
                                      content_type=stored.content_type, size=stored.size,
                                      storage_key=stored.storage_key))
    db.session.flush()
    audit.record("project.report_submitted", "service_project", project.id, actor=user,
                 after={"report_id": report.id, "indicator_id": indicator.id, "actual": str(value),
                        "period_start": str(period_start), "period_end": str(period_end), "evidence": len(files)})
    url = url_for("projects.report", project_id=project.id, report_id=report.id)
    notifications.notify_many(reviewer_ids(project), "report_submitted", f"{project.title}: {indicator.name}",
                              url=url)
    return report


def reviewer_ids(project: ServiceProject) -> list[int]:
    """Community workers holding their role on one of the project's places or a place above it."""
    place_ids = {pid for link in project.places for pid in link.place.ancestor_ids}
    if not place_ids:
        return []
    members = select(RoleAssignment.user_id).where(
        RoleAssignment.scope_type == roles.SCOPE_ORGANISATION, RoleAssignment.scope_id == project.organisation_id,
        RoleAssignment.role.in_(MEMBER_ROLES))
    return sorted(set(db.session.scalars(select(RoleAssignment.user_id).where(
        RoleAssignment.role == roles.COMMUNITY_WORKER, RoleAssignment.scope_type == roles.SCOPE_PLACE,
        RoleAssignment.scope_id.in_(place_ids), RoleAssignment.user_id.not_in(members)))))


def review_report(report: IndicatorReport, reviewer: User, approve: bool, comment: str) -> IndicatorReport:
    """Approve (the actual now counts) or return with a comment (the organisation may report again)."""
    if report.status != SUBMITTED:
        raise IllegalTransition(_("This report was already reviewed."))
    comment = _text(comment, "comment", 2000, None if approve else
                    _("Say what is missing or wrong, so the organisation can correct it."), one_line=False)
    report.status = APPROVED if approve else RETURNED
    report.reviewed_by_id = reviewer.id
    report.reviewed_at = utcnow()
    report.review_comment = comment or None
    db.session.flush()
    project = report.indicator.project
    audit.record("project.report_approved" if approve else "project.report_returned", "service_project",
                 project.id, actor=reviewer, before={"report_id": report.id, "status": SUBMITTED},
                 after={"report_id": report.id, "status": report.status, "comment": comment})
    notifications.notify(report.submitted_by_id, "report_reviewed",
                         f"{project.title}: {report.indicator.name}", body=comment,
                         url=url_for("projects.report", project_id=project.id, report_id=report.id))
    return report


# --- reading ---------------------------------------------------------------------------------------

# Like the project loaders: every id in the URL, None when the rows do not belong together.

def load_indicator(project_id: int, indicator_id: int) -> Indicator | None:
    indicator = db.session.get(Indicator, indicator_id)
    return indicator if indicator is not None and indicator.project_id == project_id else None


def load_report(project_id: int, report_id: int) -> IndicatorReport | None:
    report = db.session.scalar(select(IndicatorReport).options(
        joinedload(IndicatorReport.indicator).joinedload(Indicator.project), selectinload(IndicatorReport.evidence),
        joinedload(IndicatorReport.submitted_by), joinedload(IndicatorReport.reviewed_by))
        .where(IndicatorReport.id == report_id))
    return report if report is not None and report.indicator.project_id == project_id else None


def load_evidence(project_id: int, report_id: int, evidence_id: int) -> ReportEvidence | None:
    item = db.session.get(ReportEvidence, evidence_id)
    if item is None or item.report_id != report_id or load_report(project_id, report_id) is None:
        return None
    return item


def reports_of(project: ServiceProject, approved_only: bool) -> list[IndicatorReport]:
    statement = (select(IndicatorReport)
                 .options(joinedload(IndicatorReport.indicator), selectinload(IndicatorReport.evidence))
                 .join(Indicator).where(Indicator.project_id == project.id)
                 .order_by(IndicatorReport.period_end.desc(), IndicatorReport.id.desc()))
    if approved_only:
        statement = statement.where(IndicatorReport.status == APPROVED)
    return list(db.session.scalars(statement))


def previous_approved(report: IndicatorReport) -> IndicatorReport | None:
    """The approved report of the same indicator for the latest period before this one (for the reviewer)."""
    return db.session.scalar(
        select(IndicatorReport).where(IndicatorReport.indicator_id == report.indicator_id,
                                      IndicatorReport.status == APPROVED,
                                      IndicatorReport.period_end < report.period_end)
        .order_by(IndicatorReport.period_end.desc(), IndicatorReport.id.desc()).limit(1))


@dataclass
class IndicatorResult:
    indicator: Indicator
    latest_actual: Decimal | None
    latest_period_end: date | None
    progress: float | None
    reports: int


@dataclass
class Results:
    rows: list[IndicatorResult]
    overall: float | None
    chart: dict | None
    timeline: list[dict]


def results_of(project: ServiceProject, indicators: list[Indicator] | None = None) -> Results:
    """Per indicator: baseline, target, latest approved actual and progress; overall progress; the chart."""
    indicators = list(project.indicators if indicators is None else indicators)
    approved = db.session.execute(
        select(IndicatorReport.indicator_id, IndicatorReport.period_start, IndicatorReport.period_end,
               IndicatorReport.actual)
        .join(Indicator).where(Indicator.project_id == project.id, IndicatorReport.status == APPROVED)
        .order_by(IndicatorReport.period_end, IndicatorReport.id)).all()
    indicator_frame = pd.DataFrame([(i.id, i.name, i.unit, i.baseline, i.target, i.direction) for i in indicators],
                                   columns=["id", "name", "unit", "baseline", "target", "direction"])
    report_frame = pd.DataFrame([tuple(row) for row in approved],
                                columns=["indicator_id", "period_start", "period_end", "actual"])
    summary = indicator_summary(indicator_frame, report_frame)
    by_id = {indicator.id: indicator for indicator in indicators}
    rows = []
    for record in summary.to_dict("records"):
        progress = record["progress"]
        latest = record["latest_actual"]
        rows.append(IndicatorResult(
            indicator=by_id[record["id"]], latest_actual=None if latest is None or pd.isna(latest) else latest,
            latest_period_end=None if record["latest_period_end"] is None or pd.isna(record["latest_period_end"])
            else record["latest_period_end"],
            progress=None if progress is None or pd.isna(progress) else float(progress),
            reports=int(record["reports"])))
    timeline = progress_timeline(indicator_frame, report_frame)
    chart = None
    if not timeline.empty:
        chart = figure_data(progress_chart(timeline, title=_("Progress toward each target"),
                                           axis_title=_("Progress toward target"), target_label=_("Target")))
    overall = overall_progress(row.progress for row in rows)
    return Results(rows=rows, overall=overall, chart=chart, timeline=timeline.to_dict("records"))


def reports_to_review_query(user: User):
    """Submitted reports on projects with a place in `user`'s community-worker scope, oldest first."""
    from portal.accounts.scopes import places_with_role

    places = places_with_role(user, roles.COMMUNITY_WORKER)
    if not places:
        return select(IndicatorReport).where(IndicatorReport.id.is_(None))
    inside = or_(*(Place.path.startswith(place.path, autoescape=True) for place in places))
    own = organisation_ids_of(user)
    statement = (select(IndicatorReport)
                 .options(joinedload(IndicatorReport.indicator).joinedload(Indicator.project)
                          .joinedload(ServiceProject.organisation), selectinload(IndicatorReport.evidence))
                 .join(Indicator).join(ServiceProject, ServiceProject.id == Indicator.project_id)
                 .where(IndicatorReport.status == SUBMITTED,
                        ServiceProject.places.any(ProjectPlace.place_id.in_(select(Place.id).where(inside))))
                 .order_by(IndicatorReport.submitted_at, IndicatorReport.id))
    if own:
        statement = statement.where(ServiceProject.organisation_id.not_in(own))
    return statement
