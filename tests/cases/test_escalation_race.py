"""On PostgreSQL: two background workers escalate overdue cases at the same instant; each case goes to the
district exactly once (one loop change, one timeline event, one audit record).

Real commits from real threads, so the test makes its own rows and sweeps everything made since it began."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts import roles
from portal.audit.models import AuditEvent
from portal.cases import service
from portal.cases.models import DISTRICT_LOOP, Case, CaseEvent
from portal.core.time import utcnow
from portal.extensions import db
from tests.concurrency import delete_since, max_id, run_at_once, snapshot
from tests.factories.accounts import UserFactory, grant
from tests.factories.cases import make_case, make_category
from tests.factories.places import make_tree
from tests.factories.procurement import make_department

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db_session]


@pytest.fixture
def overdue_cases(app):
    before, audit_mark = snapshot(), max_id("audit_events")
    tree = make_tree()
    resident, worker = UserFactory(), UserFactory()
    grant(worker, roles.COMMUNITY_WORKER, tree["community"])
    category = make_category(tree["street"], make_department(tree["street"]))
    due = utcnow() - timedelta(minutes=1)
    ids = [make_case(category, tree["grid"], resident, next_due_at=due).id for _ in range(5)]
    db.session.commit()
    yield ids
    db.session.rollback()
    delete_since(before, audit_mark)


def test_two_workers_at_once_escalate_each_overdue_case_exactly_once(app, overdue_cases):
    def escalate(wait):
        wait()
        return service.escalate_overdue_cases()

    outcome = run_at_once(app, escalate, workers=2)
    assert not outcome.errors, outcome.errors
    assert sum(outcome.results) == len(overdue_cases)
    db.session.expire_all()
    assert set(db.session.scalars(select(Case.loop).where(Case.id.in_(overdue_cases)))) == {DISTRICT_LOOP}
    assert db.session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id.in_(overdue_cases), CaseEvent.action == "escalate")) == len(overdue_cases)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "case.escalated",
        AuditEvent.object_id.in_([str(i) for i in overdue_cases]))) == len(overdue_cases)
