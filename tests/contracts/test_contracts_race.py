"""Two officials sign the contract of one award at the same moment: one contract, the other is told.

PostgreSQL only, outside the per-test rolled-back transaction: each thread has its own connection and commits.
The rows made, its audit rows included, are deleted afterwards."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Integer, delete, func, select, text

from portal.contracts import service
from portal.contracts.models import Contract
from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement.models import CONTRACTED, Award, Call
from portal.projects.models import ProjectPlace
from tests.contracts.contracts_world import milestones

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db_session]
WORKERS = 2


def _snapshot() -> dict:
    return {t.name: db.session.scalar(select(func.max(t.c.id))) or 0
            for t in db.metadata.sorted_tables
            if "id" in t.c and isinstance(t.c.id.type, Integer) and t.name != "audit_events"}


@pytest.fixture
def confirmed(app):
    from tests.contracts.contracts_world import ContractWorld

    before = _snapshot()
    audit_mark = db.session.scalar(text("SELECT coalesce(max(id), 0) FROM audit_events"))
    world = ContractWorld()
    ids = (world.award.id, world.official.id, world.second_official.id, world.call.id)
    db.session.commit()
    yield ids
    db.session.rollback()
    with db.engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text("DELETE FROM audit_events WHERE id > :mark"), {"mark": audit_mark})
        connection.execute(delete(ProjectPlace).where(ProjectPlace.project_id > before["service_projects"]))
        for table in reversed(db.metadata.sorted_tables):
            if table.name in before:
                connection.execute(delete(table).where(table.c.id > before[table.name]))


def test_two_officials_signing_one_award_make_one_contract(app, confirmed):
    from portal.accounts.models import User

    award_id, official_id, second_id, call_id = confirmed
    barrier = threading.Barrier(WORKERS)
    signed, refused, errors = [], [], []

    def sign(user_id):
        with app.app_context():
            try:
                award = db.session.get(Award, award_id)
                user = db.session.get(User, user_id)
                today = utcnow().date()
                barrier.wait(timeout=10)
                contract = service.create_from_award(award, user, today, today + timedelta(days=364),
                                                     milestones("50", "50", start=today))
                db.session.commit()
                signed.append(contract.id)
            except DomainError:
                db.session.rollback()
                refused.append(user_id)
            except Exception as error:  # noqa: BLE001  (reported below)
                db.session.rollback()
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign, args=(user_id,)) for user_id in (official_id, second_id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(signed) == 1 and len(refused) == 1
    assert db.session.scalar(select(func.count()).select_from(Contract).where(Contract.award_id == award_id)) == 1
    assert db.session.get(Call, call_id).status == CONTRACTED
