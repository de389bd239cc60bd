"""Who may do what with funds, campaigns, teams, matching pools, disbursements and in-kind pledges.

Three circles of people act on a fund: its treasurer and committee (roles on the fund's scope), the
community workers and officials over the fund's place (they run the community's fund desk), and
platform administrators. Anyone may read what a fund did with its money; management pages of a fund
answer 404 to everybody outside these circles (a committee member of another fund included).
A route declares one `can_...` per action, asked with the route's object: it answers WHO may act
(404 for everybody else). Whether the object's status allows the step is the service's lifecycle table
(409); templates show a button when both hold. The few `can_publish/finish/close_campaign` helpers
combine the two for the campaign page's buttons.
"""
from portal.accounts import roles
from portal.accounts.scopes import (
    assignments_of,
    has_place_role,
    has_platform_role,
    has_scope_role,
    is_platform_admin,
    places_with_role,
)
from portal.funds.models import DRAFT, ENDED, FAILED, LIVE, SUCCEEDED

PLACE_STAFF = (roles.COMMUNITY_WORKER, roles.OFFICIAL)


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated


def is_admin(user) -> bool:
    return _signed_in(user) and is_platform_admin(user)


def is_treasurer(user, fund) -> bool:
    return _signed_in(user) and has_scope_role(user, roles.SCOPE_FUND, fund.id, roles.TREASURER)


def is_committee(user, fund) -> bool:
    """The fund's committee: its members and its treasurer."""
    return _signed_in(user) and has_scope_role(user, roles.SCOPE_FUND, fund.id, roles.FUND_COMMITTEE,
                                               roles.TREASURER)


def is_place_staff(user, fund) -> bool:
    """Community workers and officials on the fund's place or above it."""
    return _signed_in(user) and has_place_role(user, fund.place, *PLACE_STAFF)


def is_fund_manager(user, fund) -> bool:
    return is_committee(user, fund) or is_place_staff(user, fund) or is_admin(user)


def is_second_person(user, first_person_id: int | None) -> bool:
    """The second-person rule on money: whoever requests a disbursement or records an offline gift never
    approves or confirms it themselves. Asked by the pages, the routes and the services alike."""
    return _signed_in(user) and first_person_id != user.id


# --- funds ---------------------------------------------------------------------------------------

def can_view_fund(user, fund) -> bool:
    """Every fund's page and ledger are public: residents must see where the money went."""
    return True


def can_create_fund(user) -> bool:
    """Platform admins, and officials or community workers (who then choose a place in their area)."""
    if not _signed_in(user):
        return False
    return is_admin(user) or has_platform_role(user, *PLACE_STAFF) or bool(places_with_role(user, *PLACE_STAFF))


def can_create_fund_at(user, place) -> bool:
    return _signed_in(user) and (is_admin(user) or has_place_role(user, place, *PLACE_STAFF))


def can_edit_fund(user, fund) -> bool:
    return is_admin(user) or is_place_staff(user, fund)


def can_manage_fund(user, fund) -> bool:
    """The fund's management page: committee, treasurer, place staff over it, platform admins."""
    return is_fund_manager(user, fund)


def can_grant_fund_roles(user, fund) -> bool:
    """Appoints the treasurer and committee members: platform admins (as on /admin/roles)."""
    return is_admin(user)


def can_revoke_fund_role(user, fund_role) -> bool:
    """Removes a role held on the fund (a queries.FundRole): whoever appoints."""
    return can_grant_fund_roles(user, fund_role.fund)


def managed_fund_ids(user) -> set[int]:
    """Funds on whose scope `user` holds a committee role (for 'my funds' links)."""
    return {a.scope_id for a in assignments_of(user)
            if a.scope_type == roles.SCOPE_FUND and a.role in (roles.TREASURER, roles.FUND_COMMITTEE)}


# --- campaigns -----------------------------------------------------------------------------------

def can_create_campaign(user, fund) -> bool:
    return fund.is_active and is_fund_manager(user, fund)


def can_view_campaign(user, campaign) -> bool:
    """Published campaigns are public; a draft only to the fund's managers and its author."""
    if campaign.status != DRAFT:
        return True
    return _signed_in(user) and (campaign.created_by_id == user.id or is_fund_manager(user, campaign.fund))


def can_edit_campaign(user, campaign) -> bool:
    if campaign.status not in (DRAFT, LIVE):
        return False
    return _signed_in(user) and (campaign.created_by_id == user.id or is_fund_manager(user, campaign.fund))


def can_run_campaign(user, campaign) -> bool:
    """Publishes, finishes and closes: the fund's committee, place staff and admins."""
    return is_fund_manager(user, campaign.fund)


def can_publish_campaign(user, campaign) -> bool:
    return campaign.status == DRAFT and can_run_campaign(user, campaign)


def can_finish_campaign(user, campaign) -> bool:
    return campaign.status == LIVE and can_run_campaign(user, campaign)


def can_close_campaign(user, campaign) -> bool:
    return campaign.status in (SUCCEEDED, ENDED, FAILED) and can_run_campaign(user, campaign)


def can_post_update(user, campaign) -> bool:
    """Updates come from the fund's treasurer or committee, or the campaign's author."""
    if campaign.status == DRAFT or not _signed_in(user):
        return False
    return campaign.created_by_id == user.id or is_committee(user, campaign.fund) or is_admin(user)


def can_view_campaign_image(user, image) -> bool:
    return can_view_campaign(user, image.campaign)


def can_remove_campaign_image(user, image) -> bool:
    return can_edit_campaign(user, image.campaign)


# --- teams ---------------------------------------------------------------------------------------

def can_create_team(user, campaign) -> bool:
    """Anyone signed in who sees the campaign (whether it is live is the service's 409)."""
    return _signed_in(user) and can_view_campaign(user, campaign)


def can_view_team(user, team) -> bool:
    return can_view_campaign(user, team.campaign)


def can_manage_team(user, team) -> bool:
    """Edits the team's name, goal and story: its captain, and the people who run its campaign (the fund's
    committee, place staff, platform admins), who tidy up a name that should not stand."""
    return _signed_in(user) and (team.captain_id == user.id or can_run_campaign(user, team.campaign))


def can_edit_team(user, team) -> bool:
    return team.campaign.status == LIVE and can_manage_team(user, team)


def can_join_team(user, team) -> bool:
    return _signed_in(user) and can_view_team(user, team)


def can_leave_team(user, team) -> bool:
    """A member other than the captain (the team needs its captain)."""
    return _signed_in(user) and can_view_team(user, team) and team.captain_id != user.id


# --- matching pools ----------------------------------------------------------------------------------

def can_create_matching_pool(user, campaign) -> bool:
    if campaign.status not in (DRAFT, LIVE):
        return False
    return is_treasurer(user, campaign.fund) or is_admin(user)


# --- disbursements -------------------------------------------------------------------------------

def is_verified_org_admin(user) -> bool:
    """An administrator of at least one verified organisation (loaded once per request)."""
    if not _signed_in(user):
        return False
    from sqlalchemy import select

    from portal.extensions import db
    from portal.orgs.models import VERIFIED, Organisation

    ids = [a.scope_id for a in assignments_of(user)
           if a.role == roles.ORG_ADMIN and a.scope_type == roles.SCOPE_ORGANISATION]
    if not ids:
        return False
    return db.session.scalar(select(Organisation.id).where(Organisation.id.in_(ids),
                                                           Organisation.status == VERIFIED).limit(1)) is not None


def can_request_disbursement(user, fund) -> bool:
    """A community worker of the fund's place, or an administrator of a verified organisation."""
    if not _signed_in(user) or not fund.is_active:
        return False
    return has_place_role(user, fund.place, roles.COMMUNITY_WORKER) or is_verified_org_admin(user)


def can_view_disbursement(user, disbursement) -> bool:
    if not _signed_in(user):
        return False
    return disbursement.requested_by_id == user.id or is_fund_manager(user, disbursement.fund)


def can_decide_disbursement(user, disbursement) -> bool:
    """Approves or rejects: a committee member or the treasurer of the fund, never the person who asked for
    the money (whether the request is still open is the service's 409)."""
    return is_committee(user, disbursement.fund) and is_second_person(user, disbursement.requested_by_id)


def can_pay_disbursement(user, disbursement) -> bool:
    """Records the transfer of an approved request: the fund's treasurer."""
    return is_treasurer(user, disbursement.fund)


def can_request_for_any_organisation(user) -> bool:
    """Community workers and platform admins may name any verified organisation as the recipient;
    an organisation's administrator only their own."""
    return is_admin(user) or (_signed_in(user) and any(a.role == roles.COMMUNITY_WORKER
                                                       for a in assignments_of(user)))


# --- in-kind pledges -------------------------------------------------------------------------------

def can_pledge_in_kind(user, fund) -> bool:
    return _signed_in(user) and fund.is_active


def can_record_in_kind_for_others(user, fund) -> bool:
    """Records goods handed over by someone without an account: the fund's treasurer."""
    return is_treasurer(user, fund)


def can_receive_in_kind(user, pledge) -> bool:
    """Marks pledged goods as received: the fund's treasurer (whether it is still pledged is a 409)."""
    return is_treasurer(user, pledge.fund)


def can_sell_in_kind(user, pledge) -> bool:
    """Records the sale of received goods as a cash gift: the fund's treasurer."""
    return is_treasurer(user, pledge.fund)


def can_withdraw_in_kind(user, pledge) -> bool:
    """The person who pledged it, or the treasurer."""
    return _signed_in(user) and (pledge.donor_id == user.id or is_treasurer(user, pledge.fund))
