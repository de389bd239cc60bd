"""Resident sampling through the service: the size rule, the reproducible draw, answering once, and the denial
share lowering the payable units (portal.contracts.payable.milestone_payable, hand-checked)."""
import pytest
from sqlalchemy import select

from portal.contracts import sampling
from portal.contracts.models import ACCEPTED, CONFIRMED, DENIED, RETURNED, VERIFIED, SampleItem
from portal.contracts.payable import milestone_payable
from portal.core.errors import IllegalTransition, ValidationFailed
from portal.extensions import db
from tests.contracts.delivery_world import world_fixture  # noqa: F401
from tests.factories.contracts import make_report


@pytest.mark.parametrize(("records", "size"), [(0, 0), (3, 3), (5, 5), (12, 5), (50, 5), (51, 6), (200, 20)])
def test_the_sample_size_rule(records, size):
    assert sampling.sample_size(records) == size


def test_a_draw_is_reproducible_from_its_seed():
    ids = list(range(1, 101))
    assert sampling.draw(ids, "9f2c4e", 10) == sampling.draw(list(ids), "9f2c4e", 10)


def test_different_seeds_give_different_samples():
    ids = list(range(1, 101))
    draws = {tuple(sampling.draw(ids, f"{seed:032x}", 10)) for seed in range(20)}
    assert len(draws) == 20


def test_a_draw_is_spread_over_the_records():
    """Randomness: over many seeds every record is drawn, none far more often than the others."""
    ids = list(range(1, 21))
    counts = dict.fromkeys(ids, 0)
    for seed in range(2000):
        for record_id in sampling.draw(ids, f"s{seed}", 5):
            counts[record_id] += 1
    assert min(counts.values()) > 400 and max(counts.values()) < 600  # 500 expected each


def test_a_drawn_sample_is_redrawn_from_its_stored_seed(world):
    report = make_report(world.contract, world.milestone, world.contractor, records=30, place=world.tree["grid"])
    sample = sampling.draw_sample(report, world.worker)
    record_ids = sorted(record.id for record in report.records)
    assert sorted(item.service_record_id for item in sample.items) == sampling.draw(record_ids, sample.seed, 5)
    assert len(sample.seed) == 32 and sample.size == 5


def test_only_the_token_hash_is_stored(world):
    report = make_report(world.contract, world.milestone, world.contractor, records=3)
    sample = sampling.draw_sample(report, world.worker)
    item = sample.items[0]
    token = sampling.item_token(sample.id, item.service_record_id, sample.seed)
    assert item.token_hash == sampling.token_hash(token) != token
    assert sampling.item_for_token(token) == item


def test_a_sample_is_drawn_once(world):
    report = make_report(world.contract, world.milestone, world.contractor, records=3)
    sampling.draw_sample(report, world.worker)
    with pytest.raises(IllegalTransition, match="already drawn"):
        sampling.draw_sample(report, world.official)


def test_a_returned_report_is_not_sampled(world):
    report = make_report(world.contract, world.milestone, world.contractor, status=RETURNED, records=3)
    with pytest.raises(IllegalTransition):
        sampling.draw_sample(report, world.worker)
    assert report.sample is None


def test_a_resident_answers_once(world):
    report = make_report(world.contract, world.milestone, world.contractor, records=3)
    item = sampling.draw_sample(report, world.worker).items[0]
    sampling.answer_by_link(item, "yes", "4", "很好")
    with pytest.raises(IllegalTransition, match="already answered"):
        sampling.answer_by_link(item, "no", None, "")
    db.session.refresh(item)
    assert (item.answer, item.quality, item.answered_via) == (CONFIRMED, 4, "link")


def test_a_confirmation_needs_a_quality(world):
    report = make_report(world.contract, world.milestone, world.contractor, records=3)
    item = sampling.draw_sample(report, world.worker).items[0]
    with pytest.raises(ValidationFailed, match="from 1 to 5"):
        sampling.answer_by_link(item, "yes", "9", "")
    db.session.refresh(item)
    assert item.answer is None


def test_a_visit_records_the_grid_worker(world):
    report = make_report(world.contract, world.milestone, world.contractor, records=3, place=world.tree["grid"])
    item = sampling.draw_sample(report, world.worker).items[0]
    sampling.record_visit(item, world.grid_worker, "no", None, "没见过服务人员")
    db.session.refresh(item)
    assert (item.answer, item.answered_via, item.recorded_by_id) == (DENIED, "visit", world.grid_worker.id)


def test_visits_list_only_the_workers_grid(world):
    report = make_report(world.contract, world.milestone, world.contractor, records=3, place=world.tree["grid"])
    sampling.draw_sample(report, world.worker)
    assert len(sampling.visits_of(world.grid_worker)[0]) == 3
    assert sampling.visits_of(world.other_grid_worker) == ([], [])


def test_the_denial_share_lowers_the_payable_units(world):
    """Line 1: 100 hours at 40.00 yuan; line 2: 4 sessions at 500.00 yuan (hand-checked).
    Sample of 5 (records 10 -> max(5, ceil(1)) = 5); 4 answer, 1 denies: payable = units x 3/4, rounded down.
    Line 1: 100 x 3 // 4 = 75 -> 75 x 4000 = 300000; line 2: 4 x 3 // 4 = 3 -> 3 x 50000 = 150000.
    Verified value 450000 x factor 1000 (rating 4) = 450000, above the cap: the contract's value is
    200 x 4000 + 10 x 50000 = 1300000 and milestone 1's share 30%, so payable = 390000."""
    contract = world.contract
    lines = contract.lines
    report = make_report(contract, world.milestone, world.contractor, units_by_line={lines[0].id: 100, lines[1].id: 4},
                         status=VERIFIED, records=10)
    items = sampling.draw_sample(report, world.worker).items
    before = milestone_payable(contract, world.milestone)
    for item, answer in zip(items, ["yes", "yes", "yes", "no"], strict=False):
        sampling.answer_by_link(item, answer, "5" if answer == "yes" else None, "")
    world.milestone.status, world.milestone.acceptance_rating = ACCEPTED, 4
    after = milestone_payable(contract, world.milestone)
    assert [line.payable_units for line in before.lines] == [100, 4]
    assert [line.payable_units for line in after.lines] == [75, 3]
    assert after.verified_value_minor == 450_000
    assert after.payable_minor == 390_000


def test_an_unanswered_sample_lowers_nothing(world):
    report = make_report(world.contract, world.milestone, world.contractor, status=VERIFIED, records=6)
    sampling.draw_sample(report, world.worker)
    assert [line.payable_units for line in milestone_payable(world.contract, world.milestone).lines] == [100, 100]
    assert db.session.scalar(select(SampleItem.answer).limit(1)) is None
