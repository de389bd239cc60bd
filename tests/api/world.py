"""A small public world for the API tests, on top of the open-data world (tests/opendata/world.py: a contracted
call with an award, a contract with an amendment, an accepted milestone and a payment; a call open for bids with
one sealed bid at SEALED_PRICE; a draft call):

- a project in the grid with an indicator, and a draft project;
- a fund in the community with a live campaign and a draft one; a named gift, one shown by initials, an
  anonymous gift whose donor has a name and an email that must never appear, and a pending gift;
- a public and a private case category, with a case in each; another place tree's case outside the district;
- an API key and a revoked one.
"""
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import User
from portal.cases import api_keys
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds.models import DRAFT as CAMPAIGN_DRAFT
from portal.payments.models import ANONYMOUS, INITIALS, PENDING
from portal.projects.models import DRAFT as PROJECT_DRAFT
from tests.factories.accounts import UserFactory, grant
from tests.factories.cases import make_case, make_category
from tests.factories.funds import make_campaign, make_fund, make_gift
from tests.factories.payments import make_donation
from tests.factories.projects import make_indicator, make_project
from tests.opendata.world import SEALED_PRICE, OpenDataWorld  # noqa: F401  (SEALED_PRICE for the tests)

HIDDEN_NAME = "隐名捐赠人张三丰"
HIDDEN_EMAIL = "hidden-donor@example.org"  # the first world's donor; later worlds' donors are numbered
HIDDEN_MESSAGE = "给三楼的刘奶奶"
PRIVATE_TITLE = "家暴求助（不公开）"


class ApiWorld(OpenDataWorld):
    def __init__(self):
        super().__init__()
        from portal.accounts import roles

        tree = self.world.tree
        self.tree = tree
        self.admin = UserFactory()
        grant(self.admin, roles.PLATFORM_ADMIN)
        organisation = self.world.orgs["a"]
        self.project = make_project(organisation, self.world.admins["a"], [tree["grid"]])
        make_indicator(self.project)
        self.draft_project = make_project(organisation, self.world.admins["a"], [tree["grid"]], status=PROJECT_DRAFT)
        self.fund = make_fund(tree["community"])
        self.campaign = make_campaign(self.fund, self.official)
        self.draft_campaign = make_campaign(self.fund, self.official, status=CAMPAIGN_DRAFT)
        self.named_gift = make_gift(self.fund, 10_000, campaign=self.campaign, donor_name="王大妈")
        self.initials_gift = make_gift(self.fund, 20_000, campaign=self.campaign, donor_name="李四光",
                                       display_mode=INITIALS)
        taken = db.session.scalar(select(User.id).where(User.email == HIDDEN_EMAIL)) is not None
        hidden_donor = UserFactory(display_name=HIDDEN_NAME, **({} if taken else {"email": HIDDEN_EMAIL}))
        self.anonymous_gift = make_gift(self.fund, 30_000, campaign=self.campaign, donor=hidden_donor,
                                        donor_name=HIDDEN_NAME, display_mode=ANONYMOUS)
        self.anonymous_gift.message = HIDDEN_MESSAGE
        self.pending_gift = make_donation(self.fund, amount_minor=40_000, status=PENDING, campaign=self.campaign)
        self.category = make_category(tree["community"], self.world.department)
        self.private_category = make_category(tree["community"], self.world.department, is_public=False)
        self.case = make_case(self.category, tree["grid"], None, reported_via="web",
                              reported_at=utcnow() - timedelta(days=1))
        self.private_case = make_case(self.private_category, tree["grid"], None, title=PRIVATE_TITLE)
        self.key, self.raw_key = api_keys.issue_key(self.admin, "12345热线")
        revoked, self.revoked_raw_key = api_keys.issue_key(self.admin, "旧系统")
        api_keys.revoke_key(revoked, self.admin)
        db.session.flush()

    @property
    def official(self):
        return self.world.official

    def ids(self) -> dict:
        """The path parameters of the documented one-object routes."""
        return {"project_id": self.project.id, "fund_id": self.fund.id, "campaign_id": self.campaign.id,
                "gift_id": self.named_gift.id, "call_id": self.done.id, "award_id": self.award.id,
                "contract_id": self.contract.id, "case_id": self.case.id}
