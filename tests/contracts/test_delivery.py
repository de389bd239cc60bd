"""Delivery reports through the service: what a report must meet (bad input: a message, nothing stored), and
the verify / return / resubmit steps."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.contracts import delivery
from portal.contracts.models import (
    RETURNED,
    SUBMITTED,
    TERMINATED,
    VERIFIED,
    DeliveryEvidence,
    DeliveryReport,
    ServiceRecord,
)
from portal.core.csv_import import ImportRejected
from portal.core.errors import IllegalTransition, ValidationFailed
from portal.extensions import db
from portal.notifications.models import Notification
from tests.contracts.delivery_world import pdf_file, png_as_pdf, record_rows, report_input, world_fixture  # noqa: F401


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _nothing_stored():
    assert (_count(DeliveryReport), _count(ServiceRecord), _count(DeliveryEvidence)) == (0, 0, 0)


def _report(world, **kwargs):
    return delivery.report_delivery(world.contract, world.milestone, world.contractor, report_input(world, **kwargs))


def test_a_report_stores_units_records_and_evidence(world):
    report = _report(world, files=(pdf_file(),))
    assert report.status == SUBMITTED
    assert {line.contract_line_id: line.units for line in report.lines} == {world.contract.lines[0].id: 10,
                                                                            world.contract.lines[1].id: 0}
    assert [r.place_id for r in report.records] == [world.tree["grid"].id] * 3
    assert [e.content_type for e in report.evidence] == ["application/pdf"]


def test_the_report_is_audited_and_the_community_worker_told(world):
    report = _report(world)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delivery.reported"))
    assert event.after["report_id"] == report.id
    assert db.session.scalar(select(Notification.user_id).where(Notification.kind == "delivery_report")) == \
        world.worker.id


def test_negative_units_are_refused_and_nothing_stored(world):
    with pytest.raises(ValidationFailed, match="whole number, 0 or more"):
        _report(world, units={world.contract.lines[0].id: "-3"})
    _nothing_stored()


def test_all_zero_units_are_refused(world):
    with pytest.raises(ValidationFailed, match="at least one unit"):
        _report(world, units={line.id: "0" for line in world.contract.lines})
    _nothing_stored()


def test_units_above_the_remaining_quantity_are_refused(world):
    first = world.contract.lines[0]  # 200 hours contracted
    _report(world, units={first.id: "150"})
    with pytest.raises(ValidationFailed, match="has 50 hour left to report of 200 contracted; 60 is too many"):
        _report(world, units={first.id: "60"})
    assert _count(DeliveryReport) == 1


def test_a_returned_report_holds_no_units(world):
    first = world.contract.lines[0]
    report = _report(world, units={first.id: "150"})
    delivery.return_report(report, world.worker, "签到表缺失")
    assert delivery.remaining_quantity(world.contract)[first.id] == 200


def test_a_period_outside_the_term_is_refused_and_nothing_stored(world):
    before_term = world.contract.starts_on - timedelta(days=1)
    with pytest.raises(ValidationFailed, match="within the contract's term"):
        _report(world, period_start=before_term)
    _nothing_stored()


def test_a_period_ending_before_it_starts_is_refused(world):
    start = world.contract.starts_on + timedelta(days=2)
    with pytest.raises(ValidationFailed, match="cannot end before it starts"):
        _report(world, period_start=start, period_end=start - timedelta(days=1))
    _nothing_stored()


def test_a_disguised_evidence_file_is_refused_and_nothing_stored(world):
    with pytest.raises(ValidationFailed, match="named .pdf but its content is a PNG"):
        _report(world, files=(pdf_file(), png_as_pdf()))
    _nothing_stored()


def test_a_csv_with_a_bad_line_is_refused_with_its_line_number_and_nothing_stored(world):
    start = world.contract.starts_on.isoformat()
    csv_text = ("line,kind,label,grid_code,phone,served_on,units\n"
                f"1,person,王阿姨,,13800000001,{start},1\n"
                f"1,person,李叔叔,,13800000002,not-a-date,1\n")
    with pytest.raises(ImportRejected) as raised:
        _report(world, records=[], records_csv=csv_text.encode())
    assert [(e.line, e.column) for e in raised.value.errors] == [(3, "served_on")]
    _nothing_stored()


def test_csv_records_are_stored_with_typed_rows(world):
    start = world.contract.starts_on.isoformat()
    csv_text = f"line,label,served_on,grid_code\n2,4月健康讲座,{start},{world.tree['grid2'].code}\n"
    report = _report(world, units={world.contract.lines[0].id: "3", world.contract.lines[1].id: "1"},
                     records_csv=csv_text.encode("utf-8-sig"))
    assert sorted(r.label for r in report.records) == ["4月健康讲座", "王阿姨0", "王阿姨1", "王阿姨2"]


def test_records_covering_more_units_than_reported_are_refused(world):
    with pytest.raises(ValidationFailed, match="cover 3 units, more than the 2 reported"):
        _report(world, units={world.contract.lines[0].id: "2"})
    _nothing_stored()


def test_a_grid_outside_the_contract_place_is_refused(world):
    from tests.factories.places import make_place

    elsewhere = make_place("grid", "别处网格", make_place("community", "别处社区", world.tree["street"]))
    rows = record_rows(world, count=1)
    rows[0]["grid_code"] = elsewhere.code
    with pytest.raises(ImportRejected) as raised:
        _report(world, records=rows)
    assert [(e.line, e.column) for e in raised.value.errors] == [(1, "grid_code")]
    _nothing_stored()


def test_a_report_needs_records(world):
    with pytest.raises(ValidationFailed, match="Add the people served"):
        _report(world, records=[])
    _nothing_stored()


def test_delivery_on_a_terminated_contract_is_illegal(world):
    world.contract.status = TERMINATED
    with pytest.raises(IllegalTransition):
        _report(world)
    _nothing_stored()


def test_returning_needs_a_reason(world):
    report = _report(world)
    with pytest.raises(ValidationFailed, match="Say what is missing"):
        delivery.return_report(report, world.worker, "  ")
    assert report.status == SUBMITTED


def test_a_returned_report_is_corrected_and_sent_again(world):
    report = _report(world)
    delivery.return_report(report, world.worker, "人数与签到表不符")
    assert db.session.scalar(select(Notification.user_id).where(Notification.kind == "delivery_report",
                                                                 Notification.body == "人数与签到表不符")) == \
        world.contractor.id
    delivery.resubmit_report(report, world.contractor, report_input(
        world, units={world.contract.lines[0].id: "2"}, records=record_rows(world, count=2)))
    assert (report.status, report.return_reason, len(report.records)) == (SUBMITTED, None, 2)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "delivery.resubmitted")) == 1


def test_a_verified_report_never_changes(world):
    report = _report(world)
    delivery.verify_report(report, world.official)
    with pytest.raises(IllegalTransition, match="verified and never changes"):
        delivery.resubmit_report(report, world.contractor, report_input(world, units={world.contract.lines[0].id: "1"},
                                                                        records=record_rows(world, count=1)))
    assert (report.status, [line.units for line in report.lines]) == (VERIFIED, [10, 0])


def test_verifying_twice_is_illegal(world):
    report = _report(world)
    delivery.verify_report(report, world.worker)
    with pytest.raises(IllegalTransition):
        delivery.return_report(report, world.worker, "太晚了")
    assert report.status == VERIFIED


def test_a_submitted_report_cannot_be_resubmitted(world):
    report = _report(world)
    with pytest.raises(IllegalTransition):
        delivery.resubmit_report(report, world.contractor, report_input(world))
    assert report.status == SUBMITTED and report.status != RETURNED


def test_a_sampled_report_keeps_its_records_when_sent_again(world):
    from portal.contracts import sampling

    report = _report(world, records=record_rows(world, count=6))
    sampling.draw_sample(report, world.worker)
    delivery.return_report(report, world.worker, "数量有误")
    with pytest.raises(ValidationFailed, match="records cannot change"):
        delivery.resubmit_report(report, world.contractor, report_input(world, records=record_rows(world, count=1)))
    assert (report.status, len(report.records)) == (RETURNED, 6)
    delivery.resubmit_report(report, world.contractor, report_input(world, units={world.contract.lines[0].id: "8"},
                                                                    records=[]))
    assert (report.status, len(report.records), report.lines[0].units) == (SUBMITTED, 6, 8)


def test_a_label_with_control_characters_is_refused(world):
    rows = record_rows(world, count=1)
    rows[0]["label"] = "王阿姨\x00"
    with pytest.raises(ImportRejected) as raised:
        _report(world, records=rows)
    assert [(e.line, e.column) for e in raised.value.errors] == [(1, "label")]
    _nothing_stored()


def test_kept_records_must_fit_the_corrected_units(world):
    report = _report(world, records=record_rows(world, count=3))
    delivery.return_report(report, world.worker, "数量有误")
    with pytest.raises(ValidationFailed, match="cover 3 units, more than the 2 reported"):
        delivery.resubmit_report(report, world.contractor, report_input(world, units={world.contract.lines[0].id: "2"},
                                                                        records=[]))
    assert report.status == RETURNED
