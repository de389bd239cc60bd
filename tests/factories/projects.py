"""Project factories: projects, indicators, reports, photos, evidence, ratings (rows as services write them)."""
import itertools
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

from werkzeug.datastructures import FileStorage

from portal.core.time import utcnow
from portal.core.uploads import DOCUMENT_TYPES, IMAGE_TYPES, store_upload
from portal.extensions import db
from portal.projects.models import (
    IN_PROGRESS,
    INCREASE,
    SUBMITTED,
    Indicator,
    IndicatorReport,
    ProjectPhoto,
    ProjectPlace,
    ProjectRating,
    ReportEvidence,
    ServiceProject,
)
from tests.factories.orgs import tiny_pdf, tiny_png

_serial = itertools.count(1)


def make_project(organisation, creator, places, status: str = IN_PROGRESS, title: str | None = None,
                 **fields) -> ServiceProject:
    n = next(_serial)
    today = utcnow().date()
    project = ServiceProject(
        organisation_id=organisation.id, title=title or f"测试服务项目{n}",
        summary=fields.pop("summary", "为社区老人提供服务"),
        description_md=fields.pop("description_md", ""), category=fields.pop("category", "elderly_care"),
        service_type=fields.pop("service_type", "care"), delivery_model=fields.pop("delivery_model", "other"),
        starts_on=fields.pop("starts_on", today - timedelta(days=200)),
        ends_on=fields.pop("ends_on", today + timedelta(days=165)), budget_minor=fields.pop("budget_minor", 2_800_000),
        status=status, created_by_id=creator.id,
        published_at=None if status == "draft" else utcnow() - timedelta(days=n % 50),
        places=[ProjectPlace(place_id=place.id) for place in places], **fields)
    db.session.add(project)
    db.session.flush()
    return project


def make_indicator(project, name: str = "每周助餐老人人数", unit: str = "人", baseline=0, target=60,
                   direction: str = INCREASE, position: int = 0) -> Indicator:
    indicator = Indicator(project_id=project.id, name=name, unit=unit, baseline=Decimal(baseline),
                          target=Decimal(target), direction=direction, position=position)
    db.session.add(indicator)
    db.session.flush()
    return indicator


def make_report(indicator, submitter, actual=10, status: str = SUBMITTED, period_end: date | None = None,
                reviewer=None, comment: str | None = None) -> IndicatorReport:
    period_end = period_end or utcnow().date() - timedelta(days=10)
    report = IndicatorReport(indicator_id=indicator.id, period_start=period_end - timedelta(days=89),
                             period_end=period_end, actual=Decimal(str(actual)), narrative="按计划开展",
                             status=status, submitted_by_id=submitter.id, submitted_at=utcnow(),
                             reviewed_by_id=getattr(reviewer, "id", None),
                             reviewed_at=utcnow() if reviewer else None, review_comment=comment)
    db.session.add(report)
    db.session.flush()
    return report


def make_photo(project, caption: str = "活动现场") -> ProjectPhoto:
    stored = store_upload(FileStorage(BytesIO(tiny_png()), filename="photo.png"), IMAGE_TYPES)
    photo = ProjectPhoto(project_id=project.id, storage_key=stored.storage_key, caption=caption)
    db.session.add(photo)
    db.session.flush()
    return photo


def make_evidence(report) -> ReportEvidence:
    stored = store_upload(FileStorage(BytesIO(tiny_pdf()), filename="签到表.pdf"), DOCUMENT_TYPES)
    evidence = ReportEvidence(report_id=report.id, original_name=stored.original_name,
                              content_type=stored.content_type, size=stored.size, storage_key=stored.storage_key)
    db.session.add(evidence)
    db.session.flush()
    return evidence


def make_rating(project, user, score: int = 4, comment: str = "服务很好") -> ProjectRating:
    rating = ProjectRating(project_id=project.id, user_id=user.id, score=score, comment=comment)
    db.session.add(rating)
    project.rating_count += 1
    project.rating_sum += score
    db.session.flush()
    return rating


def projects_matrix_world(member, resident, organisation, community) -> dict:
    """Rows for tests/test_authorization_matrix.py: a running project of the member's organisation with an
    indicator, a report awaiting review (with evidence), a photo and a resident's rating; a draft; a need;
    and a notification of the resident."""
    from portal.notifications.models import Notification
    from tests.factories.needs import make_need

    project = make_project(organisation, member, [community], status=IN_PROGRESS, title="矩阵测试项目")
    indicator = make_indicator(project)
    report = make_report(indicator, member)
    evidence = make_evidence(report)
    photo = make_photo(project)
    rating = make_rating(project, resident)
    draft = make_project(organisation, member, [community], status="draft", title="矩阵测试草稿")
    need = make_need(community, member, title="矩阵测试需求")
    notification = Notification(user_id=resident.id, kind="project_update", title="矩阵测试通知",
                                url=f"/projects/{project.id}")
    db.session.add(notification)
    db.session.flush()
    return {"project": project.id, "draft_project": draft.id, "indicator": indicator.id, "report": report.id,
            "evidence": evidence.id, "photo": photo.id, "rating": rating.id, "need": need.id,
            "notification": notification.id}
