"""Two workers end the publicity periods at the same moment: the award is confirmed exactly once.

PostgreSQL only, outside the per-test rolled-back transaction: each thread has its own connection and commits,
as two worker processes do. The rows made, its audit rows included, are deleted afterwards."""
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from portal.audit.models import AuditEvent
from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement import awards
from portal.procurement.models import CONFIRMED, Call, ConflictDeclaration, PanelMember
from tests.concurrency import delete_since, max_id, run_at_once, snapshot

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db_session]


@pytest.fixture
def due_call(app):
    from tests.factories.evaluation import World, award, in_evaluation, seat

    before, audit_mark = snapshot(), max_id("audit_events")
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
    delete_since(before, audit_mark, delete(ConflictDeclaration).where(ConflictDeclaration.call_id.in_(new_calls)),
                 delete(PanelMember).where(PanelMember.call_id.in_(new_calls)))


def test_two_workers_confirm_an_award_exactly_once(app, due_call):
    def end_publicity(wait):
        wait()
        return awards.end_due_publicity()

    results, _refused, errors = run_at_once(app, end_publicity, workers=2, wait_timeout=10, join_timeout=30)
    confirmed = [call_id for result in results for call_id in result]
    assert not errors
    assert confirmed.count(due_call) == 1
    assert db.session.get(Call, due_call).status == CONFIRMED
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "call.award_confirmed", AuditEvent.object_id == str(due_call))) == 1
