"""Milestone acceptance and payments: the buyer's official accepts a milestone with a rating once delivery is
verified; one official asks for a payment within what the milestone may pay (portal/contracts/payable.py), a
second official approves it and the one ledger posts it (portal/funds/ledger.py), or rejects it with a reason.

Paid never exceeds verified value, also under concurrent approvals: the approval locks the contract row first
(the lock order in portal/core/retry.py), computes what the milestone may still pay inside that lock, posts,
and moves the cached `contracts.paid_minor` with UPDATE ... SET paid_minor = paid_minor + n. `portal reconcile`
compares that cache with the ledger (`contract_differences`, registered on funds' hook).
"""
from flask_babel import gettext as _
from sqlalchemy import exists, func, select, update

from portal.audit import service as audit
from portal.contracts import payable as payable_formula
from portal.contracts import policy, steps
from portal.contracts.models import (
    ACCEPTED,
    ACTIVE,
    APPROVED,
    COMPLETED,
    CONTRACT_STATUSES,
    PAID,
    PAYMENT_STATUSES,
    PENDING,
    REJECTED,
    REQUESTED,
    VERIFIED,
    Contract,
    ContractPayment,
    DeliveryReport,
    Milestone,
)
from portal.core.errors import DomainError, ValidationFailed
from portal.core.formatting import money
from portal.core.lifecycle import check_step
from portal.core.money import check_amount_minor
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds import hooks as funds_hooks
from portal.funds import ledger
from portal.funds.checks import block_text, lock_row
from portal.funds.models import Posting, contract_paid_account

RATINGS = (1, 2, 3, 4, 5)


def _payment_snapshot(payment: ContractPayment) -> dict:
    return {"status": payment.status, "amount_minor": payment.amount_minor, "milestone_id": payment.milestone_id,
            "reason": payment.reason, "ledger_entry_id": payment.ledger_entry_id}


def basis_of(result: payable_formula.Payable) -> dict:
    """The computation as stored on a payment and shown on the milestone page: lines x payable units x unit
    price, the factor, the cap, what was paid before."""
    return {"lines": [{"line_id": line.line_id, "unit_price_minor": line.unit_price_minor,
                       "verified_units": line.verified_units, "payable_units": line.payable_units,
                       "value_minor": line.value_minor} for line in result.lines],
            "verified_value_minor": result.verified_value_minor, "factor_per_mille": result.factor_per_mille,
            "cap_minor": result.cap_minor, "payable_minor": result.payable_minor, "paid_minor": result.paid_minor,
            "remaining_minor": result.remaining_minor}


def has_verified_report(milestone: Milestone) -> bool:
    return bool(db.session.scalar(select(exists().where(DeliveryReport.milestone_id == milestone.id,
                                                        DeliveryReport.status == VERIFIED))))


# --- acceptance ------------------------------------------------------------------------------------------
def accept_milestone(contract: Contract, milestone: Milestone, actor, rating, note: str) -> Milestone:
    """pending -> accepted with an acceptance rating (1-5, the quality factor's key) and a note."""
    if not policy.can_accept_milestone(actor, milestone):
        raise DomainError(_("Only the buyer's officials accept a milestone."), code="forbidden")
    if isinstance(rating, bool) or rating not in RATINGS:
        raise ValidationFailed(_("Choose an acceptance rating from 1 to 5."), field="rating")
    note = block_text(note, "note", _("Say what was checked and why this rating."), 2000)
    if contract.status not in (ACTIVE, COMPLETED):
        raise DomainError(_("This contract is “%(status)s”; its milestones no longer change.",
                            status=CONTRACT_STATUSES.get(contract.status, contract.status)), code="illegal_step")
    if milestone.status == PENDING and not has_verified_report(milestone):
        raise DomainError(_("A milestone is accepted once at least one of its delivery reports is verified."),
                          code="no_verified_report")
    steps.move_milestone(milestone, ACCEPTED)
    milestone.acceptance_rating = rating
    milestone.acceptance_note = note
    milestone.accepted_by_id = actor.id
    milestone.accepted_at = utcnow()
    db.session.flush()
    audit.record("milestone.accepted", "milestone", milestone.id, actor=actor, before={"status": PENDING},
                 after={"status": ACCEPTED, "contract_id": contract.id, "rating": rating,
                        "factor_per_mille": payable_formula.factor_for(contract, rating)})
    return milestone


# --- payments --------------------------------------------------------------------------------------------
def _check_payable(contract: Contract, milestone: Milestone, amount_minor: int) -> payable_formula.Payable:
    if milestone.status != ACCEPTED:
        raise DomainError(_("Only an accepted milestone that is not fully paid takes a payment."),
                          code="illegal_step")
    result = payable_formula.milestone_payable(contract, milestone)
    if amount_minor > result.remaining_minor:
        raise DomainError(_("This is more than the milestone may still pay from verified delivery (%(remaining)s).",
                            remaining=money(result.remaining_minor)), field="amount", code="above_payable")
    return result


def request_payment(contract: Contract, milestone: Milestone, requester, amount_minor) -> ContractPayment:
    """One official asks; the amount is at most what the milestone may still pay (verified value x factor,
    capped at its share, less what was paid)."""
    if not policy.can_request_payment(requester, milestone):
        raise DomainError(_("Only the buyer's officials ask for a payment."), code="forbidden")
    amount_minor = check_amount_minor(amount_minor, field="amount")
    result = _check_payable(contract, milestone, amount_minor)
    payment = ContractPayment(contract_id=contract.id, milestone_id=milestone.id, amount_minor=amount_minor,
                              basis=basis_of(result), status=REQUESTED, requested_by_id=requester.id)
    db.session.add(payment)
    db.session.flush()
    audit.record("contract_payment.requested", "contract_payment", payment.id, actor=requester,
                 after={**_payment_snapshot(payment), "contract_id": contract.id})
    return payment


def _check_decider(payment: ContractPayment, decider) -> None:
    if not policy.can_decide_payment(decider, payment):
        raise DomainError(_("You asked for this payment, so another official must decide on it."),
                          code="own_request")


def approve_payment(payment: ContractPayment, approver, reason: str = "") -> ContractPayment:
    """requested -> approved: inside the contract's row lock, check the amount against what the milestone may
    still pay, post it on the ledger, move the contract's paid total, and mark the milestone paid when its
    payable amount is fully paid (and the contract delivered when every milestone is)."""
    _check_decider(payment, approver)
    contract = lock_row(Contract, payment.contract_id)  # retry.py's lock order: the contract, then its rows
    payment = lock_row(ContractPayment, payment.id)
    milestone = db.session.get(Milestone, payment.milestone_id, populate_existing=True)
    check_step(payment, steps.PAYMENT_TRANSITIONS, PAYMENT_STATUSES, APPROVED, _("A payment"))
    result = _check_payable(contract, milestone, payment.amount_minor)
    before = _payment_snapshot(payment)
    entry = ledger.post_contract_payment(contract.id, payment.amount_minor, contract.currency,
                                         f"{contract.reference} {milestone.title}", actor=approver)
    steps.move_payment(payment, APPROVED)
    payment.ledger_entry_id = entry.id
    payment.decided_by_id = approver.id
    payment.decided_at = utcnow()
    payment.reason = block_text(reason, "reason", None, 2000) or None
    db.session.execute(update(Contract).where(Contract.id == contract.id)
                       .values(paid_minor=Contract.paid_minor + payment.amount_minor))
    db.session.flush()
    audit.record("contract_payment.approved", "contract_payment", payment.id, actor=approver, before=before,
                 after={**_payment_snapshot(payment), "contract_id": contract.id})
    if result.remaining_minor - payment.amount_minor <= 0:
        steps.move_milestone(milestone, PAID)
        db.session.flush()
        audit.record("milestone.paid", "milestone", milestone.id, actor=approver, before={"status": ACCEPTED},
                     after={"status": PAID, "contract_id": contract.id})
        db.session.refresh(contract)
        if contract.status == ACTIVE and all(m.status == PAID for m in contract.milestones):
            steps.move_contract(contract, COMPLETED, approver, "contract.completed", reason="all milestones paid")
            contract.completed_at = utcnow()
            db.session.flush()
    return payment


def reject_payment(payment: ContractPayment, decider, reason: str) -> ContractPayment:
    _check_decider(payment, decider)
    reason = block_text(reason, "reason", _("Give the reason for rejecting the payment."), 2000)
    before = _payment_snapshot(payment)
    steps.move_payment(payment, REJECTED)
    payment.decided_by_id = decider.id
    payment.decided_at = utcnow()
    payment.reason = reason
    db.session.flush()
    audit.record("contract_payment.rejected", "contract_payment", payment.id, actor=decider, before=before,
                 after={**_payment_snapshot(payment), "contract_id": payment.contract_id})
    return payment


# --- reading -----------------------------------------------------------------------------------------------
def approved_payments(limit: int = 200) -> list[tuple]:
    """Every approved payment, newest first, with its contract, organisation and milestone (one query)."""
    from portal.orgs.models import Organisation

    return list(db.session.execute(
        select(ContractPayment, Contract.reference, Contract.title, Contract.id, Organisation.id, Organisation.name,
               Milestone.title)
        .join(Contract, Contract.id == ContractPayment.contract_id)
        .join(Organisation, Organisation.id == Contract.organisation_id)
        .join(Milestone, Milestone.id == ContractPayment.milestone_id)
        .where(ContractPayment.status == APPROVED)
        .order_by(ContractPayment.decided_at.desc(), ContractPayment.id.desc()).limit(limit)).all())


def payments_of(contract: Contract) -> list[ContractPayment]:
    return list(db.session.scalars(select(ContractPayment).where(ContractPayment.contract_id == contract.id)
                                   .order_by(ContractPayment.id)))


# --- reconcile ---------------------------------------------------------------------------------------------
@funds_hooks.other_differences.register
def contract_differences() -> list[str]:
    """Contracts whose cached paid total disagrees with their ledger postings (`portal reconcile`): the
    postings to every contract's paid account summed in one query, compared with each contract's cache."""
    posted = dict(db.session.execute(
        select(Posting.account, func.sum(Posting.amount_minor)).where(Posting.account.like("contract:%:paid"))
        .group_by(Posting.account)).all())
    lines = []
    for contract_id, reference, paid in db.session.execute(
            select(Contract.id, Contract.reference, Contract.paid_minor).order_by(Contract.id)).all():
        total = int(posted.get(contract_paid_account(contract_id)) or 0)
        if paid != total:
            lines.append(f"contract {reference} (#{contract_id}): paid_minor {paid} but the ledger has {total}")
    return lines
