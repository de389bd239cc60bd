"""Giving with WeChat Pay in Chromium, against the local fake: a QR code on a desktop (in English), the H5 cashier
on a 375-px phone (in Chinese, by the Chinese names of the choices and buttons); each time the page moves on to the
receipt by itself once WeChat Pay's callback has credited the gift."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser, live_server, page, screenshot  # noqa: F401  (fixtures)
from tests.payments.test_giving_browser import _sign_in, _world

pytestmark = [pytest.mark.browser, pytest.mark.no_db_session]
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def _give_with_wechat_pay(tab, base: str, campaign: int, rail: str = "WeChat Pay",
                          go_on: str = "Continue to payment") -> None:
    tab.goto(f"{base}/give/campaign/{campaign}")
    tab.locator("label.choice", has_text=rail).click()
    tab.get_by_role("button", name=go_on).click()
    tab.wait_for_load_state()


def test_a_desktop_donor_scans_the_code_and_the_page_moves_on_to_the_receipt(live_server, page, wechat):  # noqa: F811
    world = _world()
    _sign_in(page, live_server, world["email"])
    _give_with_wechat_pay(page, live_server, world["campaign"])
    assert page.url.endswith("/pay")
    expect(page.locator(".qr-box svg.qr-code")).to_be_visible()
    expect(page.get_by_role("heading", name="Pay ¥50.00")).to_be_visible()
    screenshot(page, "payments-wechatpay-qr")
    (out_trade_no,) = wechat.orders
    assert wechat.pay_and_notify(out_trade_no) == 204  # the donor scans and pays; WeChat Pay calls the portal
    expect(page.get_by_role("heading", name="Donation receipt")).to_be_visible()  # pay_status.js moved on
    assert page.locator(".receipt-number strong").inner_text().startswith("R")
    assert page.js_errors == []


def test_a_phone_donor_pays_in_the_h5_cashier_and_comes_back_to_the_receipt_in_chinese(live_server, browser,  # noqa: F811
                                                                                       wechat):
    world = _world(locale="zh_CN")
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True,
                                  has_touch=True, user_agent=IPHONE)
    tab = context.new_page()
    _sign_in(tab, live_server, world["email"])
    _give_with_wechat_pay(tab, live_server, world["campaign"], rail="微信支付", go_on="继续支付")
    assert tab.locator("html").get_attribute("lang") == "zh-CN"
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert tab.locator(".qr-box").count() == 0
    tab.get_by_role("link", name="去微信支付付款").click()
    tab.wait_for_load_state()
    assert tab.url.startswith(wechat.url + "/h5/checkmweb")
    tab.get_by_role("button", name="确认支付").click()
    expect(tab.get_by_role("heading", name="捐赠收据")).to_be_visible()
    assert "微信支付" in tab.locator("main").inner_text()  # the receipt names the rail in Chinese
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(tab, "payments-wechatpay-phone-receipt")
    context.close()
