"""What a milestone may pay: unit price x verified units x quality factor, never more than its share.

    payable units of a line = verified units x (1 - the share of sampled residents who denied the service)
    verified value          = sum over lines of unit price x payable units
    payable                 = min(verified value x factor(acceptance rating), milestone share x contract value)

Verified units are those of the milestone's *verified* delivery reports only (Akvo's "only approved actuals
count"). The residents' denial share is taken per report from its sample's answers (answered items only: a
resident who has not answered yet neither confirms nor denies). Whole-number arithmetic throughout, rounding
down, so the portal never pays a fen that the formula does not give.
"""
from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal.contracts.models import (
    APPROVED,
    DENIED,
    VERIFIED,
    ContractPayment,
    DeliveryReport,
    ReportLine,
    Sample,
    SampleItem,
)
from portal.extensions import db


@dataclass(frozen=True)
class LineValue:
    line_id: int
    unit_price_minor: int
    verified_units: int
    payable_units: int

    @property
    def value_minor(self) -> int:
        return self.unit_price_minor * self.payable_units


@dataclass(frozen=True)
class Payable:
    lines: list[LineValue] = field(default_factory=list)
    factor_per_mille: int = 0
    cap_minor: int = 0  # the milestone's share of the contract value
    paid_minor: int = 0  # already paid on this milestone

    @property
    def verified_value_minor(self) -> int:
        return sum(line.value_minor for line in self.lines)

    @property
    def payable_minor(self) -> int:
        return min(self.verified_value_minor * self.factor_per_mille // 1000, self.cap_minor)

    @property
    def remaining_minor(self) -> int:
        return max(self.payable_minor - self.paid_minor, 0)


def payable_units(verified_units: int, denied: int, answered: int) -> int:
    """Verified units lowered by the share of answering residents who said the service did not happen."""
    if answered <= 0 or denied <= 0:
        return verified_units
    return verified_units * (answered - denied) // answered


def milestone_cap(contract_value_minor: int, share_bp: int) -> int:
    return contract_value_minor * share_bp // 10000


def factor_for(contract, rating: int | None) -> int:
    """The published factor (per mille) of an acceptance rating; 0 before the milestone is accepted."""
    if rating is None:
        return 0
    return int(contract.quality_factors.get(str(rating), 0))


def _denials_by_report(report_ids: list[int]) -> dict[int, tuple[int, int]]:
    """report id -> (denied, answered) from its sample."""
    if not report_ids:
        return {}
    rows = db.session.execute(
        select(Sample.report_id, func.count(SampleItem.id).filter(SampleItem.answer == DENIED),
               func.count(SampleItem.id).filter(SampleItem.answer.is_not(None)))
        .join(SampleItem, SampleItem.sample_id == Sample.id)
        .where(Sample.report_id.in_(report_ids)).group_by(Sample.report_id)).all()
    return {report_id: (int(denied), int(answered)) for report_id, denied, answered in rows}


def milestone_payable(contract, milestone) -> Payable:
    """The payable amount of `milestone` from the database as it stands (see the module docstring)."""
    reports = list(db.session.execute(
        select(DeliveryReport.id, ReportLine.contract_line_id, ReportLine.units)
        .join(ReportLine, ReportLine.report_id == DeliveryReport.id)
        .where(DeliveryReport.milestone_id == milestone.id, DeliveryReport.status == VERIFIED)).all())
    denials = _denials_by_report(sorted({report_id for report_id, _line, _units in reports}))
    verified: dict[int, int] = {}
    payable: dict[int, int] = {}
    for report_id, line_id, units in reports:
        denied, answered = denials.get(report_id, (0, 0))
        verified[line_id] = verified.get(line_id, 0) + units
        payable[line_id] = payable.get(line_id, 0) + payable_units(units, denied, answered)
    prices = {line.id: line.unit_price_minor for line in contract.lines}
    lines = [LineValue(line_id, prices[line_id], verified[line_id], payable[line_id]) for line_id in sorted(verified)]
    paid = db.session.scalar(select(func.coalesce(func.sum(ContractPayment.amount_minor), 0)).where(
        ContractPayment.milestone_id == milestone.id, ContractPayment.status == APPROVED))
    return Payable(lines=lines, factor_per_mille=factor_for(contract, milestone.acceptance_rating),
                   cap_minor=milestone_cap(contract.value_minor, milestone.share_bp), paid_minor=int(paid))
