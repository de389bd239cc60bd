"""On PostgreSQL: twenty approvals of one milestone's payments at the same instant never pay more than its
verified value: the approval locks the contract row and computes what is still payable inside the lock.

Real commits from real threads (no rolled-back test transaction), so the test makes its own rows and deletes
them afterwards, with triggers off for the append-only audit log and ledger (with tests/concurrency.py)."""
from functools import partial

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.contracts import payments
from portal.contracts.models import APPROVED, Contract, ContractPayment, Milestone
from portal.contracts.payable import milestone_payable
from portal.core.errors import DomainError
from portal.core.retry import run_with_retry
from portal.extensions import db
from portal.funds import ledger
from tests.concurrency import CONTRACT_ROWS, WORLD_ROWS, delete_committed, max_id, run_at_once
from tests.contracts.payments_world import accepted, make_world

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db_session]
WORKERS = 20
AMOUNT = 30_000  # 20 x 300.00 yuan asked against 4,000.00 payable: only 13 fit


@pytest.fixture
def race(app):
    audit_mark, entry_mark = max_id("audit_events"), max_id("ledger_entries")
    world = make_world()
    milestone = world.contract.milestones[0]
    accepted(world, milestone)  # 100 verified units x 40.00 x 1.0 = 4,000.00
    requests = [payments.request_payment(world.contract, milestone, world.official, AMOUNT) for _ in range(WORKERS)]
    db.session.commit()
    ids = {"contract": world.contract.id, "milestone": milestone.id, "payments": [p.id for p in requests],
           "approver": world.second_official.id, "department": world.department.id,
           "organisation": world.organisation.id, "places": [p.id for p in world.tree.values()],
           "users": [u.id for u in (world.official, world.second_official, world.org_admin, world.evaluator,
                                    world.resident)],
           "audit_mark": audit_mark, "entry_mark": entry_mark}
    yield ids
    db.session.rollback()
    delete_committed([
        "DELETE FROM contract_payments WHERE contract_id = :contract",
        "DELETE FROM postings WHERE entry_id > :entry_mark",
        "DELETE FROM ledger_entries WHERE id > :entry_mark",
        "DELETE FROM report_lines WHERE report_id IN (SELECT id FROM delivery_reports WHERE contract_id = :contract)",
        "DELETE FROM service_records WHERE report_id IN "
        "(SELECT id FROM delivery_reports WHERE contract_id = :contract)",
        "DELETE FROM delivery_reports WHERE contract_id = :contract",
        *CONTRACT_ROWS,
        "DELETE FROM notifications WHERE user_id = ANY(:users)",
        *WORLD_ROWS,
    ], ids)


def test_twenty_concurrent_approvals_never_pay_more_than_the_verified_value(app, race):
    def approve(payment_id, wait):
        wait()  # before touching the pool: 20 threads, 15 connections at most
        approver = db.session.get(User, race["approver"])
        payment = db.session.get(ContractPayment, payment_id)
        run_with_retry(payments.approve_payment, payment, approver)
        return payment_id

    approved, refused, errors = run_at_once(app, [partial(approve, payment_id) for payment_id in race["payments"]],
                                            refusals=(DomainError,), wait_timeout=60, join_timeout=120)
    assert not errors, errors
    assert (len(approved), {error.code for error in refused}) == (13, {"above_payable"})
    db.session.expire_all()
    contract = db.session.get(Contract, race["contract"])
    milestone = db.session.get(Milestone, race["milestone"])
    assert contract.paid_minor == ledger.contract_paid(contract.id) == 13 * AMOUNT
    assert db.session.scalar(select(func.sum(ContractPayment.amount_minor)).where(
        ContractPayment.contract_id == contract.id, ContractPayment.status == APPROVED)) == 13 * AMOUNT
    assert contract.paid_minor <= milestone_payable(contract, milestone).payable_minor
    db.session.rollback()
