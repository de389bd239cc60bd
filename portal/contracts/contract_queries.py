"""Read-only queries of the contract pages: the public list with its filters, a contract's payments and its
residents' verified share (a plain count of the sample answers; the sampling pages show the detail)."""
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.contracts.models import (
    CONFIRMED,
    CONTRACT_STATUSES,
    Contract,
    ContractPayment,
    Sample,
    SampleItem,
)
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.procurement.models import Department


def list_query(department_id: int | None = None, organisation_id: int | None = None, status: str = ""):
    statement = (select(Contract).options(joinedload(Contract.department), joinedload(Contract.organisation),
                                          joinedload(Contract.place))
                 .order_by(Contract.signed_at.desc(), Contract.id.desc()))
    if department_id:
        statement = statement.where(Contract.department_id == department_id)
    if organisation_id:
        statement = statement.where(Contract.organisation_id == organisation_id)
    if status in CONTRACT_STATUSES:
        statement = statement.where(Contract.status == status)
    return statement


def department_choices() -> list[Department]:
    """The departments that have contracts, for the list's filter."""
    return list(db.session.scalars(select(Department).where(
        Department.id.in_(select(Contract.department_id))).order_by(Department.name)))


def organisation_choices() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).where(
        Organisation.id.in_(select(Contract.organisation_id))).order_by(Organisation.name)))


def payments_of(contract) -> list[ContractPayment]:
    return list(db.session.scalars(select(ContractPayment).where(ContractPayment.contract_id == contract.id)
                                   .order_by(ContractPayment.requested_at, ContractPayment.id)))


def verified_share(contract) -> tuple[int, int]:
    """(confirmed, answered) over the answered sample items of the contract: the residents' confirmation."""
    confirmed, answered = db.session.execute(
        select(func.count(SampleItem.id).filter(SampleItem.answer == CONFIRMED),
               func.count(SampleItem.id).filter(SampleItem.answer.is_not(None)))
        .join(Sample, Sample.id == SampleItem.sample_id).where(Sample.contract_id == contract.id)).one()
    return int(confirmed), int(answered)
