"""Notifications: the service other domains call, the list page, mark read, the unread badge, email."""
from sqlalchemy import func, select

from portal.extensions import db
from portal.notifications import service
from portal.notifications.models import Notification
from tests.factories.accounts import UserFactory

EN = {"Accept-Language": "en"}


def test_notify_stores_one_and_notify_many_stores_one_per_person_once():
    first, second = UserFactory(), UserFactory()
    service.notify(first.id, "waitlist_promoted", "周六助餐志愿服务", url="/volunteering/me")
    assert service.notify_many([first.id, second.id, second.id], "project_update", "项目更新") == 2
    assert service.unread_count(first.id) == 2 and service.unread_count(second.id) == 1
    assert service.notify_many([], "project_update", "x") == 0


def test_long_titles_are_clipped_not_refused():
    user = UserFactory()
    notification = service.notify(user.id, "project_update", "很长" * 200)
    assert len(notification.title) == service.TITLE_MAX and notification.title.endswith("…")


def test_notify_can_also_send_an_email_in_the_readers_language(outbox):
    user = UserFactory(locale="en", email="reader@example.org")
    service.notify(user.id, "report_reviewed", "助餐服务: 每周助餐人数", body="缺少签到表", email=True)
    (mail,) = outbox()
    assert mail["To"] == "reader@example.org"
    assert mail["Subject"].startswith("A results report was reviewed")
    assert "缺少签到表" in mail.get_payload(decode=True).decode()


def test_the_page_lists_only_my_notifications_and_the_nav_shows_the_unread_count(client, login_as):
    me, other = UserFactory(locale="en"), UserFactory(locale="en")
    service.notify(me.id, "project_update", "独居老人助餐服务: 第一次活动", url="/projects/1#update-1")
    service.notify(me.id, "rating_reply", "四点半课堂")
    service.notify(other.id, "project_update", "别人的通知")
    login_as(me)
    html = client.get("/notifications").get_data(as_text=True)
    assert "独居老人助餐服务: 第一次活动" in html and "四点半课堂" in html and "别人的通知" not in html
    assert "New update on a project you follow" in html
    assert 'class="nav-badge">2<' in html


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client, login_as):
    me = UserFactory(locale="en")
    notification = service.notify(me.id, "project_update", "项目更新", url="/projects/7#update-3")
    login_as(me)
    response = client.post_form(f"/notifications/{notification.id}/read", {"next": notification.url},
                                token_from="/notifications")
    assert response.status_code == 302 and response.headers["Location"].endswith("/projects/7#update-3")
    db.session.refresh(notification)
    assert notification.read_at is not None
    assert 'class="nav-badge"' not in client.get("/notifications").get_data(as_text=True)


def test_the_badge_is_read_with_the_person_and_is_always_current(client, login_as, count_queries):
    """The unread count comes in the sign-in's own statement (with the person and their roles): no statement
    of its own on any page, and a notification that just arrived is on the next page."""
    me = UserFactory(locale="en")
    service.notify(me.id, "project_update", "项目更新")
    login_as(me)
    with count_queries() as statements:
        html = client.get("/privacy").get_data(as_text=True)
    assert 'class="nav-badge">1<' in html
    assert len(statements) == 1 and "notifications" in statements[0] and "role_assignments" in statements[0]
    service.notify(me.id, "rating_reply", "四点半课堂")
    assert 'class="nav-badge">2<' in client.get("/privacy").get_data(as_text=True)


def test_an_outside_address_is_not_followed(client, login_as):
    me = UserFactory(locale="en")
    notification = service.notify(me.id, "project_update", "x")
    login_as(me)
    response = client.post_form(f"/notifications/{notification.id}/read", {"next": "https://evil.example/"},
                                token_from="/notifications")
    assert response.headers["Location"].endswith("/notifications")


def test_someone_elses_notification_is_a_404(client, login_as):
    owner, intruder = UserFactory(), UserFactory()
    notification = service.notify(owner.id, "project_update", "x")
    login_as(intruder)
    assert client.post_form(f"/notifications/{notification.id}/read", token_from="/").status_code == 404
    db.session.refresh(notification)
    assert notification.read_at is None


def test_mark_all_read(client, login_as):
    me, other = UserFactory(locale="en"), UserFactory()
    for n in range(3):
        service.notify(me.id, "project_update", f"更新{n}")
    service.notify(other.id, "project_update", "别人的")
    login_as(me)
    assert client.post_form("/notifications/read-all", token_from="/notifications").status_code == 302
    assert service.unread_count(me.id) == 0 and service.unread_count(other.id) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 4
