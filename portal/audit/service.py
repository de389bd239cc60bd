"""Writing audit events: every sensitive service action calls record()."""
from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import bindparam, insert

from portal.audit.models import AuditEvent
from portal.core import pipeline
from portal.core.time import utcnow
from portal.extensions import db

_COLUMNS = ("created_at", "actor_id", "action", "object_type", "object_id", "before", "after", "ip_address")
# Inside a unit of work that queues its plain writes (a webhook gift: portal.core.pipeline), the record is
# this Core INSERT sent with the unit's last statements, not an object for the ORM's flush.
_INSERT = insert(AuditEvent.__table__).values({column: bindparam(column) for column in _COLUMNS})

# The actor of a timed step (a bid opening, the end of a publicity period): the portal itself, even when a
# person's page view is what took the step, so the record does not name a bystander.
SYSTEM = object()


def record(action: str, object_type: str, object_id=None, *, actor=None, before: dict | None = None,
           after: dict | None = None) -> AuditEvent | None:
    """Record an action; the new AuditEvent (added to the session), or None where the INSERT is queued with
    the unit of work's last statements (portal.core.pipeline)."""
    system = actor is SYSTEM
    if system:
        actor = None
    elif actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    ip = request.remote_addr if has_request_context() and not system else None
    values = dict(created_at=utcnow(), actor_id=getattr(actor, "id", None), action=action, object_type=object_type,
                  object_id=None if object_id is None else str(object_id), before=before, after=after, ip_address=ip)
    if pipeline.queueing():
        pipeline.queue(_INSERT, values)  # no object for the session: the INSERT is queued
        return None
    audit_event = AuditEvent(**values)
    db.session.add(audit_event)
    return audit_event
