"""Loaders for object_policy: the object named by the URL's ids, or None when missing or when the ids do not
belong together (a report of another contract), which answers 404."""
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.contracts.models import (
    Contract,
    ContractAmendment,
    ContractEvaluation,
    ContractPayment,
    DeliveryReport,
    Milestone,
    Sample,
)
from portal.extensions import db
from portal.procurement.models import Department


def load_contract(contract_id: int) -> Contract | None:
    return db.session.scalar(select(Contract).options(
        joinedload(Contract.department).joinedload(Department.place), joinedload(Contract.place),
        joinedload(Contract.organisation), selectinload(Contract.lines), selectinload(Contract.milestones))
        .where(Contract.id == contract_id))


def _of_contract(model, contract_id: int, object_id: int):
    row = db.session.get(model, object_id)
    return row if row is not None and row.contract_id == contract_id else None


def load_milestone(contract_id: int, milestone_id: int) -> Milestone | None:
    return _of_contract(Milestone, contract_id, milestone_id)


def load_report(contract_id: int, report_id: int) -> DeliveryReport | None:
    return _of_contract(DeliveryReport, contract_id, report_id)


def load_payment(contract_id: int, payment_id: int) -> ContractPayment | None:
    return _of_contract(ContractPayment, contract_id, payment_id)


def load_amendment(contract_id: int, amendment_id: int) -> ContractAmendment | None:
    return _of_contract(ContractAmendment, contract_id, amendment_id)


def load_evaluation(contract_id: int, evaluation_id: int) -> ContractEvaluation | None:
    return _of_contract(ContractEvaluation, contract_id, evaluation_id)


def load_sample(contract_id: int, sample_id: int) -> Sample | None:
    return _of_contract(Sample, contract_id, sample_id)


def load_award(award_id: int):
    """A current award (not cancelled) with its bid, lot and lines, for signing its contract."""
    from portal.procurement.models import Award, Bid, Lot, LotLine

    return db.session.scalar(select(Award).options(
        joinedload(Award.bid).joinedload(Bid.organisation),
        joinedload(Award.lot).selectinload(Lot.lines).joinedload(LotLine.item))
        .where(Award.id == award_id, Award.cancelled_at.is_(None)))
