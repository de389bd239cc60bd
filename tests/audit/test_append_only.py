"""Audit events are append-only: the ORM refuses changes, and on PostgreSQL so does a trigger."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from portal.audit.models import AuditEvent, AuditRowImmutable
from portal.audit.service import record
from portal.extensions import db


@pytest.fixture
def event():
    saved = record("org.verified", "organisation", 3, before={"status": "pending"}, after={"status": "verified"})
    db.session.flush()
    return saved


def _action_in_database(event_id):
    return db.session.execute(text("SELECT action FROM audit_events WHERE id = :id"), {"id": event_id}).scalar_one()


def test_updating_an_event_through_the_orm_is_refused(event):
    with pytest.raises(AuditRowImmutable), db.session.begin_nested():
        event.action = "org.rejected"
    assert _action_in_database(event.id) == "org.verified"


def test_deleting_an_event_through_the_orm_is_refused(event):
    with pytest.raises(AuditRowImmutable), db.session.begin_nested():
        db.session.delete(event)
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.id == event.id)) == event.id


@pytest.mark.postgres_only
def test_raw_sql_update_is_refused_by_the_trigger(event):
    with pytest.raises(DBAPIError, match="never updated or deleted"), db.session.begin_nested():
        db.session.execute(text("UPDATE audit_events SET action = 'forged' WHERE id = :id"), {"id": event.id})
    assert _action_in_database(event.id) == "org.verified"


@pytest.mark.postgres_only
def test_raw_sql_delete_is_refused_by_the_trigger(event):
    with pytest.raises(DBAPIError, match="never updated or deleted"), db.session.begin_nested():
        db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": event.id})
    assert _action_in_database(event.id) == "org.verified"
