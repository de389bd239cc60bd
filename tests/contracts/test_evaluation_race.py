"""On PostgreSQL: two workers take the due evaluation step at the same instant; the rating becomes final and the
contract closes exactly once (the conditional UPDATEs of portal/contracts/evaluation.py).

Real commits from real threads, so the test makes its own rows and deletes them afterwards (with
tests/concurrency.py)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.contracts import evaluation
from portal.contracts.models import CLOSED, RATED_AREAS, Contract, ContractEvaluation
from portal.core.time import utcnow
from portal.extensions import db
from tests.concurrency import CONTRACT_ROWS, WORLD_ROWS, delete_committed, max_id, run_at_once
from tests.contracts.payments_world import make_world

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db_session]


@pytest.fixture
def due(app):
    audit_mark = max_id("audit_events")
    world = make_world()
    evaluation.mark_delivered(world.contract, world.official)
    rated = evaluation.submit_evaluation(world.contract, world.official, {
        area: {"rating": 4, "narrative": "按期完成"} for area in RATED_AREAS})
    rated.rebuttal_until = utcnow() - timedelta(seconds=1)  # the window has just ended
    db.session.commit()
    ids = {"contract": world.contract.id, "evaluation": rated.id, "department": world.department.id,
           "organisation": world.organisation.id, "places": [p.id for p in world.tree.values()],
           "users": [u.id for u in (world.official, world.second_official, world.org_admin, world.evaluator,
                                    world.resident)], "audit_mark": audit_mark}
    yield ids
    db.session.rollback()
    delete_committed([
        "DELETE FROM contract_evaluations WHERE contract_id = :contract",
        *CONTRACT_ROWS,
        *WORLD_ROWS,
    ], ids)


def test_two_workers_at_once_finalise_the_rating_exactly_once(app, due):
    def finalise(wait):
        wait()
        return evaluation.finalise_due_evaluations()

    results, _refused, errors = run_at_once(app, finalise, workers=2)
    assert not errors, errors
    assert sum(len(result["finalised"]) for result in results) == 1
    assert sum(len(result["closed"]) for result in results) == 1
    db.session.expire_all()
    assert db.session.get(ContractEvaluation, due["evaluation"]).final_at is not None
    assert db.session.get(Contract, due["contract"]).status == CLOSED
    events = (("contract_evaluation.finalised", due["evaluation"]), ("contract.closed", due["contract"]))
    for action, object_id in events:
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.object_id == str(object_id))) == 1
    db.session.rollback()
