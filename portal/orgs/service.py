"""The only code that changes organisations: registration, verification lifecycle, documents, members."""
import hashlib
import re
import secrets
from datetime import timedelta
from pathlib import PurePath
from typing import NamedTuple

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts import roles
from portal.accounts import service as accounts
from portal.accounts.models import RoleAssignment, User
from portal.accounts.scopes import register_scope_model
from portal.audit import service as audit
from portal.audit.models import AuditEvent
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.mail import send_mail
from portal.core.time import utcnow
from portal.core.uploads import DOCUMENT_TYPES, store_upload
from portal.extensions import db
from portal.orgs.credit_code import validate_credit_code
from portal.orgs.models import (
    LEGAL_FORMS,
    PENDING,
    REJECTED,
    SERVICE_AREAS,
    STATUS_LABELS,
    SUSPENDED,
    VERIFIED,
    Organisation,
    OrganisationDocument,
    OrganisationInvitation,
    OrganisationServiceArea,
)
from portal.places.models import GRID, Place

register_scope_model(roles.SCOPE_ORGANISATION, Organisation)  # accounts names and checks these scopes through it

# The verification lifecycle (DESIGN.md section 5): step -> (statuses it starts from, status it leads to,
# audit action).
TRANSITIONS = {
    "verify": ({PENDING}, VERIFIED, "organisation.verified"),
    "reject": ({PENDING}, REJECTED, "organisation.rejected"),
    "resubmit": ({REJECTED}, PENDING, "organisation.resubmitted"),  # details corrected, checked again
    "suspend": ({VERIFIED}, SUSPENDED, "organisation.suspended"),
    "reinstate": ({SUSPENDED}, VERIFIED, "organisation.reinstated"),
}
STEP_LABELS = {"verify": _l("Verify"), "reject": _l("Reject"), "resubmit": _l("Resubmit"),
               "suspend": _l("Suspend"), "reinstate": _l("Reinstate")}
MEMBER_ROLES = (roles.ORG_ADMIN, roles.ORG_MEMBER)
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")
# The details that identify the organisation: fixed once an official has verified them.
IDENTITY_FIELDS = ("name", "legal_form", "credit_code")


class InvitationNotFound(DomainError):
    status_code = 404

    def __init__(self, message: str):
        super().__init__(message, code="not_found")


class WrongAccount(DomainError):
    status_code = 403

    def __init__(self, message: str):
        super().__init__(message, code="wrong_account")


# --- registration and details ----------------------------------------------------------------------

def _snapshot(organisation: Organisation) -> dict:
    return {"name": organisation.name, "legal_form": organisation.legal_form,
            "credit_code": organisation.credit_code, "home_place_id": organisation.home_place_id,
            "service_areas": sorted(organisation.area_codes), "description": organisation.description,
            "contact_name": organisation.contact_name, "contact_phone": organisation.contact_phone,
            "contact_email": organisation.contact_email, "status": organisation.status,
            "status_reason": organisation.status_reason}


def _clean_details(name, legal_form, credit_code, home_place, service_areas, description, contact_name,
                   contact_phone, contact_email, organisation: Organisation | None = None) -> dict:
    """Check every field the way a form would, so the API and the CLI get the same rules."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(_("Enter the organisation's registered name."), field="name")
    if len(name) > 120:
        raise ValidationFailed(_("The name is too long (at most 120 characters)."), field="name")
    if legal_form not in LEGAL_FORMS:
        raise ValidationFailed(_("Choose the legal form shown on the registration certificate."),
                               field="legal_form")
    credit_code = validate_credit_code(credit_code, legal_form)
    if home_place is None:
        raise ValidationFailed(_("Choose the street or community where the organisation is based."),
                               field="home_place")
    if home_place.kind == GRID:
        raise ValidationFailed(_("Choose a street or community, not a grid."), field="home_place")
    areas = sorted(set(service_areas or []))
    if not areas:
        raise ValidationFailed(_("Choose at least one service area."), field="service_areas")
    unknown = [area for area in areas if area not in SERVICE_AREAS]
    if unknown:
        raise ValidationFailed(_("Choose service areas from the list."), field="service_areas")
    description = (description or "").strip()
    if len(description) > 5000:
        raise ValidationFailed(_("The description is too long (at most 5,000 characters)."), field="description")
    contact_name = (contact_name or "").strip()
    if not contact_name or len(contact_name) > 80:
        raise ValidationFailed(_("Enter the name of a contact person (at most 80 characters)."),
                               field="contact_name")
    contact_phone = (contact_phone or "").strip()
    if not PHONE_RE.match(contact_phone):
        raise ValidationFailed(_("Enter a phone number of digits (6 to 20)."), field="contact_phone")
    try:
        contact_email = validate_email((contact_email or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationFailed(_("Enter a valid email address."), field="contact_email") from None

    others = select(Organisation.id)
    if organisation is not None:
        others = others.where(Organisation.id != organisation.id)
    if db.session.scalar(others.where(func.lower(Organisation.name) == name.lower()).limit(1)):
        raise ValidationFailed(_("An organisation with this name is already registered on the portal."),
                               field="name")
    if db.session.scalar(others.where(Organisation.credit_code == credit_code).limit(1)):
        raise ValidationFailed(_("This credit code is already registered to another organisation."),
                               field="credit_code")
    return {"name": name, "legal_form": legal_form, "credit_code": credit_code, "home_place_id": home_place.id,
            "service_areas": areas, "description": description, "contact_name": contact_name,
            "contact_phone": contact_phone, "contact_email": contact_email}


def _flush_unique() -> None:
    """Flush; a name or code taken by a concurrent request since our check becomes a clear message."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise ValidationFailed(_("An organisation with this name or credit code was registered just now."),
                               field="name") from None


def _apply(organisation: Organisation, details: dict) -> None:
    areas = details.pop("service_areas")
    for key, value in details.items():
        setattr(organisation, key, value)
    current = {row.area: row for row in organisation.service_areas}
    organisation.service_areas = [current.get(area) or OrganisationServiceArea(area=area) for area in areas]


def register_organisation(user: User, name: str, legal_form: str, credit_code: str, home_place: Place | None,
                          service_areas: list[str], description: str, contact_name: str, contact_phone: str,
                          contact_email: str) -> Organisation:
    """A pending organisation; the person who registers it becomes its administrator."""
    details = _clean_details(name, legal_form, credit_code, home_place, service_areas, description, contact_name,
                             contact_phone, contact_email)
    organisation = Organisation(status=PENDING, created_by_id=user.id)
    _apply(organisation, details)
    db.session.add(organisation)
    _flush_unique()
    audit.record("organisation.registered", "organisation", organisation.id, actor=user,
                 after=_snapshot(organisation))
    accounts.grant_role(user, roles.ORG_ADMIN, roles.SCOPE_ORGANISATION, organisation.id, granted_by=user)
    return organisation


def check_editable(organisation: Organisation) -> None:
    if organisation.status == SUSPENDED:
        raise IllegalTransition(_("A suspended organisation cannot change its details. Contact the officials "
                                  "who suspended it."))


def update_organisation(organisation: Organisation, editor: User, name: str, legal_form: str, credit_code: str,
                        home_place: Place | None, service_areas: list[str], description: str, contact_name: str,
                        contact_phone: str, contact_email: str) -> Organisation:
    check_editable(organisation)
    details = _clean_details(name, legal_form, credit_code, home_place, service_areas, description, contact_name,
                             contact_phone, contact_email, organisation=organisation)
    if organisation.status == VERIFIED:
        for key in IDENTITY_FIELDS:
            if details[key] != getattr(organisation, key):
                raise ValidationFailed(
                    _("The name, legal form and credit code were verified by officials and cannot be changed "
                      "here. Contact the officials to correct them."), field=key)
    before = _snapshot(organisation)
    _apply(organisation, details)
    _flush_unique()
    after = _snapshot(organisation)
    changed = sorted(key for key in after if after[key] != before[key])
    if changed:
        audit.record("organisation.updated", "organisation", organisation.id, actor=editor,
                     before={key: before[key] for key in changed}, after={key: after[key] for key in changed})
    return organisation


# --- the verification lifecycle --------------------------------------------------------------------

def _move(organisation: Organisation, step: str, actor: User, reason: str | None = None) -> None:
    sources, target, action = TRANSITIONS[step]
    if organisation.status not in sources:
        raise IllegalTransition(_("“%(step)s” is not possible for an organisation that is “%(current)s”.",
                                  step=STEP_LABELS[step], current=STATUS_LABELS[organisation.status]))
    before = {"status": organisation.status, "status_reason": organisation.status_reason}
    organisation.status = target
    organisation.status_reason = reason
    if target == VERIFIED and organisation.verified_at is None:
        organisation.verified_at = utcnow()
    db.session.flush()
    audit.record(action, "organisation", organisation.id, actor=actor, before=before,
                 after={"status": organisation.status, "status_reason": organisation.status_reason})


def _required_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason; the organisation sees it and it is kept in the record."),
                               field="reason")
    if len(reason) > 2000:
        raise ValidationFailed(_("The reason is too long (at most 2,000 characters)."), field="reason")
    return reason


def verify_organisation(organisation: Organisation, official: User) -> Organisation:
    _move(organisation, "verify", official)
    return organisation


def reject_organisation(organisation: Organisation, official: User, reason: str) -> Organisation:
    _move(organisation, "reject", official, _required_reason(reason))
    return organisation


def resubmit_organisation(organisation: Organisation, user: User) -> Organisation:
    """A rejected organisation, its details corrected, asks to be checked again."""
    _move(organisation, "resubmit", user)
    return organisation


def suspend_organisation(organisation: Organisation, official: User, reason: str) -> Organisation:
    _move(organisation, "suspend", official, _required_reason(reason))
    return organisation


def reinstate_organisation(organisation: Organisation, official: User) -> Organisation:
    _move(organisation, "reinstate", official)
    return organisation


# --- documents -------------------------------------------------------------------------------------

def _download_name(original_name: str, content_type: str) -> str:
    """Keep the person's file name but give it the extension of what the file really is."""
    extension = DOCUMENT_TYPES[content_type]
    path = PurePath(original_name)
    if path.suffix.lower().lstrip(".") in ({extension, "jpeg"} if extension == "jpg" else {extension}):
        return original_name
    return f"{path.stem or 'document'}.{extension}"[:200]


def upload_document(organisation: Organisation, title: str, file_storage, user: User) -> OrganisationDocument:
    check_editable(organisation)
    title = " ".join((title or "").split())
    if not title:
        raise ValidationFailed(_("Give the document a title, for example “Registration certificate”."),
                               field="title")
    if len(title) > 120:
        raise ValidationFailed(_("The title is too long (at most 120 characters)."), field="title")
    stored = store_upload(file_storage, DOCUMENT_TYPES, field="file")
    document = OrganisationDocument(
        organisation=organisation, title=title, original_name=_download_name(stored.original_name,
                                                                            stored.content_type),
        content_type=stored.content_type, size=stored.size, sha256=stored.sha256, storage_key=stored.storage_key,
        uploaded_by_id=user.id)
    db.session.add(document)
    db.session.flush()
    audit.record("organisation.document_uploaded", "organisation", organisation.id, actor=user,
                 after={"document_id": document.id, "title": title, "content_type": document.content_type,
                        "size": document.size, "sha256": document.sha256})
    return document


# --- members and invitations -----------------------------------------------------------------------

def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def member_assignments(organisation: Organisation) -> list[RoleAssignment]:
    return list(db.session.scalars(
        select(RoleAssignment).options(joinedload(RoleAssignment.user))
        .where(RoleAssignment.scope_type == roles.SCOPE_ORGANISATION, RoleAssignment.scope_id == organisation.id,
               RoleAssignment.role.in_(MEMBER_ROLES))
        .order_by(RoleAssignment.role, RoleAssignment.granted_at, RoleAssignment.id)))


def _membership_of(organisation: Organisation, user: User) -> RoleAssignment | None:
    return db.session.scalar(select(RoleAssignment).where(
        RoleAssignment.user_id == user.id, RoleAssignment.scope_type == roles.SCOPE_ORGANISATION,
        RoleAssignment.scope_id == organisation.id, RoleAssignment.role.in_(MEMBER_ROLES)).limit(1))


def invite_member(organisation: Organisation, email: str, role: str, inviter: User) -> OrganisationInvitation:
    """Email a single-use link that lets the owner of `email` join with `role`."""
    if organisation.status == SUSPENDED:
        raise IllegalTransition(_("A suspended organisation cannot invite members."))
    if role not in MEMBER_ROLES:
        raise ValidationFailed(_("Choose a role from the list."), field="role")
    try:
        email = validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationFailed(_("Enter a valid email address."), field="email") from None
    invitee = accounts.find_user_by_email(email)
    if invitee is not None and _membership_of(organisation, invitee) is not None:
        raise ValidationFailed(_("%(email)s is already a member of this organisation.", email=email), field="email")
    now = utcnow()
    # A new invitation replaces any still-open one to the same address: only the newest link works.
    for open_invitation in db.session.scalars(select(OrganisationInvitation).where(
            OrganisationInvitation.organisation_id == organisation.id, OrganisationInvitation.email == email,
            OrganisationInvitation.accepted_at.is_(None), OrganisationInvitation.expires_at > now)):
        open_invitation.expires_at = now
    token = secrets.token_urlsafe(32)
    max_age = current_app.config["INVITATION_MAX_AGE"]
    invitation = OrganisationInvitation(organisation_id=organisation.id, email=email, role=role,
                                        token_hash=_hash_token(token), invited_by_id=inviter.id,
                                        created_at=now, expires_at=now + timedelta(seconds=max_age))
    db.session.add(invitation)
    db.session.flush()
    link = url_for("orgs.accept_invitation", token=token, _external=True)
    with force_locale(invitee.locale if invitee is not None else inviter.locale):
        send_mail(email, _("Invitation to join %(organisation)s", organisation=organisation.name),
                  _("%(inviter)s invites you to join %(organisation)s on the Community Services Portal as "
                    "%(role)s.\n\nOpen this link within %(days)d days and sign in (or create an account) with "
                    "this email address to accept:\n%(link)s\n\nThe link works once. If you did not expect this "
                    "invitation, ignore this message.",
                    inviter=inviter.display_name, organisation=organisation.name,
                    role=roles.ROLE_LABELS[role], days=invitation_days(), link=link))
    audit.record("organisation.member_invited", "organisation", organisation.id, actor=inviter,
                 after={"invitation_id": invitation.id, "email": email, "role": role,
                        "expires_at": invitation.expires_at.isoformat()})
    return invitation


def invitation_for_token(token: str) -> OrganisationInvitation:
    """The open invitation for `token`; a clear error when it is unknown, used or expired."""
    invitation = db.session.scalar(
        select(OrganisationInvitation).options(joinedload(OrganisationInvitation.organisation))
        .where(OrganisationInvitation.token_hash == _hash_token(token or "")))
    if invitation is None:
        raise InvitationNotFound(_("This invitation link is not valid. Check that the whole link was copied."))
    if invitation.accepted_at is not None:
        raise DomainError(_("This invitation has already been used. Ask the organisation for a new one if "
                            "you still need to join."), code="invalid_token")
    if invitation.expires_at <= utcnow():
        raise DomainError(_("This invitation has expired or was replaced by a newer one. Ask the organisation "
                            "for a new one."), code="invalid_token")
    return invitation


def mask_email(email: str) -> str:
    """a•••@example.org: enough for a person to recognise their address, not to harvest it."""
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def invitation_days() -> int:
    return max(1, current_app.config["INVITATION_MAX_AGE"] // 86400)


def invitation_is_for(invitation: OrganisationInvitation, user: User) -> bool:
    return accounts.normalise_email(user.email) == invitation.email


def accept_invitation(token: str, user: User) -> RoleAssignment:
    invitation = invitation_for_token(token)
    if not invitation_is_for(invitation, user):
        raise WrongAccount(_("This invitation was sent to %(email)s. Sign in with the account that uses that "
                             "address to accept it.", email=mask_email(invitation.email)))
    organisation = invitation.organisation
    if _membership_of(organisation, user) is not None:
        raise DomainError(_("You are already a member of %(organisation)s.", organisation=organisation.name))
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    assignment = accounts.grant_role(user, invitation.role, roles.SCOPE_ORGANISATION, organisation.id,
                                     granted_by=invitation.invited_by)
    audit.record("organisation.member_added", "organisation", organisation.id, actor=user,
                 after={"user_id": user.id, "role": invitation.role, "invitation_id": invitation.id})
    return assignment


def remove_member(organisation: Organisation, assignment: RoleAssignment, remover: User) -> None:
    if (assignment.scope_type != roles.SCOPE_ORGANISATION or assignment.scope_id != organisation.id
            or assignment.role not in MEMBER_ROLES):
        raise ValidationFailed(_("This person is not a member of this organisation."), field="member")
    if assignment.role == roles.ORG_ADMIN:
        admins = db.session.scalar(select(func.count()).select_from(RoleAssignment).where(
            RoleAssignment.scope_type == roles.SCOPE_ORGANISATION, RoleAssignment.scope_id == organisation.id,
            RoleAssignment.role == roles.ORG_ADMIN))
        if admins <= 1:
            raise DomainError(_("An organisation needs at least one administrator. Invite another administrator "
                                "before removing this one."))
    before = {"user_id": assignment.user_id, "role": assignment.role}
    accounts.revoke_role(assignment, revoked_by=remover)
    audit.record("organisation.member_removed", "organisation", organisation.id, actor=remover, before=before)


# --- reading ---------------------------------------------------------------------------------------

class Membership(NamedTuple):
    """A member's role assignment together with the organisation it is in (what a members route acts on)."""

    organisation: Organisation
    assignment: RoleAssignment


def load_organisation(org_id: int) -> Organisation | None:
    return db.session.scalar(
        select(Organisation).options(joinedload(Organisation.home_place), selectinload(Organisation.service_areas))
        .where(Organisation.id == org_id))


def load_document(org_id: int, document_id: int) -> OrganisationDocument | None:
    """The document if it belongs to that organisation (another organisation's document is a 404)."""
    document = db.session.get(OrganisationDocument, document_id)
    return document if document is not None and document.organisation_id == org_id else None


def load_membership(org_id: int, assignment_id: int) -> Membership | None:
    """The member's assignment in that organisation, or None (another scope's assignment is a 404)."""
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.scope_type != roles.SCOPE_ORGANISATION or assignment.scope_id != org_id:
        return None
    organisation = load_organisation(org_id)
    return Membership(organisation, assignment) if organisation is not None else None


def memberships(organisation: Organisation) -> list[Membership]:
    return [Membership(organisation, assignment) for assignment in member_assignments(organisation)]


def directory_query(search: str = "", legal_form: str = "", area: str = "", place: Place | None = None):
    """Verified organisations for the public directory, with what the list shows loaded up front."""
    statement = (select(Organisation)
                 .options(selectinload(Organisation.service_areas), joinedload(Organisation.home_place))
                 .where(Organisation.status == VERIFIED)
                 .order_by(Organisation.name, Organisation.id))
    if search:
        statement = statement.where(or_(Organisation.name.icontains(search, autoescape=True),
                                        Organisation.description.icontains(search, autoescape=True)))
    if legal_form in LEGAL_FORMS:
        statement = statement.where(Organisation.legal_form == legal_form)
    if area in SERVICE_AREAS:
        statement = statement.where(Organisation.service_areas.any(OrganisationServiceArea.area == area))
    if place is not None:
        statement = statement.where(Organisation.home_place_id.in_(in_subtree(place)))
    return statement


def in_subtree(place: Place):
    """Ids of `place` and every place under it (one prefix match on the materialised path)."""
    return select(Place.id).where(Place.path.startswith(place.path, autoescape=True))


def organisations_of(user: User) -> list[tuple[Organisation, str]]:
    """(organisation, role) for every organisation `user` belongs to, those needing action first."""
    rows = db.session.execute(
        select(Organisation, RoleAssignment.role)
        .join(RoleAssignment, and_(RoleAssignment.scope_id == Organisation.id,
                                   RoleAssignment.scope_type == roles.SCOPE_ORGANISATION))
        .options(joinedload(Organisation.home_place), selectinload(Organisation.documents))
        .where(RoleAssignment.user_id == user.id, RoleAssignment.role.in_(MEMBER_ROLES)))
    # what needs the person's attention first: rejected, then pending, suspended, verified
    order = {REJECTED: 0, PENDING: 1, SUSPENDED: 2, VERIFIED: 3}
    return sorted(((organisation, role) for organisation, role in rows),
                  key=lambda row: (order.get(row[0].status, 9), row[0].name))


def history_of(organisation: Organisation) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).options(joinedload(AuditEvent.actor))
        .where(AuditEvent.object_type == "organisation", AuditEvent.object_id == str(organisation.id))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())))


def places_for_choices(*kinds: str) -> list[Place]:
    """Places of `kinds` in tree order (a parent before its children, siblings by code), for selects."""
    places = list(db.session.scalars(select(Place).where(Place.kind.in_(kinds))))
    by_parent: dict[int | None, list[Place]] = {}
    ids = {place.id for place in places}
    for place in places:
        by_parent.setdefault(place.parent_id if place.parent_id in ids else None, []).append(place)
    ordered: list[Place] = []

    def walk(parent_id):
        for place in sorted(by_parent.get(parent_id, []), key=lambda p: (p.code, p.id)):
            ordered.append(place)
            walk(place.id)

    walk(None)
    return ordered
