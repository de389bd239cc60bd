"""Who may do what with resident needs. Needs are public (residents see what their neighbours need);
community workers of the need's place triage them; grid workers post for residents in their grid."""
from portal.accounts import roles
from portal.accounts.scopes import has_place_role, places_with_role
from portal.needs.models import ACCEPTED, ANSWERED, OPEN

BACKABLE = {OPEN, ACCEPTED}
LINKABLE = {ACCEPTED, ANSWERED}


def can_view_need(user, need) -> bool:
    return True


def can_post_need(user) -> bool:
    return user.is_authenticated


def is_grid_worker(user) -> bool:
    return user.is_authenticated and bool(places_with_role(user, roles.GRID_WORKER))


def can_post_on_behalf(user, place) -> bool:
    """A grid worker, for a place inside the grid(s) they hold (not the platform, not a neighbour grid)."""
    return user.is_authenticated and has_place_role(user, place, roles.GRID_WORKER, platform_counts=False)


def can_back_need(user, need) -> bool:
    """Any signed-in resident who can see the need; whether its status still takes backing is the service's 409."""
    return user.is_authenticated and can_view_need(user, need)


def can_triage_need(user, need) -> bool:
    """A community worker whose place scope covers the need's place."""
    return user.is_authenticated and has_place_role(user, need.place, roles.COMMUNITY_WORKER)


def can_accept_need(user, need) -> bool:
    return need.status == OPEN and can_triage_need(user, need)


def can_merge_need(user, need) -> bool:
    return need.status in BACKABLE and can_triage_need(user, need)


can_decline_need = can_merge_need


def can_link_need(user, need) -> bool:
    return need.status in LINKABLE and can_triage_need(user, need)


def can_see_requester(user, need) -> bool:
    """The name of the resident a grid worker posted for is personal data: the poster and the workers only."""
    if not user.is_authenticated:
        return False
    return (need.posted_by_id == user.id or can_triage_need(user, need)
            or has_place_role(user, need.place, roles.GRID_WORKER, platform_counts=False))
