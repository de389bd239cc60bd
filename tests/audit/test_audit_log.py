"""The admin's audit-log page: filters, local dates, fixed query count, CSV export, access."""
import csv
import io
from datetime import UTC, datetime

import pytest

from portal.accounts import roles
from portal.audit.models import AuditEvent
from portal.extensions import db
from tests.factories.accounts import UserFactory, grant

EN = {"Accept-Language": "en"}


def make_event(action="org.verified", actor=None, object_type="organisation", object_id="7", when=None,
               before=None, after=None, ip="10.0.0.1") -> AuditEvent:
    event = AuditEvent(action=action, actor_id=getattr(actor, "id", None), object_type=object_type,
                       object_id=object_id, before=before, after=after, ip_address=ip,
                       created_at=when or datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    db.session.add(event)
    db.session.flush()
    return event


@pytest.fixture
def admin(login_as):
    user = UserFactory(email="root@example.org", display_name="管理员", locale="en")
    grant(user, roles.PLATFORM_ADMIN)
    login_as(user)
    return user


def _page(client, **params):
    response = client.get("/admin/audit/", query_string=params, headers=EN)
    return response, response.get_data(as_text=True)


def test_admin_sees_events_newest_first_with_readable_changes(client, admin):
    make_event("org.verified", admin, object_id="7", when=datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
               before={"status": "pending", "name": "阳光社工"}, after={"status": "verified", "name": "阳光社工"})
    make_event("role.granted", admin, "role_assignment", "12", when=datetime(2026, 3, 2, 2, 0, tzinfo=UTC),
               after={"role": "official"})
    response, html = _page(client)
    assert response.status_code == 200
    rows = html.split("<tbody>")[1]
    assert rows.index("role.granted") < rows.index("org.verified")
    # the changed key with old -> new, not the raw JSON; the unchanged name is left out
    assert "pending</del>" in html and "verified</ins>" in html
    assert "{&#34;status" not in html and '{"status' not in html and "阳光社工" not in html
    assert "root@example.org" in html


def test_times_are_shown_in_shanghai_time(client, admin):
    make_event(when=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))  # 07:30 on 2 March in Shanghai
    _response, html = _page(client)
    assert "Mar 2, 2026" in html and "7:30:00" in html


def test_filter_by_action(client, admin):
    make_event("org.verified", object_id="1")
    make_event("role.granted", object_type="role_assignment", object_id="2")
    response, html = _page(client, action="role.granted")
    assert response.status_code == 200
    assert "role_assignment #2" in html and "organisation #1" not in html
    assert '<option selected value="role.granted">' in html or 'value="role.granted" selected' in html


def test_filter_by_actor_email_fragment(client, admin):
    alice = UserFactory(email="alice.wang@example.org")
    bob = UserFactory(email="bob@example.org")
    make_event(actor=alice, object_id="101")
    make_event(actor=bob, object_id="202")
    _response, html = _page(client, actor="ALICE")
    assert "#101" in html and "#202" not in html


def test_actor_filter_treats_percent_and_underscore_literally(client, admin):
    make_event(actor=UserFactory(email="plain@example.org"), object_id="101")
    _response, html = _page(client, actor="%")
    assert "#101" not in html


def test_filter_by_object(client, admin):
    make_event(object_type="organisation", object_id="5")
    make_event(object_type="organisation", object_id="6")
    make_event(object_type="user", object_id="5")
    _response, html = _page(client, object_type="organisation", object_id="5")
    assert html.count("organisation #5") == 1 and "organisation #6" not in html and "user #5" not in html


def test_date_filters_use_shanghai_local_days(client, admin):
    make_event(object_id="late-first", when=datetime(2026, 3, 1, 15, 30, tzinfo=UTC))   # 23:30 on 1 March local
    make_event(object_id="early-second", when=datetime(2026, 3, 1, 16, 30, tzinfo=UTC))  # 00:30 on 2 March local
    make_event(object_id="third", when=datetime(2026, 3, 3, 4, 0, tzinfo=UTC))
    _response, html = _page(client, date_from="2026-03-02", date_to="2026-03-02")
    assert "#early-second" in html and "#late-first" not in html and "#third" not in html
    _response, html = _page(client, date_to="2026-03-01")
    assert "#late-first" in html and "#early-second" not in html
    _response, html = _page(client, date_from="2026-03-02")
    assert "#early-second" in html and "#third" in html and "#late-first" not in html


def test_end_date_before_start_date_is_a_form_error(client, admin):
    response, html = _page(client, date_from="2026-03-05", date_to="2026-03-01")
    assert response.status_code == 400
    assert "The end date is before the start date." in html


def test_bad_date_is_a_form_error_not_a_crash(client, admin):
    response, _html = _page(client, date_from="yesterday")
    assert response.status_code == 400


def test_pages_hold_fifty_events(client, admin):
    for n in range(55):
        make_event(object_id=f"n{n}", when=datetime(2026, 3, 1, 0, n, tzinfo=UTC))
    _response, html = _page(client)
    assert "#n54" in html and "#n4<" not in html and "Page 1 of 2" in html
    _response, html = _page(client, page=2)
    assert "#n4<" in html and "#n54" not in html


def test_query_count_does_not_grow_with_events(client, admin, count_queries):
    for n in range(3):
        make_event(actor=UserFactory(), object_id=str(n))
    with count_queries() as few:
        assert client.get("/admin/audit/").status_code == 200
    for n in range(27):
        make_event(actor=UserFactory(), object_id=str(100 + n), action=f"action.{n}")
    with count_queries() as many:
        response = client.get("/admin/audit/")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("<tr>") == 31  # header + 30 events
    assert len(many) == len(few)


@pytest.mark.parametrize("who", ["resident", "official"])
def test_non_admins_are_refused(client, login_as, who):
    user = UserFactory()
    if who == "official":
        grant(user, roles.OFFICIAL)
    login_as(user)
    assert client.get("/admin/audit/").status_code == 403
    assert client.get("/admin/audit/export.csv").status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/admin/audit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_csv_export_has_the_filtered_rows_and_is_itself_audited(client, admin):
    make_event("org.verified", admin, object_id="7", before={"status": "pending"}, after={"status": "verified"})
    make_event("role.granted", object_type="role_assignment", object_id="8", after={"role": "=HYPERLINK(1)"})
    response = client.get("/admin/audit/export.csv", query_string={"action": "role.granted"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["time", "actor_email", "actor_name", "action"]
    assert [row[3] for row in rows[1:]] == ["role.granted"]
    assert rows[1][0] == "2026-03-01T10:00:00+08:00"
    assert rows[1][6] == "role: + =HYPERLINK(1)"
    assert rows[1][8].startswith("'=") or rows[1][8].startswith('{"role"')  # JSON starts with {, safe
    exported = db.session.query(AuditEvent).filter_by(action="audit.exported").one()
    assert exported.actor_id == admin.id and exported.after == {"filters": {"action": "role.granted"}}


def test_csv_cells_that_look_like_formulas_are_neutralised(client, admin):
    make_event("role.granted", actor=UserFactory(display_name="=cmd|' /C calc'!A0"), object_id="9")
    response = client.get("/admin/audit/export.csv", query_string={"object_id": "9"})
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[1][2] == "'=cmd|' /C calc'!A0"


def test_role_events_name_the_person_and_the_scope_in_fixed_queries(client, admin, count_queries):
    from tests.factories.funds import make_fund
    from tests.factories.places import make_tree

    tree = make_tree()

    def role_events(count):
        for _ in range(count):
            worker = UserFactory(display_name="社工小吴")
            fund = make_fund(tree["community"], name=f"社区基金{worker.id}")
            make_event("role.granted", admin, "role_assignment", str(worker.id),
                       after={"user_id": worker.id, "role": "treasurer", "scope_type": "fund", "scope_id": fund.id})
            make_event("role.revoked", admin, "role_assignment", str(worker.id),
                       before={"user_id": worker.id, "role": "community_worker", "scope_type": "place",
                               "scope_id": tree["community"].id})

    role_events(1)
    with count_queries() as few:
        response, html = _page(client)
    assert "社工小吴: Fund treasurer on Fund 社区基金" in html
    assert "社工小吴: Community worker on Place 铁路坝社区" in html
    role_events(5)
    with count_queries() as many:
        response, html = _page(client)
    assert response.status_code == 200 and html.count("社工小吴: ") == 12
    assert len(many) == len(few)
