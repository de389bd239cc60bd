"""A small procurement world with one of most red flags, built with the factories (for the datasets and pages)."""
from datetime import timedelta

from portal.accounts import roles
from portal.contracts.models import (
    APPROVED,
    COMPLETED,
    CONFIRMED,
    IN_FORCE,
    OFFICIAL_EVALUATOR,
    RATED_AREAS,
    VERIFIED,
    ContractAmendment,
    ContractEvaluation,
    ContractPayment,
    Sample,
    SampleItem,
    ScopeRequest,
)
from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement.models import Bid, LowPriceReview
from tests.factories.accounts import UserFactory, grant
from tests.factories.contracts import make_contract, make_report
from tests.factories.evaluation import award, make_bidder
from tests.factories.places import make_tree
from tests.factories.procurement import make_department, opened_call


class FlagsWorld:
    """single: a call opened with one bid, published a day before its deadline (single bid, short period);
    contested: three bids, the lowest flagged abnormally low and awarded; contract: of the contested call's
    winner, amended +20%, paid 1,000 yuan with nothing verified, rated; other_contract: verified delivery."""

    def __init__(self):
        self.tree = make_tree()
        self.official = UserFactory()
        grant(self.official, roles.OFFICIAL, self.tree["district"])
        self.department = make_department(self.tree["district"])
        self.a, self.admin = make_bidder(self.tree["community"])
        self.b, _admin_b = make_bidder(self.tree["community"])
        self.c, _admin_c = make_bidder(self.tree["community"])
        self.single = opened_call(self.department, self.official, [self.a], [20_000_000], self.admin)
        self.contested = opened_call(self.department, self.official, [self.a, self.b, self.c],
                                     [12_000_000, 25_000_000, 26_000_000], self.admin)
        self.contested.published_at = utcnow() - timedelta(days=30)
        winner = db.session.query(Bid).filter_by(call_id=self.contested.id, organisation_id=self.a.id).one()
        db.session.add(LowPriceReview(bid_id=winner.id, reasons=[{"rule": "below_mean_of_others"}],
                                      status="accepted", explain_by=utcnow()))
        award(self.contested, self.official, winner, total_score=70.0)
        self.contract = make_contract(self.department, self.a, self.official, call=self.contested)
        original = self.contract.original_value_minor
        db.session.add(ContractAmendment(contract_id=self.contract.id, number=1, rationale="增加服务对象",
                                         value_change_minor=original // 5, status=IN_FORCE,
                                         proposed_by_id=self.official.id, approved_at=utcnow()))
        self.contract.value_minor = original + original // 5
        milestone = self.contract.milestones[0]
        self.payment = ContractPayment(contract_id=self.contract.id, milestone_id=milestone.id,
                                       amount_minor=100_000, status=APPROVED, requested_by_id=self.official.id,
                                       decided_by_id=self.official.id, decided_at=utcnow())
        db.session.add(self.payment)
        report = make_report(self.contract, milestone, self.admin, status=VERIFIED)
        report.verified_at = utcnow() + timedelta(days=1)  # verified only after the payment
        sample = Sample(contract_id=self.contract.id, report_id=report.id, seed="s", size=2,
                        drawn_by_id=self.official.id)
        db.session.add(sample)
        db.session.flush()
        for n, record in enumerate(report.records[:2]):
            db.session.add(SampleItem(sample_id=sample.id, service_record_id=record.id, token_hash=f"h{sample.id}-{n}",
                                      answer=CONFIRMED if n == 0 else "denied"))
        for n in range(5):
            db.session.add(ScopeRequest(contract_id=self.contract.id, department_id=self.department.id,
                                        contract_line_id=None if n < 2 else self.contract.lines[0].id,
                                        requested_on=utcnow().date(), description="临时帮忙",
                                        logged_by_side="department", logged_by_id=self.official.id))
        self.contract.status = COMPLETED
        db.session.add(ContractEvaluation(
            contract_id=self.contract.id, organisation_id=self.a.id, evaluator_id=self.official.id,
            evaluator_role=OFFICIAL_EVALUATOR, overall=4.0,
            ratings={area: {"rating": 4, "narrative": "按期完成"} for area in RATED_AREAS},
            submitted_at=utcnow() - timedelta(days=20), rebuttal_until=utcnow() - timedelta(days=6),
            final_at=utcnow() - timedelta(days=6)))
        db.session.flush()
