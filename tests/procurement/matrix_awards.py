"""Authorization-matrix rows for procurement: awards and objections (see tests/procurement/matrix.py).

An awarded call in its publicity period: the world's verified organisation bid and lost, and has an open
objection; its admin (org_member) sees its scores and files objections; the buyer (official) answers."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect

ROUTES: dict = {
    "procurement.award_decision": ("GET", "/procurement/calls/{eval_call}/award",
                                   expect(anonymous=LOGIN, official=200, others=404)),
    "procurement.award_notice": ("GET", "/procurement/calls/{awarded_call}/award-notice", PUBLIC),
    "procurement.objection_new": ("GET", "/procurement/calls/{awarded_call}/objections/new",
                                  expect(anonymous=LOGIN, org_member=200, others=404)),
    "procurement.objection_detail": ("GET", "/procurement/calls/{awarded_call}/objections/{objection}",
                                     expect(anonymous=LOGIN, org_member=200, official=200, others=404)),
    # the empty form (no outcome, no answer) is shown again
    "procurement.objection_answer": ("POST", "/procurement/calls/{awarded_call}/objections/{objection}/answer",
                                     expect(anonymous=LOGIN, official=400, others=404)),
    "procurement.my_scores": ("GET", "/procurement/calls/{awarded_call}/my-scores",
                              expect(anonymous=LOGIN, org_member=200, others=404)),
}


def world(tree, users, verified_org, department, values) -> dict:
    """Ids these rows need, made in the matrix's world."""
    from portal.extensions import db
    from portal.procurement.models import Bid, Objection
    from tests.factories.evaluation import award, give_scores, in_evaluation, make_bidder, seat
    from tests.factories.procurement import opened_call

    official, member = users["official"], users["org_member"]
    winner, _admin = make_bidder(tree["community"])
    call = in_evaluation(opened_call(department, official, [verified_org, winner], [22_000_000, 21_000_000],
                                     member))
    seat(call, official, users["evaluator"], declared=True, submitted=True)
    bids = {b.organisation_id: b for b in db.session.query(Bid).filter(Bid.call_id == call.id)}
    give_scores(call, users["evaluator"], {bids[verified_org.id]: 3, bids[winner.id]: 4})
    award(call, official, bids[winner.id])
    objection = Objection(call_id=call.id, organisation_id=verified_org.id, filed_by_id=member.id,
                          grounds="评分未说明团队资质的扣分理由。")
    db.session.add(objection)
    db.session.flush()
    return {"awarded_call": call.id, "objection": objection.id}
