"""What open data may read, loaded in a fixed number of queries however many calls there are.

Only public facts leave here: published calls (never a draft) with their lots, criteria and public revisions;
after the opening the number of tenderers (the call page's count; who bid and at what price is the opening
record, shown to the buyer and the bidders only: portal/procurement/policy.py, can_view_opening); the awards
(public once decided, with the winner and the opened price); the contracts, their in-force amendments,
accepted milestones and approved payments (every contract is public: portal/contracts/policy.py).

A sealed bid is never read here: no query selects `sealed_content`, and a bid's price is taken only from an
award, which exists only after the opening.
"""
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.audit.models import AuditEvent
from portal.contracts.models import APPROVED, IN_FORCE, Contract, ContractAmendment, ContractPayment
from portal.extensions import db
from portal.procurement.models import (
    CANCELLED,
    DRAFT,
    PUBLIC_STATUSES,
    PUBLISHED,
    WITHDRAWN,
    Award,
    Bid,
    Call,
    CallRevision,
    CatalogueItem,
    Department,
    Lot,
    LotLine,
)


@dataclass
class CallData:
    """One published call and every public fact open data tells about it."""
    call: Call
    revisions: list = field(default_factory=list)       # CallRevision, by number
    tenderers: int | None = None                        # organisations that bid, once opened
    awards: list = field(default_factory=list)          # Award (with bid.organisation and lot), by decision
    contracts: list = field(default_factory=list)       # Contract (lines, milestones, organisation), by signing
    amendments: dict = field(default_factory=dict)      # contract id -> [ContractAmendment in force]
    payments: dict = field(default_factory=dict)        # contract id -> [ContractPayment approved]
    items: dict = field(default_factory=dict)           # catalogue item id -> CatalogueItem (contract lines)
    cancelled_at: object = None                         # when the call was cancelled (from the audit log)


def public_call_ids_query():
    """The ids of published calls (any state after draft), oldest first: the order the packages are paged in."""
    return select(Call.id).where(Call.status.in_(PUBLIC_STATUSES)).order_by(Call.id)


def load_public_call(call_id: int) -> Call | None:
    """The loader of a call's open-data routes (a draft is no open data: 404, to its buyer too)."""
    return db.session.scalar(select(Call).where(Call.id == call_id, Call.status != DRAFT))


def count_public_calls() -> int:
    return db.session.scalar(select(func.count()).select_from(Call).where(Call.status.in_(PUBLIC_STATUSES))) or 0


def call_data(call_ids: list[int]) -> list[CallData]:
    """The public facts of `call_ids` (published calls only), in the order given. A constant number of queries."""
    if not call_ids:
        return []
    calls = list(db.session.scalars(
        select(Call).options(joinedload(Call.department).joinedload(Department.place), joinedload(Call.place),
                             selectinload(Call.lots).selectinload(Lot.lines).joinedload(LotLine.item),
                             selectinload(Call.criteria))
        .where(Call.id.in_(call_ids), Call.status.in_(PUBLIC_STATUSES))))
    by_id = {call.id: CallData(call=call) for call in calls}
    ids = sorted(by_id)
    if not ids:
        return []
    for revision in db.session.scalars(select(CallRevision).where(CallRevision.call_id.in_(ids))
                                       .order_by(CallRevision.call_id, CallRevision.number)):
        by_id[revision.call_id].revisions.append(revision)
    opened = [call.id for call in calls if call.opened_at is not None and call.status != PUBLISHED]
    if opened:
        counts = db.session.execute(select(Bid.call_id, func.count(distinct(Bid.organisation_id)))
                                    .where(Bid.call_id.in_(opened), Bid.status != WITHDRAWN)
                                    .group_by(Bid.call_id))
        for call_id in opened:
            by_id[call_id].tenderers = 0
        for call_id, count in counts:
            by_id[call_id].tenderers = count
    for award in db.session.scalars(select(Award).options(joinedload(Award.bid).joinedload(Bid.organisation),
                                                          joinedload(Award.lot))
                                    .where(Award.call_id.in_(ids)).order_by(Award.decided_at, Award.id)):
        by_id[award.call_id].awards.append(award)
    _contracts(by_id, ids)
    cancelled = [call.id for call in calls if call.status == CANCELLED]
    if cancelled:
        rows = db.session.execute(select(AuditEvent.object_id, func.max(AuditEvent.created_at))
                                  .where(AuditEvent.action == "call.cancelled", AuditEvent.object_type == "call",
                                         AuditEvent.object_id.in_([str(i) for i in cancelled]))
                                  .group_by(AuditEvent.object_id))
        for object_id, when in rows:
            by_id[int(object_id)].cancelled_at = when
    return [by_id[call_id] for call_id in call_ids if call_id in by_id]


def _contracts(by_id: dict, ids: list[int]) -> None:
    contracts = list(db.session.scalars(
        select(Contract).options(joinedload(Contract.organisation), selectinload(Contract.lines),
                                 selectinload(Contract.milestones))
        .where(Contract.call_id.in_(ids), Contract.award_id.is_not(None))
        .order_by(Contract.signed_at, Contract.id)))
    if not contracts:
        return
    contract_ids = [contract.id for contract in contracts]
    amendments, payments = defaultdict(list), defaultdict(list)
    for amendment in db.session.scalars(select(ContractAmendment).where(
            ContractAmendment.contract_id.in_(contract_ids), ContractAmendment.status == IN_FORCE)
            .order_by(ContractAmendment.contract_id, ContractAmendment.number)):
        amendments[amendment.contract_id].append(amendment)
    for payment in db.session.scalars(select(ContractPayment).where(
            ContractPayment.contract_id.in_(contract_ids), ContractPayment.status == APPROVED)
            .order_by(ContractPayment.decided_at, ContractPayment.id)):
        payments[payment.contract_id].append(payment)
    item_ids = {line.catalogue_item_id for contract in contracts for line in contract.lines
                if line.catalogue_item_id is not None}
    items = {item.id: item for item in db.session.scalars(select(CatalogueItem)
                                                          .where(CatalogueItem.id.in_(sorted(item_ids))))} \
        if item_ids else {}
    for contract in contracts:
        data = by_id[contract.call_id]
        data.contracts.append(contract)
        data.amendments[contract.id] = amendments.get(contract.id, [])
        data.payments[contract.id] = payments.get(contract.id, [])
        data.items.update({line.catalogue_item_id: items[line.catalogue_item_id] for line in contract.lines
                           if line.catalogue_item_id in items})
