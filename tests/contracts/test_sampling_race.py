"""On PostgreSQL: a resident's link and a grid worker's visit answer the same sampled record at the same
instant; exactly one answer is stored, the other is told it was already answered.

Real commits from real threads, so the test makes its own rows and deletes them afterwards (audit rows are
append-only: removed with triggers off, by tests/concurrency.py)."""
from functools import partial

import pytest
from sqlalchemy import select

from portal.accounts import roles
from portal.contracts import sampling
from portal.contracts.models import SampleItem
from portal.core.errors import IllegalTransition
from portal.extensions import db
from portal.orgs.models import VERIFIED
from tests.concurrency import CONTRACT_ROWS, WORLD_ROWS, delete_committed, max_id, run_at_once
from tests.factories.accounts import UserFactory, grant
from tests.factories.contracts import make_contract, make_report
from tests.factories.orgs import make_organisation
from tests.factories.places import make_tree
from tests.factories.procurement import make_department

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db_session]
REPORTS = "SELECT id FROM delivery_reports WHERE contract_id = :contract"


@pytest.fixture
def sampled(app):
    audit_mark = max_id("audit_events")
    tree = make_tree()
    official, admin, grid_worker = UserFactory(), UserFactory(), UserFactory()
    grant(official, roles.OFFICIAL, tree["district"])
    grant(grid_worker, roles.GRID_WORKER, tree["grid"])
    organisation = make_organisation(admin, tree["community"], status=VERIFIED)
    grant(admin, roles.ORG_ADMIN, organisation)
    department = make_department(tree["district"])
    contract = make_contract(department, organisation, official, place=tree["community"])
    report = make_report(contract, contract.milestones[0], admin, records=5, place=tree["grid"])
    sample = sampling.draw_sample(report, official)
    item = sample.items[0]
    token = sampling.item_token(sample.id, item.service_record_id, sample.seed)
    db.session.commit()
    ids = {"contract": contract.id, "department": department.id, "organisation": organisation.id,
           "users": [official.id, admin.id, grid_worker.id], "places": [p.id for p in tree.values()],
           "audit_mark": audit_mark, "item": item.id, "token": token, "grid_worker": grid_worker.id}
    yield ids
    db.session.rollback()
    delete_committed([
        "DELETE FROM notifications WHERE user_id = ANY(:users)",
        "DELETE FROM sample_items WHERE sample_id IN (SELECT id FROM samples WHERE contract_id = :contract)",
        "DELETE FROM samples WHERE contract_id = :contract",
        f"DELETE FROM service_records WHERE report_id IN ({REPORTS})",
        f"DELETE FROM report_lines WHERE report_id IN ({REPORTS})",
        "DELETE FROM delivery_reports WHERE contract_id = :contract",
        *CONTRACT_ROWS,
        *WORLD_ROWS,
    ], ids)


def test_a_link_and_a_visit_at_once_store_one_answer(app, sampled):
    def answer(by_visit: bool, wait):
        item = db.session.get(SampleItem, sampled["item"])
        wait()
        if by_visit:
            from portal.accounts.models import User

            sampling.record_visit(item, db.session.get(User, sampled["grid_worker"]), "no", None, "")
        else:
            sampling.answer_by_link(item, "yes", "5", "")
        return by_visit

    stored, refused, errors = run_at_once(app, [partial(answer, flag) for flag in (False, True)],
                                          refusals=(IllegalTransition,))
    assert not errors
    assert len(stored) == 1 and len(refused) == 1
    with app.app_context():
        answer_row = db.session.execute(select(SampleItem.answer, SampleItem.answered_via)
                                        .where(SampleItem.id == sampled["item"])).one()
        db.session.remove()
    assert answer_row == (("denied", "visit") if stored == [True] else ("confirmed", "link"))
