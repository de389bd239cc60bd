"""The server side of the phone app's offline queue: what the phone sends again is applied once.

A report carries its idempotency key into the case (`service.report_case` finds the case a replay made). A
follow-up (verification on site) has no column for it, and needs none: the verify step happens once by the
case's lifecycle, and its timeline event ends with the key, so the phone's replay of a follow-up already
applied is told "done" (and stores no second photo) instead of a refusal it would keep in its queue.
"""
from sqlalchemy import select

from portal.cases import service
from portal.cases.models import Case, CaseEvent
from portal.extensions import db
from portal.funds.checks import lock_row

KEY_MARK = "[app-key:{key}]"  # the last line of the verify event's note


def key_mark(key: str) -> str:
    return KEY_MARK.format(key=key)


def note_without_key(note: str) -> str:
    """The note as the person wrote it: the timeline does not show the phone's key."""
    head, _newline, last = (note or "").rpartition("\n")
    return head if last.startswith("[app-key:") and last.endswith("]") else note or ""


def follow_up_applied(case: Case, key: str) -> bool:
    """Whether a follow-up sent with `key` verified this case already."""
    return db.session.scalar(select(CaseEvent.id).where(
        CaseEvent.case_id == case.id, CaseEvent.action == "verify",
        CaseEvent.note.endswith(key_mark(key), autoescape=True)).limit(1)) is not None


def verify_from_app(case: Case, actor, key: str, note: str = "", photos=()) -> tuple[Case, bool]:
    """Verify `case` with the follow-up photos, once per key: (case, True) when this call verified it, (case,
    False) for a replay of the follow-up that did. Any other refusal is the service's (a 409 when the case is
    no longer waiting for a verification)."""
    case = lock_row(Case, case.id)  # a phone resending while its first try still runs waits for it, then sees it
    if follow_up_applied(case, key):
        return case, False
    note = (note or "").strip()
    service.verify_case(case, actor, note=f"{note}\n{key_mark(key)}" if note else key_mark(key), photos=photos)
    return case, True
