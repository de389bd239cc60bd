"""Who may do what with accounts and role assignments."""
from portal.accounts.scopes import is_platform_admin


def can_manage_roles(user) -> bool:
    return user.is_authenticated and is_platform_admin(user)


def can_view_users(user) -> bool:
    return user.is_authenticated and is_platform_admin(user)
