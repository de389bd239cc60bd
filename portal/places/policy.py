"""Who may do what with places."""
from portal.core.policy import is_platform_admin


def can_manage_places(user) -> bool:
    return user.is_authenticated and is_platform_admin(user)
