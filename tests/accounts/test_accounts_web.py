"""Registration, sign-in, throttling, password reset and profile through the web pages."""
import re

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit.models import AuditEvent
from portal.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.factories.accounts import UserFactory

GOOD_PASSWORD = "Morning-market-dumplings-88"


def _register(client, **overrides):
    data = {"email": "li.na@example.org", "display_name": "李娜", "password": GOOD_PASSWORD,
            "confirm": GOOD_PASSWORD, "consent": "y"}
    data.update(overrides)
    return client.post_form("/register", data)


def _user_count():
    return db.session.scalar(select(func.count()).select_from(User))


def test_register_creates_account_and_signs_in(client):
    response = _register(client)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "li.na@example.org"))
    assert user.password_hash.startswith("$argon2id$")
    assert user.privacy_consent_at is not None
    assert "李娜" in client.get("/").get_data(as_text=True)


def test_duplicate_email_is_refused_with_message(client):
    UserFactory(email="li.na@example.org")
    before = _user_count()
    response = _register(client, email="LI.NA@example.org")
    assert response.status_code == 400
    assert "该邮箱已注册" in response.get_data(as_text=True)
    assert _user_count() == before


def test_common_password_is_refused(client):
    response = _register(client, password="password123", confirm="password123")
    assert response.status_code == 400
    assert _user_count() == 0


def test_weak_short_password_is_refused(client):
    response = _register(client, password="abc", confirm="abc")
    assert response.status_code == 400
    assert _user_count() == 0


def test_missing_csrf_token_is_refused_and_nothing_saved(client):
    response = client.post("/register", data={"email": "x@example.org", "display_name": "x",
                                              "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD,
                                              "consent": "y"})
    assert response.status_code == 400
    assert _user_count() == 0


def test_tampered_csrf_token_is_refused(client):
    response = _register(client, csrf_token="forged-token")
    assert response.status_code == 400
    assert _user_count() == 0


def test_login_and_logout(client):
    user = UserFactory()
    response = client.post_form("/login", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert user.display_name in client.get("/").get_data(as_text=True)
    client.post_form("/logout", {}, token_from="/")
    assert user.display_name not in client.get("/").get_data(as_text=True)


def test_login_renews_the_session(client):
    user = UserFactory()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by-attacker"
    client.post_form("/login", {"email": user.email, "password": TEST_PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session


def test_wrong_password_is_audited(client):
    user = UserFactory()
    response = client.post_form("/login", {"email": user.email, "password": "wrong-password-xyz"})
    assert response.status_code == 200
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")).all()
    assert [e.object_id for e in events] == [str(user.id)]


def test_login_is_throttled_per_account(client, app):
    user = UserFactory()
    for _attempt in range(5):
        client.post_form("/login", {"email": user.email, "password": "wrong-password-xyz"})
    response = client.post_form("/login", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 429


def test_remember_me_sets_a_secure_http_only_cookie(client):
    user = UserFactory()
    response = client.post_form("/login", {"email": user.email, "password": TEST_PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0]
    session_cookie = [c for c in cookies if c.startswith("session=")]
    assert session_cookie and "HttpOnly" in session_cookie[0] and "SameSite=Lax" in session_cookie[0]


def _reset_link(outbox):
    messages = outbox()
    assert len(messages) == 1
    body = messages[-1].get_payload(decode=True).decode()
    return re.search(r"https?://\S+/password/reset/(\S+)", body).group(0)


def test_password_reset_flow_is_single_use(client, outbox):
    user = UserFactory()
    client.post_form("/password/forgot", {"email": user.email})
    link = _reset_link(outbox)
    path = link.split("portal.test", 1)[1]
    new_password = "Riverside-willow-kites-31"
    response = client.post_form(path, {"password": new_password, "confirm": new_password})
    assert response.status_code == 302
    assert client.post_form("/login", {"email": user.email, "password": new_password}).status_code == 302
    client.post_form("/logout", {}, token_from="/")
    reused = client.get(path)
    assert reused.status_code == 302 and "/password/forgot" in reused.headers["Location"]


def test_password_reset_for_unknown_email_sends_nothing(client, outbox):
    response = client.post_form("/password/forgot", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert outbox() == []


def test_expired_reset_token_is_refused(client, outbox):
    from datetime import timedelta

    from portal.accounts.models import PasswordResetToken

    user = UserFactory()
    client.post_form("/password/forgot", {"email": user.email})
    path = _reset_link(outbox).split("portal.test", 1)[1]
    token_row = db.session.scalar(select(PasswordResetToken))
    token_row.expires_at = token_row.expires_at - timedelta(hours=2)
    response = client.post_form(path, {"password": "Riverside-willow-kites-31",
                                       "confirm": "Riverside-willow-kites-31"}, token_from="/login")
    assert response.status_code == 302 and "/password/forgot" in response.headers["Location"]


def test_profile_saves_language(client, login_as):
    user = UserFactory()
    login_as(user)
    response = client.post_form("/profile", {"display_name": "王芳", "phone": "13800000000", "locale": "en"})
    assert response.status_code == 302
    assert user.locale == "en" and user.display_name == "王芳"
    assert "Sign out" in client.get("/").get_data(as_text=True)


def test_language_switch_is_remembered_for_anonymous_visitors(client):
    client.get("/lang/en")
    assert "Sign in" in client.get("/").get_data(as_text=True)
    client.get("/lang/zh_CN")
    assert "登录" in client.get("/").get_data(as_text=True)


def test_personal_data_download(client, login_as):
    user = UserFactory(email="wang@example.org")
    login_as(user)
    response = client.get("/profile/export.json")
    assert response.status_code == 200
    assert response.get_json()["account"]["email"] == "wang@example.org"
    assert "attachment" in response.headers["Content-Disposition"]


def test_erasing_an_account_pseudonymises_and_keeps_audit(client, login_as):
    user = UserFactory(email="erase.me@example.org")
    login_as(user)
    response = client.post_form("/profile/erase", {"password": TEST_PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    assert user.email.startswith("erased-") and not user.is_active_account
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.erased")).object_id == str(user.id)
    assert client.post_form("/login", {"email": "erase.me@example.org", "password": TEST_PASSWORD}).status_code == 200


def test_erasing_needs_the_right_password(client, login_as):
    user = UserFactory()
    login_as(user)
    response = client.post_form("/profile/erase", {"password": "wrong-password-123", "confirm": "y"})
    assert response.status_code == 400
    assert user.is_active_account


def test_language_chosen_before_sign_in_is_kept_on_the_account(client):
    user = UserFactory(locale="zh_CN")
    client.get("/lang/en")
    client.post_form("/login", {"email": user.email, "password": TEST_PASSWORD})
    assert user.locale == "en"
    assert "Sign out" in client.get("/").get_data(as_text=True)


def test_create_admin_command_bootstraps_the_first_administrator(runner):
    from portal.accounts.models import RoleAssignment

    result = runner.invoke(args=["create-admin", "--email", "First.Admin@example.org", "--name", "管理员",
                                 "--password", GOOD_PASSWORD])
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(User).where(User.email == "first.admin@example.org"))
    assert [a.role for a in db.session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == admin.id))] \
        == ["platform_admin"]
    again = runner.invoke(args=["create-admin", "--email", "first.admin@example.org", "--password", GOOD_PASSWORD])
    assert again.exit_code == 0  # promoting an existing administrator again changes nothing
    assert db.session.scalar(select(func.count()).select_from(RoleAssignment)) == 1


def test_create_admin_refuses_a_weak_password(runner):
    result = runner.invoke(args=["create-admin", "--email", "weak@example.org", "--password", "password1"])
    assert result.exit_code != 0
    assert _user_count() == 0


def test_erasure_pseudonymises_gifts_and_export_lists_them(client, login_as):
    from portal.payments.models import ANONYMOUS, SUCCEEDED, Donation
    from tests.factories.funds import make_fund
    from tests.factories.places import make_tree

    user = UserFactory(email="giver@example.org", display_name="钱多多")
    fund = make_fund(make_tree()["community"])
    gift = Donation(fund_id=fund.id, donor_id=user.id, donor_name="钱多多", amount_minor=5000, provider="sandbox",
                    status=SUCCEEDED)
    db.session.add(gift)
    db.session.flush()
    login_as(user)
    exported = client.get("/profile/export.json").get_json()
    assert [d["amount_minor"] for d in exported["donations"]] == [5000]
    assert client.post_form("/profile/erase", {"password": TEST_PASSWORD, "confirm": "y"}).status_code == 302
    assert gift.donor_name != "钱多多" and gift.display_mode == ANONYMOUS and gift.amount_minor == 5000
