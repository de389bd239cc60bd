"""Who may do what with service projects, their results reports, updates and ratings.

Routes declare the scope check (who may act on this object at all; refused is a 404, so an outsider never
learns a draft exists); whether the project's status allows the step is the service's lifecycle table
(409). The `..._now` and button functions combine both, for templates deciding what to show.
Organisation members (org_admin and org_member) manage their organisation's projects; a community worker
whose place scope covers one of the project's places reviews its results reports.
"""
from portal.accounts import roles
from portal.accounts.scopes import has_place_role, has_scope_role, is_platform_admin, places_with_role
from portal.projects.models import COMPLETED, DRAFT, IN_PROGRESS, SUBMITTED

MEMBER_ROLES = (roles.ORG_ADMIN, roles.ORG_MEMBER)
EDITABLE = {DRAFT, "published", IN_PROGRESS}
RATEABLE = {IN_PROGRESS, COMPLETED}


def is_project_org_member(user, project) -> bool:
    """org_admin or org_member of the organisation that runs `project`."""
    return bool(user and user.is_authenticated) and has_scope_role(
        user, roles.SCOPE_ORGANISATION, project.organisation_id, *MEMBER_ROLES)


def organisation_ids_of(user) -> list[int]:
    """The organisations in which `user` is an administrator or member."""
    from portal.accounts.scopes import assignments_of

    return sorted({a.scope_id for a in assignments_of(user)
                   if a.role in MEMBER_ROLES and a.scope_type == roles.SCOPE_ORGANISATION})


def is_project_reviewer(user, project) -> bool:
    """A community worker over one of the project's places (a worker on the platform counts too)."""
    if not (user and user.is_authenticated):
        return False
    return any(has_place_role(user, link.place, roles.COMMUNITY_WORKER) for link in project.places)


# --- reading -------------------------------------------------------------------------------------

def can_view_project(user, project) -> bool:
    """Published and later projects are public; drafts only to the organisation (and platform admins)."""
    if project.status != DRAFT:
        return True
    return is_project_org_member(user, project) or (user.is_authenticated and is_platform_admin(user))


def can_create_project(user) -> bool:
    return user.is_authenticated


def can_review_reports(user) -> bool:
    """Sees the queue of results reports: community workers (on any place or the platform)."""
    return user.is_authenticated and bool(places_with_role(user, roles.COMMUNITY_WORKER))


def can_see_unapproved_reports(user, project) -> bool:
    """Reports awaiting review or returned: the organisation and the reviewers, not the public."""
    return can_manage_project(user, project) or is_project_reviewer(user, project)


def can_see_draft_filter(user) -> bool:
    """The list's "draft" status filter: for members of an organisation (who may have drafts)."""
    return user.is_authenticated and bool(organisation_ids_of(user))


def can_view_photo(user, photo) -> bool:
    return can_view_project(user, photo.project)


def can_view_report(user, report) -> bool:
    """Approved reports are public with their project; others only to the organisation and reviewers."""
    project = report.indicator.project
    if not can_view_project(user, project):
        return False
    if report.status == "approved":
        return True
    return is_project_org_member(user, project) or is_project_reviewer(user, project)


# --- the organisation's actions -------------------------------------------------------------------

def can_manage_project(user, project) -> bool:
    """Edits, changes status, adds photos and indicators, reports results, posts updates, replies."""
    return is_project_org_member(user, project)


def can_remove_photo(user, photo) -> bool:
    return can_manage_project(user, photo.project)


def can_edit_indicator(user, indicator) -> bool:
    return can_manage_project(user, indicator.project)


def can_report_result(user, indicator) -> bool:
    """Reports a result on `indicator` (whether the project is running yet is the service's 409)."""
    return can_manage_project(user, indicator.project)


def can_post_update(user, project) -> bool:
    """The "post an update" form: the organisation, once the project is public."""
    return project.status != DRAFT and can_manage_project(user, project)


def can_edit_project(user, project) -> bool:
    return project.status in EDITABLE and can_manage_project(user, project)


def can_report_on(user, project) -> bool:
    return project.status in RATEABLE and can_manage_project(user, project)


# --- reviewers ------------------------------------------------------------------------------------

def can_review_report(user, report) -> bool:
    """A community worker of one of the project's places; never a member of the reporting organisation."""
    project = report.indicator.project
    return (can_view_report(user, report) and is_project_reviewer(user, project)
            and not is_project_org_member(user, project))


def can_decide_report(user, report) -> bool:
    return report.status == SUBMITTED and can_review_report(user, report)


# --- residents --------------------------------------------------------------------------------------

def can_follow_project(user, project) -> bool:
    return user.is_authenticated and project.status != DRAFT


def can_rate_project(user, project) -> bool:
    """Any signed-in person who may see the project and is not a member of its organisation.

    The portal cannot cheaply prove who lives in the project's places or received the service, so the
    guard against self-rating is the organisation boundary; one rating per person keeps it honest. Whether
    the service has started yet is the service's 409.
    """
    return (user.is_authenticated and can_view_project(user, project)
            and not is_project_org_member(user, project))


def can_rate_project_now(user, project) -> bool:
    """The rating form: a rater, once the service is running."""
    return project.status in RATEABLE and can_rate_project(user, project)


def can_reply_to_rating(user, rating) -> bool:
    return can_manage_project(user, rating.project)


def can_view_evidence(user, evidence) -> bool:
    return can_view_report(user, evidence.report)
