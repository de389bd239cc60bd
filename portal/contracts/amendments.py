"""Amendments: a contract changes only by a recorded amendment with a written rationale (Prozorro's rule).

An amendment changes the value (a signed amount in yuan), the end date and/or line quantities; what changed is
kept in `changes` as field -> [before, after]. The running total of the amendments in force against the
original value is public on the contract page.

The second-official rule: when the value after the change would differ from the ORIGINAL value by more than
SECOND_OFFICIAL_SHARE_BP (15%) of it, counting every amendment in force (so many small steps cannot walk past
the limit), the amendment stays PROPOSED until another of the buyer's officials approves it (it is then in
force and applied) or refuses it. Otherwise it is in force at once. One proposal waits at a time.
"""
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.audit import service as audit
from portal.contracts import policy, steps
from portal.contracts.models import (
    ACTIVE,
    IN_FORCE,
    PROPOSED,
    REFUSED,
    SECOND_OFFICIAL_SHARE_BP,
    Contract,
    ContractAmendment,
)
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.money import MAX_AMOUNT_MINOR, format_yuan, parse_amount
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds.checks import lock_row

RATIONALE_MIN, RATIONALE_MAX = 5, 5000
QUANTITY_MAX = 10_000_000


def amendments_of(contract) -> list[ContractAmendment]:
    return list(db.session.scalars(select(ContractAmendment).where(ContractAmendment.contract_id == contract.id)
                                   .order_by(ContractAmendment.number)))


def running_total(contract) -> int:
    """The sum of the value changes of the amendments in force (fen, signed)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(ContractAmendment.value_change_minor), 0)).where(
        ContractAmendment.contract_id == contract.id, ContractAmendment.status == IN_FORCE)) or 0)


def share_bp(change_minor: int, original_minor: int) -> int:
    """A change as basis points of the original value, rounded toward zero."""
    return int(change_minor * 10000 / original_minor) if original_minor else 0


def needs_second_official(original_minor: int, value_after_minor: int) -> bool:
    return abs(value_after_minor - original_minor) * 10000 > SECOND_OFFICIAL_SHARE_BP * original_minor


def parse_value_change(text) -> int:
    """A signed amount in yuan ("+5000", "-1200.50", "" for none) -> fen."""
    raw = str(text if text is not None else "").strip().replace(" ", "")
    if not raw:
        return 0
    sign = -1 if raw[0] in "-−" else 1
    raw = raw[1:] if raw[0] in "+-−" else raw
    return sign * parse_amount(raw, field="value_change")


def _clean_rationale(rationale) -> str:
    text = (rationale or "").strip()
    if not text:
        raise ValidationFailed(_("Write the rationale: an amendment is recorded only with the reason for it."),
                               field="rationale")
    if len(text) < RATIONALE_MIN:
        raise ValidationFailed(_("Write the rationale in at least %(n)d characters.", n=RATIONALE_MIN),
                               field="rationale")
    if len(text) > RATIONALE_MAX:
        raise ValidationFailed(_("The rationale is at most %(n)d characters.", n=RATIONALE_MAX), field="rationale")
    return text


def _changes(contract: Contract, value_change_minor: int, ends_on: date | None,
             quantities: dict[int, int | None]) -> dict:
    changes = {}
    if value_change_minor:
        after = contract.value_minor + value_change_minor
        if after <= 0:
            raise ValidationFailed(_("The contract's value cannot fall to zero or below."), field="value_change")
        if after < contract.paid_minor:
            paid = format_yuan(contract.paid_minor)
            raise ValidationFailed(_("The contract's value cannot fall below what is already paid (%(paid)s yuan).",
                                     paid=paid), field="value_change")
        if after > MAX_AMOUNT_MINOR:
            raise ValidationFailed(_("The contract's value would be too large."), field="value_change")
        changes["value_minor"] = [contract.value_minor, after]
    if ends_on is not None and ends_on != contract.ends_on:
        if ends_on < contract.starts_on:
            raise ValidationFailed(_("The contract cannot end before it starts."), field="ends_on")
        changes["ends_on"] = [contract.ends_on.isoformat(), ends_on.isoformat()]
    lines = {line.id: line for line in contract.lines}
    for line_id, quantity in sorted(quantities.items()):
        if quantity is None:
            continue
        line = lines.get(line_id)
        if line is None:
            raise ValidationFailed(_("A changed line is not a line of this contract."), field="lines")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 < quantity <= QUANTITY_MAX:
            raise ValidationFailed(_("A line's quantity is a whole number from 1 to %(max)d.", max=QUANTITY_MAX),
                                   field="lines")
        if quantity != line.quantity:
            changes[f"line_{line_id}_quantity"] = [line.quantity, quantity]
    if not changes:
        raise ValidationFailed(_("Change the value, the end date or a line's quantity: this amendment changes "
                                 "nothing."))
    return changes


def _apply(contract: Contract, amendment: ContractAmendment) -> None:
    """Put an amendment's changes into the contract (the contract's row is locked by the caller)."""
    changes = amendment.changes
    if "value_minor" in changes:
        after = contract.value_minor + amendment.value_change_minor
        if after < contract.paid_minor or after <= 0:
            raise DomainError(_("The contract's value cannot fall below what is already paid."))
        contract.value_minor = after
    if "ends_on" in changes:
        contract.ends_on = date.fromisoformat(changes["ends_on"][1])
    lines = {line.id: line for line in contract.lines}
    for key, (_before, after) in changes.items():
        if key.startswith("line_") and key.endswith("_quantity"):
            lines[int(key.split("_")[1])].quantity = after


def propose(contract: Contract, actor, rationale, value_change_minor: int = 0, ends_on: date | None = None,
            quantities: dict[int, int | None] | None = None) -> ContractAmendment:
    """Record an amendment of an active contract. In force at once, or PROPOSED when it needs a second official
    (module docstring)."""
    contract = lock_row(Contract, contract.id)
    if contract.status != ACTIVE:
        raise IllegalTransition(_("Only an active contract is amended."))
    text = _clean_rationale(rationale)
    waiting = db.session.scalar(select(func.count()).select_from(ContractAmendment).where(
        ContractAmendment.contract_id == contract.id, ContractAmendment.status == PROPOSED))
    if waiting:
        raise DomainError(_("An amendment awaits a second official; approve or refuse it first."))
    changes = _changes(contract, value_change_minor, ends_on, quantities or {})
    number = (db.session.scalar(select(func.max(ContractAmendment.number)).where(
        ContractAmendment.contract_id == contract.id)) or 0) + 1
    second = needs_second_official(contract.original_value_minor, contract.value_minor + value_change_minor)
    amendment = ContractAmendment(contract_id=contract.id, number=number, rationale=text,
                                  value_change_minor=value_change_minor, changes=changes,
                                  status=PROPOSED if second else IN_FORCE, proposed_by_id=actor.id,
                                  proposed_at=utcnow())
    db.session.add(amendment)
    if not second:
        _apply(contract, amendment)
    db.session.flush()
    audit.record("contract.amendment_proposed" if second else "contract.amended", "contract", contract.id,
                 actor=actor, after={"amendment": number, "status": amendment.status, "rationale": text,
                                     "value_change_minor": value_change_minor, "changes": changes})
    return amendment


def _check_second(amendment: ContractAmendment, actor) -> Contract:
    contract = lock_row(Contract, amendment.contract_id)
    db.session.refresh(amendment)
    if not policy.is_second_official(actor, amendment):
        raise DomainError(_("A second official decides this amendment: whoever proposed it cannot approve or "
                            "refuse it."))
    return contract


def approve(amendment: ContractAmendment, actor) -> ContractAmendment:
    """A second official approves a proposed amendment: it is in force and the contract changes."""
    contract = _check_second(amendment, actor)
    if contract.status != ACTIVE and amendment.status == PROPOSED:
        raise IllegalTransition(_("Only an active contract is amended."))
    steps.move_amendment(amendment, IN_FORCE)
    _apply(contract, amendment)
    amendment.approved_by_id, amendment.approved_at = actor.id, utcnow()
    db.session.flush()
    audit.record("contract.amendment_approved", "contract", contract.id, actor=actor,
                 before={"amendment": amendment.number, "status": PROPOSED},
                 after={"amendment": amendment.number, "status": IN_FORCE, "changes": amendment.changes})
    return amendment


def refuse(amendment: ContractAmendment, actor) -> ContractAmendment:
    """A second official refuses a proposed amendment; the contract is unchanged (the rationale stays shown)."""
    _check_second(amendment, actor)
    steps.move_amendment(amendment, REFUSED)
    amendment.approved_by_id, amendment.approved_at = actor.id, utcnow()
    db.session.flush()
    audit.record("contract.amendment_refused", "contract", amendment.contract_id, actor=actor,
                 before={"amendment": amendment.number, "status": PROPOSED},
                 after={"amendment": amendment.number, "status": REFUSED})
    return amendment

