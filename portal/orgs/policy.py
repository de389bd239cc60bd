"""Who may do what with organisations. Officials act on organisations whose home place is in their scope."""
from portal.accounts import roles
from portal.core.policy import (
    has_place_role,
    has_platform_role,
    has_scope_role,
    is_platform_admin,
    places_with_role,
)
from portal.orgs.models import PENDING, REJECTED, SUSPENDED, VERIFIED


def is_org_admin(user, organisation) -> bool:
    return user.is_authenticated and has_scope_role(user, roles.SCOPE_ORGANISATION, organisation.id,
                                                    roles.ORG_ADMIN)


def is_org_member(user, organisation) -> bool:
    return user.is_authenticated and has_scope_role(user, roles.SCOPE_ORGANISATION, organisation.id,
                                                    roles.ORG_ADMIN, roles.ORG_MEMBER)


def _official_over(user, organisation) -> bool:
    return user.is_authenticated and (is_platform_admin(user) or has_place_role(
        user, organisation.home_place, roles.OFFICIAL))


def can_register_organisation(user) -> bool:
    return user.is_authenticated


def can_view_organisation(user, organisation) -> bool:
    """Verified organisations are public; others only to their members and the officials over them."""
    if organisation.status == VERIFIED:
        return True
    return is_org_member(user, organisation) or _official_over(user, organisation)


def can_edit_organisation(user, organisation) -> bool:
    return organisation.status != SUSPENDED and (is_org_admin(user, organisation) or (
        user.is_authenticated and is_platform_admin(user)))


def can_view_documents(user, organisation) -> bool:
    return is_org_member(user, organisation) or _official_over(user, organisation)


def can_upload_document(user, organisation) -> bool:
    return is_org_admin(user, organisation) and organisation.status in (PENDING, REJECTED, VERIFIED)


def can_invite_member(user, organisation) -> bool:
    return is_org_admin(user, organisation) and organisation.status != SUSPENDED


def can_review_organisations(user) -> bool:
    """Sees the verification queue: officials (on any place or the platform) and platform admins."""
    if not user.is_authenticated:
        return False
    return (is_platform_admin(user) or has_platform_role(user, roles.OFFICIAL)
            or bool(places_with_role(user, roles.OFFICIAL)))


def can_verify_organisation(user, organisation) -> bool:
    return organisation.status in (PENDING, REJECTED) and _official_over(user, organisation)


def can_reject_organisation(user, organisation) -> bool:
    return organisation.status == PENDING and _official_over(user, organisation)


def can_suspend_organisation(user, organisation) -> bool:
    return organisation.status == VERIFIED and _official_over(user, organisation)


def can_reinstate_organisation(user, organisation) -> bool:
    return organisation.status == SUSPENDED and _official_over(user, organisation)
