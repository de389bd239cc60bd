"""Authorization-matrix rows for procurement: evaluation and the roadshow (see tests/procurement/matrix.py).

The world's official (district) buys; the world's evaluator sits on the panel of a call under evaluation,
has declared no conflict and scored nothing yet. A closed call has no panel yet (starting its evaluation is
refused with a message: 302 back). A contest's roadshow is open for votes now."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect

BUYER = {"anonymous": LOGIN, "official": 200}
PANEL = {"anonymous": LOGIN, "evaluator": 200}

ROUTES: dict = {
    "procurement.panel": ("GET", "/procurement/calls/{closed_call}/panel", expect(others=404, **BUYER)),
    "procurement.start_evaluation": ("POST", "/procurement/calls/{closed_call}/evaluation/start",
                                     expect(anonymous=LOGIN, official=302, others=404)),
    "procurement.evaluator_queue": ("GET", "/procurement/evaluations",
                                    expect(anonymous=LOGIN, evaluator=200, others=403)),
    # declared already: on to the scoring sheet
    "procurement.declare_conflicts": ("GET", "/procurement/calls/{eval_call}/conflicts",
                                      expect(anonymous=LOGIN, evaluator=302, others=404)),
    "procurement.scoring_sheet": ("GET", "/procurement/calls/{eval_call}/scoring", expect(others=404, **PANEL)),
    "procurement.score_bid": ("GET", "/procurement/calls/{eval_call}/scoring/{eval_bid}",
                              expect(others=404, **PANEL)),
    # nothing scored: refused with a message, back to the sheet
    "procurement.submit_sheet": ("POST", "/procurement/calls/{eval_call}/scoring/submit",
                                 expect(anonymous=LOGIN, evaluator=302, others=404)),
    # the panel sees the ranking once all have submitted (409 until then); the buyer always
    "procurement.ranking": ("GET", "/procurement/calls/{eval_call}/ranking",
                            expect(anonymous=LOGIN, official=200, evaluator=409, others=404)),
    "procurement.roadshow": ("GET", "/procurement/calls/{contest_call}/roadshow", PUBLIC),
    "procurement.roadshow_vote": ("GET", "/procurement/calls/{contest_call}/roadshow/vote",
                                  expect(anonymous=LOGIN, others=200)),
}


def world(tree, users, verified_org, department, values) -> dict:
    """Ids these rows need, made in the matrix's world."""
    from portal.procurement.models import CLOSED
    from tests.factories.evaluation import contest_fields, in_evaluation, make_bidder, seat
    from tests.factories.procurement import opened_call

    official, member = users["official"], users["org_member"]
    other, _admin = make_bidder(tree["community"])
    closed_call = opened_call(department, official, [verified_org, other], [20_000_000, 24_000_000], member)
    assert closed_call.status == CLOSED
    eval_call = in_evaluation(opened_call(department, official, [verified_org, other], [20_000_000, 24_000_000],
                                          member))
    seat(eval_call, official, users["evaluator"], declared=True)
    contest_call = opened_call(department, official, [verified_org, other], [2_000_000, 2_500_000], member,
                               **contest_fields())
    eval_bid = min(b.id for b in _bids(eval_call))
    return {"closed_call": closed_call.id, "eval_call": eval_call.id, "eval_bid": eval_bid,
            "contest_call": contest_call.id}


def _bids(call):
    from portal.extensions import db
    from portal.procurement.models import Bid

    return db.session.query(Bid).filter(Bid.call_id == call.id).all()
