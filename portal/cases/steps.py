"""The case loop as a table of named steps (CONTRIBUTING.md, "A lifecycle"): reopening and handling again
both lead back into the loop from different places with different effects, so the steps are named.

Every step goes through `take_step`, which checks the table (an illegal step is a 409), moves the status,
stamps the step's clock, sets the next step's SLA deadline and writes the case's timeline (CaseEvent) and
the audit log. `claim_escalation` is the one conditional UPDATE that makes an SLA escalation happen exactly
once however many workers run it.
"""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import update

from portal.audit import service as audit
from portal.cases.models import (
    CASE_STATUSES,
    CLOSED,
    DISPATCHED,
    DISTRICT_LOOP,
    EVALUATED,
    FILED,
    HANDLED,
    HANDLING,
    REJECTED,
    REPORTED,
    STREET_LOOP,
    VERIFIED,
    Case,
    CaseEvent,
)
from portal.core.errors import IllegalTransition
from portal.core.time import utcnow
from portal.extensions import db

# step name -> (statuses it may start from, the status it ends in, the clock it stamps)
CASE_STEPS = {
    "file": ({REPORTED}, FILED, "filed_at"),
    "reject": ({REPORTED}, REJECTED, None),
    "dispatch": ({FILED}, DISPATCHED, "dispatched_at"),
    "accept": ({DISPATCHED}, HANDLING, "accepted_at"),
    "handle": ({HANDLING}, HANDLED, "handled_at"),
    "feedback": ({HANDLED}, HANDLED, "feedback_at"),  # the reporter told what was done; the status stays
    "verify": ({HANDLED}, VERIFIED, "verified_at"),
    "handle_again": ({HANDLED}, HANDLING, None),  # the grid worker found it not fixed
    "close": ({VERIFIED}, CLOSED, "closed_at"),
    "evaluate": ({CLOSED}, EVALUATED, "evaluated_at"),
    "reopen": ({CLOSED, EVALUATED}, DISPATCHED, "dispatched_at"),  # an unsatisfied reporter, once
}


def check_case_step(case: Case, step: str) -> None:
    starts, _target, _clock = CASE_STEPS[step]
    if case.status not in starts:
        raise IllegalTransition(_("A case that is “%(current)s” cannot take the step “%(step)s”.",
                                  current=CASE_STATUSES.get(case.status, case.status), step=step))


def take_step(case: Case, step: str, actor, note: str = "", due_hours: int | None = None,
              client_key: str | None = None) -> str:
    """Move `case` by `step` (or raise IllegalTransition): stamp its clock, set the next deadline `due_hours`
    from now (None: no clock runs), record the timeline event and the audit. Returns the status before."""
    check_case_step(case, step)
    _starts, target, clock = CASE_STEPS[step]
    before, now = case.status, utcnow()
    case.status = target
    if clock:
        setattr(case, clock, now)
    case.next_due_at = now + timedelta(hours=due_hours) if due_hours else None
    db.session.add(CaseEvent(case_id=case.id, action=step, from_status=before, to_status=target,
                             actor_id=getattr(actor, "id", None), note=note or "", at=now, client_key=client_key))
    audit.record(f"case.{step}", "case", case.id, actor=actor if actor is not None else audit.SYSTEM,
                 before={"status": before}, after={"status": target, "note": note or None})
    db.session.flush()
    return before


def claim_escalation(case: Case, reason: str, actor=None) -> bool:
    """Move an open case from the street's small loop to the district's big loop, once: True for the one
    caller (worker, request or person) that did."""
    now = utcnow()
    result = db.session.execute(update(Case).where(Case.id == case.id, Case.loop == STREET_LOOP)
                                .values(loop=DISTRICT_LOOP, escalated_at=now, escalation_reason=reason),
                                execution_options={"synchronize_session": False})
    if result.rowcount != 1:
        return False
    case.loop, case.escalated_at, case.escalation_reason = DISTRICT_LOOP, now, reason
    db.session.add(CaseEvent(case_id=case.id, action="escalate", from_status=case.status, to_status=case.status,
                             actor_id=getattr(actor, "id", None), note=reason, at=now))
    audit.record("case.escalated", "case", case.id, actor=actor if actor is not None else audit.SYSTEM,
                 after={"loop": DISTRICT_LOOP, "reason": reason})
    db.session.flush()
    return True
