"""Two officials sign the contract of one award at the same moment: one contract, the other is told.

PostgreSQL only, outside the per-test rolled-back transaction: each thread has its own connection and commits.
The rows made, its audit rows included, are deleted afterwards."""
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import delete, func, select

from portal.contracts import service
from portal.contracts.models import Contract
from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement.models import CONTRACTED, Award, Call
from portal.projects.models import ProjectPlace
from tests.concurrency import delete_since, max_id, run_at_once, snapshot
from tests.contracts.contracts_world import milestones

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db_session]


@pytest.fixture
def confirmed(app):
    from tests.contracts.contracts_world import ContractWorld

    before, audit_mark = snapshot(), max_id("audit_events")
    world = ContractWorld()
    ids = (world.award.id, world.official.id, world.second_official.id, world.call.id)
    db.session.commit()
    yield ids
    db.session.rollback()
    delete_since(before, audit_mark, delete(ProjectPlace).where(ProjectPlace.project_id > before["service_projects"]))


def test_two_officials_signing_one_award_make_one_contract(app, confirmed):
    from portal.accounts.models import User

    award_id, official_id, second_id, call_id = confirmed

    def sign(user_id, wait):
        award = db.session.get(Award, award_id)
        user = db.session.get(User, user_id)
        today = utcnow().date()
        wait()
        contract = service.create_from_award(award, user, today, today + timedelta(days=364),
                                             milestones("50", "50", start=today))
        return contract.id

    signed, refused, errors = run_at_once(app, [partial(sign, user_id) for user_id in (official_id, second_id)],
                                          refusals=(DomainError,), wait_timeout=10, join_timeout=30)
    assert not errors
    assert len(signed) == 1 and len(refused) == 1
    assert db.session.scalar(select(func.count()).select_from(Contract).where(Contract.award_id == award_id)) == 1
    assert db.session.get(Call, call_id).status == CONTRACTED
