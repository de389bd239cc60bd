"""Organisations: directory, registration, the organisation page, documents, members, invitations, review."""
import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts import roles
from portal.core.errors import DomainError, ValidationFailed
from portal.core.pagination import paginate
from portal.core.policy import allowed_if, object_policy, public, signed_in
from portal.core.uploads import upload_path
from portal.core.web import button_action, done, submit_form, undo
from portal.extensions import db
from portal.orgs import policy, service
from portal.orgs.forms import (
    DocumentForm,
    EditOrganisationForm,
    EmptyForm,
    InviteForm,
    ReasonForm,
    RegisterOrganisationForm,
)
from portal.orgs.models import (
    LEGAL_FORMS,
    PENDING,
    REJECTED,
    SERVICE_AREAS,
    STATUS_LABELS,
    SUSPENDED,
    VERIFIED,
    Organisation,
)
from portal.places.models import COMMUNITY, DISTRICT, KIND_LABELS, STREET, Place

bp = Blueprint("orgs", __name__)

HISTORY_LABELS = {
    "organisation.registered": _l("Registered"),
    "organisation.updated": _l("Details changed"),
    "organisation.resubmitted": _l("Resubmitted for verification"),
    "organisation.verified": lazy_pgettext("organisation status", "Verified"),
    "organisation.rejected": _l("Rejected"),
    "organisation.suspended": _l("Suspended"),
    "organisation.reinstated": _l("Reinstated"),
    "organisation.document_uploaded": _l("Document uploaded"),
    "organisation.member_invited": _l("Member invited"),
    "organisation.member_added": _l("Member joined"),
    "organisation.member_removed": _l("Member removed"),
}
REVIEW_STATUSES = (PENDING, VERIFIED, SUSPENDED, REJECTED)


def _labels() -> dict:
    return {"legal_forms": LEGAL_FORMS, "status_labels": STATUS_LABELS, "service_areas": SERVICE_AREAS,
            "role_labels": roles.ROLE_LABELS, "kind_labels": KIND_LABELS, "history_labels": HISTORY_LABELS,
            "policy": policy}


def _place(value) -> Place | None:
    return db.session.get(Place, int(value)) if value and str(value).isdigit() else None


def _details(form) -> dict:
    return {"name": form.name.data, "legal_form": form.legal_form.data, "credit_code": form.credit_code.data,
            "home_place": _place(form.home_place.data), "service_areas": form.service_areas.data,
            "description": form.description.data, "contact_name": form.contact_name.data,
            "contact_phone": form.contact_phone.data, "contact_email": form.contact_email.data}


# --- public directory ------------------------------------------------------------------------------

@bp.route("/organisations/")
@public
def directory():
    search = request.args.get("q", "").strip()[:100]
    legal_form = request.args.get("legal_form", "")
    area = request.args.get("area", "")
    places = service.places_for_choices(DISTRICT, STREET, COMMUNITY)
    place_id = request.args.get("place", "")
    place = next((p for p in places if str(p.id) == place_id), None)
    page = paginate(service.directory_query(search, legal_form, area, place), per_page=20)
    filtered = bool(search or legal_form in LEGAL_FORMS or area in SERVICE_AREAS or place)
    return render_template("orgs/directory.html", page=page, places=places, search=search, legal_form=legal_form,
                           area=area, place=place, filtered=filtered, **_labels())


# --- the organisation page -------------------------------------------------------------------------

def _render_detail(organisation: Organisation, reason_forms: dict | None = None, status: int = 200):
    internals = policy.can_view_internals(current_user, organisation)
    context = {"organisation": organisation, "internals": internals, "reason_forms": reason_forms or {},
               "button_form": EmptyForm()}
    if internals:
        context.update(documents=organisation.documents, members=service.member_assignments(organisation),
                       history=service.history_of(organisation))
    return render_template("orgs/detail.html", **context, **_labels()), status


@bp.route("/organisations/<int:org_id>")
@object_policy(policy.can_view_organisation, service.load_organisation, login=False)
def detail(organisation):
    return _render_detail(organisation)


# --- registration and editing ----------------------------------------------------------------------

@bp.route("/organisations/register", methods=["GET", "POST"])
@signed_in
def register():
    form = RegisterOrganisationForm(places=service.places_for_choices(STREET, COMMUNITY))

    def register_with_document():
        organisation = service.register_organisation(current_user, **_details(form))
        if form.document.data:
            try:
                service.upload_document(organisation, form.document_title.data or _("Registration document"),
                                        form.document.data, current_user)
            except ValidationFailed as error:
                # the upload's fields are called differently on this form
                error.field = {"file": "document", "title": "document_title"}.get(error.field, error.field)
                raise
        return organisation

    return submit_form(
        form, register_with_document,
        lambda organisation: done(_("%(name)s is registered. Officials will check it; you can follow the "
                                    "verification here.", name=organisation.name),
                                  url_for("orgs.detail", org_id=organisation.id)),
        lambda status: (render_template("orgs/register.html", form=form), status))


@bp.route("/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@object_policy(policy.can_manage_organisation, service.load_organisation)
def edit(organisation):
    service.check_editable(organisation)
    initial = {"name": organisation.name, "legal_form": organisation.legal_form,
               "credit_code": organisation.credit_code, "home_place": str(organisation.home_place_id),
               "service_areas": organisation.area_codes, "description": organisation.description,
               "contact_name": organisation.contact_name, "contact_phone": organisation.contact_phone,
               "contact_email": organisation.contact_email}
    form = EditOrganisationForm(data=initial, places=service.places_for_choices(STREET, COMMUNITY))
    identity_locked = organisation.status == VERIFIED
    if identity_locked:
        # verified details are shown but not editable; what the browser sends for them is ignored
        for name in service.IDENTITY_FIELDS:
            form[name].data = initial[name]
    resubmit = organisation.status == REJECTED and form.resubmit.data

    def save():
        service.update_organisation(organisation, current_user, **_details(form))
        if resubmit:
            service.resubmit_organisation(organisation, current_user)

    return submit_form(
        form, save,
        lambda result: done(_("Resubmitted: officials will check the organisation again.") if resubmit
                            else _("The details are saved."), url_for("orgs.detail", org_id=organisation.id)),
        lambda status: (render_template("orgs/edit.html", form=form, organisation=organisation,
                                        identity_locked=identity_locked, **_labels()), status))


@bp.route("/organisations/<int:org_id>/resubmit", methods=["POST"])
@object_policy(policy.can_manage_organisation, service.load_organisation)
def resubmit(organisation):
    if not EmptyForm().validate_on_submit():
        abort(400)
    service.resubmit_organisation(organisation, current_user)  # only a rejected organisation: else a 409
    flash(_("Resubmitted: officials will check the organisation again."), "success")
    return redirect(url_for("orgs.detail", org_id=organisation.id))


# --- documents -------------------------------------------------------------------------------------

@bp.route("/organisations/<int:org_id>/documents", methods=["GET", "POST"])
@object_policy(policy.can_view_documents, service.load_organisation, on_post=policy.can_manage_organisation)
def documents(organisation):
    form = DocumentForm()
    if request.method == "POST":
        service.check_editable(organisation)
    return submit_form(
        form, lambda: service.upload_document(organisation, form.title.data, form.file.data, current_user),
        lambda document: done(_("“%(title)s” is uploaded.", title=document.title),
                              url_for("orgs.documents", org_id=organisation.id)),
        lambda status: (render_template("orgs/documents.html", organisation=organisation, form=form,
                                        documents=organisation.documents, **_labels()), status))


@bp.route("/organisations/<int:org_id>/documents/<int:document_id>")
@object_policy(policy.can_view_document, service.load_document)
def download_document(document):
    path = upload_path(document.storage_key)
    if not path.is_file():
        abort(404)
    # Documents are small (MAX_UPLOAD_BYTES); sending bytes leaves no open file behind an unread response.
    response = send_file(io.BytesIO(path.read_bytes()), mimetype=document.content_type, as_attachment=True,
                         download_name=document.original_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- members and invitations -----------------------------------------------------------------------

@bp.route("/organisations/<int:org_id>/members", methods=["GET", "POST"])
@object_policy(policy.can_view_members, service.load_organisation, on_post=policy.can_manage_organisation)
def members(organisation):
    form = InviteForm()
    return submit_form(
        form, lambda: service.invite_member(organisation, form.email.data, form.role.data, current_user),
        lambda invitation: done(_("An invitation is on its way to %(email)s. The link works once, for %(days)d "
                                  "days.", email=invitation.email, days=service.invitation_days()),
                                url_for("orgs.members", org_id=organisation.id)),
        lambda status: (render_template("orgs/members.html", organisation=organisation, form=form,
                                        members=service.memberships(organisation), button_form=EmptyForm(),
                                        **_labels()), status))


@bp.route("/organisations/<int:org_id>/members/<int:assignment_id>/remove", methods=["POST"])
@object_policy(policy.can_remove_member, service.load_membership)
def remove_member(membership):
    organisation, assignment = membership
    name = assignment.user.display_name
    back = url_for("orgs.members", org_id=organisation.id)
    return button_action(lambda: service.remove_member(organisation, assignment, current_user),
                         lambda result: done(_("%(name)s is no longer a member.", name=name), back), back)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token):
    """The link in the invitation email; the token itself is the permission to see the invitation."""
    form = EmptyForm()
    try:
        invitation = service.invitation_for_token(token)
    except DomainError as error:
        return render_template("orgs/invitation.html", invitation=None, error=error.message,
                               form=form), error.status_code
    if request.method == "POST":
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.path))
        if not form.validate_on_submit():
            abort(400)
        try:
            service.accept_invitation(token, current_user)
        except DomainError as error:
            undo()
            return render_template("orgs/invitation.html", invitation=None, error=error.message,
                                   form=form), error.status_code
        organisation = invitation.organisation
        flash(_("Welcome to %(organisation)s.", organisation=organisation.name), "success")
        return redirect(url_for("orgs.detail", org_id=organisation.id))
    wrong_account = current_user.is_authenticated and not service.invitation_is_for(invitation, current_user)
    return render_template("orgs/invitation.html", invitation=invitation, error=None, form=form,
                           wrong_account=wrong_account, masked_email=service.mask_email(invitation.email),
                           **_labels())


# --- my organisations ------------------------------------------------------------------------------

@bp.route("/organisations/mine")
@signed_in
def mine():
    return render_template("orgs/mine.html", memberships=service.organisations_of(current_user), **_labels())


# --- review by officials ---------------------------------------------------------------------------

def _render_queue(status: str, failed: dict | None = None, http_status: int = 200):
    scope = policy.reviewable_filter(current_user)
    counts = dict(db.session.execute(
        select(Organisation.status, func.count()).where(scope).group_by(Organisation.status)).all())
    statement = (select(Organisation)
                 .options(joinedload(Organisation.home_place), selectinload(Organisation.service_areas),
                          selectinload(Organisation.documents))
                 .where(scope, Organisation.status == status)
                 .order_by(Organisation.created_at, Organisation.id))
    page = paginate(statement, per_page=20)
    return render_template("orgs/review_queue.html", page=page, status=status, counts=counts,
                           statuses=REVIEW_STATUSES, failed=failed or {}, button_form=EmptyForm(),
                           **_labels()), http_status


@bp.route("/organisations/review")
@allowed_if(policy.can_review_organisations)
def review_queue():
    status = request.args.get("status", PENDING)
    if status not in REVIEW_STATUSES:
        status = PENDING
    return _render_queue(status)


def _review(organisation: Organisation, action: str, needs_reason: bool):
    """Shared by the four review buttons (scope checked by the route): CSRF, the service's lifecycle (409)."""
    form = ReasonForm() if needs_reason else EmptyForm()
    org_id, name = organisation.id, organisation.name
    tab = organisation.status  # the queue tab the official came from
    step = {"verify": service.verify_organisation, "reinstate": service.reinstate_organisation,
            "reject": service.reject_organisation, "suspend": service.suspend_organisation}[action]
    from_detail = form.origin.data == "detail"

    def render(status):
        # a missing reason (400) shows the form again beside the organisation; a step its status does not
        # allow (409) shows the page as it is, with the message flashed
        failed = {action: form} if status == 400 else None
        if from_detail:
            return _render_detail(service.load_organisation(org_id), reason_forms=failed, status=status)
        return _render_queue(service.load_organisation(org_id).status, http_status=status,
                             failed={"org_id": org_id, "action": action, "form": form} if failed else None)

    message = {"verify": _("%(name)s is verified and listed in the directory.", name=name),
               "reject": _("%(name)s is rejected; the organisation sees your reason.", name=name),
               "suspend": _("%(name)s is suspended and no longer listed in the directory.", name=name),
               "reinstate": _("%(name)s is reinstated and listed in the directory again.", name=name)}[action]

    def act():
        return step(organisation, current_user, form.reason.data) if needs_reason else step(organisation, current_user)

    return submit_form(
        form, act,
        lambda result: done(message, url_for("orgs.detail", org_id=org_id) if from_detail
                            else url_for("orgs.review_queue", status=tab)),
        render)


@bp.route("/organisations/<int:org_id>/verify", methods=["POST"])
@object_policy(policy.can_review_organisation, service.load_organisation)
def verify(organisation):
    return _review(organisation, "verify", needs_reason=False)


@bp.route("/organisations/<int:org_id>/reject", methods=["POST"])
@object_policy(policy.can_review_organisation, service.load_organisation)
def reject(organisation):
    return _review(organisation, "reject", needs_reason=True)


@bp.route("/organisations/<int:org_id>/suspend", methods=["POST"])
@object_policy(policy.can_review_organisation, service.load_organisation)
def suspend(organisation):
    return _review(organisation, "suspend", needs_reason=True)


@bp.route("/organisations/<int:org_id>/reinstate", methods=["POST"])
@object_policy(policy.can_review_organisation, service.load_organisation)
def reinstate(organisation):
    return _review(organisation, "reinstate", needs_reason=False)
