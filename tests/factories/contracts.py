"""Contract factories: a signed contract with lines and milestones, delivery reports with service records,
built directly (the services' own rules are tested through the services)."""
import itertools
from datetime import date, timedelta

from portal.contracts.models import (
    SUBMITTED,
    Contract,
    ContractLine,
    DeliveryReport,
    Milestone,
    ReportLine,
    ServiceRecord,
)
from portal.core.time import utcnow
from portal.extensions import db

_serial = itertools.count(1)


def make_contract(department, organisation, official, place=None, lines=(("居家养老上门服务", "hour", 4000, 2000),),
                  shares=(3000, 3000, 4000), call=None, award=None, **fields) -> Contract:
    """A signed, active contract: `lines` are (name, unit, unit price in fen, quantity); `shares` are the
    milestones' payment shares in basis points (summing to 10000)."""
    value = sum(price * quantity for _name, _unit, price, quantity in lines)
    today = utcnow().date()
    contract = Contract(reference=fields.pop("reference", f"HT-{today.year}-{next(_serial):03d}"),
                        call_id=getattr(call, "id", None), award_id=getattr(award, "id", None),
                        department_id=department.id, organisation_id=organisation.id,
                        place_id=(place or department.place).id, title=fields.pop("title", "社区居家养老服务合同"),
                        original_value_minor=value, value_minor=value, starts_on=today - timedelta(days=30),
                        ends_on=today + timedelta(days=335), signed_by_id=official.id, **fields)
    db.session.add(contract)
    db.session.flush()
    for name, unit, price, quantity in lines:
        db.session.add(ContractLine(contract_id=contract.id, name=name, unit=unit, unit_price_minor=price,
                                    quantity=quantity, quality_standard="服务记录完整，回访满意率不低于90%"))
    for number, share in enumerate(shares, start=1):
        db.session.add(Milestone(contract_id=contract.id, number=number, title=f"第{number}期",
                                 due_on=today + timedelta(days=120 * number), share_bp=share))
    db.session.flush()
    db.session.refresh(contract)
    return contract


def make_report(contract, milestone, user, units_by_line: dict | None = None, status: str = SUBMITTED,
                records: int = 10, place=None) -> DeliveryReport:
    """A delivery report of `milestone` with its units per line (default: 100 of each) and `records` people
    served on the first line, in `place` (a grid) for visits."""
    today = utcnow().date()
    report = DeliveryReport(contract_id=contract.id, milestone_id=milestone.id,
                            period_start=date(today.year, 1, 1), period_end=today, narrative="按计划完成本期服务",
                            status=status, submitted_by_id=user.id)
    db.session.add(report)
    db.session.flush()
    for line in contract.lines:
        units = (units_by_line or {}).get(line.id, 100)
        db.session.add(ReportLine(report_id=report.id, contract_line_id=line.id, units=units))
    for n in range(records):
        db.session.add(ServiceRecord(report_id=report.id, contract_line_id=contract.lines[0].id,
                                     label=f"服务对象{n + 1:02d}", place_id=getattr(place, "id", None),
                                     contact_phone=f"1380000{n:04d}", served_on=today - timedelta(days=n), units=1))
    db.session.flush()
    return report
