"""A hand-made purchasing year for the open-data tests, every step dated apart so the releases have a known order:

- `done`: a call revised once, opened with three bids, awarded to organisation a at 200,000.05 yuan, confirmed,
  contracted; the contract has an amendment in force (+12,345.67 yuan), its first milestone accepted and paid
  (60,000.01 yuan).
- `sealed`: a call open for bids with one sealed bid at SEALED_PRICE, its deadline still ahead.
- `draft`: a draft, never open data.
"""
from datetime import timedelta

from portal.contracts.models import ACCEPTED, APPROVED, IN_FORCE, ContractAmendment, ContractPayment
from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement.models import CONTRACTED, DRAFT, PUBLISHED, Award, CallRevision
from tests.factories.contracts import make_contract
from tests.factories.evaluation import World
from tests.factories.procurement import make_bid, make_call

SEALED_PRICE = 12_345_679  # fen: 123,456.79 yuan, a price nobody may publish before the opening
WINNING_PRICE = 20_000_005  # fen: 200,000.05 yuan
AMENDMENT = 1_234_567  # fen
PAYMENT = 6_000_001  # fen


class OpenDataWorld:
    def __init__(self):
        start = utcnow() - timedelta(days=60)
        self.start = start
        world = World(prices=(WINNING_PRICE, 25_000_000, 28_000_000))
        self.world = world
        call = world.call
        call.published_at = start
        call.questions_until = start + timedelta(days=5)
        call.bids_until = start + timedelta(days=10)
        call.opened_at = start + timedelta(days=10, minutes=1)
        db.session.add(CallRevision(call_id=call.id, number=1, summary="延长答疑期限",
                                    changes={"title": ["旧标题", call.title],
                                             "budget_cap_minor": [29_000_000, call.budget_cap_minor]},
                                    made_by_id=world.official.id, made_at=start + timedelta(days=2)))
        call.revision = 1
        winner = world.bids["a"]
        award = Award(call_id=call.id, lot_id=winner.lot_id, bid_id=winner.id, total_score=88.5,
                      amount_minor=winner.opened_price_minor, reasons="综合得分最高", decided_by_id=world.official.id,
                      decided_at=start + timedelta(days=20))
        db.session.add(award)
        call.status = CONTRACTED
        call.awarded_at = start + timedelta(days=20)
        call.publicity_ends_at = start + timedelta(days=25)
        call.confirmed_at = start + timedelta(days=25, minutes=1)
        db.session.flush()
        contract = make_contract(world.department, world.orgs["a"], world.official, call=call, award=award,
                                 lines=(("居家养老上门服务", "hour", 100_000, 200),), shares=(3000, 7000))
        contract.original_value_minor = contract.value_minor = WINNING_PRICE
        contract.signed_at = start + timedelta(days=26)
        contract.value_minor = WINNING_PRICE + AMENDMENT
        db.session.add(ContractAmendment(contract_id=contract.id, number=1, rationale="增加服务时长",
                                         value_change_minor=AMENDMENT, changes={"value_minor": [1, 2]},
                                         status=IN_FORCE, proposed_by_id=world.official.id,
                                         proposed_at=start + timedelta(days=30)))
        milestone = contract.milestones[0]
        milestone.status = ACCEPTED
        milestone.accepted_at = start + timedelta(days=40)
        db.session.add(ContractPayment(contract_id=contract.id, milestone_id=milestone.id, amount_minor=PAYMENT,
                                       status=APPROVED, requested_by_id=world.official.id,
                                       decided_by_id=world.official.id, decided_at=start + timedelta(days=41)))
        contract.paid_minor = PAYMENT
        self.done, self.award, self.contract, self.milestone = call, award, contract, milestone
        self.sealed = make_call(world.department, world.official, status=PUBLISHED)
        self.sealed_bid = make_bid(self.sealed, world.orgs["b"], world.admins["b"], price_minor=SEALED_PRICE)
        self.draft = make_call(world.department, world.official, status=DRAFT)
        db.session.flush()

    @property
    def winner(self):
        return self.world.orgs["a"]
