"""scripts/fake_rails.py, the demo's stand-in for WeChat Pay and Alipay: the settings it hands the portal
enable both rails against the fakes, and its "phone" page lists the orders waiting to be paid and pays one."""
import importlib.util
from pathlib import Path

import pytest
from werkzeug.test import Client

from tests.payments import fake_alipay, fake_wechatpay

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fake_rails.py"


@pytest.fixture
def fake_rails():
    spec = importlib.util.spec_from_file_location("fake_rails", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_settings_enable_both_rails_against_the_fakes(fake_rails):
    wechat, alipay = fake_wechatpay.FakeWeChatPay(), fake_alipay.FakeAlipay()
    wechat.url, alipay.url = "http://127.0.0.1:1", "http://127.0.0.1:2"
    settings = fake_rails.settings(wechat, alipay)
    assert settings["PAYMENT_PROVIDERS"] == "wechatpay,alipay,sandbox,offline"
    assert settings["WECHATPAY_API_BASE"] == wechat.url and settings["ALIPAY_GATEWAY"] == alipay.gateway
    assert "PRIVATE KEY" in settings["WECHATPAY_PRIVATE_KEY"] and "PRIVATE KEY" in settings["ALIPAY_APP_PRIVATE_KEY"]


def test_the_phone_page_lists_open_orders_and_pays_the_one_chosen(fake_rails, monkeypatch):
    wechat, alipay = fake_wechatpay.FakeWeChatPay(), fake_alipay.FakeAlipay()
    wechat.orders["g7x1"] = {"amount": {"total": 5000, "currency": "CNY"}, "trade_state": "NOTPAY",
                             "description": "为独居老人送餐"}
    wechat.orders["g8x1"] = {"amount": {"total": 2000, "currency": "CNY"}, "trade_state": "SUCCESS"}
    alipay.trades["a9x1"] = {"total_amount": "20.00", "status": "WAIT_BUYER_PAY", "subject": "楼道声控灯更换"}
    paid = []
    monkeypatch.setattr(wechat, "pay_and_notify", lambda order: paid.append(("wechatpay", order)))
    phone = Client(fake_rails.Phone(wechat, alipay))
    page = phone.get("/").get_data(as_text=True)
    assert "g7x1" in page and "¥50.00" in page and "a9x1" in page and "¥20.00" in page
    assert "g8x1" not in page  # paid already
    answer = phone.post("/pay", data={"rail": "wechatpay", "order": "g7x1"})
    assert answer.status_code == 303 and paid == [("wechatpay", "g7x1")]
    assert phone.post("/pay", data={"rail": "wechatpay", "order": "nope"}).status_code == 404
