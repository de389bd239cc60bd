"""The call lifecycle (DESIGN.md section 5) as a table, and the one function every step of a call goes through.

Calls move in several modules (calls.py publishes and cancels, opening.py opens at the deadline,
evaluation.py and awards.py evaluate and award) but every step is checked against this one table, so an
illegal step is the same 409 wherever it is tried. Timed steps (the opening, the end of publicity) are
taken by the background worker and by pages on read; `claim_step` makes each happen exactly once however
many workers or requests race for it.
"""
from flask_babel import gettext as _
from sqlalchemy import update

from portal.audit import service as audit
from portal.core.lifecycle import check_step
from portal.extensions import db
from portal.procurement.models import (
    AWARDED,
    CALL_STATUSES,
    CANCELLED,
    CLOSED,
    CONFIRMED,
    CONTRACTED,
    DRAFT,
    EVALUATION,
    PUBLISHED,
    UNSUCCESSFUL,
    Call,
)

CALL_TRANSITIONS = {
    DRAFT: {PUBLISHED, CANCELLED},
    PUBLISHED: {CLOSED, UNSUCCESSFUL, CANCELLED},  # the opening: enough bids -> closed, too few -> unsuccessful
    CLOSED: {EVALUATION, CANCELLED},
    EVALUATION: {AWARDED, UNSUCCESSFUL, CANCELLED},
    AWARDED: {CONFIRMED, EVALUATION, CANCELLED},  # an upheld objection sends it back to evaluation
    CONFIRMED: {CONTRACTED},
}


def what() -> str:
    return _("A call")


def check_call_step(call: Call, target: str) -> None:
    """Raise IllegalTransition (409) unless the table allows `call` to move to `target`."""
    check_step(call, CALL_TRANSITIONS, CALL_STATUSES, target, what())


def move_call(call: Call, target: str, actor, action: str, **after) -> str:
    """Take a step by hand (an official's button): check it, move, audit. Returns the status before.

    The UPDATE is conditional on the status read, so two officials pressing at once cannot both move it:
    the second gets the same 409 as any illegal step."""
    check_call_step(call, target)
    before = call.status
    if not claim_step(call, before, target):
        db.session.refresh(call)
        check_call_step(call, target)  # raises: someone else moved it first
    audit.record(action, "call", call.id, actor=actor, before={"status": before},
                 after={"status": target, **after})
    return before


def claim_step(call: Call, expected: str, target: str) -> bool:
    """Move `call` from `expected` to `target` only if it is still `expected` in the database (one conditional
    UPDATE, so of two workers racing for a due step exactly one wins). True for the winner."""
    check_call_step(call, target)
    result = db.session.execute(update(Call).where(Call.id == call.id, Call.status == expected)
                                .values(status=target), execution_options={"synchronize_session": False})
    if result.rowcount != 1:
        return False
    call.status = target
    return True
