"""Service projects, their places, photos, results framework (indicators and reports), updates,
followers and beneficiary ratings."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import UTCDateTime, utcnow
from portal.extensions import db
from portal.orgs.models import SERVICE_AREAS

CATEGORIES = SERVICE_AREAS  # the same list as organisations' service areas
SERVICE_TYPES = {"care": _l("Care (关照类)"), "mutual_aid": _l("Mutual aid (互助类)"),
                 "capacity": _l("Capacity building (能力类)"), "technology": _l("Technology (技术类)")}
DELIVERY_MODELS = {"resident_self_help": _l("Resident self-help project"),
                   "professional_social_work": _l("Embedded professional social work"),
                   "other": _l("Other")}

DRAFT, PUBLISHED, IN_PROGRESS, COMPLETED, CANCELLED = "draft", "published", "in_progress", "completed", "cancelled"
PROJECT_STATUSES = {DRAFT: _l("Draft"), PUBLISHED: _l("Published"), IN_PROGRESS: _l("In progress"),
                    COMPLETED: _l("Completed"), CANCELLED: _l("Cancelled")}


class ServiceProject(db.Model):
    __tablename__ = "service_projects"
    __table_args__ = (
        CheckConstraint("budget_minor >= 0", name="budget_not_negative"),
        CheckConstraint("beneficiaries_target >= 0", name="beneficiaries_not_negative"),
        Index("ix_service_projects_status_category", "status", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300), default="")
    description_md: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(32))
    service_type: Mapped[str] = mapped_column(String(16))
    delivery_model: Mapped[str] = mapped_column(String(32), default="other")
    target_groups: Mapped[str] = mapped_column(String(200), default="")
    starts_on = mapped_column(Date)
    ends_on = mapped_column(Date)
    budget_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    funding_sources: Mapped[str] = mapped_column(String(300), default="")
    beneficiaries_target: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    published_at = mapped_column(UTCDateTime())
    # caches for list pages (kept by the projects service)
    rating_count: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)
    follower_count: Mapped[int] = mapped_column(default=0)

    organisation = relationship("Organisation")
    created_by = relationship("User")
    places: Mapped[list["ProjectPlace"]] = relationship(cascade="all, delete-orphan")
    photos: Mapped[list["ProjectPhoto"]] = relationship(back_populates="project", order_by="ProjectPhoto.position")
    indicators: Mapped[list["Indicator"]] = relationship(back_populates="project", order_by="Indicator.position")
    updates: Mapped[list["ProjectUpdate"]] = relationship(order_by="ProjectUpdate.created_at.desc()")


class ProjectPlace(db.Model):
    __tablename__ = "project_places"

    project_id: Mapped[int] = mapped_column(ForeignKey("service_projects.id"), primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), primary_key=True, index=True)

    place = relationship("Place")


class ProjectPhoto(db.Model):
    __tablename__ = "project_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("service_projects.id"), index=True)
    storage_key: Mapped[str] = mapped_column(String(128))
    caption: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)

    project: Mapped[ServiceProject] = relationship(back_populates="photos")


INCREASE, DECREASE = "increase", "decrease"
DIRECTIONS = {INCREASE: _l("Higher is better"), DECREASE: _l("Lower is better")}


class Indicator(db.Model):
    """A result to reach (Akvo RSR / IATI style): baseline, target and direction; actuals come in reports."""

    __tablename__ = "indicators"
    __table_args__ = (CheckConstraint("target >= 0", name="target_not_negative"),
                      CheckConstraint("baseline >= 0", name="baseline_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("service_projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    unit: Mapped[str] = mapped_column(String(32))
    baseline = mapped_column(Numeric(14, 2), nullable=False, default=0)
    target = mapped_column(Numeric(14, 2), nullable=False)
    direction: Mapped[str] = mapped_column(String(16), default=INCREASE)
    position: Mapped[int] = mapped_column(default=0)

    project: Mapped[ServiceProject] = relationship(back_populates="indicators")
    reports: Mapped[list["IndicatorReport"]] = relationship(back_populates="indicator",
                                                            order_by="IndicatorReport.period_end")


SUBMITTED, APPROVED, RETURNED = "submitted", "approved", "returned"
REPORT_STATUSES = {SUBMITTED: _l("Awaiting review"), APPROVED: _l("Approved"), RETURNED: _l("Returned")}


class IndicatorReport(db.Model):
    __tablename__ = "indicator_reports"
    __table_args__ = (CheckConstraint("period_end >= period_start", name="period_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    period_start = mapped_column(Date, nullable=False)
    period_end = mapped_column(Date, nullable=False)
    actual = mapped_column(Numeric(14, 2), nullable=False)
    narrative: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=SUBMITTED, index=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at = mapped_column(UTCDateTime())
    review_comment: Mapped[str | None] = mapped_column(Text)

    indicator: Mapped[Indicator] = relationship(back_populates="reports")
    evidence: Mapped[list["ReportEvidence"]] = relationship(back_populates="report", order_by="ReportEvidence.id")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])


class ReportEvidence(db.Model):
    __tablename__ = "report_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("indicator_reports.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(128))

    report: Mapped[IndicatorReport] = relationship(back_populates="evidence")


class ProjectUpdate(db.Model):
    __tablename__ = "project_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("service_projects.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body_md: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime(), default=utcnow)

    author = relationship("User")


class ProjectFollower(db.Model):
    __tablename__ = "project_followers"

    project_id: Mapped[int] = mapped_column(ForeignKey("service_projects.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at = mapped_column(UTCDateTime(), default=utcnow)


class ProjectRating(db.Model):
    """One rating per resident per project (editable); the organisation may reply."""

    __tablename__ = "project_ratings"
    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_project_ratings_project_user"),
                      CheckConstraint("score BETWEEN 1 AND 5", name="score_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("service_projects.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at = mapped_column(UTCDateTime(), default=utcnow)
    updated_at = mapped_column(UTCDateTime(), default=utcnow)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replied_at = mapped_column(UTCDateTime())

    user = relationship("User", foreign_keys=[user_id])
    project: Mapped[ServiceProject] = relationship()
