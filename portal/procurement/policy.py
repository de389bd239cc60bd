"""Who may do what in purchase of services. One `can_...` per action (CONTRIBUTING.md, "A policy function").

- Buyers are officials: an official whose place scope covers a department's place manages its catalogue,
  its qualified-organisation list and its calls. The platform administrator is not a buyer.
- Bidders are the admins of organisations (whether the organisation is verified, qualified and not
  suspended is the service's clear message, not a 404).
- Evaluators are named to a call's panel by its buyer, from the people holding the evaluator role on a place
  covering the call's place.
- Residents see every published call and vote in a contest's roadshow.

Sealed bids: no function here ever grants reading a bid's content before the opening; that rule is
enforced by the bids service itself (portal/procurement/bids.py), whoever asks.
"""
from sqlalchemy import select

from portal.accounts import roles
from portal.accounts.models import RoleAssignment, User
from portal.accounts.scopes import assignments_of, has_place_role, places_with_role
from portal.extensions import db
from portal.procurement.models import DISQUALIFIED, DRAFT, VALID, Bid, Call, PanelMember


# --- buyers --------------------------------------------------------------------------------------------
def is_buyer_official(user) -> bool:
    """An official anywhere: may open the workbench and draft calls for the departments in their scope."""
    return user.is_authenticated and bool(places_with_role(user, roles.OFFICIAL))


def can_manage_department(user, department) -> bool:
    return user.is_authenticated and has_place_role(user, department.place, roles.OFFICIAL,
                                                    platform_counts=False)


def can_manage_call(user, call) -> bool:
    """The buyer's officials: draft, publish, amend, answer questions, open the panel, award, answer objections."""
    return user.is_authenticated and has_place_role(user, call.department.place, roles.OFFICIAL,
                                                    platform_counts=False)


def can_answer_question(user, question) -> bool:
    """The buyer's officials of the question's call."""
    return can_manage_call(user, db.session.get(Call, question.call_id))


def can_record_qualification(user, place) -> bool:
    return user.is_authenticated and has_place_role(user, place, roles.OFFICIAL, platform_counts=False)


# --- everyone ------------------------------------------------------------------------------------------
def can_view_call(user, call) -> bool:
    """A published call (in any later state) is public; a draft only to its buyer."""
    return call.status != DRAFT or can_manage_call(user, call)


def can_ask_question(user, call) -> bool:
    """Anyone signed in may ask; whether questions are still taken is the service's 409."""
    return user.is_authenticated and can_view_call(user, call)


def can_vote_in_roadshow(user, call) -> bool:
    return user.is_authenticated and can_view_call(user, call)


# --- bidders -------------------------------------------------------------------------------------------
def organisation_ids_administered(user) -> set[int]:
    return {a.scope_id for a in assignments_of(user)
            if a.role == roles.ORG_ADMIN and a.scope_type == roles.SCOPE_ORGANISATION}


def is_bidder_admin(user) -> bool:
    """The admin of at least one organisation: may open "my bids" and the bid form."""
    return user.is_authenticated and bool(organisation_ids_administered(user))


def can_bid(user, call) -> bool:
    return is_bidder_admin(user) and can_view_call(user, call)


def can_manage_bid(user, bid) -> bool:
    """The bidding organisation's admins (replace, withdraw, receipts, explanations, objections)."""
    return user.is_authenticated and bid.organisation_id in organisation_ids_administered(user)


def is_bidder_on(user, call) -> bool:
    """The admin of an organisation that bid for `call` (in any status, withdrawn included)."""
    organisation_ids = organisation_ids_administered(user) if user.is_authenticated else set()
    if not organisation_ids:
        return False
    found = db.session.scalar(select(Bid.id).where(Bid.call_id == call.id,
                                                   Bid.organisation_id.in_(sorted(organisation_ids))).limit(1))
    return found is not None


def can_view_opening(user, call) -> bool:
    """The opening record (bidders, prices, receipt hashes) is published to the call's buyer and its bidders;
    whether the call has been opened yet is the service's 409."""
    return user.is_authenticated and (can_manage_call(user, call) or is_bidder_on(user, call))


def can_explain_low_price(user, review) -> bool:
    """The flagged bidder's admins explain an abnormally low price."""
    return can_manage_bid(user, review.bid)


def can_decide_low_price(user, review) -> bool:
    """The call's buyer accepts or rejects an abnormally low price."""
    return user.is_authenticated and can_manage_call(user, review.bid.call)


# --- evaluators ----------------------------------------------------------------------------------------
def is_evaluator(user) -> bool:
    return user.is_authenticated and bool(places_with_role(user, roles.EVALUATOR))


def may_be_named_evaluator(user, call) -> bool:
    return has_place_role(user, call.place, roles.EVALUATOR, platform_counts=False)


def is_panel_member(user, call) -> bool:
    if not user.is_authenticated:
        return False
    return db.session.get(PanelMember, (call.id, user.id)) is not None


def can_evaluate(user, call) -> bool:
    return is_panel_member(user, call)


def evaluator_candidates(call) -> list:
    """Users holding the evaluator role on the call's place or a place above it."""
    place_ids = call.place.ancestor_ids
    rows = db.session.scalars(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
                              .where(RoleAssignment.role == roles.EVALUATOR,
                                     RoleAssignment.scope_type == roles.SCOPE_PLACE,
                                     RoleAssignment.scope_id.in_(place_ids))
                              .order_by(User.id).distinct())
    return list(rows)


# --- catalogue and qualified list (portal/procurement/catalogue.py) -----------------------------------
def can_manage_catalogue_item(user, item) -> bool:
    """Edit a catalogue line: the officials of its department's place."""
    return can_manage_department(user, item.department)


def can_revoke_qualification(user, qualification) -> bool:
    """Revoke an entry of the qualified list: the officials of the place it was recorded on (or above)."""
    return can_record_qualification(user, qualification.place)


def can_evaluate_bid(user, bid) -> bool:
    """A panel member of the bid's call; recusal and the call's state are the evaluation service's 409."""
    return is_panel_member(user, bid.call)


def can_view_ranking(user, call) -> bool:
    """The buyer, and the panel (blind until all have submitted: the service's 409)."""
    return can_manage_call(user, call) or is_panel_member(user, call)


# --- bidders after the award ----------------------------------------------------------------------------
def bidding_organisation_ids(user, call) -> set[int]:
    """The user's organisations with an opened bid (valid or disqualified) in the call."""
    mine = organisation_ids_administered(user) if user.is_authenticated else set()
    if not mine:
        return set()
    return set(db.session.scalars(select(Bid.organisation_id).where(
        Bid.call_id == call.id, Bid.organisation_id.in_(mine), Bid.status.in_((VALID, DISQUALIFIED)))))


def can_object(user, call) -> bool:
    """An admin of a bidding organisation (whether the publicity period is on is the service's 409)."""
    return bool(bidding_organisation_ids(user, call))


def can_see_own_scores(user, call) -> bool:
    return bool(bidding_organisation_ids(user, call))


def can_view_objection(user, objection) -> bool:
    """The objecting organisation's admins and the call's buyer."""
    if not user.is_authenticated:
        return False
    if objection.organisation_id in organisation_ids_administered(user):
        return True
    return can_manage_call(user, db.session.get(Call, objection.call_id))


def can_answer_objection(user, objection) -> bool:
    return can_manage_call(user, db.session.get(Call, objection.call_id))


def can_read_bid_file(user, bid_file) -> bool:
    """After the opening (the service's 409 before): the bidder's admins, the buyer, the call's panel (an
    evaluator recused from the bidder is refused by the service)."""
    bid = bid_file.bid
    return can_manage_bid(user, bid) or can_manage_call(user, bid.call) or is_panel_member(user, bid.call)
