"""Signing a contract from a confirmed award (or a direct grant's award, the same path): the parties, the term,
the deliverable lines priced from the awarded bid, the payment milestones, the published quality-factor table,
and the bid's indicators carried into the results framework as a service project of the organisation.

Unit prices (the one rounding rule, so the lines always add up to the bid price to the fen):

1. The bid price P is shared among the lot's lines in proportion to quantity x the catalogue's unit-price
   ceiling (a line's weight). Each line first gets the whole fen of its exact share (rounded down); the fen
   left over go one each to the lines with the largest dropped fractions (ties: the line listed first).
2. A line's total T over its quantity q gives the unit price p = T // q. When T is not a whole multiple of q,
   the line is written as two contract lines of the same catalogue item: r = T - p x q units at p + 1 fen and
   q - r units at p fen. Every unit price is therefore a whole fen and sum(unit price x quantity) == P.

A contract is one per award (the award is unique on contracts); the call moves CONFIRMED -> CONTRACTED when
every current award of the call has its contract.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.audit import service as audit
from portal.contracts.models import DEFAULT_QUALITY_FACTORS, Contract, ContractLine, Milestone
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.procurement import steps
from portal.procurement.bids import read_bid_content
from portal.procurement.models import CONFIRMED, CONTRACTED, Award, Call
from portal.projects.models import IN_PROGRESS, Indicator, ProjectPlace, ServiceProject

MAX_MILESTONES = 12
TITLE_MAX = 160
FULL_SHARE_BP = 10000


@dataclass
class MilestoneInput:
    """A milestone as typed: its title, due date and payment share in percent (e.g. "30" or "33.34")."""
    title: str
    due_on: date | None
    share_percent: str


# --- pricing -------------------------------------------------------------------------------------------
def apportion(total: int, weights: list[int]) -> list[int]:
    """`total` fen shared in proportion to `weights`: whole fen rounded down, the fen left over one each to the
    largest dropped fractions (ties to the earlier weight). The parts always sum to `total`."""
    whole = sum(weights)
    if whole <= 0:
        raise ValueError("weights must be positive")
    parts = [total * weight // whole for weight in weights]
    fractions = [(total * weight % whole, -index) for index, weight in enumerate(weights)]
    for _fraction, negative_index in sorted(fractions, reverse=True)[:total - sum(parts)]:
        parts[-negative_index] += 1
    return parts


def price_lines(price_minor: int, lines: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """`lines`: (quantity, unit-price ceiling) per lot line. Per line, the (quantity, unit price) rows it is
    written as (one row, or two when its total is not a whole multiple of its quantity; module docstring)."""
    totals = apportion(price_minor, [quantity * ceiling for quantity, ceiling in lines])
    priced = []
    for (quantity, _ceiling), total in zip(lines, totals, strict=True):
        unit, rest = divmod(total, quantity)
        if unit <= 0:
            raise DomainError(_("The awarded price is too low to give every unit of every line a price of at "
                                "least one fen."))
        rows = [(rest, unit + 1)] if rest else []
        if quantity - rest:
            rows.append((quantity - rest, unit))
        priced.append(rows)
    return priced


def parse_share(text, field: str) -> int:
    """A payment share typed in percent ("30", "33.34") -> basis points (3000, 3334)."""
    raw = str(text if text is not None else "").strip().rstrip("%").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationFailed(_("Type each payment share in percent, e.g. 30 or 33.34."), field=field) from None
    if not value.is_finite() or value <= 0 or value > 100:
        raise ValidationFailed(_("Each payment share is more than zero and at most 100 percent."), field=field)
    basis_points = value * 100
    if basis_points != basis_points.to_integral_value():
        raise ValidationFailed(_("A payment share has at most two decimals (e.g. 33.34)."), field=field)
    return int(basis_points)


def _clean_milestones(milestones: list[MilestoneInput], starts_on: date, ends_on: date) -> list[dict]:
    rows = [m for m in milestones if (m.title or "").strip() or m.due_on or str(m.share_percent or "").strip()]
    if not rows:
        raise ValidationFailed(_("Give at least one payment milestone."), field="milestones")
    if len(rows) > MAX_MILESTONES:
        raise ValidationFailed(_("A contract has at most %(n)d milestones.", n=MAX_MILESTONES), field="milestones")
    clean = []
    for number, row in enumerate(rows, start=1):
        title = " ".join((row.title or "").split())
        if not title:
            raise ValidationFailed(_("Milestone %(n)d needs a title.", n=number), field="milestones")
        if len(title) > TITLE_MAX:
            raise ValidationFailed(_("A milestone's title is at most %(n)d characters.", n=TITLE_MAX),
                                   field="milestones")
        if row.due_on is None:
            raise ValidationFailed(_("Milestone %(n)d needs a due date.", n=number), field="milestones")
        if not starts_on <= row.due_on <= ends_on:
            raise ValidationFailed(_("Milestone %(n)d falls due outside the contract's term.", n=number),
                                   field="milestones")
        clean.append({"number": number, "title": title, "due_on": row.due_on,
                      "share_bp": parse_share(row.share_percent, "milestones")})
    total = sum(row["share_bp"] for row in clean)
    if total != FULL_SHARE_BP:
        percent = format(Decimal(total) / 100, "g")
        raise ValidationFailed(_("The payment shares add up to %(total)s%%; they must add up to exactly 100%%.",
                                 total=percent), field="milestones")
    if [row["due_on"] for row in clean] != sorted(row["due_on"] for row in clean):
        raise ValidationFailed(_("List the milestones in the order they fall due."), field="milestones")
    return clean


# --- reading -------------------------------------------------------------------------------------------
def contract_of_award(award_id: int) -> Contract | None:
    return db.session.scalar(select(Contract).where(Contract.award_id == award_id))


def contracts_of_call(call_id: int) -> list[Contract]:
    return list(db.session.scalars(select(Contract).where(Contract.call_id == call_id).order_by(Contract.id)))


def _current_award_ids(call_id: int) -> set[int]:
    return set(db.session.scalars(select(Award.id).where(Award.call_id == call_id, Award.cancelled_at.is_(None))))


# --- signing -------------------------------------------------------------------------------------------
def _snapshot(contract: Contract) -> dict:
    return {"reference": contract.reference, "call_id": contract.call_id, "award_id": contract.award_id,
            "department_id": contract.department_id, "organisation_id": contract.organisation_id,
            "place_id": contract.place_id, "value_minor": contract.value_minor,
            "starts_on": contract.starts_on.isoformat(), "ends_on": contract.ends_on.isoformat(),
            "lines": [[line.catalogue_item_id, line.quantity, line.unit_price_minor] for line in contract.lines],
            "milestones": [[m.number, m.title, m.due_on.isoformat(), m.share_bp] for m in contract.milestones],
            "quality_factors": contract.quality_factors, "project_id": contract.project_id}


def _check_award(award: Award, call: Call) -> None:
    if award.cancelled_at is not None:
        raise IllegalTransition(_("This award was cancelled; it cannot become a contract."))
    if call.status != CONFIRMED:
        raise IllegalTransition(_("A contract is signed once the award is confirmed (the publicity period ended "
                                  "with no open objection)."))
    if contract_of_award(award.id) is not None:
        raise DomainError(_("This award already has its contract."))


def _carry_indicators(contract: Contract, call: Call, award: Award, official) -> ServiceProject:
    """The bid's proposed indicators become the results framework of a service project of the organisation,
    in progress for the contract's term."""
    content = read_bid_content(award.bid)
    project = ServiceProject(
        organisation_id=contract.organisation_id, title=contract.title[:120],
        summary=_("Delivered under contract %(ref)s with %(buyer)s.", ref=contract.reference,
                  buyer=call.department.name)[:300],
        description_md=(content.get("approach") or "")[:20000], category=call.category, service_type="care",
        delivery_model="professional_social_work", starts_on=contract.starts_on, ends_on=contract.ends_on,
        budget_minor=contract.value_minor, currency=contract.currency, funding_sources=call.department.name[:300],
        status=IN_PROGRESS, created_by_id=official.id, published_at=utcnow())
    project.places = [ProjectPlace(place_id=contract.place_id)]
    db.session.add(project)
    db.session.flush()
    for position, indicator in enumerate(content.get("indicators") or []):
        db.session.add(Indicator(project_id=project.id, position=position, name=str(indicator["name"])[:160],
                                 unit=str(indicator["unit"])[:32],
                                 baseline=Decimal(str(indicator.get("baseline") or 0)),
                                 target=Decimal(str(indicator["target"]))))
    db.session.flush()
    audit.record("project.created", "service_project", project.id, actor=official,
                 after={"contract": contract.reference, "organisation_id": project.organisation_id,
                        "status": project.status, "indicators": len(content.get("indicators") or [])})
    return project


def create_from_award(award: Award, official, starts_on: date | None, ends_on: date | None,
                      milestones: list[MilestoneInput]) -> Contract:
    """Sign the contract of a confirmed award (see the module docstring). Bad input: a clear message and
    nothing stored; a cancelled award, an unconfirmed call or a second contract for one award: 409."""
    call = db.session.scalar(select(Call).where(Call.id == award.call_id).with_for_update()
                             .execution_options(populate_existing=True))
    _check_award(award, call)
    if starts_on is None:
        raise ValidationFailed(_("Enter the first day of the contract."), field="starts_on")
    if ends_on is None:
        raise ValidationFailed(_("Enter the last day of the contract."), field="ends_on")
    if ends_on < starts_on:
        raise ValidationFailed(_("The contract cannot end before it starts."), field="ends_on")
    clean_milestones = _clean_milestones(milestones, starts_on, ends_on)
    price = award.amount_minor
    if not price or price <= 0:
        raise DomainError(_("The award has no price to contract for."))
    lot_lines = list(award.lot.lines)
    priced = price_lines(price, [(line.quantity, line.item.unit_price_ceiling_minor) for line in lot_lines])

    count = db.session.scalar(select(func.count()).select_from(Contract).where(Contract.call_id == call.id)) or 0
    title = call.title if len(call.lots) == 1 else f"{call.title} · {award.lot.title}"
    contract = Contract(reference=f"{call.reference}-C{count + 1}", call_id=call.id, award_id=award.id,
                        department_id=call.department_id, organisation_id=award.bid.organisation_id,
                        place_id=call.place_id, title=title[:160], currency=call.currency,
                        original_value_minor=price, value_minor=price, paid_minor=0,
                        quality_factors=dict(DEFAULT_QUALITY_FACTORS), starts_on=starts_on, ends_on=ends_on,
                        signed_by_id=official.id, signed_at=utcnow())
    db.session.add(contract)
    db.session.flush()
    for lot_line, rows in zip(lot_lines, priced, strict=True):
        for quantity, unit_price in rows:
            db.session.add(ContractLine(contract_id=contract.id, catalogue_item_id=lot_line.catalogue_item_id,
                                        name=lot_line.item.name, unit=lot_line.item.unit,
                                        unit_price_minor=unit_price, quantity=quantity,
                                        quality_standard=lot_line.item.quality_standard or ""))
    for row in clean_milestones:
        db.session.add(Milestone(contract_id=contract.id, **row))
    db.session.flush()
    contract.project_id = _carry_indicators(contract, call, award, official).id
    db.session.flush()
    db.session.refresh(contract)
    audit.record("contract.signed", "contract", contract.id, actor=official, after=_snapshot(contract))
    signed = set(db.session.scalars(select(Contract.award_id).where(Contract.call_id == call.id)))
    if _current_award_ids(call.id) <= signed:
        steps.move_call(call, CONTRACTED, official, "call.contracted", contracts=len(signed))
    return contract


# --- termination ---------------------------------------------------------------------------------------------
def terminate_contract(contract: Contract, actor, reason) -> Contract:
    """End an active contract early (the contractor cannot go on, or breached it), with a public reason. What was
    paid stays paid; nothing more can be reported, accepted or paid (each of those needs an active contract)."""
    from portal.contracts import steps as contract_steps
    from portal.contracts.models import TERMINATED

    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(_("Give the reason for terminating the contract: it is published."), field="reason")
    if len(text) > 2000:
        raise ValidationFailed(_("The reason is at most 2000 characters."), field="reason")
    contract_steps.move_contract(contract, TERMINATED, actor, "contract.terminated", reason=text)
    contract.termination_reason = text
    contract.closed_at = utcnow()
    db.session.flush()
    return contract
