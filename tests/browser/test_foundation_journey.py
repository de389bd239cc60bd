"""A newcomer registers, switches language, signs out and in again; an official verifies an organisation."""
import pytest

from portal.accounts import roles
from portal.extensions import db
from portal.orgs.models import PENDING, VERIFIED, Organisation
from tests.browser.conftest import screenshot
from tests.conftest import TEST_PASSWORD
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation
from tests.factories.places import make_tree

pytestmark = [pytest.mark.browser, pytest.mark.no_db_session]

PASSWORD = "Evening-river-lanterns-58"


def _sign_out(page, display_name):
    page.locator("summary", has_text=display_name).click()
    page.locator(".nav-menu button[type=submit]").click()


def test_register_switch_language_sign_in_and_verify_as_official(live_server, page):
    # the world: a district with an official, and an organisation waiting for verification
    tree = make_tree()
    official = UserFactory(email="official@example.org", display_name="王科长", locale="zh_CN")
    grant(official, roles.OFFICIAL, tree["district"])
    applicant = UserFactory(email="applicant@example.org")
    organisation = make_organisation(applicant, tree["community"], status=PENDING, name="夜明珠社会工作服务中心")
    db.session.commit()

    page.goto(live_server + "/register")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_label("电子邮箱").fill("chen.jing@example.org")
    page.get_by_label("显示名称").fill("陈静")
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    page.get_by_label("我已阅读隐私声明").check()
    page.get_by_role("button", name="创建账号").click()
    page.wait_for_url(live_server + "/")
    assert "欢迎，陈静" in page.content()

    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "foundation-home-en")
    _sign_out(page, "陈静")

    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email").fill("chen.jing@example.org")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "en"  # the language chosen is kept
    _sign_out(page, "陈静")

    # the official signs in (the English choice of this browser carries over) and verifies the organisation
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill("official@example.org")
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/")
    page.locator("summary", has_text="Manage").click()
    page.get_by_role("list", name="Management").get_by_role("link", name="Review organisations").click()
    card = page.locator("li, article, section").filter(has_text="夜明珠社会工作服务中心").last
    card.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()
    screenshot(page, "foundation-review-after-verify")
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).status == VERIFIED
    page.goto(live_server + "/organisations/")
    assert page.get_by_role("link", name="夜明珠社会工作服务中心").is_visible()
    assert page.js_errors == []


def test_phone_width_has_a_menu_and_no_sideways_scroll(live_server, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.goto(live_server + "/")
    menu = page.get_by_role("button", name="菜单")
    assert menu.is_visible()
    assert not page.get_by_role("link", name="登录").is_visible()
    menu.click()
    assert page.get_by_role("link", name="登录").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "foundation-home-phone")
    context.close()
