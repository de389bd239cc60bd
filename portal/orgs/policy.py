"""Who may do what with organisations. Officials act on organisations whose home place is in their scope.

Scope questions (may this person act on this organisation at all) answer 404 in views when refused;
whether the organisation's status allows the step is the service's lifecycle table (409). The
`can_<action>` functions combine both, for templates deciding which buttons to show.
"""
from sqlalchemy import false, or_, select, true

from portal.accounts import roles
from portal.accounts.scopes import (
    has_place_role,
    has_platform_role,
    has_scope_role,
    is_platform_admin,
    places_with_role,
)
from portal.orgs.models import SUSPENDED, VERIFIED, Organisation


def is_org_admin(user, organisation) -> bool:
    return user.is_authenticated and has_scope_role(user, roles.SCOPE_ORGANISATION, organisation.id,
                                                    roles.ORG_ADMIN)


def is_org_member(user, organisation) -> bool:
    return user.is_authenticated and has_scope_role(user, roles.SCOPE_ORGANISATION, organisation.id,
                                                    roles.ORG_ADMIN, roles.ORG_MEMBER)


def _official_over(user, organisation) -> bool:
    return user.is_authenticated and (is_platform_admin(user) or has_place_role(
        user, organisation.home_place, roles.OFFICIAL))


# --- scope: who may act on this organisation at all ----------------------------------------------

def can_register_organisation(user) -> bool:
    return user.is_authenticated


def can_view_organisation(user, organisation) -> bool:
    """Verified organisations are public; others only to their members and the officials over them."""
    if organisation.status == VERIFIED:
        return True
    return is_org_member(user, organisation) or _official_over(user, organisation)


def can_view_internals(user, organisation) -> bool:
    """Documents, members and history: the organisation's members and the officials over it."""
    return is_org_member(user, organisation) or _official_over(user, organisation)


can_view_documents = can_view_internals
can_view_members = can_view_internals


def can_view_document(user, document) -> bool:
    return can_view_documents(user, document.organisation)


def can_manage_organisation(user, organisation) -> bool:
    """Edits details, uploads documents, invites and removes members: its administrators (and platform admins)."""
    return is_org_admin(user, organisation) or (user.is_authenticated and is_platform_admin(user))


def can_review_organisation(user, organisation) -> bool:
    """Verifies, rejects, suspends, reinstates: officials over its home place, and platform admins."""
    return _official_over(user, organisation)


def can_review_organisations(user) -> bool:
    """Sees the verification queue: officials (on any place or the platform) and platform admins."""
    if not user.is_authenticated:
        return False
    return (is_platform_admin(user) or has_platform_role(user, roles.OFFICIAL)
            or bool(places_with_role(user, roles.OFFICIAL)))


def reviewable_filter(user):
    """A where-clause limiting organisations to those `user` reviews (for the queue's scoped query)."""
    from portal.places.models import Place

    if not user.is_authenticated:
        return false()
    if is_platform_admin(user) or has_platform_role(user, roles.OFFICIAL):
        return true()
    places = places_with_role(user, roles.OFFICIAL)
    if not places:
        return false()
    inside = or_(*(Place.path.startswith(place.path, autoescape=True) for place in places))
    return Organisation.home_place_id.in_(select(Place.id).where(inside))


# --- actions as buttons: scope and status together ------------------------------------------------

def can_edit_organisation(user, organisation) -> bool:
    return organisation.status != SUSPENDED and can_manage_organisation(user, organisation)


def _step_allowed(step: str, organisation) -> bool:
    """Whether the lifecycle table lets `organisation` take `step` now (so buttons match the service)."""
    from portal.orgs.service import TRANSITIONS

    return organisation.status in TRANSITIONS[step][0]


def can_resubmit_organisation(user, organisation) -> bool:
    return _step_allowed("resubmit", organisation) and can_manage_organisation(user, organisation)


def can_upload_document(user, organisation) -> bool:
    return organisation.status != SUSPENDED and can_manage_organisation(user, organisation)


def can_invite_member(user, organisation) -> bool:
    return organisation.status != SUSPENDED and can_manage_organisation(user, organisation)


def can_remove_member(user, membership) -> bool:
    """Removes one member (`membership`: the organisation and the assignment); the last administrator stays
    (the service's 409)."""
    return can_manage_organisation(user, membership.organisation)


def can_verify_organisation(user, organisation) -> bool:
    return _step_allowed("verify", organisation) and can_review_organisation(user, organisation)


def can_reject_organisation(user, organisation) -> bool:
    return _step_allowed("reject", organisation) and can_review_organisation(user, organisation)


def can_suspend_organisation(user, organisation) -> bool:
    return _step_allowed("suspend", organisation) and can_review_organisation(user, organisation)


def can_reinstate_organisation(user, organisation) -> bool:
    return _step_allowed("reinstate", organisation) and can_review_organisation(user, organisation)
