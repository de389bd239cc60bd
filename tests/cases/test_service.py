"""The case loop through the service: report, file, dispatch, take up, handle, tell, verify, close, evaluate;
the clocks, reopening once, escalation by hand and on a breach (exactly once), links, and bad input."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import worker
from portal.audit.models import AuditEvent
from portal.cases import service
from portal.cases.models import (
    CLOSED,
    DISPATCHED,
    DISTRICT_LOOP,
    EVALUATED,
    FILED,
    HANDLED,
    HANDLING,
    REJECTED,
    REPORTED,
    STREET_LOOP,
    Case,
    CaseEvent,
    CasePhoto,
)
from portal.core.errors import IllegalTransition, ValidationFailed
from portal.extensions import db
from portal.needs.models import Need
from portal.notifications.models import Notification
from tests.factories.accounts import UserFactory
from tests.factories.cases import make_case, make_category, photo_bytes, upload


def _report(loop, **fields):
    values = {"category_id": loop.category.id, "title": "3栋楼道堆满杂物", "place_id": loop.grid.id,
              "latitude": 30.6979, "longitude": 111.2861}
    values.update(fields)
    return service.report_case(loop.resident, **values)

def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))

def _through_handled(loop, case):
    service.file_case(case, loop.community_worker)
    service.dispatch_case(case, loop.community_worker)
    service.accept_case(case, loop.official)
    service.handle_case(case, loop.official, "杂物已清理，楼道畅通")
    return case

def _through_closed(loop, case):
    _through_handled(loop, case)
    service.give_feedback(case, loop.official, "已清理，请查看")
    service.verify_case(case, loop.grid_worker, "现场已核实", [upload(photo_bytes())])
    service.close_case(case, loop.community_worker)
    return case

def test_a_report_makes_a_case_with_a_reference_a_clock_and_a_timeline(loop, clock):
    case, created = _report(loop)
    assert created and case.status == REPORTED and case.loop == STREET_LOOP
    assert case.reference == f"AJ-{case.reported_at:%Y%m%d}-{case.id:05d}"
    assert case.department_id == loop.department.id
    assert case.next_due_at == case.reported_at + timedelta(hours=2)
    assert [(e.action, e.to_status) for e in case.events] == [("report", REPORTED)]

def test_the_whole_loop_stamps_every_clock_in_order(loop, clock):
    case, _ = _report(loop, photos=[upload(photo_bytes())])
    clock.move(minutes=30)
    _through_closed(loop, case)
    service.evaluate_case(case, loop.resident, True, "很满意")
    assert case.status == EVALUATED and case.satisfaction == "satisfied"
    stamps = [case.reported_at, case.filed_at, case.dispatched_at, case.accepted_at, case.handled_at,
              case.feedback_at, case.verified_at, case.closed_at, case.evaluated_at]
    assert all(stamps) and stamps == sorted(stamps)
    assert [e.action for e in case.events] == ["report", "file", "dispatch", "accept", "handle", "feedback",
                                               "verify", "close", "evaluate"]
    assert {p.stage for p in case.photos} == {"report", "follow_up"}
    assert case.next_due_at is None
    audited = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "case",
                                                                     AuditEvent.object_id == str(case.id))))
    assert {"case.reported", "case.file", "case.dispatch", "case.handle", "case.evaluate"} <= audited

def test_each_step_sets_the_next_deadline_from_the_categorys_clocks(loop, clock):

    case, _ = _report(loop)
    service.file_case(case, loop.community_worker)
    service.dispatch_case(case, loop.community_worker)
    assert case.next_due_at == case.dispatched_at + timedelta(hours=2)
    service.accept_case(case, loop.official)
    assert case.next_due_at == case.accepted_at + timedelta(hours=72)
    service.handle_case(case, loop.official, "已处理")
    assert case.next_due_at == case.handled_at + timedelta(hours=24)

def test_a_step_the_status_does_not_allow_is_refused_and_changes_nothing(loop):
    case, _ = _report(loop)
    events = len(case.events)
    with pytest.raises(IllegalTransition):
        service.close_case(case, loop.community_worker)
    db.session.refresh(case)
    assert case.status == REPORTED and len(case.events) == events

@pytest.mark.parametrize("status,step", [(REPORTED, "verify"), (FILED, "handle"), (DISPATCHED, "close"),
                                         (HANDLING, "evaluate"), (CLOSED, "dispatch"), (REJECTED, "file")])
def test_every_step_outside_the_table_is_a_409(loop, status, step):
    from portal.cases.steps import check_case_step

    case = make_case(loop.category, loop.grid, loop.resident, status=status)
    with pytest.raises(IllegalTransition) as refused:
        check_case_step(case, step)
    assert refused.value.status_code == 409

def test_rejecting_needs_a_reason_and_tells_the_reporter(loop):
    case, _ = _report(loop)
    with pytest.raises(ValidationFailed) as refused:
        service.reject_case(case, loop.community_worker, "  ")
    assert refused.value.field == "reason" and case.status == REPORTED
    service.reject_case(case, loop.community_worker, "与AJ-1重复")
    assert case.status == REJECTED and case.rejection_reason == "与AJ-1重复"
    assert db.session.scalar(select(Notification).where(Notification.user_id == loop.resident.id)) is not None

def test_another_departments_official_cannot_take_up_the_case(loop):
    from portal.accounts import roles
    from tests.factories.accounts import grant
    from tests.factories.places import make_place
    from tests.factories.procurement import make_department

    other_street = make_place("street", "西陵街道", loop.tree["district"])
    make_department(other_street, name="西陵街道城管科")
    stranger = UserFactory()
    grant(stranger, roles.OFFICIAL, other_street)
    case, _ = _report(loop)
    service.file_case(case, loop.community_worker)
    service.dispatch_case(case, loop.community_worker)
    with pytest.raises(service.NotAllowed):
        service.accept_case(case, stranger)
    assert case.status == DISPATCHED

def test_verifying_needs_a_follow_up_photo(loop):
    case = _through_handled(loop, _report(loop)[0])
    with pytest.raises(ValidationFailed) as refused:
        service.verify_case(case, loop.grid_worker, "看过了")
    assert refused.value.field == "photos" and case.status == HANDLED

def test_not_fixed_on_site_sends_it_back_to_the_handler(loop):
    case = _through_handled(loop, _report(loop)[0])
    service.send_back(case, loop.grid_worker, "还有一个旧沙发没搬走")
    assert case.status == HANDLING
    service.handle_case(case, loop.official, "沙发也已搬走")
    service.give_feedback(case, loop.official, "都清理了")
    assert case.status == HANDLED and case.feedback_at >= case.handled_at

def test_an_unsatisfied_reporter_reopens_the_case_once(loop):
    case = _through_closed(loop, _report(loop)[0])
    with pytest.raises(ValidationFailed):
        service.evaluate_case(case, loop.resident, False, "")  # unsatisfied must say why
    service.evaluate_case(case, loop.resident, False, "杂物又堆回来了")
    assert (case.status, case.reopened_count, case.satisfaction) == (DISPATCHED, 1, "unsatisfied")
    service.accept_case(case, loop.official)
    service.handle_case(case, loop.official, "再次清理并张贴告示")
    service.verify_case(case, loop.grid_worker, "", [upload(photo_bytes())])
    service.close_case(case, loop.community_worker)
    service.evaluate_case(case, loop.resident, False, "还是不满意")
    assert (case.status, case.reopened_count) == (EVALUATED, 1)  # the second verdict stands

def test_only_the_reporter_evaluates(loop):
    case = _through_closed(loop, _report(loop)[0])
    with pytest.raises(service.NotAllowed):
        service.evaluate_case(case, loop.community_worker, True)
    assert case.status == CLOSED

def test_a_breached_clock_escalates_to_the_district_exactly_once(loop, clock):
    case, _ = _report(loop)
    assert worker.take_due_case_steps() == {"escalated": 0}
    clock.move(hours=2, minutes=1)
    assert worker.take_due_case_steps() == {"escalated": 1}
    assert worker.take_due_case_steps() == {"escalated": 0}
    db.session.refresh(case)
    assert case.loop == DISTRICT_LOOP and case.escalated_at is not None and "UTC" in case.escalation_reason
    escalations = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                             CaseEvent.action == "escalate")).all()
    assert len(escalations) == 1 and escalations[0].actor_id is None
    assert service.is_overdue(case)

def test_escalating_by_hand_needs_a_reason_and_happens_once(loop):
    case, _ = _report(loop)
    with pytest.raises(ValidationFailed):
        service.escalate_case(case, loop.community_worker, "")
    assert service.escalate_case(case, loop.community_worker, "涉及多个部门，街道无法协调") is True
    assert service.escalate_case(case, loop.community_worker, "再次上报") is False
    assert case.loop == DISTRICT_LOOP

def test_the_clock_rows_show_a_late_step(loop, clock):
    case, _ = _report(loop)
    service.file_case(case, loop.community_worker)
    service.dispatch_case(case, loop.community_worker)
    clock.move(hours=3)
    rows = {row["key"]: row for row in service.clock_rows(case)}
    assert rows["accepted"]["at"] is None and rows["accepted"]["late"] is True
    assert rows["dispatched"]["late"] is False

def test_a_replayed_report_with_the_same_key_stores_nothing_twice(loop):
    first, created = _report(loop, idempotency_key="phone-1-abc", photos=[upload(photo_bytes())])
    again, created_again = _report(loop, idempotency_key="phone-1-abc", photos=[upload(photo_bytes())])
    assert created and not created_again and again.id == first.id
    assert _count(Case) == 1 and _count(CasePhoto) == 1

@pytest.mark.parametrize("fields,field", [
    ({"title": " "}, "title"),
    ({"title": "x" * 121}, "title"),
    ({"category_id": 999_999}, "category_id"),
    ({"category_id": "abc"}, "category_id"),
    ({"latitude": 39.9, "longitude": 116.4}, "latitude"),  # Beijing: outside the city
    ({"latitude": "abc", "longitude": 111.2}, "latitude"),
    ({"latitude": 30.7, "longitude": None}, "latitude"),
    ({"latitude": "nan", "longitude": "nan"}, "latitude"),
    ({"idempotency_key": "k" * 65}, "idempotency_key"),
])
def test_bad_report_input_names_its_field_and_stores_nothing(loop, fields, field):
    with pytest.raises(ValidationFailed) as refused:
        _report(loop, **fields)
    assert refused.value.field == field
    assert _count(Case) == 0

def test_a_place_outside_the_categorys_place_is_refused(loop):
    from tests.factories.places import make_place

    elsewhere = make_place("street", "西陵街道", loop.tree["district"])
    with pytest.raises(ValidationFailed) as refused:
        _report(loop, place_id=elsewhere.id)
    assert refused.value.field == "place_id" and _count(Case) == 0

def test_the_photos_gps_places_a_report_made_without_a_point(loop):
    case, _ = _report(loop, latitude=None, longitude=None,
                      photos=[upload(photo_bytes(latitude=30.71, longitude=111.29))])
    assert (round(case.latitude, 3), round(case.longitude, 3)) == (30.71, 111.29)

def test_likely_duplicates_are_the_open_cases_of_the_category_nearby(loop):
    near, _ = _report(loop, title="楼道堆物A", latitude=30.6979, longitude=111.2861)
    far, _ = _report(loop, title="楼道堆物B", latitude=30.7100, longitude=111.2861)  # about 1.3 km north
    other_kind = make_category(loop.tree["street"], loop.department, code="LUDENG", name="路灯损坏")
    _report(loop, title="路灯坏了", category_id=other_kind.id, latitude=30.6979, longitude=111.2861)
    found = service.likely_duplicates(loop.category.id, 30.6980, 111.2862)
    assert found == [near]
    service.reject_case(near, loop.community_worker, "重复")
    assert service.likely_duplicates(loop.category.id, 30.6980, 111.2862) == []
    assert far not in service.likely_duplicates(loop.category.id, 30.6980, 111.2862)

def test_a_case_becomes_a_resident_need_once(loop):
    case, _ = _report(loop)
    need = service.case_to_need(case, loop.community_worker)
    assert case.need_id == need.id and db.session.get(Need, need.id).place_id == loop.grid.id
    with pytest.raises(ValidationFailed):
        service.case_to_need(case, loop.community_worker)

def test_a_contractors_case_is_logged_in_the_contracts_scope_ledger(loop):
    from portal.accounts import roles
    from portal.contracts.models import ScopeRequest
    from portal.orgs.models import VERIFIED as ORG_VERIFIED
    from tests.factories.accounts import grant
    from tests.factories.contracts import make_contract
    from tests.factories.orgs import make_organisation

    admin = UserFactory()
    organisation = make_organisation(admin, loop.tree["community"], status=ORG_VERIFIED)
    grant(admin, roles.ORG_ADMIN, organisation)
    contract = make_contract(loop.department, organisation, loop.official, place=loop.tree["street"])
    category = make_category(loop.tree["street"], None, code="YANGLAO", name="老人求助", contract_id=contract.id)
    case, _ = _report(loop, category_id=category.id)
    assert case.contract_id == contract.id
    service.file_case(case, loop.community_worker)
    service.dispatch_case(case, loop.community_worker)
    service.accept_case(case, admin)  # the contractor's people handle it
    request = service.log_against_contract(case, loop.official)
    assert case.scope_request_id == request.id
    assert db.session.get(ScopeRequest, request.id).contract_line_id is None  # no line: out of scope
    with pytest.raises(ValidationFailed):
        service.log_against_contract(case, loop.official)
