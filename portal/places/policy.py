"""Who may do what with places. The tree itself is public; changing it is for platform administrators."""
from portal.accounts import roles
from portal.accounts.scopes import has_platform_role, is_platform_admin, places_with_role


def can_view_place(user, place) -> bool:
    return True


def can_manage_places(user) -> bool:
    return user.is_authenticated and is_platform_admin(user)


def can_edit_place(user, place) -> bool:
    return can_manage_places(user)


def can_move_place(user, place) -> bool:
    return can_manage_places(user) and place.parent_id is not None


def can_import_places(user) -> bool:
    return can_manage_places(user)


def can_see_role_holder_counts(user) -> bool:
    """How many people hold roles per place: for administrators and officials, not the public page."""
    if not user.is_authenticated:
        return False
    return (is_platform_admin(user) or has_platform_role(user, roles.OFFICIAL)
            or bool(places_with_role(user, roles.OFFICIAL)))
