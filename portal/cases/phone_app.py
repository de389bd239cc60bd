"""The server side of the phone app's offline queue: what the phone sends again is applied once.

A report carries its idempotency key into the case (`service.report_case` finds the case a replay made). A
follow-up (verification on site) keeps its key on the verify step's timeline event (`CaseEvent.client_key`), so
the phone's replay of a follow-up already applied is told "done" (and stores no second photo) instead of a
refusal it would keep in its queue.
"""
from sqlalchemy import select

from portal.cases import service
from portal.cases.models import Case, CaseEvent
from portal.extensions import db
from portal.funds.checks import lock_row


def follow_up_applied(case: Case, key: str) -> bool:
    """Whether a follow-up sent with `key` verified this case already."""
    return db.session.scalar(select(CaseEvent.id).where(
        CaseEvent.case_id == case.id, CaseEvent.action == "verify", CaseEvent.client_key == key).limit(1)) is not None


def verify_from_app(case: Case, actor, key: str, note: str = "", photos=()) -> tuple[Case, bool]:
    """Verify `case` with the follow-up photos, once per key: (case, True) when this call verified it, (case,
    False) for a replay of the follow-up that did. Any other refusal is the service's (a 409 when the case is
    no longer waiting for a verification)."""
    case = lock_row(Case, case.id)  # a phone resending while its first try still runs waits for it, then sees it
    if follow_up_applied(case, key):
        return case, False
    service.verify_case(case, actor, note=note, photos=photos, client_key=key)
    return case, True
