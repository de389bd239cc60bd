"""Who may read the audit log."""
from portal.accounts.scopes import is_platform_admin


def can_view_audit_log(user) -> bool:
    return user.is_authenticated and is_platform_admin(user)
