"""The procurement datasets and the red flags over a factory world (analytics/procurement.py on the database)."""
from analytics import procurement as datasets
from portal.extensions import db
from portal.insights import redflags as service
from tests.insights.flags_world import FlagsWorld


def kinds_of(flags, **match):
    return sorted(flag["kind"] for flag in flags if all(flag.get(k) == v for k, v in match.items()))


def test_the_call_dataset_counts_opened_bids_as_tenderers(app):
    world = FlagsWorld()
    calls = datasets.call_frame(db.session).set_index("id")
    assert calls.loc[world.single.id, "tenderers"] == 1 and calls.loc[world.contested.id, "tenderers"] == 3


def test_the_bid_dataset_has_no_sealed_content(app):
    FlagsWorld()
    frame = datasets.opened_bid_frame(db.session)
    assert "sealed_content" not in frame.columns and frame["opened_price_minor"].notna().all()


def test_the_award_dataset_carries_the_winners_low_price_review(app):
    world = FlagsWorld()
    awards = datasets.award_frame(db.session)
    row = awards[awards["call_id"] == world.contested.id].iloc[0]
    assert row["organisation_id"] == world.a.id and row["low_price_status"] == "accepted"


def test_the_delivery_dataset_values_units_at_their_unit_price(app):
    world = FlagsWorld()
    frame = datasets.delivery_frame(db.session)
    row = frame[frame["contract_id"] == world.contract.id].iloc[0]
    assert (row["units"], row["value_minor"]) == (100, 100 * world.contract.lines[0].unit_price_minor)


def test_the_sample_and_scope_datasets(app):
    world = FlagsWorld()
    answers = datasets.sample_answer_frame(db.session).set_index("contract_id")
    assert (answers.loc[world.contract.id, "answered"], answers.loc[world.contract.id, "confirmed"]) == (2, 1)
    scope = datasets.scope_request_frame(db.session)
    assert (len(scope), int((~scope["in_scope"]).sum())) == (5, 2)


def test_the_world_raises_each_flag_it_was_built_for(app):
    world = FlagsWorld()
    flags = service.compute_flags({})["flags"]
    assert kinds_of(flags, call_id=world.single.id) == ["short_period", "single_bid"]
    assert "low_winner" in kinds_of(flags, call_id=world.contested.id)
    assert kinds_of(flags, contract_id=world.contract.id) == ["amendment_inflation", "out_of_scope_share",
                                                               "paid_before_verified"]


def test_the_runner_up_gap_comes_from_the_ranking(app):
    world = FlagsWorld()
    totals = service.ranked_totals([world.contested.id])
    assert len(totals) == 3 and set(totals["organisation_id"]) == {world.a.id, world.b.id, world.c.id}


def test_ranking_many_calls_at_once_gives_each_call_the_ranking_it_has_alone(app):
    """rank_calls (the snapshot's batched reads) against rank_call, call by call: same bids, ranks, totals and
    lines, with quality scores, a recusal and a past-performance rating (organisation a's final evaluation)."""
    from portal.procurement.models import Bid
    from portal.procurement.ranking import rank_call, rank_calls
    from tests.factories.evaluation import give_scores, make_evaluator, seat

    world = FlagsWorld()
    first, second = make_evaluator(world.tree["district"]), make_evaluator(world.tree["district"])
    seat(world.contested, world.official, first, second, declared=True, conflicts=[world.b])
    bids = {bid.organisation_id: bid for bid in db.session.query(Bid).filter_by(call_id=world.contested.id)}
    give_scores(world.contested, first, {bids[world.a.id]: 3, bids[world.b.id]: 5, bids[world.c.id]: 4})
    give_scores(world.contested, second, {bids[world.a.id]: 4, bids[world.b.id]: 2, bids[world.c.id]: 5})
    calls = [world.single, world.contested]

    def shape(rankings, notes=True):
        return [(ranking.lot.id, [(row.bid.id, row.rank, row.total,
                                   [(line.criterion_id, line.score, line.note if notes else "")
                                    for line in row.breakdown.lines]) for row in ranking.ranked],
                 [bid.id for bid in ranking.excluded]) for ranking in rankings]

    together, quiet = rank_calls(calls), rank_calls(calls, notes=False)
    for call in calls:
        alone = rank_call(call)
        assert shape(together[call.id]) == shape(alone)
        assert shape(quiet[call.id], notes=False) == shape(alone, notes=False)
        assert all(line.note == "" for ranking in quiet[call.id] for row in ranking.ranked
                   for line in row.breakdown.lines)
    contested = shape(together[world.contested.id])[0][1]
    assert len({total for _bid, _rank, total, _lines in contested}) == 3  # the scores and rating told them apart
