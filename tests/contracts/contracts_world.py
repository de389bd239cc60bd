"""The world of the contract tests: a district buyer with a confirmed award (organisation a won), a second
official of the same district, and helpers to sign contracts through the service."""
from datetime import timedelta

from portal.accounts import roles
from portal.contracts import service
from portal.contracts.service import MilestoneInput
from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement.models import CONFIRMED, Award, LotLine
from tests.factories.accounts import UserFactory, grant
from tests.factories.contracts import make_contract
from tests.factories.evaluation import World, award, make_bidder
from tests.factories.places import make_tree
from tests.factories.procurement import make_catalogue_item, make_department


def milestones(*shares, start=None) -> list[MilestoneInput]:
    start = start or utcnow().date()
    return [MilestoneInput(f"第{n}期", start + timedelta(days=100 * n), share)
            for n, share in enumerate(shares, start=1)]


class ContractWorld(World):
    """World (tests/factories/evaluation.py) whose call is confirmed with organisation a's bid awarded. With
    `second_line` the lot has a second catalogue line (100 sessions at a ceiling of 200 yuan); with
    `winners="ab"` two bids are awarded (the lot may fund two)."""

    def __init__(self, prices=(18_000_000, 25_000_000), second_line=False, winners="a", **call_fields):
        super().__init__(prices=prices, **call_fields)
        lot = self.call.lots[0]
        if second_line:
            item = make_catalogue_item(self.department, unit="session", ceiling_minor=20_000)
            db.session.add(LotLine(lot_id=lot.id, catalogue_item_id=item.id, quantity=100))
        lot.max_awards = len(winners)
        db.session.flush()
        db.session.refresh(lot)
        for letter in winners:
            award(self.call, self.official, self.bids[letter])
        self.call.status = CONFIRMED
        self.call.confirmed_at = utcnow()
        db.session.flush()
        self.awards = {a.bid_id: a for a in db.session.query(Award).filter(Award.call_id == self.call.id)}
        self.award = self.awards[self.bids[winners[0]].id]
        self.second_official = UserFactory()
        grant(self.second_official, roles.OFFICIAL, self.tree["district"])

    def sign(self, award=None, shares=("30", "30", "40")):
        today = utcnow().date()
        return service.create_from_award(award or self.award, self.official, today, today + timedelta(days=364),
                                         milestones(*shares, start=today))


def english_messages():
    """Services outside a request speak Chinese (the default); the contract tests read the English messages."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


RATIONALE = "服务对象增加，经区民政局同意追加服务时数"


class SignedContract:
    """A district buyer (two officials) with a signed contract of one line, 2000 hours at 40.00 yuan (80,000.00
    yuan), with an organisation and its admin."""

    def __init__(self):
        self.tree = make_tree()
        self.official, self.second = UserFactory(), UserFactory()
        for user in (self.official, self.second):
            grant(user, roles.OFFICIAL, self.tree["district"])
        self.department = make_department(self.tree["district"])
        self.organisation, self.admin = make_bidder(self.tree["community"])
        # one line of 2000 hours at 40.00 yuan: 80,000.00 yuan
        self.contract = make_contract(self.department, self.organisation, self.official, place=self.tree["community"])
