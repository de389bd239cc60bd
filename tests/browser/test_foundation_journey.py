"""A newcomer registers, switches language, signs out and in again, in a real Chromium."""
import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.no_db_session]

PASSWORD = "Evening-river-lanterns-58"


def test_register_switch_language_and_sign_in(live_server, page):
    page.goto(live_server + "/register")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_label("电子邮箱").fill("chen.jing@example.org")
    page.get_by_label("显示名称").fill("陈静")
    page.locator("#password").fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.get_by_label("我已阅读隐私声明").check()
    page.get_by_role("button", name="创建账号").click()
    page.wait_for_url(live_server + "/")
    assert "欢迎，陈静" in page.content()

    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Sign out").is_visible()
    screenshot(page, "foundation-home-en")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email").fill("chen.jing@example.org")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/")
    # the language chosen is remembered on the account
    assert page.locator("html").get_attribute("lang") == "en"
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
