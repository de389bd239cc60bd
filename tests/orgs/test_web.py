"""Organisation pages through the test client: registration, documents, review, members, invitations."""
import re
from email.header import decode_header, make_header

import pytest
from sqlalchemy import func, select

from portal.accounts import roles
from portal.accounts.models import RoleAssignment
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.orgs.models import (
    FOUNDATION,
    PENDING,
    PRIVATE_NON_ENTERPRISE,
    REJECTED,
    SUSPENDED,
    VERIFIED,
    Organisation,
    OrganisationDocument,
)
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import credit_code, make_document, make_organisation, tiny_pdf, tiny_png

EN = {"Accept-Language": "en"}


def _org_count():
    return db.session.scalar(select(func.count()).select_from(Organisation))


def _document_count():
    return db.session.scalar(select(func.count()).select_from(OrganisationDocument))


def _register_data(place, **overrides):
    data = {"name": "夕阳红为老服务中心", "legal_form": PRIVATE_NON_ENTERPRISE, "credit_code": credit_code("2"),
            "home_place": str(place.id), "service_areas": ["elderly_care", "disability"],
            "description": "上门助餐", "contact_name": "王芳", "contact_phone": "0717-6123456",
            "contact_email": "wang@example.org"}
    data.update(overrides)
    return data


def _error_next_to(html: str, field_id: str) -> str:
    """The error text rendered under the field with `field_id` (empty when there is none)."""
    match = re.search(rf'id="{field_id}-error">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def _sign_in_as(client, login_as, user):
    """Sign out whoever is signed in, then sign in as `user`."""
    client.post_form("/logout", {}, token_from="/")
    login_as(user)


def _listed(client, organisation) -> bool:
    return f'href="/organisations/{organisation.id}"' in client.get("/organisations/").get_data(as_text=True)


@pytest.fixture
def organisation_admin(places):
    admin = UserFactory(email="org.admin@example.org", locale="en")
    organisation = make_organisation(admin, places["community"], status=PENDING)
    grant(admin, roles.ORG_ADMIN, organisation)
    return admin, organisation


# --- registration ----------------------------------------------------------------------------------

def test_register_form_offers_streets_and_communities_not_grids(client, login_as, founder, places):
    login_as(founder)
    html = client.get("/organisations/register", headers=EN).get_data(as_text=True)
    assert '<optgroup label="夜明珠街道">' in html
    assert f'value="{places["community"].id}"' in html and f'value="{places["street"].id}"' in html
    assert f'value="{places["grid"].id}"' not in html
    assert 'type="checkbox"' in html and 'value="elderly_care"' in html


def test_register_creates_pending_organisation_with_first_document(client, login_as, founder, places):
    login_as(founder)
    data = _register_data(places["community"], document_title="登记证书",
                          document=(__import__("io").BytesIO(tiny_pdf()), "证书.pdf"))
    response = client.post_form("/organisations/register", data, content_type="multipart/form-data")
    assert response.status_code == 302
    organisation = db.session.scalar(select(Organisation))
    assert response.headers["Location"].endswith(f"/organisations/{organisation.id}")
    assert organisation.status == PENDING and organisation.area_codes == ["disability", "elderly_care"]
    assert [d.title for d in organisation.documents] == ["登记证书"]
    assert db.session.scalar(select(RoleAssignment.role).where(
        RoleAssignment.user_id == founder.id, RoleAssignment.scope_id == organisation.id)) == roles.ORG_ADMIN
    page = client.get(f"/organisations/{organisation.id}", headers=EN).get_data(as_text=True)
    assert "Pending verification" in page and "登记证书" in page


def test_register_with_a_wrong_check_character_shows_the_message_by_the_field(client, login_as, founder, places):
    login_as(founder)
    code = credit_code("2")
    bad = code[:17] + ("0" if code[17] != "0" else "1")
    response = client.post_form("/organisations/register", _register_data(places["community"], credit_code=bad),
                                headers=EN)
    assert response.status_code == 400
    assert "check character" in _error_next_to(response.get_data(as_text=True), "credit_code")
    assert bad in response.get_data(as_text=True)  # the input is kept
    assert _org_count() == 0


def test_register_with_a_code_of_another_legal_form_is_refused(client, login_as, founder, places):
    login_as(founder)
    response = client.post_form("/organisations/register", _register_data(
        places["community"], legal_form=FOUNDATION, credit_code=credit_code("2")), headers=EN)
    assert response.status_code == 400
    assert "Foundation" in _error_next_to(response.get_data(as_text=True), "credit_code")
    assert _org_count() == 0


def test_register_with_a_taken_name_is_refused(client, login_as, founder, places):
    make_organisation(founder, places["community"], name="夕阳红为老服务中心")
    login_as(founder)
    response = client.post_form("/organisations/register", _register_data(places["community"]), headers=EN)
    assert response.status_code == 400
    assert "already registered" in _error_next_to(response.get_data(as_text=True), "name")
    assert _org_count() == 1


def test_register_with_a_taken_code_is_refused(client, login_as, founder, places):
    existing = make_organisation(founder, places["community"])
    login_as(founder)
    response = client.post_form("/organisations/register", _register_data(
        places["community"], credit_code=existing.credit_code), headers=EN)
    assert response.status_code == 400
    assert "already registered" in _error_next_to(response.get_data(as_text=True), "credit_code")


def test_register_without_service_area_is_refused(client, login_as, founder, places):
    login_as(founder)
    response = client.post_form("/organisations/register", _register_data(places["community"], service_areas=[]),
                                headers=EN)
    assert response.status_code == 400
    assert "at least one service area" in response.get_data(as_text=True)


def test_register_with_a_disguised_document_saves_nothing(client, login_as, founder, places):
    login_as(founder)
    data = _register_data(places["community"], document=(__import__("io").BytesIO(b"plain text"), "cert.pdf"))
    response = client.post_form("/organisations/register", data, content_type="multipart/form-data", headers=EN)
    assert response.status_code == 400
    assert "not a real" in _error_next_to(response.get_data(as_text=True), "document")
    assert _org_count() == 0
    assert db.session.scalar(select(func.count()).select_from(RoleAssignment).where(
        RoleAssignment.user_id == founder.id)) == 0


def test_register_needs_sign_in(client):
    assert client.get("/organisations/register").status_code == 302


# --- documents -------------------------------------------------------------------------------------

def _upload(client, organisation, data: bytes, name: str, title="登记证书"):
    import io

    return client.post_form(f"/organisations/{organisation.id}/documents",
                            {"title": title, "file": (io.BytesIO(data), name)},
                            content_type="multipart/form-data", headers=EN)


@pytest.mark.parametrize("maker, name, mime", [(tiny_pdf, "cert.pdf", "application/pdf"),
                                               (tiny_png, "cert.png", "image/png")])
def test_real_pdf_and_png_are_accepted(client, login_as, organisation_admin, maker, name, mime):
    admin, organisation = organisation_admin
    login_as(admin)
    response = _upload(client, organisation, maker(), name)
    assert response.status_code == 302
    [document] = organisation.documents
    assert document.content_type == mime and document.size == len(maker())
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.document_uploaded"))


def test_a_text_file_named_pdf_is_refused(client, login_as, organisation_admin):
    admin, organisation = organisation_admin
    login_as(admin)
    response = _upload(client, organisation, b"%not really a pdf, just text\n", "cert.pdf")
    assert response.status_code == 400
    assert "checked by its content" in _error_next_to(response.get_data(as_text=True), "file")
    assert _document_count() == 0


def test_an_oversize_file_is_refused(app, client, login_as, organisation_admin):
    admin, organisation = organisation_admin
    login_as(admin)
    limit = app.config["MAX_UPLOAD_BYTES"]
    app.config["MAX_UPLOAD_BYTES"] = 200
    try:
        response = _upload(client, organisation, tiny_pdf() + b"%" + b"x" * 400, "big.pdf")
    finally:
        app.config["MAX_UPLOAD_BYTES"] = limit
    assert response.status_code == 400
    assert "too large" in _error_next_to(response.get_data(as_text=True), "file")
    assert _document_count() == 0


def test_download_is_an_attachment_with_the_stored_type(client, login_as, organisation_admin):
    admin, organisation = organisation_admin
    document = make_document(organisation, admin, data=tiny_png(), filename="照片.png")
    login_as(admin)
    response = client.get(f"/organisations/{organisation.id}/documents/{document.id}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E7%85%A7%E7%89%87.png" in response.headers["Content-Disposition"]
    assert response.get_data() == tiny_png()
    response.close()


def test_documents_are_hidden_from_non_members_even_of_a_verified_organisation(client, login_as, places):
    admin = UserFactory()
    organisation = make_organisation(admin, places["community"], status=VERIFIED)
    document = make_document(organisation, admin)
    login_as(UserFactory())
    assert client.get(f"/organisations/{organisation.id}").status_code == 200
    assert client.get(f"/organisations/{organisation.id}/documents").status_code == 404
    assert client.get(f"/organisations/{organisation.id}/documents/{document.id}").status_code == 404
    assert document.title not in client.get(f"/organisations/{organisation.id}").get_data(as_text=True)


def test_a_document_is_only_reachable_under_its_own_organisation(client, login_as, organisation_admin, places):
    admin, organisation = organisation_admin
    other = make_organisation(UserFactory(), places["community"])
    foreign = make_document(other, admin, data=tiny_png(), filename="x.png")
    login_as(admin)
    assert client.get(f"/organisations/{organisation.id}/documents/{foreign.id}").status_code == 404


def test_member_who_is_not_admin_sees_but_cannot_upload(client, login_as, organisation_admin):
    _admin, organisation = organisation_admin
    member = UserFactory()
    grant(member, roles.ORG_MEMBER, organisation)
    login_as(member)
    page = client.get(f"/organisations/{organisation.id}/documents", headers=EN)
    assert page.status_code == 200 and "Upload a document" not in page.get_data(as_text=True)
    assert _upload(client, organisation, tiny_pdf(), "a.pdf").status_code == 404


# --- review by officials ---------------------------------------------------------------------------

def test_official_outside_the_scope_gets_404_and_cannot_verify(client, login_as, organisation_admin,
                                                                 other_official):
    _admin, organisation = organisation_admin
    login_as(other_official)
    assert client.get(f"/organisations/{organisation.id}").status_code == 404
    assert client.get(f"/organisations/{organisation.id}/documents").status_code == 404
    response = client.post_form(f"/organisations/{organisation.id}/verify", {}, token_from="/organisations/review")
    assert response.status_code == 404
    assert organisation.status == PENDING
    queue = client.get("/organisations/review").get_data(as_text=True)
    assert organisation.name not in queue


def test_official_in_scope_verifies_and_it_is_audited(client, login_as, organisation_admin, street_official):
    _admin, organisation = organisation_admin
    login_as(street_official)
    queue = client.get("/organisations/review", headers=EN).get_data(as_text=True)
    assert organisation.name in queue and f"/organisations/{organisation.id}/verify" in queue
    response = client.post_form(f"/organisations/{organisation.id}/verify", {"origin": "queue"},
                                token_from="/organisations/review")
    assert response.status_code == 302
    assert organisation.status == VERIFIED
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.verified"))
    assert event.actor_id == street_official.id and event.object_id == str(organisation.id)
    assert event.before["status"] == PENDING and event.after["status"] == VERIFIED
    assert _listed(client, organisation)


def test_reject_without_reason_is_400_with_the_message_by_the_field(client, login_as, organisation_admin,
                                                                     street_official):
    _admin, organisation = organisation_admin
    login_as(street_official)
    response = client.post_form(f"/organisations/{organisation.id}/reject", {"reason": "  ", "origin": "queue"},
                                token_from="/organisations/review", headers=EN)
    assert response.status_code == 400
    assert "Give the reason" in _error_next_to(response.get_data(as_text=True), f"reject-reason-{organisation.id}")
    assert organisation.status == PENDING


def test_reject_from_the_organisation_page_shows_the_error_there(client, login_as, organisation_admin,
                                                                   street_official):
    _admin, organisation = organisation_admin
    login_as(street_official)
    response = client.post_form(f"/organisations/{organisation.id}/reject", {"reason": "", "origin": "detail"},
                                token_from=f"/organisations/{organisation.id}", headers=EN)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "History" in html and "Give the reason" in _error_next_to(html, f"reject-reason-{organisation.id}")


def test_reject_with_reason_then_the_organisation_sees_it_and_resubmits(client, login_as, organisation_admin,
                                                                        street_official):
    admin, organisation = organisation_admin
    login_as(street_official)
    response = client.post_form(f"/organisations/{organisation.id}/reject",
                                {"reason": "请上传登记证书", "origin": "detail"},
                                token_from=f"/organisations/{organisation.id}")
    assert response.status_code == 302 and organisation.status == REJECTED
    _sign_in_as(client, login_as, admin)
    mine = client.get("/organisations/mine", headers=EN).get_data(as_text=True)
    assert "请上传登记证书" in mine and "resubmit" in mine
    edit = client.get(f"/organisations/{organisation.id}/edit", headers=EN).get_data(as_text=True)
    assert "Save and resubmit" in edit
    data = {"name": organisation.name, "legal_form": organisation.legal_form,
            "credit_code": organisation.credit_code, "home_place": str(organisation.home_place_id),
            "service_areas": ["elderly_care"], "description": "补充了证书", "contact_name": "王芳",
            "contact_phone": "0717-6123456", "contact_email": "wang@example.org", "resubmit": "1"}
    response = client.post_form(f"/organisations/{organisation.id}/edit", data)
    assert response.status_code == 302
    assert organisation.status == PENDING and organisation.description == "补充了证书"


def test_suspend_and_reinstate(client, login_as, places, street_official):
    organisation = make_organisation(UserFactory(), places["community"], status=VERIFIED)
    login_as(street_official)
    response = client.post_form(f"/organisations/{organisation.id}/suspend", {"reason": ""},
                                token_from="/organisations/review?status=verified")
    assert response.status_code == 400 and organisation.status == VERIFIED
    response = client.post_form(f"/organisations/{organisation.id}/suspend", {"reason": "投诉调查"},
                                token_from="/organisations/review?status=verified")
    assert response.status_code == 302 and organisation.status == SUSPENDED
    assert not _listed(client, organisation)
    response = client.post_form(f"/organisations/{organisation.id}/reinstate", {},
                                token_from="/organisations/review?status=suspended")
    assert response.status_code == 302 and organisation.status == VERIFIED
    assert _listed(client, organisation)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(organisation.id))
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["organisation.suspended", "organisation.reinstated"]


def test_illegal_step_is_a_409(client, login_as, organisation_admin, street_official):
    _admin, organisation = organisation_admin
    login_as(street_official)
    response = client.post_form(f"/organisations/{organisation.id}/reinstate", {},
                                token_from="/organisations/review")
    assert response.status_code == 409 and organisation.status == PENDING


def test_review_actions_need_a_csrf_token(client, login_as, organisation_admin, street_official):
    _admin, organisation = organisation_admin
    login_as(street_official)
    assert client.post(f"/organisations/{organisation.id}/verify").status_code == 400
    assert organisation.status == PENDING


def test_platform_admin_sees_every_pending_organisation(client, login_as, organisation_admin, places):
    _admin, organisation = organisation_admin
    elsewhere = make_organisation(UserFactory(), places["other_community"])
    admin = UserFactory()
    grant(admin, roles.PLATFORM_ADMIN)
    login_as(admin)
    queue = client.get("/organisations/review").get_data(as_text=True)
    assert organisation.name in queue and elsewhere.name in queue


def test_the_queue_lists_only_its_status(client, login_as, organisation_admin, places, street_official):
    _admin, pending = organisation_admin
    verified = make_organisation(UserFactory(), places["community"], status=VERIFIED)
    login_as(street_official)
    queue = client.get("/organisations/review").get_data(as_text=True)
    assert pending.name in queue and verified.name not in queue
    queue = client.get("/organisations/review?status=verified").get_data(as_text=True)
    assert verified.name in queue and pending.name not in queue


# --- pages by role ---------------------------------------------------------------------------------

def test_pending_organisation_is_hidden_from_the_public(client, login_as, organisation_admin):
    _admin, organisation = organisation_admin
    assert client.get(f"/organisations/{organisation.id}").status_code == 404
    login_as(UserFactory())
    assert client.get(f"/organisations/{organisation.id}").status_code == 404


def test_verified_organisation_page_is_public_without_internals(client, places):
    organisation = make_organisation(UserFactory(), places["community"], status=VERIFIED)
    html = client.get(f"/organisations/{organisation.id}", headers=EN).get_data(as_text=True)
    assert organisation.name in html and organisation.credit_code in html
    assert "History" not in html and "Documents" not in html


def test_verified_organisation_keeps_its_identity_on_edit(client, login_as, places):
    admin = UserFactory()
    organisation = make_organisation(admin, places["community"], status=VERIFIED)
    grant(admin, roles.ORG_ADMIN, organisation)
    name, code = organisation.name, organisation.credit_code
    login_as(admin)
    data = {"name": "偷偷改名", "legal_form": FOUNDATION, "credit_code": "nonsense",
            "home_place": str(organisation.home_place_id), "service_areas": ["environment"],
            "description": "新介绍", "contact_name": "李", "contact_phone": "0717-6000001",
            "contact_email": "li@example.org"}
    response = client.post_form(f"/organisations/{organisation.id}/edit", data)
    assert response.status_code == 302
    assert (organisation.name, organisation.credit_code) == (name, code)
    assert organisation.area_codes == ["environment"] and organisation.description == "新介绍"


def test_suspended_organisation_cannot_be_edited(client, login_as, places):
    admin = UserFactory()
    organisation = make_organisation(admin, places["community"], status=SUSPENDED)
    grant(admin, roles.ORG_ADMIN, organisation)
    login_as(admin)
    assert client.get(f"/organisations/{organisation.id}/edit").status_code == 409


def test_mine_lists_memberships_with_the_next_step(client, login_as, organisation_admin):
    admin, organisation = organisation_admin
    login_as(admin)
    html = client.get("/organisations/mine", headers=EN).get_data(as_text=True)
    assert organisation.name in html and "Upload the registration certificate" in html


# --- members and invitations -----------------------------------------------------------------------

def _invite(client, organisation, email, role=roles.ORG_MEMBER):
    return client.post_form(f"/organisations/{organisation.id}/members", {"email": email, "role": role})


def _link_in(message) -> str:
    body = message.get_payload(decode=True).decode()
    return re.search(r"https?://\S+/invitations/\S+", body).group(0)


def _path(link: str) -> str:
    return "/invitations/" + link.split("/invitations/")[1]


def test_invitation_flow(client, login_as, organisation_admin, outbox):
    admin, organisation = organisation_admin
    login_as(admin)
    response = _invite(client, organisation, "Helper@Example.org")
    assert response.status_code == 302
    [message] = outbox()
    assert message["To"] == "helper@example.org"
    assert organisation.name in str(make_header(decode_header(message["Subject"])))
    path = _path(_link_in(message))

    helper = UserFactory(email="helper@example.org", locale="en")
    _sign_in_as(client, login_as, helper)
    page = client.get(path, headers=EN).get_data(as_text=True)
    assert organisation.name in page and "Accept and join" in page
    response = client.post_form(path, {})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/organisations/{organisation.id}")
    assert db.session.scalar(select(RoleAssignment.role).where(
        RoleAssignment.user_id == helper.id, RoleAssignment.scope_id == organisation.id)) == roles.ORG_MEMBER
    assert client.get(f"/organisations/{organisation.id}/documents").status_code == 200
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "organisation")))
    assert {"organisation.member_invited", "organisation.member_added"} <= actions

    # single use: the same link does nothing a second time
    again = client.get(path, headers=EN)
    assert again.status_code == 409 and "already been used" in again.get_data(as_text=True)


def test_invitation_refuses_a_user_with_another_email(client, login_as, organisation_admin, outbox):
    admin, organisation = organisation_admin
    login_as(admin)
    _invite(client, organisation, "helper@example.org")
    path = _path(_link_in(outbox()[0]))
    stranger = UserFactory(email="stranger@example.org", locale="en")
    _sign_in_as(client, login_as, stranger)
    page = client.get(path, headers=EN)
    assert page.status_code == 200 and "Accept and join" not in page.get_data(as_text=True)
    response = client.post_form(path, {}, token_from="/")
    assert response.status_code == 403
    assert "h•••@example.org" in response.get_data(as_text=True)
    assert db.session.scalar(select(RoleAssignment).where(RoleAssignment.user_id == stranger.id)) is None


def test_invitation_asks_anonymous_visitors_to_sign_in(client, login_as, organisation_admin, outbox):
    admin, organisation = organisation_admin
    login_as(admin)
    _invite(client, organisation, "helper@example.org")
    path = _path(_link_in(outbox()[0]))
    client.post_form("/logout", {}, token_from="/")
    html = client.get(path, headers=EN).get_data(as_text=True)
    assert "Sign in" in html and "helper@example.org" not in html
    response = client.post_form(path, {}, token_from="/login")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_invite_with_a_bad_email_is_400(client, login_as, organisation_admin, outbox):
    admin, organisation = organisation_admin
    login_as(admin)
    response = _invite(client, organisation, "not-an-email")
    assert response.status_code == 400 and outbox() == []


def test_plain_member_cannot_invite(client, login_as, organisation_admin, outbox):
    _admin, organisation = organisation_admin
    member = UserFactory()
    grant(member, roles.ORG_MEMBER, organisation)
    login_as(member)
    assert _invite(client, organisation, "x@example.org").status_code == 404
    assert outbox() == []


def test_remove_member_and_keep_the_last_admin(client, login_as, organisation_admin):
    admin, organisation = organisation_admin
    member = UserFactory()
    membership_id = grant(member, roles.ORG_MEMBER, organisation).id
    own_id = db.session.scalar(select(RoleAssignment.id).where(RoleAssignment.user_id == admin.id))
    login_as(admin)
    members_page = f"/organisations/{organisation.id}/members"

    def exists(assignment_id):
        return db.session.scalar(select(func.count()).select_from(RoleAssignment).where(
            RoleAssignment.id == assignment_id)) == 1

    response = client.post_form(f"{members_page}/{membership_id}/remove", {}, token_from=members_page)
    assert response.status_code == 302 and not exists(membership_id)
    response = client.post_form(f"{members_page}/{own_id}/remove", {}, token_from=members_page)
    assert response.status_code == 302 and exists(own_id)
    assert "at least one administrator" in client.get(members_page, headers=EN).get_data(as_text=True)
    removed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.member_removed"))
    assert removed.before == {"user_id": member.id, "role": roles.ORG_MEMBER}


# --- hostile uploads -------------------------------------------------------------------------------

def test_png_bytes_named_pdf_are_refused_beside_the_field(client, login_as, organisation_admin):
    admin, organisation = organisation_admin
    login_as(admin)
    response = _upload(client, organisation, tiny_png(), "x.pdf")
    assert response.status_code == 400
    message = _error_next_to(response.get_data(as_text=True), "file")
    assert "named .pdf" in message and "PNG" in message
    assert _document_count() == 0


def test_a_file_somewhat_over_the_limit_comes_back_to_the_form(app, client, login_as, organisation_admin):
    import io

    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    admin, organisation = organisation_admin
    login_as(admin)
    limit = app.config["MAX_UPLOAD_BYTES"]  # the configured limits, not ones made up for the test
    # encoded here: the test client would spool a body this large to a temporary file it never closes
    boundary, body = encode_multipart(MultiDict({
        "csrf_token": client.csrf_token(f"/organisations/{organisation.id}/documents"), "title": "章程",
        "file": FileStorage(io.BytesIO(tiny_pdf() + b"%" + b"x" * (limit + 1024 * 1024)), "big.pdf")}))
    response = client.post(f"/organisations/{organisation.id}/documents", data=body, headers=EN,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "too large" in _error_next_to(html, "file")
    assert 'value="章程"' in html  # the person's input is kept
    assert _document_count() == 0


@pytest.mark.parametrize("headers, expected", [(EN, "at most 1.0 MB per file"), ({"Accept-Language": "zh-CN"},
                                                                                  "每个文件最大")])
def test_a_body_above_the_hard_cap_gets_the_portal_413_page(app, client, login_as, organisation_admin,
                                                            monkeypatch, headers, expected):
    import io

    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    admin, organisation = organisation_admin
    admin.locale = "en" if headers is EN else "zh_CN"
    login_as(admin)
    token = client.csrf_token(f"/organisations/{organisation.id}/documents")
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 1024 * 1024)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    boundary, body = encode_multipart(MultiDict({"csrf_token": token, "title": "x",
                                                 "file": FileStorage(io.BytesIO(b"x" * 5000), "a.pdf")}))
    response = client.post(f"/organisations/{organisation.id}/documents", data=body, headers=headers,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert 'class="site-header"' in html and expected in html
    assert _document_count() == 0


@pytest.mark.parametrize("reason, message", [("理" * 20000, "2000"), ("材料\x00不全", "control characters")])
def test_a_hostile_reject_reason_shows_the_queue_with_the_message(client, login_as, organisation_admin,
                                                                    street_official, reason, message):
    _admin, organisation = organisation_admin
    login_as(street_official)
    response = client.post_form(f"/organisations/{organisation.id}/reject", {"reason": reason, "origin": "queue"},
                                token_from="/organisations/review", headers=EN)
    assert response.status_code == 400
    assert message in _error_next_to(response.get_data(as_text=True), f"reject-reason-{organisation.id}")
    assert organisation.status == PENDING
