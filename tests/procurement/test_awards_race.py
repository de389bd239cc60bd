"""Two workers end the publicity periods at the same moment: the award is confirmed exactly once.

PostgreSQL only, outside the per-test rolled-back transaction: each thread has its own connection and commits,
as two worker processes do. The rows made, its audit rows included, are deleted afterwards."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Integer, delete, func, select, text

from portal.audit.models import AuditEvent
from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement import awards
from portal.procurement.models import CONFIRMED, Call, ConflictDeclaration, PanelMember

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db_session]
WORKERS = 2


def _snapshot() -> dict:
    return {t.name: db.session.scalar(select(func.max(t.c.id))) or 0
            for t in db.metadata.sorted_tables
            if "id" in t.c and isinstance(t.c.id.type, Integer) and t.name != "audit_events"}


@pytest.fixture
def due_call(app):
    from tests.factories.evaluation import World, award, in_evaluation, seat

    before = _snapshot()
    audit_mark = db.session.scalar(text("SELECT coalesce(max(id), 0) FROM audit_events"))
    world = World(prices=(20_000_000, 25_000_000))
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, declared=True, submitted=True)
    award(world.call, world.official, world.bids["b"])
    world.call.publicity_ends_at = utcnow() - timedelta(minutes=1)
    call_id = world.call.id
    db.session.commit()
    yield call_id
    db.session.rollback()
    new_calls = select(Call.id).where(Call.id > before["calls"])
    with db.engine.begin() as connection:
        # audit rows are append-only (a trigger): the test's own go with triggers off, as in payments' tests
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text("DELETE FROM audit_events WHERE id > :mark"), {"mark": audit_mark})
        connection.execute(delete(ConflictDeclaration).where(ConflictDeclaration.call_id.in_(new_calls)))
        connection.execute(delete(PanelMember).where(PanelMember.call_id.in_(new_calls)))
        for table in reversed(db.metadata.sorted_tables):
            if table.name in before:
                connection.execute(delete(table).where(table.c.id > before[table.name]))


def test_two_workers_confirm_an_award_exactly_once(app, due_call):
    barrier = threading.Barrier(WORKERS)
    confirmed, errors = [], []

    def worker():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                confirmed.extend(awards.end_due_publicity())
                db.session.commit()
            except Exception as error:  # noqa: BLE001  (reported below)
                db.session.rollback()
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert confirmed.count(due_call) == 1
    assert db.session.get(Call, due_call).status == CONFIRMED
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "call.award_confirmed", AuditEvent.object_id == str(due_call))) == 1
