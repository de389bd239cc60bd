"""Milestone acceptance and payments through the services: the payable formula on hand-checked cases, the
second-person rule, paid never above verified value, the ledger posting and the cached paid total."""
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.contracts import payable, payments
from portal.contracts.models import (
    ACCEPTED,
    APPROVED,
    COMPLETED,
    DENIED,
    PAID,
    PENDING,
    REJECTED,
    REQUESTED,
    ContractPayment,
    Sample,
    SampleItem,
    ServiceRecord,
)
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.extensions import db
from portal.funds import ledger
from portal.funds.models import LedgerEntry
from tests.contracts.payments_world import accepted, make_world, paid_in_full, verified_report, world_fixture  # noqa: F401


@pytest.fixture(autouse=True)
def _english():
    with force_locale("en"):
        yield


def _first(world):
    return world.contract.milestones[0]


# --- the formula on hand-checked cases -------------------------------------------------------------------
# One line at 40.00 yuan an hour, 2,000 hours: the contract is worth 80,000.00 yuan; the first milestone's share
# (30%) caps it at 24,000.00 yuan.
@pytest.mark.parametrize(("units", "rating", "expected_minor"), [
    (100, 5, 400_000),  # 100 x 40.00 x 1.0
    (100, 4, 400_000),  # rating 4 pays in full too (the published table)
    (100, 3, 360_000),  # 100 x 40.00 x 0.9
    (100, 2, 280_000),  # 100 x 40.00 x 0.7
    (100, 1, 0),  # rating 1 pays nothing
    (1000, 5, 2_400_000),  # 40,000.00 of verified value, capped at the milestone's 24,000.00
])
def test_a_milestone_pays_units_times_price_times_factor_capped_at_its_share(world, units, rating, expected_minor):
    milestone = _first(world)
    accepted(world, milestone, rating, {world.contract.lines[0].id: units})
    result = payable.milestone_payable(world.contract, milestone)
    assert (result.verified_value_minor, result.payable_minor) == (units * 4000, expected_minor)


def test_two_lines_add_up_before_the_factor_and_round_down(app):
    world = make_world(lines=(("上门服务", "hour", 4000, 2000), ("健康讲座", "session", 15_037, 100)))
    milestone = _first(world)
    first, second = world.contract.lines
    accepted(world, milestone, 2, {first.id: 50, second.id: 7})
    result = payable.milestone_payable(world.contract, milestone)
    # 50 x 40.00 + 7 x 150.37 = 3,052.59 yuan; x 0.7 = 2,136.813 -> 2,136.81 (down to the fen)
    assert result.verified_value_minor == 305_259
    assert result.payable_minor == 213_681


def test_residents_denying_the_service_lower_the_payable_units(world):
    milestone = _first(world)
    report = verified_report(world, milestone, {world.contract.lines[0].id: 100})
    sample = Sample(contract_id=world.contract.id, report_id=report.id, seed="s", size=10,
                    drawn_by_id=world.official.id)
    db.session.add(sample)
    db.session.flush()
    for n in range(10):
        record = ServiceRecord(report_id=report.id, contract_line_id=world.contract.lines[0].id, label=f"对象{n}")
        db.session.add(record)
        db.session.flush()
        db.session.add(SampleItem(sample_id=sample.id, service_record_id=record.id, token_hash=f"{report.id}-{n}",
                                  answer=DENIED if n < 2 else "confirmed"))
    db.session.flush()
    payments.accept_milestone(world.contract, milestone, world.official, 5, "回访两户否认")
    result = payable.milestone_payable(world.contract, milestone)
    # 2 of 10 answering residents denied: 100 x 8/10 = 80 payable units x 40.00
    assert (result.lines[0].verified_units, result.lines[0].payable_units, result.payable_minor) == (100, 80, 320_000)


def test_a_payment_stores_the_computation_it_was_asked_against(world):
    milestone = _first(world)
    accepted(world, milestone, 3)
    payment = payments.request_payment(world.contract, milestone, world.official, 100_000)
    assert payment.basis["factor_per_mille"] == 900
    assert payment.basis["lines"][0]["payable_units"] == 100
    assert payment.basis["remaining_minor"] == 360_000


# --- acceptance ----------------------------------------------------------------------------------------------
def test_a_milestone_without_a_verified_report_cannot_be_accepted(world):
    milestone = _first(world)
    with pytest.raises(DomainError) as refused:
        payments.accept_milestone(world.contract, milestone, world.official, 5, "看过了")
    assert refused.value.status_code == 409
    assert (milestone.status, milestone.acceptance_rating) == (PENDING, None)


@pytest.mark.parametrize(("rating", "note", "field"), [(0, "记录完整", "rating"), (6, "记录完整", "rating"),
                                                        (None, "记录完整", "rating"), (4, "  ", "note")])
def test_acceptance_needs_a_rating_from_one_to_five_and_a_note(world, rating, note, field):
    milestone = _first(world)
    verified_report(world, milestone)
    with pytest.raises(ValidationFailed) as refused:
        payments.accept_milestone(world.contract, milestone, world.official, rating, note)
    assert refused.value.field == field
    assert milestone.status == PENDING


def test_an_accepted_milestone_cannot_be_accepted_again(world):
    milestone = _first(world)
    accepted(world, milestone, 4)
    with pytest.raises(IllegalTransition):
        payments.accept_milestone(world.contract, milestone, world.official, 5, "再次验收")
    assert milestone.acceptance_rating == 4


# --- requests and decisions ----------------------------------------------------------------------------------
def test_a_payment_above_what_the_milestone_may_still_pay_is_refused_and_nothing_is_stored(world):
    milestone = _first(world)
    accepted(world, milestone, 5)  # 400,000 payable
    with pytest.raises(DomainError) as refused:
        payments.request_payment(world.contract, milestone, world.official, 400_001)
    assert (refused.value.field, refused.value.code) == ("amount", "above_payable")
    assert db.session.scalar(select(func.count()).select_from(ContractPayment)) == 0


def test_a_pending_milestone_takes_no_payment(world):
    with pytest.raises(DomainError):
        payments.request_payment(world.contract, _first(world), world.official, 100)
    assert db.session.scalar(select(func.count()).select_from(ContractPayment)) == 0


def test_the_requester_cannot_approve_their_own_payment(world):
    milestone = _first(world)
    accepted(world, milestone)
    payment = payments.request_payment(world.contract, milestone, world.official, 100_000)
    with pytest.raises(DomainError) as refused:
        payments.approve_payment(payment, world.official)
    assert refused.value.code == "own_request"
    assert (payment.status, payment.ledger_entry_id, world.contract.paid_minor) == (REQUESTED, None, 0)
    assert ledger.contract_paid(world.contract.id) == 0


def test_an_approval_posts_on_the_ledger_and_moves_the_contract_total(world):
    milestone = _first(world)
    accepted(world, milestone)
    payment = payments.request_payment(world.contract, milestone, world.official, 150_000)
    payments.approve_payment(payment, world.second_official, "核对无误")
    db.session.refresh(world.contract)
    assert payment.status == APPROVED and payment.decided_by_id == world.second_official.id
    assert db.session.get(LedgerEntry, payment.ledger_entry_id) is not None
    assert world.contract.paid_minor == ledger.contract_paid(world.contract.id) == 150_000
    assert milestone.status == ACCEPTED  # 250,000 still payable
    assert payments.contract_differences() == []


def test_an_approval_is_refused_when_earlier_approvals_used_the_payable_amount(world):
    milestone = _first(world)
    accepted(world, milestone)  # 400,000 payable
    first = payments.request_payment(world.contract, milestone, world.official, 300_000)
    second = payments.request_payment(world.contract, milestone, world.official, 300_000)
    payments.approve_payment(first, world.second_official)
    with pytest.raises(DomainError) as refused:
        payments.approve_payment(second, world.second_official)
    assert refused.value.code == "above_payable"
    db.session.refresh(world.contract)
    assert world.contract.paid_minor == ledger.contract_paid(world.contract.id) == 300_000


def test_paying_the_whole_payable_amount_marks_the_milestone_paid(world):
    milestone = _first(world)
    paid_in_full(world, milestone)
    assert milestone.status == PAID
    assert world.contract.status != COMPLETED  # two milestones still open


def test_the_contract_is_delivered_when_every_milestone_is_paid(world):
    for milestone in world.contract.milestones:
        paid_in_full(world, milestone)
    db.session.refresh(world.contract)
    assert world.contract.status == COMPLETED and world.contract.completed_at is not None
    assert world.contract.paid_minor == 3 * 400_000


def test_a_decided_payment_cannot_be_approved_again(world):
    milestone = _first(world)
    accepted(world, milestone)
    payment = payments.request_payment(world.contract, milestone, world.official, 100_000)
    payments.approve_payment(payment, world.second_official)
    with pytest.raises(IllegalTransition):
        payments.approve_payment(payment, world.second_official)
    assert ledger.contract_paid(world.contract.id) == 100_000


def test_a_rejection_needs_a_reason(world):
    milestone = _first(world)
    accepted(world, milestone)
    payment = payments.request_payment(world.contract, milestone, world.official, 100_000)
    with pytest.raises(ValidationFailed):
        payments.reject_payment(payment, world.second_official, " ")
    assert payment.status == REQUESTED
    payments.reject_payment(payment, world.second_official, "服务记录缺签字")
    assert (payment.status, payment.reason, payment.ledger_entry_id) == (REJECTED, "服务记录缺签字", None)
