"""The navigation each user sees: built from the same policy functions that guard the pages."""
from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l


@dataclass
class NavItem:
    label: str
    endpoint: str
    section: str = "main"  # main | manage

    @property
    def url(self) -> str:
        return url_for(self.endpoint)


def navigation_for(user) -> list[NavItem]:
    from portal.accounts.policy import can_manage_roles
    from portal.audit.policy import can_view_audit_log
    from portal.orgs.policy import can_review_organisations
    from portal.places.policy import can_manage_places

    items = [NavItem(_l("Organisations"), "orgs.directory"), NavItem(_l("Places"), "places.browse")]
    if user is None or not user.is_authenticated:
        return items
    items.append(NavItem(_l("My organisations"), "orgs.mine"))
    if can_review_organisations(user):
        items.append(NavItem(_l("Review organisations"), "orgs.review_queue", "manage"))
    if can_manage_places(user):
        items.append(NavItem(_l("Manage places"), "places.manage", "manage"))
    if can_manage_roles(user):
        items.append(NavItem(_l("Roles"), "accounts.manage_roles", "manage"))
    if can_view_audit_log(user):
        items.append(NavItem(_l("Audit log"), "audit.log", "manage"))
    return items
