"""Disbursements: a community worker (or a verified organisation's administrator) requests money for a purpose,
a committee member who did not ask approves or rejects it, the treasurer pays it through the ledger."""
from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit import service as audit
from portal.core.errors import DomainError, ValidationFailed
from portal.core.lifecycle import check_step, move_status
from portal.core.money import check_amount_minor
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds import fundable, ledger, policy
from portal.funds.checks import block_text, line_text, lock_row
from portal.funds.ledger import sum_minor
from portal.funds.models import (
    APPROVED,
    DISBURSEMENT_STATUSES,
    PAID,
    REJECTED,
    REQUESTED,
    Disbursement,
    Fund,
)

# The lifecycle (DESIGN.md section 5): current status -> the statuses it may move to.
DISBURSEMENT_TRANSITIONS = {
    REQUESTED: {APPROVED, REJECTED},
    APPROVED: {PAID},
}


def _disbursement_snapshot(disbursement: Disbursement) -> dict:
    return {"status": disbursement.status, "amount_minor": disbursement.amount_minor,
            "purpose": disbursement.purpose, "payee": disbursement.payee,
            "decision_reason": disbursement.decision_reason, "payment_reference": disbursement.payment_reference}


def committed_minor(fund_id: int) -> int:
    """Approved disbursements not paid yet: money already promised."""
    return db.session.scalar(select(sum_minor(Disbursement.amount_minor))
                             .where(Disbursement.fund_id == fund_id, Disbursement.status == APPROVED))


def available_minor(fund: Fund) -> int:
    """What the fund can still promise: its ledger balance less approved, unpaid disbursements."""
    return ledger.fund_balance(fund.id) - committed_minor(fund.id)


def request_disbursement(fund: Fund, requester, *, purpose: str, payee: str, amount_minor: int, campaign=None,
                         organisation=None, project_id: int | None = None) -> Disbursement:
    from portal.orgs.models import VERIFIED

    if not fund.is_active:
        raise DomainError(_("This fund is closed."))
    purpose = line_text(purpose, "purpose", _("Say what the money is for."), 300)
    payee = line_text(payee, "payee", _("Say who receives the money."), 120)
    amount_minor = check_amount_minor(amount_minor, field="amount")
    if campaign is not None and campaign.fund_id != fund.id:
        raise ValidationFailed(_("Choose a campaign of this fund."), field="campaign")
    if organisation is not None and organisation.status != VERIFIED:
        raise ValidationFailed(_("Only a verified organisation can receive money."), field="organisation")
    if project_id is not None and (isinstance(project_id, bool) or not isinstance(project_id, int)
                                   or not fundable.is_fundable_project(fund, project_id)):
        raise ValidationFailed(_("Choose a project serving this fund's place from the list."), field="project_id")
    available = available_minor(fund)
    if amount_minor > available:
        from portal.core.formatting import money

        raise ValidationFailed(_("This is more than the fund has available (%(available)s).",
                                 available=money(max(available, 0))), field="amount")
    disbursement = Disbursement(fund_id=fund.id, campaign_id=getattr(campaign, "id", None),
                                organisation_id=getattr(organisation, "id", None), project_id=project_id,
                                purpose=purpose, payee=payee, amount_minor=amount_minor, currency=fund.currency,
                                status=REQUESTED, requested_by_id=requester.id)
    db.session.add(disbursement)
    db.session.flush()
    audit.record("disbursement.requested", "disbursement", disbursement.id, actor=requester,
                 after=_disbursement_snapshot(disbursement))
    return disbursement


def _check_decider(disbursement: Disbursement, decider) -> None:
    if not policy.is_second_person(decider, disbursement.requested_by_id):
        raise DomainError(_("You asked for this money, so another committee member must decide on it."),
                          code="own_request")


def approve_disbursement(disbursement: Disbursement, approver, reason: str = "") -> Disbursement:
    _check_decider(disbursement, approver)
    lock_row(Fund, disbursement.fund_id)  # two approvals at once cannot both spend the same balance
    if disbursement.status == REQUESTED and disbursement.amount_minor > available_minor(disbursement.fund):
        from portal.core.formatting import money

        raise DomainError(_("The fund has only %(available)s available, less than this request.",
                            available=money(max(available_minor(disbursement.fund), 0))),
                          field="amount", code="insufficient_balance")
    before = _disbursement_snapshot(disbursement)
    move_status(disbursement, DISBURSEMENT_TRANSITIONS, DISBURSEMENT_STATUSES, APPROVED, _("A disbursement"))
    disbursement.decided_by_id = approver.id
    disbursement.decided_at = utcnow()
    disbursement.decision_reason = block_text(reason, "reason", None, 2000) or None
    db.session.flush()
    audit.record("disbursement.approved", "disbursement", disbursement.id, actor=approver, before=before,
                 after=_disbursement_snapshot(disbursement))
    return disbursement


def reject_disbursement(disbursement: Disbursement, decider, reason: str) -> Disbursement:
    _check_decider(disbursement, decider)
    reason = block_text(reason, "reason", _("Give the reason for rejecting the request."), 2000)
    before = _disbursement_snapshot(disbursement)
    move_status(disbursement, DISBURSEMENT_TRANSITIONS, DISBURSEMENT_STATUSES, REJECTED, _("A disbursement"))
    disbursement.decided_by_id = decider.id
    disbursement.decided_at = utcnow()
    disbursement.decision_reason = reason
    db.session.flush()
    audit.record("disbursement.rejected", "disbursement", disbursement.id, actor=decider, before=before,
                 after=_disbursement_snapshot(disbursement))
    return disbursement


def pay_disbursement(disbursement: Disbursement, treasurer, reference: str) -> Disbursement:
    """approved -> paid: the treasurer records the transfer; the ledger posts it (and checks the balance)."""
    reference = line_text(reference, "reference", _("Enter the payment reference (transfer or voucher number)."), 64)
    # the disbursement first (two treasurers paying at once pay once), then campaign and fund in the ledger
    disbursement = lock_row(Disbursement, disbursement.id)
    check_step(disbursement, DISBURSEMENT_TRANSITIONS, DISBURSEMENT_STATUSES, PAID, _("A disbursement"))
    before = _disbursement_snapshot(disbursement)
    try:
        with db.session.begin_nested():
            ledger.post_disbursement(disbursement, actor=treasurer)
    except DomainError as error:
        if error.code == "insufficient_balance":
            raise DomainError(_("The fund's balance is below this amount now (refunds or disputes since the "
                                "approval); nothing was paid."), field="amount",
                              code="insufficient_balance") from None
        raise
    move_status(disbursement, DISBURSEMENT_TRANSITIONS, DISBURSEMENT_STATUSES, PAID, _("A disbursement"))
    disbursement.paid_by_id = treasurer.id
    disbursement.paid_at = utcnow()
    disbursement.payment_reference = reference
    db.session.flush()
    audit.record("disbursement.paid", "disbursement", disbursement.id, actor=treasurer, before=before,
                 after=_disbursement_snapshot(disbursement))
    return disbursement
