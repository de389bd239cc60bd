"""Who may do what with opportunities, shifts, sign-ups and hours.

Organisers are the members (org_admin / org_member) of the organisation that runs the project; they
publish opportunities, run the roster and verify hours. Anyone signed in may volunteer. Everything an
organiser does on a shift is refused with a 404 to everyone else, including platform administrators:
hours count only when the organisation that saw the work vouches for them. A route declares the
`can_...` of its action, asked with the route's object (who may act); whether the shift, sign-up or
hour record is in a state that allows the step is the service's 409.
"""
from portal.accounts import roles
from portal.accounts.scopes import has_scope_role
from portal.projects.models import DRAFT, IN_PROGRESS, PUBLISHED

# projects on which opportunities and shifts may be published
OPEN_FOR_VOLUNTEERS = (PUBLISHED, IN_PROGRESS)


def is_project_org_member(user, project) -> bool:
    """org_admin or org_member of the project's organisation (the projects policy's answer when it exists)."""
    try:
        from portal.projects.policy import is_project_org_member as projects_answer
    except ImportError:  # the projects policy arrives with the same issue; same rule meanwhile
        projects_answer = None
    if projects_answer is not None:
        return bool(projects_answer(user, project))
    return bool(user and user.is_authenticated and has_scope_role(
        user, roles.SCOPE_ORGANISATION, project.organisation_id, roles.ORG_ADMIN, roles.ORG_MEMBER))


def can_view_opportunities(user, project) -> bool:
    """A project's volunteering page is public exactly when the project is (drafts: its organisation)."""
    try:
        from portal.projects.policy import can_view_project
    except ImportError:
        return project.status != DRAFT or is_project_org_member(user, project)
    return bool(can_view_project(user, project))


def can_publish_opportunity(user, project) -> bool:
    return is_project_org_member(user, project)


def can_manage_opportunity(user, opportunity) -> bool:
    """Adds shifts to an opportunity."""
    return is_project_org_member(user, opportunity.project)


def can_close_opportunity(user, opportunity) -> bool:
    """Closes an opportunity to new shifts and sign-ups: administrators of the project's organisation."""
    return bool(user and user.is_authenticated and has_scope_role(
        user, roles.SCOPE_ORGANISATION, opportunity.project.organisation_id, roles.ORG_ADMIN))


def can_sign_up(user, shift) -> bool:
    """Anyone signed in who sees the shift's project (a draft project's shifts: its organisation)."""
    return bool(user and user.is_authenticated) and can_view_opportunities(user, shift.opportunity.project)


def can_cancel_signup(user, signup) -> bool:
    """Only the volunteer cancels their own sign-up."""
    return bool(user and user.is_authenticated and signup.user_id == user.id)


def can_run_shift(user, shift) -> bool:
    """Sees the roster, checks volunteers in and out, marks no-shows."""
    return is_project_org_member(user, shift.opportunity.project)


def can_check_in(user, signup) -> bool:
    return can_run_shift(user, signup.shift)


def can_check_out(user, signup) -> bool:
    """Records the volunteer's minutes as they leave: whoever runs the shift."""
    return can_run_shift(user, signup.shift)


def can_mark_no_show(user, signup) -> bool:
    return can_run_shift(user, signup.shift)


def can_review_hours(user, project) -> bool:
    """Sees the project's hours awaiting verification."""
    return is_project_org_member(user, project)


def _project_of(record):
    from portal.extensions import db
    from portal.projects.models import ServiceProject

    return db.session.get(ServiceProject, record.project_id)


def can_verify_hours(user, record) -> bool:
    """Members of the project's organisation vouch for the hours (nobody else, not even an administrator)."""
    project = _project_of(record)
    return project is not None and is_project_org_member(user, project)


def can_reject_hours(user, record) -> bool:
    """Whoever may verify the hours may also turn them down, with a reason."""
    return can_verify_hours(user, record)


def can_reverse_hours(user, record) -> bool:
    """Takes verified hours back out of the balance: whoever may verify them."""
    return can_verify_hours(user, record)


def can_download_certificate(user) -> bool:
    return bool(user and user.is_authenticated)
