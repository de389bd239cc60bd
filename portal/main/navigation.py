"""The navigation each user sees: built from the same policy functions that guard the pages."""
from dataclasses import dataclass
from functools import cached_property

from flask_babel import lazy_gettext as _l

from portal.core.formatting import fixed_url


@dataclass
class NavItem:
    label: str
    endpoint: str
    section: str = "main"  # main | manage (the Manage menu) | account (beside the name) | mine (the name's menu)
    badge: int | None = None  # a count shown beside the label (unread notifications)

    @cached_property
    def url(self) -> str:
        # base.html reads it several times per item to mark the current page; the same in every request
        return fixed_url(self.endpoint)


def navigation_for(user) -> list[NavItem]:
    from portal.accounts.policy import can_manage_roles
    from portal.audit.policy import can_view_audit_log
    from portal.orgs.policy import can_review_organisations
    from portal.places.policy import can_manage_places

    items = [NavItem(_l("Projects"), "projects.index"), NavItem(_l("Needs"), "needs.board"),
             NavItem(_l("Grid cases"), "cases.index"),
             NavItem(_l("Volunteer"), "volunteering.index"),
             NavItem(_l("Campaigns"), "funds.campaign_list"), NavItem(_l("Funds"), "funds.fund_list"),
             NavItem(_l("Purchase of services"), "procurement.calls"),
             NavItem(_l("Organisations"), "orgs.directory"), NavItem(_l("Places"), "places.browse"),
             NavItem(_l("Insights"), "insights.index")]
    if user is None or not user.is_authenticated:
        return items
    items.append(NavItem(_l("My organisations"), "orgs.mine", "mine"))
    items.append(NavItem(_l("My giving"), "payments.my_giving", "mine"))
    items.append(NavItem(_l("My volunteering"), "volunteering.me", "mine"))
    items.append(NavItem(_l("Profile and privacy"), "accounts.profile", "mine"))
    from portal.accounts.scopes import person_figure
    from portal.notifications.service import unread_count
    from portal.projects.policy import can_review_reports

    badge = person_figure(user, "unread")  # read with the person at sign-in (portal/__init__.py load_user)
    if badge is None:
        badge = unread_count(user.id)
    items.append(NavItem(_l("Notifications"), "notifications.index", "account", badge=badge))
    from portal.accounts import roles
    from portal.accounts.scopes import assignments_of

    if any(a.scope_type == roles.SCOPE_FUND for a in assignments_of(user)):
        items.append(NavItem(_l("Funds you help run"), "funds.fund_list", "manage"))
    if can_review_reports(user):
        items.append(NavItem(_l("Results reports"), "projects.reviews", "manage"))
    from portal.procurement.policy import is_buyer_official

    if is_buyer_official(user):
        items.append(NavItem(_l("Workbench"), "procurement.workbench", "manage"))
    if can_review_organisations(user):
        items.append(NavItem(_l("Review organisations"), "orgs.review_queue", "manage"))
    from portal.cases.policy import can_manage_some_categories

    if can_manage_some_categories(user):
        items.append(NavItem(_l("Case categories"), "cases.categories", "manage"))
    if can_manage_places(user):
        items.append(NavItem(_l("Manage places"), "places.manage", "manage"))
    if can_manage_roles(user):
        items.append(NavItem(_l("Roles"), "accounts.manage_roles", "manage"))
    if can_view_audit_log(user):
        items.append(NavItem(_l("Audit log"), "audit.log", "manage"))
    return items
