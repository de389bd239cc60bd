"""`portal reconcile` covers contracts: a contract's cached paid total that disagrees with its ledger postings is
a difference, and the command exits 1 naming it."""
from sqlalchemy import text

from portal.contracts import payments
from portal.extensions import db
from tests.contracts.payments_world import accepted, world_fixture  # noqa: F401


def _paid(world, amount_minor):
    milestone = world.contract.milestones[0]
    accepted(world, milestone)
    payment = payments.request_payment(world.contract, milestone, world.official, amount_minor)
    payments.approve_payment(payment, world.second_official)


def test_reconcile_finds_no_difference_when_the_contract_total_matches_the_ledger(world):
    _paid(world, 120_000)
    assert payments.contract_differences() == []


def test_reconcile_finds_a_tampered_contract_total(world, runner):
    _paid(world, 120_000)
    db.session.execute(text("UPDATE contracts SET paid_minor = paid_minor + 1 WHERE id = :id"),
                       {"id": world.contract.id})
    result = runner.invoke(args=["reconcile", "--no-provider"])
    assert result.exit_code == 1
    assert f"contract {world.contract.reference} (#{world.contract.id}): paid_minor 120001 but the ledger has 120000" \
        in result.output


def test_reconcile_finds_a_contract_paid_total_with_no_posting_at_all(world):
    db.session.execute(text("UPDATE contracts SET paid_minor = 500 WHERE id = :id"), {"id": world.contract.id})
    assert payments.contract_differences() == [
        f"contract {world.contract.reference} (#{world.contract.id}): paid_minor 500 but the ledger has 0"]
