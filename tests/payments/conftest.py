"""Payments fixtures: a giving world (fund, campaign, team, donor, treasurer, committee) and a fake Stripe."""
from dataclasses import dataclass

import pytest

from portal.accounts import roles
from portal.extensions import db
from portal.funds.models import Campaign, Fund, Team
from tests.factories.accounts import UserFactory, grant
from tests.factories.funds import make_campaign, make_fund, make_team
from tests.factories.places import make_tree
from tests.payments import fake_alipay, fake_stripe, fake_wechatpay

WEBHOOK_SECRET = "whsec_test_portal"
EN = {"Accept-Language": "en"}


@pytest.fixture(scope="session")
def stripe_server():
    server = fake_stripe.FakeStripe()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake(stripe_server, app, monkeypatch):
    """Stripe enabled and pointed at the local fake (reset for each test)."""
    stripe_server.reset()
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDERS", "stripe,sandbox,offline")
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_portal")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", stripe_server.url)
    return stripe_server


@pytest.fixture(scope="session")
def wechat_server():
    server = fake_wechatpay.FakeWeChatPay()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def wechat(wechat_server, app, monkeypatch):
    """WeChat Pay enabled and pointed at the local fake (reset for each test)."""
    return _enabled(wechat_server, "wechatpay,sandbox,offline", app, monkeypatch)


@pytest.fixture(scope="session")
def alipay_server():
    server = fake_alipay.FakeAlipay()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def alipay(alipay_server, app, monkeypatch):
    """Alipay enabled beside the sandbox and pointed at the local fake (reset for each test)."""
    return _enabled(alipay_server, "sandbox,alipay,offline", app, monkeypatch)


def _enabled(server, providers: str, app, monkeypatch):
    """A QR rail's fake, reset, with the portal's settings pointing at it and `providers` enabled."""
    server.reset()
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDERS", providers)
    for key, value in server.settings().items():
        monkeypatch.setitem(app.config, key, value)
    return server


@dataclass
class World:
    fund: Fund
    campaign: Campaign
    team: Team
    donor: object
    other: object
    treasurer: object
    member: object
    captain: object


@pytest.fixture
def world():
    tree = make_tree()
    # English pages, so tests read the English source strings whatever the catalogue holds
    captain = UserFactory(display_name="李队长", locale="en")
    fund = make_fund(tree["community"])
    campaign = make_campaign(fund, captain)
    team = make_team(campaign, captain, name="铁路坝暖心队")
    treasurer = UserFactory(display_name="出纳老陈", locale="en")
    grant(treasurer, roles.TREASURER, fund)
    member = UserFactory(display_name="委员小周", locale="en")
    grant(member, roles.FUND_COMMITTEE, fund)
    donor = UserFactory(display_name="张小明", email="donor@example.org", locale="en")
    other = UserFactory(display_name="王路人", locale="en")
    db.session.flush()
    return World(fund=fund, campaign=campaign, team=team, donor=donor, other=other, treasurer=treasurer,
                 member=member, captain=captain)


def post_webhook(client, payload: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    body, headers = fake_stripe.signed(payload, secret, timestamp)
    return client.post("/webhooks/stripe", data=body, headers=headers)
