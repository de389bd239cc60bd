"""The organisations service: registration rules, the verification lifecycle, documents, members, audit."""
import io
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal.accounts import roles
from portal.accounts.models import RoleAssignment
from portal.accounts.scopes import forget_assignments
from portal.audit.models import AuditEvent
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.orgs import service
from portal.orgs.models import (
    FOUNDATION,
    PENDING,
    PRIVATE_NON_ENTERPRISE,
    REJECTED,
    SOCIAL_GROUP,
    SUSPENDED,
    VERIFIED,
    Organisation,
    OrganisationInvitation,
)
from tests.factories.accounts import UserFactory
from tests.factories.orgs import credit_code, make_organisation, tiny_pdf


def _register(user, place, **overrides):
    fields = {"name": "夕阳红为老服务中心", "legal_form": PRIVATE_NON_ENTERPRISE, "credit_code": credit_code("2"),
              "home_place": place, "service_areas": ["elderly_care", "mutual_aid"],
              "description": "上门助餐、助浴", "contact_name": "王芳", "contact_phone": "0717-6123456",
              "contact_email": "Contact@Example.org"}
    fields.update(overrides)
    return service.register_organisation(user, **fields)


def _events(organisation, action):
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "organisation", AuditEvent.object_id == str(organisation.id),
        AuditEvent.action == action)))


def _role_of(user, organisation):
    return db.session.scalar(select(RoleAssignment.role).where(
        RoleAssignment.user_id == user.id, RoleAssignment.scope_type == roles.SCOPE_ORGANISATION,
        RoleAssignment.scope_id == organisation.id))


# --- registration ----------------------------------------------------------------------------------

def test_registration_makes_a_pending_organisation_with_its_creator_as_admin(founder, places):
    code = credit_code("2")
    organisation = _register(founder, places["community"], credit_code=f" {code.lower()} ")
    assert organisation.status == PENDING
    assert organisation.credit_code == code
    assert organisation.area_codes == ["elderly_care", "mutual_aid"]
    assert organisation.created_by_id == founder.id
    assert _role_of(founder, organisation) == roles.ORG_ADMIN
    [event] = _events(organisation, "organisation.registered")
    assert event.actor_id == founder.id and event.after["credit_code"] == code


def test_duplicate_name_is_refused_ignoring_case_and_spaces(founder, places):
    make_organisation(founder, places["community"], name="Sunrise Elderly Care")
    with pytest.raises(ValidationFailed) as caught:
        _register(founder, places["community"], name="  sunrise   elderly care ")
    assert caught.value.field == "name"


def test_duplicate_credit_code_is_refused(founder, places):
    existing = make_organisation(founder, places["community"])
    with pytest.raises(ValidationFailed) as caught:
        _register(founder, places["community"], credit_code=existing.credit_code.lower())
    assert caught.value.field == "credit_code"


def test_code_type_must_match_legal_form(founder, places):
    with pytest.raises(ValidationFailed) as caught:
        _register(founder, places["community"], legal_form=FOUNDATION, credit_code=credit_code("1"))
    assert caught.value.field == "credit_code"


@pytest.mark.parametrize("field, value", [
    ("name", "  "), ("legal_form", "company"), ("service_areas", []), ("service_areas", ["astrology"]),
    ("contact_name", ""), ("contact_phone", "call me"), ("contact_email", "not-an-email"), ("home_place", None),
])
def test_each_required_detail_is_checked(founder, places, field, value):
    with pytest.raises(ValidationFailed) as caught:
        _register(founder, places["community"], **{field: value})
    assert caught.value.field == field


def test_a_grid_is_too_small_to_be_a_home_place(founder, places):
    with pytest.raises(ValidationFailed) as caught:
        _register(founder, places["grid"])
    assert caught.value.field == "home_place"


# --- the lifecycle ---------------------------------------------------------------------------------

def test_verify_records_who_and_when(founder, street_official, places):
    organisation = _register(founder, places["community"])
    service.verify_organisation(organisation, street_official)
    assert organisation.status == VERIFIED and organisation.verified_at is not None
    [event] = _events(organisation, "organisation.verified")
    assert event.actor_id == street_official.id
    assert event.before["status"] == PENDING and event.after["status"] == VERIFIED


def test_reject_needs_a_reason_and_keeps_it(founder, street_official, places):
    organisation = _register(founder, places["community"])
    with pytest.raises(ValidationFailed) as caught:
        service.reject_organisation(organisation, street_official, "   ")
    assert caught.value.field == "reason"
    assert organisation.status == PENDING
    service.reject_organisation(organisation, street_official, "证书照片不清晰")
    assert organisation.status == REJECTED and organisation.status_reason == "证书照片不清晰"
    [event] = _events(organisation, "organisation.rejected")
    assert event.after == {"status": REJECTED, "status_reason": "证书照片不清晰"}


def test_rejected_organisation_resubmits_to_pending_then_can_be_verified(founder, street_official, places):
    organisation = _register(founder, places["community"])
    service.reject_organisation(organisation, street_official, "missing certificate")
    service.resubmit_organisation(organisation, founder)
    assert organisation.status == PENDING and organisation.status_reason is None
    assert _events(organisation, "organisation.resubmitted")[0].before["status"] == REJECTED
    service.verify_organisation(organisation, street_official)
    assert organisation.status == VERIFIED


def test_suspend_needs_a_reason_and_reinstate_returns_to_verified(founder, street_official, places):
    organisation = _register(founder, places["community"])
    service.verify_organisation(organisation, street_official)
    first_verified_at = organisation.verified_at
    with pytest.raises(ValidationFailed):
        service.suspend_organisation(organisation, street_official, "")
    service.suspend_organisation(organisation, street_official, "服务投诉调查中")
    assert organisation.status == SUSPENDED and organisation.status_reason == "服务投诉调查中"
    service.reinstate_organisation(organisation, street_official)
    assert organisation.status == VERIFIED and organisation.status_reason is None
    assert organisation.verified_at == first_verified_at
    assert [len(_events(organisation, action)) for action in
            ("organisation.suspended", "organisation.reinstated")] == [1, 1]


ILLEGAL = [
    (PENDING, "suspend"), (PENDING, "reinstate"), (PENDING, "resubmit"),
    (VERIFIED, "verify"), (VERIFIED, "reject"), (VERIFIED, "reinstate"), (VERIFIED, "resubmit"),
    (REJECTED, "verify"), (REJECTED, "reject"), (REJECTED, "suspend"), (REJECTED, "reinstate"),
    (SUSPENDED, "verify"), (SUSPENDED, "reject"), (SUSPENDED, "suspend"), (SUSPENDED, "resubmit"),
]


@pytest.mark.parametrize("status, step", ILLEGAL)
def test_illegal_steps_raise_409_and_change_nothing(founder, street_official, places, status, step):
    organisation = make_organisation(founder, places["community"], status=status)
    call = {"verify": lambda: service.verify_organisation(organisation, street_official),
            "reject": lambda: service.reject_organisation(organisation, street_official, "reason"),
            "suspend": lambda: service.suspend_organisation(organisation, street_official, "reason"),
            "reinstate": lambda: service.reinstate_organisation(organisation, street_official),
            "resubmit": lambda: service.resubmit_organisation(organisation, founder)}[step]
    with pytest.raises(IllegalTransition) as caught:
        call()
    assert caught.value.status_code == 409
    assert organisation.status == status
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "organisation")) is None


def test_transition_table_is_the_documented_lifecycle():
    moves = {(source, target) for sources, target, _action in service.TRANSITIONS.values() for source in sources}
    assert moves == {(PENDING, VERIFIED), (PENDING, REJECTED), (REJECTED, PENDING), (VERIFIED, SUSPENDED),
                     (SUSPENDED, VERIFIED)}


# --- editing ---------------------------------------------------------------------------------------

def _current(organisation, **changes):
    fields = {"name": organisation.name, "legal_form": organisation.legal_form,
              "credit_code": organisation.credit_code, "home_place": organisation.home_place,
              "service_areas": organisation.area_codes, "description": organisation.description,
              "contact_name": organisation.contact_name, "contact_phone": organisation.contact_phone,
              "contact_email": organisation.contact_email}
    fields.update(changes)
    return fields


def test_update_audits_only_what_changed(founder, places):
    organisation = _register(founder, places["community"])
    service.update_organisation(organisation, founder, **_current(
        organisation, contact_phone="0717-6999999", service_areas=["elderly_care"]))
    [event] = _events(organisation, "organisation.updated")
    assert event.before == {"contact_phone": "0717-6123456", "service_areas": ["elderly_care", "mutual_aid"]}
    assert event.after == {"contact_phone": "0717-6999999", "service_areas": ["elderly_care"]}


def test_verified_identity_cannot_be_changed_by_the_organisation(founder, street_official, places):
    organisation = _register(founder, places["community"])
    service.verify_organisation(organisation, street_official)
    with pytest.raises(ValidationFailed) as caught:
        service.update_organisation(organisation, founder, **_current(organisation, name="另一个名字"))
    assert caught.value.field == "name"
    service.update_organisation(organisation, founder, **_current(organisation, description="新的介绍"))
    assert organisation.description == "新的介绍"


def test_update_may_keep_its_own_name_and_code(founder, places):
    organisation = _register(founder, places["community"])
    service.update_organisation(organisation, founder, **_current(organisation))
    assert _events(organisation, "organisation.updated") == []


def test_suspended_organisation_cannot_be_edited(founder, places):
    organisation = make_organisation(founder, places["community"], status=SUSPENDED)
    with pytest.raises(IllegalTransition):
        service.update_organisation(organisation, founder, **_current(organisation, description="x"))


# --- documents -------------------------------------------------------------------------------------

def _file(data: bytes, name: str) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


def test_upload_document_stores_and_audits(founder, places):
    organisation = _register(founder, places["community"])
    document = service.upload_document(organisation, "登记证书", _file(tiny_pdf(), "证书.pdf"), founder)
    assert document.content_type == "application/pdf" and document.original_name == "证书.pdf"
    [event] = _events(organisation, "organisation.document_uploaded")
    assert event.after["document_id"] == document.id and event.after["sha256"] == document.sha256


def test_disguised_upload_is_refused(founder, places):
    organisation = _register(founder, places["community"])
    with pytest.raises(ValidationFailed) as caught:
        service.upload_document(organisation, "证书", _file(b"just some text, not a PDF", "certificate.pdf"), founder)
    assert caught.value.field == "file"


def test_download_name_gets_the_real_extension(founder, places):
    from tests.factories.orgs import tiny_png

    organisation = _register(founder, places["community"])
    document = service.upload_document(organisation, "照片", _file(tiny_png(), "scan.jpg"), founder)
    assert document.content_type == "image/png" and document.original_name == "scan.png"


def test_a_picture_named_pdf_is_refused(founder, places):
    from tests.factories.orgs import tiny_png

    organisation = _register(founder, places["community"])
    with pytest.raises(ValidationFailed) as caught:
        service.upload_document(organisation, "证书", _file(tiny_png(), "x.pdf"), founder)
    assert caught.value.field == "file" and "PNG" in caught.value.message


def test_document_needs_a_title(founder, places):
    organisation = _register(founder, places["community"])
    with pytest.raises(ValidationFailed) as caught:
        service.upload_document(organisation, " ", _file(tiny_pdf(), "a.pdf"), founder)
    assert caught.value.field == "title"


# --- members and invitations -----------------------------------------------------------------------

def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def _token_from(message) -> str:
    body = _body(message)
    return body.split("/invitations/")[1].split()[0]


def test_invitation_is_emailed_with_a_token_stored_only_hashed(app, founder, places, outbox):
    organisation = _register(founder, places["community"])
    with app.test_request_context():
        invitation = service.invite_member(organisation, " Helper@Example.org ", roles.ORG_MEMBER, founder)
    [message] = outbox()
    assert message["To"] == "helper@example.org"
    token = _token_from(message)
    assert invitation.token_hash == service._hash_token(token) and token not in invitation.token_hash
    assert invitation.expires_at > utcnow() + timedelta(days=6)
    [event] = _events(organisation, "organisation.member_invited")
    assert event.after["email"] == "helper@example.org" and event.after["role"] == roles.ORG_MEMBER


def test_accepting_grants_the_role_once(app, founder, places, outbox):
    organisation = _register(founder, places["community"])
    helper = UserFactory(email="helper@example.org")
    with app.test_request_context():
        service.invite_member(organisation, "helper@example.org", roles.ORG_MEMBER, founder)
    token = _token_from(outbox()[0])
    service.accept_invitation(token, helper)
    assert _role_of(helper, organisation) == roles.ORG_MEMBER
    assert _events(organisation, "organisation.member_added")[0].after["user_id"] == helper.id
    with pytest.raises(DomainError) as caught:
        service.accept_invitation(token, helper)
    assert caught.value.code == "invalid_token"


def test_invitation_for_someone_else_is_refused(app, founder, places, outbox):
    organisation = _register(founder, places["community"])
    stranger = UserFactory(email="stranger@example.org")
    with app.test_request_context():
        service.invite_member(organisation, "helper@example.org", roles.ORG_ADMIN, founder)
    token = _token_from(outbox()[0])
    with pytest.raises(service.WrongAccount):
        service.accept_invitation(token, stranger)
    assert _role_of(stranger, organisation) is None
    assert db.session.scalar(select(OrganisationInvitation.accepted_at)) is None


def test_expired_invitation_is_refused(app, founder, places, outbox):
    organisation = _register(founder, places["community"])
    helper = UserFactory(email="helper@example.org")
    with app.test_request_context():
        invitation = service.invite_member(organisation, "helper@example.org", roles.ORG_MEMBER, founder)
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(DomainError) as caught:
        service.accept_invitation(_token_from(outbox()[0]), helper)
    assert caught.value.code == "invalid_token"


def test_a_new_invitation_replaces_the_open_one(app, founder, places, outbox):
    organisation = _register(founder, places["community"])
    helper = UserFactory(email="helper@example.org")
    with app.test_request_context():
        service.invite_member(organisation, "helper@example.org", roles.ORG_MEMBER, founder)
        service.invite_member(organisation, "helper@example.org", roles.ORG_ADMIN, founder)
    first, second = (_token_from(message) for message in outbox())
    with pytest.raises(DomainError):
        service.accept_invitation(first, helper)
    service.accept_invitation(second, helper)
    assert _role_of(helper, organisation) == roles.ORG_ADMIN


def test_unknown_token_is_not_found():
    with pytest.raises(service.InvitationNotFound) as caught:
        service.invitation_for_token("nope")
    assert caught.value.status_code == 404


def test_existing_member_cannot_be_invited_again(app, founder, places):
    organisation = _register(founder, places["community"])
    with app.test_request_context(), pytest.raises(ValidationFailed) as caught:
        service.invite_member(organisation, founder.email.upper(), roles.ORG_MEMBER, founder)
    assert caught.value.field == "email"


def test_suspended_organisation_cannot_invite(app, founder, places):
    organisation = make_organisation(founder, places["community"], status=SUSPENDED)
    with app.test_request_context(), pytest.raises(IllegalTransition):
        service.invite_member(organisation, "helper@example.org", roles.ORG_MEMBER, founder)


def test_invitation_email_is_in_the_invitees_language(app, founder, places, outbox):
    organisation = _register(founder, places["community"])
    UserFactory(email="helper@example.org", locale="en")
    with app.test_request_context(), force_locale("zh_CN"):
        service.invite_member(organisation, "helper@example.org", roles.ORG_MEMBER, founder)
    assert "invites you to join" in _body(outbox()[0])


def test_remove_member_is_audited_but_the_last_admin_stays(founder, places):
    organisation = _register(founder, places["community"])
    helper = UserFactory()
    membership = service.accounts.grant_role(helper, roles.ORG_MEMBER, roles.SCOPE_ORGANISATION, organisation.id,
                                             granted_by=founder)
    service.remove_member(organisation, membership, founder)
    assert _role_of(helper, organisation) is None
    assert _events(organisation, "organisation.member_removed")[0].before == {"user_id": helper.id,
                                                                             "role": roles.ORG_MEMBER}
    forget_assignments()
    [admin] = service.member_assignments(organisation)
    with pytest.raises(DomainError):
        service.remove_member(organisation, admin, founder)
    assert _role_of(founder, organisation) == roles.ORG_ADMIN


def test_member_of_another_organisation_cannot_be_removed_here(founder, places):
    organisation = _register(founder, places["community"])
    other = _register(founder, places["community"], name="另一个中心", credit_code=credit_code("1"),
                      legal_form=SOCIAL_GROUP)
    [assignment] = service.member_assignments(other)
    with pytest.raises(ValidationFailed):
        service.remove_member(organisation, assignment, founder)


def test_organisations_of_lists_memberships(founder, places):
    organisation = _register(founder, places["community"])
    make_organisation(UserFactory(), places["community"])
    assert service.organisations_of(founder) == [(organisation, roles.ORG_ADMIN)]
    assert db.session.get(Organisation, organisation.id) is organisation


@pytest.mark.parametrize("status", [PENDING, VERIFIED, REJECTED, SUSPENDED])
def test_review_buttons_follow_the_lifecycle_table(founder, street_official, other_official, places, status):
    from portal.orgs import policy

    organisation = make_organisation(founder, places["community"], status=status)
    shown = {step for step, check in (("verify", policy.can_verify_organisation),
                                      ("reject", policy.can_reject_organisation),
                                      ("suspend", policy.can_suspend_organisation),
                                      ("reinstate", policy.can_reinstate_organisation)) if check(street_official,
                                                                                                 organisation)}
    assert shown == {step for step, (sources, _target, _action) in service.TRANSITIONS.items()
                     if status in sources and step != "resubmit"}
    assert not policy.can_verify_organisation(other_official, organisation)
