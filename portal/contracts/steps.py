"""The lifecycles of contracts and their parts (DESIGN.md section 5), as tables at one place, and the move
functions every step goes through (portal/core/lifecycle.py): an illegal step is a 409 wherever it is tried."""
from flask_babel import gettext as _

from portal.audit import service as audit
from portal.contracts.models import (
    ACCEPTED,
    ACTIVE,
    AMENDMENT_STATUSES,
    APPROVED,
    CLOSED,
    COMPLETED,
    CONTRACT_STATUSES,
    IN_FORCE,
    MILESTONE_STATUSES,
    PAID,
    PAYMENT_STATUSES,
    PENDING,
    PROPOSED,
    REFUSED,
    REJECTED,
    REPORT_STATUSES,
    REQUESTED,
    RETURNED,
    SUBMITTED,
    TERMINATED,
    VERIFIED,
)
from portal.core.lifecycle import move_status

CONTRACT_TRANSITIONS = {ACTIVE: {COMPLETED, TERMINATED}, COMPLETED: {CLOSED}}
MILESTONE_TRANSITIONS = {PENDING: {ACCEPTED}, ACCEPTED: {PAID}}
# a returned report is corrected and sent again; a verified one never changes (only verified units count)
REPORT_TRANSITIONS = {SUBMITTED: {VERIFIED, RETURNED}, RETURNED: {SUBMITTED}}
PAYMENT_TRANSITIONS = {REQUESTED: {APPROVED, REJECTED}}
AMENDMENT_TRANSITIONS = {PROPOSED: {IN_FORCE, REFUSED}}


def move_contract(contract, target: str, actor, action: str, **after) -> str:
    before = move_status(contract, CONTRACT_TRANSITIONS, CONTRACT_STATUSES, target, _("A contract"))
    audit.record(action, "contract", contract.id, actor=actor, before={"status": before},
                 after={"status": target, **after})
    return before


def move_milestone(milestone, target: str) -> str:
    return move_status(milestone, MILESTONE_TRANSITIONS, MILESTONE_STATUSES, target, _("A milestone"))


def move_report(report, target: str) -> str:
    return move_status(report, REPORT_TRANSITIONS, REPORT_STATUSES, target, _("A delivery report"))


def move_payment(payment, target: str) -> str:
    return move_status(payment, PAYMENT_TRANSITIONS, PAYMENT_STATUSES, target, _("A payment"))


def move_amendment(amendment, target: str) -> str:
    return move_status(amendment, AMENDMENT_TRANSITIONS, AMENDMENT_STATUSES, target, _("An amendment"))
