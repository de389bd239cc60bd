"""Authorization-matrix rows for contracts: evaluation (see tests/contracts/matrix.py).

A second contract of the matrix's verified organisation, delivered (completed) and rated by the buyer's
official, its rebuttal window open: the evaluation page and the organisation's performance record are
public (a pending organisation's record only to its people);
marking it delivered again is a 409 for the buyer; the empty rating form is a 400 for the buyer and
the evaluator over the district (a third party); the organisation's admin (org_member) may rebut (empty: 400)."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect

ROUTES: dict = {
    "contracts.evaluation_detail": ("GET", "/contracts/{rated_contract}/evaluation", PUBLIC),
    # a pending organisation's record: as its page, only to its admin (org_member) and the officials over it
    "contracts.organisation_profile": ("GET", "/contracts/organisations/{pending_org}",
                                       expect(org_member=200, official=200, admin=200, others=404)),
    "contracts.contract_delivered": ("POST", "/contracts/{rated_contract}/delivered",
                                     expect(anonymous=LOGIN, official=409, others=404)),
    "contracts.evaluation_submit": ("POST", "/contracts/{rated_contract}/evaluation/rate",
                                    expect(anonymous=LOGIN, official=400, evaluator=400, others=404)),
    "contracts.evaluation_rebut": ("POST", "/contracts/{rated_contract}/evaluations/{contract_evaluation}/rebut",
                                   expect(anonymous=LOGIN, org_member=400, others=404)),
}


def world(tree, users, verified_org, contract, values) -> dict:
    """A delivered contract rated by the buyer's official, in its rebuttal window."""
    from datetime import timedelta

    from portal.contracts.models import COMPLETED, OFFICIAL_EVALUATOR, RATED_AREAS, ContractEvaluation
    from portal.core.time import utcnow
    from portal.extensions import db
    from tests.factories.contracts import make_contract

    rated = make_contract(contract.department, verified_org, users["official"], place=tree["community"],
                          status=COMPLETED, completed_at=utcnow())
    evaluation = ContractEvaluation(
        contract_id=rated.id, organisation_id=verified_org.id, evaluator_id=users["official"].id,
        evaluator_role=OFFICIAL_EVALUATOR, overall=4.0,
        ratings={area: {"rating": 4, "narrative": "按期完成"} for area in RATED_AREAS},
        rebuttal_until=utcnow() + timedelta(days=14))
    db.session.add(evaluation)
    db.session.flush()
    return {"rated_contract": rated.id, "contract_evaluation": evaluation.id}
