"""A small funds world: one community fund with its treasurer, committee, community worker and a resident."""
from dataclasses import dataclass

import pytest

from portal.accounts import roles
from portal.funds.models import Fund
from tests.factories.accounts import UserFactory, grant
from tests.factories.funds import make_campaign, make_fund
from tests.factories.places import make_tree
from tests.payments.conftest import fake, stripe_server  # noqa: F401  (the Stripe fake: refunds through the provider)


@dataclass
class FundWorld:
    tree: dict
    fund: Fund
    campaign: object
    admin: object
    treasurer: object
    committee: object
    worker: object
    resident: object
    other_resident: object


@pytest.fixture
def world():
    """Everyone reads English, so tests can assert on the source strings."""
    tree = make_tree()
    fund = make_fund(tree["community"], name="铁路坝社区公益金")
    admin = UserFactory(display_name="管理员", locale="en")
    grant(admin, roles.PLATFORM_ADMIN)
    treasurer = UserFactory(display_name="李会计", locale="en")
    grant(treasurer, roles.TREASURER, fund)
    committee = UserFactory(display_name="张委员", locale="en")
    grant(committee, roles.FUND_COMMITTEE, fund)
    worker = UserFactory(display_name="社工小刘", locale="en")
    grant(worker, roles.COMMUNITY_WORKER, tree["community"])
    resident = UserFactory(display_name="王大妈", locale="en")
    other_resident = UserFactory(display_name="赵大爷", locale="en")
    campaign = make_campaign(fund, worker, title="为独居老人送热饭")
    return FundWorld(tree, fund, campaign, admin, treasurer, committee, worker, resident, other_resident)


EN = {"Accept-Language": "en"}
