"""Projects service: posting with every rule, the lifecycle table, results reports and review, updates,
followers and ratings (caches kept by the service)."""
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.models import Notification
from portal.orgs.models import PENDING, REJECTED, SUSPENDED
from portal.projects import results, service
from portal.projects.models import (
    APPROVED,
    CANCELLED,
    COMPLETED,
    DRAFT,
    IN_PROGRESS,
    PUBLISHED,
    RETURNED,
    SUBMITTED,
    IndicatorReport,
    ProjectRating,
    ServiceProject,
)
from tests.factories.accounts import UserFactory
from tests.factories.orgs import make_organisation, tiny_pdf, tiny_png
from tests.factories.projects import make_project, make_report


@pytest.fixture(autouse=True)
def english():
    """Services outside a request speak Chinese (the default); these tests read the English messages."""
    with force_locale("en"):
        yield


def details(tree, **changes) -> service.ProjectDetails:
    values = dict(title="四点半课堂", summary="放学后的作业辅导", description_md="**每天**开放",
                  category="children_youth", service_type="care", delivery_model="resident_self_help",
                  target_groups="双职工家庭儿童", places=[tree["community"]], starts_on=date(2026, 3, 1),
                  ends_on=date(2026, 12, 31), budget="28000", funding_sources="社区公益金", beneficiaries_target="35")
    values.update(changes)
    return service.ProjectDetails(**values)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- posting -------------------------------------------------------------------------------------

def test_a_member_posts_a_draft_with_every_field(organisation, member, tree):
    project = service.create_project(organisation, member, details(tree, places=[tree["community"], tree["street"]]))
    assert project.status == DRAFT
    assert project.budget_minor == 2_800_000
    assert project.beneficiaries_target == 35
    assert sorted(link.place_id for link in project.places) == sorted([tree["community"].id, tree["street"].id])


def test_a_pending_organisation_may_prepare_a_draft_but_not_publish(member, tree):
    pending = make_organisation(member, tree["community"], status=PENDING)
    project = service.create_project(pending, member, details(tree))
    with pytest.raises(IllegalTransition, match="Only verified organisations publish"):
        service.change_status(project, PUBLISHED, member)
    assert project.status == DRAFT


@pytest.mark.parametrize("status", [REJECTED, SUSPENDED])
def test_rejected_and_suspended_organisations_cannot_post(member, tree, status):
    organisation = make_organisation(member, tree["community"], status=status)
    with pytest.raises(DomainError, match="cannot post projects"):
        service.create_project(organisation, member, details(tree))
    assert _count(ServiceProject) == 0


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": "  "}, "title"),
    ({"summary": ""}, "summary"),
    ({"category": "astrology"}, "category"),
    ({"service_type": "x"}, "service_type"),
    ({"places": []}, "places"),
    ({"starts_on": None}, "starts_on"),
    ({"ends_on": date(2026, 2, 1)}, "ends_on"),  # ends before it starts
    ({"budget": "-5"}, "budget"),
    ({"budget": "12.345"}, "budget"),
    ({"beneficiaries_target": "-3"}, "beneficiaries_target"),
])
def test_bad_input_is_refused_with_its_field_and_nothing_saved(organisation, member, tree, changes, field):
    with pytest.raises(ValidationFailed) as refused:
        service.create_project(organisation, member, details(tree, **changes))
    assert refused.value.field == field
    assert _count(ServiceProject) == 0


def test_a_grid_is_not_a_place_a_project_serves(organisation, member, tree):
    with pytest.raises(ValidationFailed, match="streets or communities"):
        service.create_project(organisation, member, details(tree, places=[tree["grid"]]))


# --- the lifecycle -------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "target"), [
    (DRAFT, PUBLISHED), (PUBLISHED, IN_PROGRESS), (PUBLISHED, CANCELLED), (IN_PROGRESS, COMPLETED),
    (IN_PROGRESS, CANCELLED)])
def test_legal_steps(organisation, member, tree, start, target):
    project = make_project(organisation, member, [tree["community"]], status=start)
    service.change_status(project, target, member)
    assert project.status == target
    if target == PUBLISHED:
        assert project.published_at is not None


@pytest.mark.parametrize(("start", "target"), [
    (DRAFT, IN_PROGRESS), (DRAFT, COMPLETED), (DRAFT, CANCELLED), (PUBLISHED, COMPLETED), (IN_PROGRESS, PUBLISHED),
    (COMPLETED, IN_PROGRESS), (COMPLETED, CANCELLED), (CANCELLED, PUBLISHED), (PUBLISHED, "nonsense")])
def test_illegal_steps_are_409(organisation, member, tree, start, target):
    project = make_project(organisation, member, [tree["community"]], status=start)
    with pytest.raises(IllegalTransition) as refused:
        service.change_status(project, target, member)
    assert refused.value.status_code == 409
    assert project.status == start


def test_a_completed_project_can_no_longer_be_edited(organisation, member, tree):
    project = make_project(organisation, member, [tree["community"]], status=COMPLETED)
    with pytest.raises(IllegalTransition):
        service.update_project(project, member, details(tree))


# --- photos ----------------------------------------------------------------------------------------

def _file(data: bytes, name: str) -> FileStorage:
    return FileStorage(BytesIO(data), filename=name)


def test_a_real_image_is_stored(project, member):
    photo = service.add_photo(project, _file(tiny_png(), "活动.png"), "活动现场", member)
    assert photo.storage_key.endswith(".png")


@pytest.mark.parametrize(("data", "name"), [(b"MZ\x90\x00 not a picture", "photo.jpg"), (tiny_pdf(), "photo.jpg")])
def test_a_non_image_named_jpg_is_refused(project, member, data, name):
    with pytest.raises(ValidationFailed, match="not a real") as refused:
        service.add_photo(project, _file(data, name), "", member)
    assert refused.value.field == "photo"
    assert project.photos == []


def test_a_huge_image_is_refused(app, project, member, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 1024)
    huge = tiny_png() + b"\x00" * 2048
    with pytest.raises(ValidationFailed, match="too large"):
        service.add_photo(project, _file(huge, "big.png"), "", member)


# --- indicators and reports --------------------------------------------------------------------------

def test_an_indicator_with_a_negative_target_is_refused(project, member):
    with pytest.raises(ValidationFailed) as refused:
        results.add_indicator(project, member, "助餐人数", "人", "0", "-10")
    assert refused.value.field == "target"
    with pytest.raises(ValidationFailed) as refused:
        results.add_indicator(project, member, "助餐人数", "人", "-1", "10")
    assert refused.value.field == "baseline"
    assert project.indicators == []


def test_indicator_values_take_two_decimals(project, member):
    indicator = results.add_indicator(project, member, "满意度", "%", "70.5", "90", "increase")
    assert indicator.baseline == Decimal("70.50")
    with pytest.raises(ValidationFailed, match="two decimals"):
        results.add_indicator(project, member, "满意度", "%", "70.555", "90", "increase")


def test_a_report_with_evidence_awaits_review_and_tells_the_worker(indicator, member, worker):
    today = utcnow().date()
    report = results.submit_report(indicator, member, today - timedelta(days=90), today - timedelta(days=1), "24",
                                   "签到表见附件", [_file(tiny_pdf(), "签到表.pdf")])
    assert report.status == SUBMITTED
    assert [e.content_type for e in report.evidence] == ["application/pdf"]
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == worker.id)) == "report_submitted"


@pytest.mark.parametrize(("start", "end", "actual", "field"), [
    (date(2026, 3, 1), date(2026, 2, 1), "5", "period_end"),
    (date(2026, 1, 1), date(2999, 1, 1), "5", "period_end"),  # a period in the future
    (date(2026, 1, 1), date(2026, 3, 31), "-5", "actual"),
    (date(2026, 1, 1), date(2026, 3, 31), "lots", "actual"),
    (None, date(2026, 3, 31), "5", "period_start"),
])
def test_bad_reports_are_refused(indicator, member, start, end, actual, field):
    with pytest.raises(ValidationFailed) as refused:
        results.submit_report(indicator, member, start, end, actual, "")
    assert refused.value.field == field
    assert _count(IndicatorReport) == 0


def test_results_are_reported_only_once_the_project_runs(organisation, member, tree):
    from tests.factories.projects import make_indicator

    project = make_project(organisation, member, [tree["community"]], status=PUBLISHED)
    indicator = make_indicator(project)
    with pytest.raises(IllegalTransition):
        results.submit_report(indicator, member, date(2026, 1, 1), date(2026, 3, 31), "5", "")


def test_only_approved_reports_count_toward_progress(project, indicator, member, worker):
    approved = make_report(indicator, member, actual=30)
    make_report(indicator, member, actual=60, period_end=utcnow().date() - timedelta(days=2))  # awaiting review
    results.review_report(approved, worker, approve=True, comment="")
    progress = results.results_of(project)
    (row,) = progress.rows
    assert row.latest_actual == 30
    assert row.progress == pytest.approx(50.0)
    assert progress.overall == pytest.approx(50.0)
    assert progress.chart["data"][0]["y"] == [50.0]


def test_a_returned_report_needs_a_comment_and_tells_the_organisation(indicator, member, worker):
    report = make_report(indicator, member)
    with pytest.raises(ValidationFailed) as refused:
        results.review_report(report, worker, approve=False, comment=" ")
    assert refused.value.field == "comment"
    results.review_report(report, worker, approve=False, comment="缺少签到表")
    assert report.status == RETURNED and report.review_comment == "缺少签到表"
    notification = db.session.scalar(select(Notification).where(Notification.user_id == member.id))
    assert notification.kind == "report_reviewed" and notification.body == "缺少签到表"


def test_a_report_is_reviewed_once(indicator, member, worker):
    report = make_report(indicator, member, status=APPROVED, reviewer=worker)
    with pytest.raises(IllegalTransition):
        results.review_report(report, worker, approve=False, comment="again")


def test_reviewers_are_the_workers_over_the_projects_places_but_not_the_organisations_members(
        project, worker, member, tree, organisation):
    from portal.accounts import roles
    from tests.factories.accounts import grant

    elsewhere = UserFactory()
    grant(elsewhere, roles.COMMUNITY_WORKER, tree["community2"])
    street_worker = UserFactory()
    grant(street_worker, roles.COMMUNITY_WORKER, tree["street"])
    grant(street_worker, roles.ORG_MEMBER, organisation)  # reviews nothing of its own organisation
    assert results.reviewer_ids(project) == [worker.id]


# --- updates and followers ---------------------------------------------------------------------------

def test_followers_are_notified_of_each_update(project, member):
    followers = [UserFactory(), UserFactory()]
    for user in followers:
        assert service.follow(project, user) is True
    assert service.follow(project, followers[0]) is False  # following twice changes nothing
    db.session.refresh(project)
    assert project.follower_count == 2
    service.post_update(project, member, "第一次活动", "来了 **30** 位老人")
    notes = list(db.session.scalars(select(Notification).order_by(Notification.user_id)))
    assert [n.user_id for n in notes] == sorted(u.id for u in followers)
    assert notes[0].kind == "project_update" and notes[0].title == "独居老人助餐服务: 第一次活动"
    assert notes[0].url.endswith(f"/projects/{project.id}#update-{project.updates[0].id}")
    assert service.unfollow(project, followers[0]) is True
    assert service.unfollow(project, followers[0]) is False
    db.session.refresh(project)
    assert project.follower_count == 1


def test_a_draft_takes_no_updates(organisation, member, tree):
    project = make_project(organisation, member, [tree["community"]], status=DRAFT)
    with pytest.raises(IllegalTransition):
        service.post_update(project, member, "x", "")


# --- ratings ---------------------------------------------------------------------------------------

def test_one_rating_per_person_editable_and_the_average_follows(project):
    first, second = UserFactory(), UserFactory()
    _rating, created = service.rate_project(project, first, "5", "很好")
    assert created
    service.rate_project(project, second, 2, "")
    rating, created = service.rate_project(project, first, 3, "一般")  # the second submit edits
    assert not created and rating.comment == "一般"
    db.session.refresh(project)
    assert _count(ProjectRating) == 2
    assert (project.rating_count, project.rating_sum) == (2, 5)
    assert service.average_rating(project) == pytest.approx(2.5)


@pytest.mark.parametrize("score", [0, 6, "x", None])
def test_a_score_outside_one_to_five_is_refused(project, score):
    with pytest.raises(ValidationFailed):
        service.rate_project(project, UserFactory(), score, "")
    assert _count(ProjectRating) == 0


def test_a_published_project_is_not_rated_yet(organisation, member, tree):
    project = make_project(organisation, member, [tree["community"]], status=PUBLISHED)
    with pytest.raises(IllegalTransition):
        service.rate_project(project, UserFactory(), 4, "")


def test_the_organisation_replies_and_the_rater_is_told(project, member):
    rater = UserFactory()
    rating, _created = service.rate_project(project, rater, 2, "人手太少")
    service.reply_to_rating(rating, member, "下季度增加志愿者")
    assert rating.reply == "下季度增加志愿者"
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == rater.id)) == "rating_reply"
