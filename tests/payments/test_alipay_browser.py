"""Giving with Alipay in Chromium, against the local fake: a QR code on a desktop, in Chinese (the page moves on to
the receipt by itself once Alipay's notification has credited the gift), the WAP cashier on a 375-px phone, in
English, and back to the receipt; each time one gift, credited once."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.payments.models import ALIPAY, Donation
from tests.browser.conftest import browser, live_server, page, screenshot  # noqa: F401  (fixtures)
from tests.payments.helpers import gift_entries
from tests.payments.test_giving_browser import _sign_in, _world

pytestmark = [pytest.mark.browser, pytest.mark.no_db_session]
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def _give_with_alipay(tab, base: str, campaign: int, rail: str = "Alipay", go_on: str = "Continue to payment") -> None:
    tab.goto(f"{base}/give/campaign/{campaign}")
    tab.locator("label.choice", has_text=rail).click()
    tab.get_by_role("button", name=go_on).click()
    tab.wait_for_load_state()


def _credited_once(order: str) -> None:
    db.session.rollback()  # read what the live server committed
    (donation,) = db.session.scalars(select(Donation).where(Donation.provider == ALIPAY))
    assert donation.provider_session_id == order and donation.status == "succeeded"
    assert len(gift_entries(donation)) == 1


def test_a_desktop_donor_scans_the_alipay_code_and_the_page_moves_on_to_the_receipt_in_chinese(
        live_server, page, alipay):  # noqa: F811
    world = _world(locale="zh_CN")  # the page fixture's browser asks for zh-CN too
    _sign_in(page, live_server, world["email"])
    _give_with_alipay(page, live_server, world["campaign"], rail="支付宝", go_on="继续支付")
    assert page.url.endswith("/pay")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    expect(page.locator(".qr-box svg.qr-code")).to_be_visible()
    expect(page.get_by_role("heading", name="支付 ¥50.00")).to_be_visible()
    screenshot(page, "payments-alipay-qr-zh")
    (order,) = alipay.trades
    assert alipay.pay_and_notify(order) == "success"  # the donor scans and pays; Alipay notifies the portal
    expect(page.get_by_role("heading", name="捐赠收据")).to_be_visible()  # pay_status.js moved on
    assert "支付宝" in page.locator("main").inner_text()  # the receipt names the rail in Chinese
    assert page.locator(".receipt-number strong").inner_text().startswith("R")
    assert page.js_errors == []
    _credited_once(order)


def test_a_phone_donor_pays_in_alipay_s_wap_cashier_and_comes_back_to_the_receipt(live_server, browser,  # noqa: F811
                                                                                  alipay):
    world = _world()
    context = browser.new_context(locale="en", viewport={"width": 375, "height": 812}, is_mobile=True,
                                  has_touch=True, user_agent=IPHONE)
    tab = context.new_page()
    _sign_in(tab, live_server, world["email"])
    tab.goto(f"{live_server}/give/campaign/{world['campaign']}")
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _give_with_alipay(tab, live_server, world["campaign"])
    assert tab.url.startswith(alipay.gateway + "?")  # straight to Alipay's cashier, the signed wap.pay request
    expect(tab.get_by_role("heading", name="支付宝 ¥50.00")).to_be_visible()
    tab.get_by_role("button", name="确认付款").click()
    expect(tab.get_by_role("heading", name="Donation receipt")).to_be_visible()
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(tab, "payments-alipay-phone-receipt")
    context.close()
    (order,) = alipay.trades
    _credited_once(order)
