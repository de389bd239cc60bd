"""Who may do what with grid cases. One `can_...` per action (CONTRIBUTING.md, "A policy function").

- Anyone signed in reports a case (residents and grid workers alike); the reporter follows and evaluates it.
- Community workers over the case's place file, reject and dispatch it (the street's small loop), and close it.
- The handling department's officials (officials over the department's place) take it up and handle it; a
  department never acts on another department's case (404). A case handled by a contracted organisation is
  handled by that organisation's members.
- The grid worker of the case's grid verifies on site with a follow-up photo.
- Officials over the district escalate by hand into the big loop; the background worker escalates on a breach.
- Platform administrators manage Open311 API keys and case categories with the district's officials.
- A case of a public category is public (without the reporter's name); others only to the people above.
"""
from portal.accounts import roles
from portal.accounts.scopes import has_place_role, has_scope_role, is_platform_admin, places_with_role


def is_reporter(user, case) -> bool:
    return user.is_authenticated and case.reporter_id == user.id


def is_community_worker_for(user, case) -> bool:
    return user.is_authenticated and has_place_role(user, case.place, roles.COMMUNITY_WORKER, platform_counts=False)


def is_grid_worker_for(user, case) -> bool:
    return user.is_authenticated and has_place_role(user, case.place, roles.GRID_WORKER, platform_counts=False)


def is_handler(user, case) -> bool:
    """The handling department's officials, or the contracted organisation's members."""
    if not user.is_authenticated:
        return False
    if case.department is not None and has_place_role(user, case.department.place, roles.OFFICIAL,
                                                      platform_counts=False):
        return True
    contract = getattr(case, "contract", None)
    return contract is not None and has_scope_role(user, roles.SCOPE_ORGANISATION, contract.organisation_id,
                                                   roles.ORG_ADMIN, roles.ORG_MEMBER)


def is_district_official(user, case) -> bool:
    return user.is_authenticated and has_place_role(user, case.place, roles.OFFICIAL, platform_counts=False)


def can_view_case(user, case) -> bool:
    return (case.category.is_public or is_reporter(user, case) or is_community_worker_for(user, case)
            or is_grid_worker_for(user, case) or is_handler(user, case) or is_district_official(user, case))


def can_report_case(user) -> bool:
    return user.is_authenticated


def can_triage_case(user, case) -> bool:
    """File, reject, dispatch and close: the community's workers (the small loop)."""
    return is_community_worker_for(user, case) or is_district_official(user, case)


def can_handle_case(user, case) -> bool:
    return is_handler(user, case)


def can_give_feedback(user, case) -> bool:
    """Telling the reporter what was done: the handler, or the community's workers on its behalf."""
    return is_handler(user, case) or is_community_worker_for(user, case)


def can_verify_case(user, case) -> bool:
    return is_grid_worker_for(user, case) or is_community_worker_for(user, case)


def can_evaluate_case(user, case) -> bool:
    return is_reporter(user, case)


def can_escalate_case(user, case) -> bool:
    return is_district_official(user, case) or is_community_worker_for(user, case)


def is_grid_worker(user) -> bool:
    return user.is_authenticated and bool(places_with_role(user, roles.GRID_WORKER))


def can_manage_api_keys(user) -> bool:
    return user.is_authenticated and is_platform_admin(user)


def can_manage_categories(user, place) -> bool:
    return user.is_authenticated and (is_platform_admin(user) or has_place_role(user, place, roles.OFFICIAL,
                                                                                 platform_counts=False))


# --- the case pages (portal/cases/views/cases.py) -------------------------------------------------------
def can_view_photo(user, photo) -> bool:
    """A case's photo is seen by whoever sees the case."""
    return can_view_case(user, photo.case)


def can_log_against_contract(user, case) -> bool:
    """A case a contracted organisation handles goes into the contract's scope ledger, logged by either side
    (the buyer's officials or the contractor), as every scope request is (contracts' can_log_scope_request)."""
    from portal.contracts.policy import can_log_scope_request

    return case.contract is not None and can_log_scope_request(user, case.contract)


def can_manage_some_categories(user) -> bool:
    """The categories page: platform administrators, and officials over some place."""
    return user.is_authenticated and (is_platform_admin(user) or bool(places_with_role(user, roles.OFFICIAL)))


def can_manage_category(user, category) -> bool:
    return can_manage_categories(user, category.place)


def board_private_places(user) -> list | None:
    """Where the case board counts cases of non-public categories for `user`: None means everywhere (a
    platform administrator), else the places the user is an official over (empty: public categories only).
    The board's figures are public; officials see their own places' cases of every category."""
    if not user.is_authenticated:
        return []
    if is_platform_admin(user):
        return None
    return places_with_role(user, roles.OFFICIAL)
