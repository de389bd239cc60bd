"""Who may do what on the insights pages: the dashboards are public; grid ledgers are entered by those who keep them."""
from portal.accounts import roles
from portal.accounts.scopes import has_place_role, is_platform_admin, places_with_role

LEDGER_KEEPERS = (roles.GRID_WORKER, roles.COMMUNITY_WORKER, roles.OFFICIAL)


def can_import_grid_profiles(user) -> bool:
    """A grid worker, community worker or official (or the platform administrator) imports grid ledgers; each row
    is then checked against `can_enter_grid_profile`."""
    return bool(user and user.is_authenticated
                and (is_platform_admin(user) or places_with_role(user, *LEDGER_KEEPERS)))


def can_enter_grid_profile(user, grid) -> bool:
    """The ledger of a grid within the user's place (a grid worker's grid, a community worker's community...)."""
    return is_platform_admin(user) or has_place_role(user, grid, *LEDGER_KEEPERS, platform_counts=False)
