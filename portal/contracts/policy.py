"""Who may do what with contracts. One `can_...` per action (CONTRIBUTING.md, "A policy function").

- A contract is public: its parties, lines, milestones, amendments, payments, the verified share and the
  out-of-scope share are what residents and other bidders are entitled to see.
- The buyer's officials (officials over the department's place, as for its calls) manage it: milestones'
  acceptance, amendments, payments (requester and approver are two different officials), the final rating.
- The contractor is the organisation's admins and members: they report delivery and log scope requests; its
  admins rebut a rating.
- Community workers over the contract's place verify or return delivery reports (so do the buyer's officials).
- Grid workers record a sampled resident's answer on a visit, for records in their grid.
- Evaluators over the contract's place may give a third-party final rating.
"""
from portal.accounts import roles
from portal.accounts.scopes import has_place_role, has_scope_role, places_with_role
from portal.contracts.models import Contract
from portal.extensions import db
from portal.funds.policy import is_second_person
from portal.procurement.models import Call


def can_view_contract(user, contract) -> bool:
    return True


def is_buyer(user, contract) -> bool:
    return user.is_authenticated and has_place_role(user, contract.department.place, roles.OFFICIAL,
                                                    platform_counts=False)


can_manage_contract = is_buyer


def is_contractor(user, contract) -> bool:
    return user.is_authenticated and has_scope_role(user, roles.SCOPE_ORGANISATION, contract.organisation_id,
                                                    roles.ORG_ADMIN, roles.ORG_MEMBER)


def is_contractor_admin(user, contract) -> bool:
    return user.is_authenticated and has_scope_role(user, roles.SCOPE_ORGANISATION, contract.organisation_id,
                                                    roles.ORG_ADMIN)


def can_report_delivery(user, contract) -> bool:
    return is_contractor(user, contract)


def can_verify_reports(user, contract) -> bool:
    """A community worker over the contract's place, or the buyer's official."""
    return user.is_authenticated and (
        has_place_role(user, contract.place, roles.COMMUNITY_WORKER, platform_counts=False) or is_buyer(user, contract))


def can_log_scope_request(user, contract) -> bool:
    """The department's side (the buyer's officials) and the contractor's side both keep the scope ledger."""
    return is_buyer(user, contract) or is_contractor(user, contract)


def can_give_final_rating(user, contract) -> bool:
    """The buyer's official, or an evaluator over the contract's place as a third party."""
    return is_buyer(user, contract) or (user.is_authenticated and has_place_role(
        user, contract.place, roles.EVALUATOR, platform_counts=False))


def can_rebut(user, contract) -> bool:
    return is_contractor_admin(user, contract)


def is_grid_worker(user) -> bool:
    return user.is_authenticated and bool(places_with_role(user, roles.GRID_WORKER))


def can_record_visit(user, place) -> bool:
    """A grid worker whose grid holds the sampled record's place."""
    return user.is_authenticated and place is not None and has_place_role(user, place, roles.GRID_WORKER,
                                                                         platform_counts=False)


# --- milestones and payments (portal/contracts/payments.py) --------------------------------------------
def can_view_milestone(user, milestone) -> bool:
    """A milestone, its payable computation and its approved payments are public, like the contract."""
    return True


def can_accept_milestone(user, milestone) -> bool:
    return is_buyer(user, milestone.contract)


def can_request_payment(user, milestone) -> bool:
    return is_buyer(user, milestone.contract)


def can_decide_payment(user, payment) -> bool:
    """Another of the buyer's officials than the one who asked (funds.policy.is_second_person): the
    requester never approves their own payment. Asked by the pages, the routes and the service alike."""
    return is_buyer(user, db.session.get(Contract, payment.contract_id)) and is_second_person(
        user, payment.requested_by_id)


def can_see_payment_requests(user, contract) -> bool:
    """Requests not decided yet are the buyer's work; approved payments are public to everyone."""
    return is_buyer(user, contract)


# --- the final evaluation (portal/contracts/evaluation.py) ---------------------------------------------
can_mark_delivered = is_buyer


def can_rebut_evaluation(user, evaluation) -> bool:
    """The contractor's admins, on an evaluation of their organisation's contract."""
    return user.is_authenticated and has_scope_role(user, roles.SCOPE_ORGANISATION, evaluation.organisation_id,
                                                    roles.ORG_ADMIN)


def can_decide_amendment(user, amendment) -> bool:
    """The buyer's officials see the approve and refuse buttons; which of them may press is is_second_official."""
    return is_buyer(user, db.session.get(Contract, amendment.contract_id))


def is_second_official(user, amendment) -> bool:
    """An amendment above the set share is decided by a buyer's official other than its proposer. Asked by the
    page (to show the buttons) and the service alike."""
    return can_decide_amendment(user, amendment) and user.id != amendment.proposed_by_id


def can_sign_contract(user, award) -> bool:
    """The buyer's officials of the award's call sign its contract."""
    call = db.session.get(Call, award.call_id)
    return user.is_authenticated and has_place_role(user, call.department.place, roles.OFFICIAL,
                                                    platform_counts=False)


# --- delivery reports and resident sampling (a report names its contract: report.contract) ---------------

def can_view_delivery_report(user, report) -> bool:
    """The contractor and the verifiers: a report lists the residents served (names, phones), never public."""
    return is_contractor(user, report.contract) or can_verify_reports(user, report.contract)


def is_independent_verifier(user, contract) -> bool:
    """A verifier who is not also one of the contractor's people: nobody checks their own organisation's work."""
    return can_verify_reports(user, contract) and not is_contractor(user, contract)


def can_verify_report(user, report) -> bool:
    return is_independent_verifier(user, report.contract)


def can_resubmit_report(user, report) -> bool:
    return can_report_delivery(user, report.contract)


def can_draw_sample(user, report) -> bool:
    return is_independent_verifier(user, report.contract)


def can_view_sample(user, sample) -> bool:
    """The verifiers only: the sample page shows the residents' links, which the contractor must never hold."""
    return is_independent_verifier(user, sample.report.contract)


def can_record_visit_answer(user, item) -> bool:
    """A grid worker whose grid holds the sampled record's place."""
    return can_record_visit(user, item.record.place)


def can_view_report_evidence(user, item) -> bool:
    return can_view_delivery_report(user, item.report)
