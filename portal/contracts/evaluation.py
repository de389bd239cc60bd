"""The final evaluation (CPARS's rated areas with required narratives and a rebuttal window): once the delivery
is complete (every milestone paid, or the buyer marks it delivered: active -> completed), the buyer's official
and optionally a third-party evaluator over the place rate five areas 1-5, each with a narrative. The
organisation's admins may rebut within REBUTTAL_DAYS; after `rebuttal_until` the evaluation is final (a timed
step, taken exactly once by the worker or the page, whichever comes first) and enters the organisation's
performance record, which answers procurement's past-performance criterion. When every evaluation of a
contract is final, the contract closes (completed -> closed).
"""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, select, update

from portal.audit import service as audit
from portal.contracts import policy, steps
from portal.contracts.models import (
    AREA_LABELS,
    CLOSED,
    COMPLETED,
    CONTRACT_STATUSES,
    OFFICIAL_EVALUATOR,
    RATED_AREAS,
    THIRD_PARTY,
    Contract,
    ContractEvaluation,
)
from portal.core.errors import DomainError, ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds.checks import block_text
from portal.procurement import hooks as procurement_hooks

REBUTTAL_DAYS = 14


def is_final(evaluation: ContractEvaluation) -> bool:
    return evaluation.final_at is not None


def in_rebuttal_window(evaluation: ContractEvaluation, now=None) -> bool:
    return evaluation.final_at is None and (now or utcnow()) < evaluation.rebuttal_until


# --- delivery complete -------------------------------------------------------------------------------------
def mark_delivered(contract: Contract, actor) -> Contract:
    """active -> completed by the buyer (delivery complete before every milestone is paid)."""
    if not policy.can_mark_delivered(actor, contract):
        raise DomainError(_("Only the buyer's officials mark a contract delivered."), code="forbidden")
    steps.move_contract(contract, COMPLETED, actor, "contract.completed", reason="marked delivered")
    contract.completed_at = utcnow()
    db.session.flush()
    return contract


# --- rating ------------------------------------------------------------------------------------------------
def _checked_ratings(ratings: dict) -> dict:
    """area -> {"rating": 1-5, "narrative": text}; every area rated, every rating with its narrative."""
    checked = {}
    for area in RATED_AREAS:
        given = ratings.get(area) or {}
        rating = given.get("rating")
        if isinstance(rating, bool) or rating not in (1, 2, 3, 4, 5):
            raise ValidationFailed(_("Rate %(area)s from 1 to 5.", area=AREA_LABELS[area]), field=f"{area}_rating")
        narrative = block_text(given.get("narrative"), f"{area}_narrative",
                               _("Explain the rating of %(area)s: a rating needs its narrative.",
                                 area=AREA_LABELS[area]), 4000)
        checked[area] = {"rating": rating, "narrative": narrative}
    return checked


def submit_evaluation(contract: Contract, evaluator, ratings: dict) -> ContractEvaluation:
    """The final rating of one evaluator (the buyer's official, or a third party over the place), once."""
    if not policy.can_give_final_rating(evaluator, contract):
        raise DomainError(_("Only the buyer's officials and the place's evaluators rate a contract."),
                          code="forbidden")
    checked = _checked_ratings(ratings)
    if contract.status != COMPLETED:
        raise DomainError(_("A contract is rated once its delivery is complete (now: %(status)s).",
                            status=CONTRACT_STATUSES.get(contract.status, contract.status)), code="illegal_step")
    if db.session.scalar(select(exists().where(ContractEvaluation.contract_id == contract.id,
                                               ContractEvaluation.evaluator_id == evaluator.id))):
        raise DomainError(_("You have rated this contract already."), code="already_rated")
    now = utcnow()
    overall = sum(item["rating"] for item in checked.values()) / len(RATED_AREAS)
    evaluation = ContractEvaluation(
        contract_id=contract.id, organisation_id=contract.organisation_id, evaluator_id=evaluator.id,
        evaluator_role=OFFICIAL_EVALUATOR if policy.is_buyer(evaluator, contract) else THIRD_PARTY,
        ratings=checked, overall=overall, submitted_at=now, rebuttal_until=now + timedelta(days=REBUTTAL_DAYS))
    db.session.add(evaluation)
    db.session.flush()
    audit.record("contract_evaluation.submitted", "contract_evaluation", evaluation.id, actor=evaluator,
                 after={"contract_id": contract.id, "role": evaluation.evaluator_role, "overall": overall,
                        "ratings": {area: item["rating"] for area, item in checked.items()},
                        "rebuttal_until": evaluation.rebuttal_until.isoformat()})
    return evaluation


def rebut(evaluation: ContractEvaluation, actor, text: str) -> ContractEvaluation:
    """The organisation's answer, once, within the window; it stays beside the rating in the record."""
    if not policy.can_rebut_evaluation(actor, evaluation):
        raise DomainError(_("Only the organisation's admins rebut its rating."), code="forbidden")
    text = block_text(text, "rebuttal", _("Write the organisation's rebuttal."), 4000)
    if evaluation.rebuttal is not None:
        raise DomainError(_("The organisation has rebutted this rating already."), code="already_rebutted")
    if not in_rebuttal_window(evaluation):
        raise DomainError(_("The rebuttal window of this rating has closed; the rating is final."),
                          code="window_closed")
    evaluation.rebuttal = text
    evaluation.rebutted_at = utcnow()
    db.session.flush()
    audit.record("contract_evaluation.rebutted", "contract_evaluation", evaluation.id, actor=actor,
                 after={"contract_id": evaluation.contract_id, "rebuttal": text})
    return evaluation


# --- the timed step ----------------------------------------------------------------------------------------
def claim_final(evaluation_id: int, now) -> bool:
    """The one conditional UPDATE that only the first worker or request wins (procurement steps.claim_step)."""
    result = db.session.execute(
        update(ContractEvaluation).where(ContractEvaluation.id == evaluation_id,
                                         ContractEvaluation.final_at.is_(None),
                                         ContractEvaluation.rebuttal_until <= now)
        .values(final_at=now).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _close_if_all_final(contract_id: int, now) -> bool:
    """completed -> closed when the contract has evaluations and all are final, exactly once."""
    pending = exists().where(ContractEvaluation.contract_id == contract_id, ContractEvaluation.final_at.is_(None))
    rated = exists().where(ContractEvaluation.contract_id == contract_id)
    result = db.session.execute(
        update(Contract).where(Contract.id == contract_id, Contract.status == COMPLETED, rated, ~pending)
        .values(status=CLOSED, closed_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    audit.record("contract.closed", "contract", contract_id, actor=audit.SYSTEM, before={"status": COMPLETED},
                 after={"status": CLOSED, "reason": "all final evaluations final"})
    return True


def finalise_due_evaluations(contract_id: int | None = None, organisation_id: int | None = None) -> dict:
    """Make final every evaluation whose rebuttal window has ended (of one contract, one organisation, or all),
    and close the contracts whose evaluations are all final. Returns {"finalised": [ids], "closed": [ids]}."""
    now = utcnow()
    due = select(ContractEvaluation.id, ContractEvaluation.contract_id).where(
        ContractEvaluation.final_at.is_(None), ContractEvaluation.rebuttal_until <= now)
    if contract_id is not None:
        due = due.where(ContractEvaluation.contract_id == contract_id)
    if organisation_id is not None:
        due = due.where(ContractEvaluation.organisation_id == organisation_id)
    finalised = []
    for evaluation_id, of_contract in db.session.execute(due.order_by(ContractEvaluation.id)).all():
        if claim_final(evaluation_id, now):
            finalised.append(evaluation_id)
            audit.record("contract_evaluation.finalised", "contract_evaluation", evaluation_id, actor=audit.SYSTEM,
                         after={"contract_id": of_contract, "final_at": now.isoformat()})
    # every completed contract whose evaluations are all final (also those another worker finalised)
    candidates = select(Contract.id).where(Contract.status == COMPLETED, exists().where(
        ContractEvaluation.contract_id == Contract.id), ~exists().where(
        and_(ContractEvaluation.contract_id == Contract.id, ContractEvaluation.final_at.is_(None))))
    if contract_id is not None:
        candidates = candidates.where(Contract.id == contract_id)
    if organisation_id is not None:
        candidates = candidates.where(Contract.organisation_id == organisation_id)
    closed = [cid for cid in db.session.scalars(candidates.order_by(Contract.id)).all()
              if _close_if_all_final(cid, now)]
    if finalised or closed:
        db.session.expire_all()
    return {"finalised": finalised, "closed": closed}


def apply_due_steps(contract: Contract) -> None:
    """On read: the contract's page takes the due step itself when the worker has not yet."""
    if contract.status == COMPLETED:
        finalise_due_evaluations(contract.id)


# --- reading -----------------------------------------------------------------------------------------------
def evaluations_of(contract: Contract) -> list[ContractEvaluation]:
    return list(db.session.scalars(select(ContractEvaluation).where(ContractEvaluation.contract_id == contract.id)
                                   .order_by(ContractEvaluation.submitted_at, ContractEvaluation.id)))


def final_mean(organisation_id: int) -> float | None:
    """The mean overall rating (1-5) of the organisation's final evaluations, or None."""
    mean = db.session.scalar(select(func.avg(ContractEvaluation.overall)).where(
        ContractEvaluation.organisation_id == organisation_id, ContractEvaluation.final_at.is_not(None)))
    return None if mean is None else float(mean)


def rating_to_share(mean: float | None) -> float | None:
    """1..5 -> 0..1 (None stays None: no record, the criterion scores neutral)."""
    return None if mean is None else (mean - 1) / 4


@procurement_hooks.past_performance.register
def past_performance(organisation) -> float | None:
    """The organisation's final evaluations, for the past-performance criterion of its next bids."""
    return rating_to_share(final_mean(organisation.id))
