"""On PostgreSQL: two workers run the opening at the same instant; the call opens exactly once.

Real commits from real threads (no rolled-back test transaction), so the test makes its own rows and deletes
them afterwards (audit rows are append-only: removed with triggers off, as tests/payments/test_concurrency.py
does)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts import roles
from portal.audit.models import AuditEvent
from portal.core.time import utcnow
from portal.extensions import db
from portal.orgs.models import VERIFIED
from portal.procurement import opening
from portal.procurement.models import CLOSED, VALID, Bid, Call
from tests.concurrency import WORLD_ROWS, delete_committed, max_id, run_at_once
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation
from tests.factories.places import make_tree
from tests.factories.procurement import make_bid, make_call, make_department, qualify

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db_session]


@pytest.fixture
def due_call(app):
    audit_mark = max_id("audit_events")
    tree = make_tree()
    official, admin = UserFactory(), UserFactory()
    grant(official, roles.OFFICIAL, tree["district"])
    organisation = make_organisation(admin, tree["community"], status=VERIFIED)
    grant(admin, roles.ORG_ADMIN, organisation)
    qualify(organisation, tree["district"], official)
    department = make_department(tree["district"])
    call = make_call(department, official, bids_until=utcnow() + timedelta(minutes=5))
    bid = make_bid(call, organisation, admin, price_minor=20_000_000)
    call.bids_until = utcnow() - timedelta(seconds=1)  # the deadline has just passed
    db.session.commit()
    ids = {"call": call.id, "bid": bid.id, "department": department.id, "organisation": organisation.id,
           "users": [official.id, admin.id], "places": [p.id for p in tree.values()], "audit_mark": audit_mark}
    yield ids
    db.session.rollback()
    delete_committed([
        "DELETE FROM notifications WHERE user_id = ANY(:users)",
        "DELETE FROM low_price_reviews WHERE bid_id IN (SELECT id FROM bids WHERE call_id = :call)",
        "DELETE FROM bid_receipts WHERE bid_id IN (SELECT id FROM bids WHERE call_id = :call)",
        "DELETE FROM bid_files WHERE bid_id IN (SELECT id FROM bids WHERE call_id = :call)",
        "DELETE FROM bids WHERE call_id = :call",
        "DELETE FROM lot_lines WHERE lot_id IN (SELECT id FROM lots WHERE call_id = :call)",
        "DELETE FROM lots WHERE call_id = :call",
        "DELETE FROM award_criteria WHERE call_id = :call",
        "DELETE FROM calls WHERE id = :call",
        "DELETE FROM catalogue_items WHERE department_id = :department",
        "DELETE FROM departments WHERE id = :department",
        "DELETE FROM qualifications WHERE organisation_id = :organisation",
        *WORLD_ROWS,
    ], ids)


def test_two_workers_at_once_open_the_call_exactly_once(app, due_call):
    def open_calls(wait):
        wait()
        return opening.open_due_calls()

    results, _refused, errors = run_at_once(app, open_calls, workers=2)
    assert not errors, errors
    assert sorted(results, key=len) == [[], [due_call["call"]]]
    db.session.expire_all()
    assert db.session.get(Call, due_call["call"]).status == CLOSED
    bid = db.session.get(Bid, due_call["bid"])
    assert (bid.status, bid.opened_price_minor) == (VALID, 20_000_000)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "call.opened", AuditEvent.object_id == str(due_call["call"]))) == 1
