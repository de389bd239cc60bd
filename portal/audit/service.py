"""Writing audit events: every sensitive service action calls record()."""
from flask import has_request_context, request
from flask_login import current_user

from portal.audit.models import AuditEvent
from portal.extensions import db

# The actor of a timed step (a bid opening, the end of a publicity period): the portal itself, even when a
# person's page view is what took the step, so the record does not name a bystander.
SYSTEM = object()


def record(action: str, object_type: str, object_id=None, *, actor=None, before: dict | None = None,
           after: dict | None = None) -> AuditEvent:
    system = actor is SYSTEM
    if system:
        actor = None
    elif actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    ip = request.remote_addr if has_request_context() and not system else None
    audit_event = AuditEvent(action=action, object_type=object_type,
                             object_id=None if object_id is None else str(object_id),
                             actor_id=getattr(actor, "id", None), before=before, after=after, ip_address=ip)
    db.session.add(audit_event)
    return audit_event
