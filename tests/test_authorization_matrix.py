"""Visits every registered route as anonymous, resident, org member, official and admin.

A route missing from ROUTES fails the suite, so a new page cannot ship without a declared policy and
an expected answer for each role. POST routes are sent with a valid CSRF token and an empty form:
refused roles get 302 (to sign-in), 403 or 404; allowed roles reach the form handling.
"""
import pytest

from portal.accounts import roles
from portal.orgs.models import PENDING, VERIFIED
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_document, make_organisation
from tests.factories.places import make_tree

ROLES = ("anonymous", "resident", "org_member", "official", "admin")


def expect(anonymous, resident, org_member, official, admin):
    return dict(zip(ROLES, (anonymous, resident, org_member, official, admin), strict=True))


PUBLIC = expect(200, 200, 200, 200, 200)
SIGNED_IN = expect(302, 200, 200, 200, 200)
ADMIN_ONLY = expect(302, 403, 403, 403, 200)
OFFICIALS = expect(302, 403, 403, 200, 200)

# endpoint -> (method, url template, expected status per role). Placeholders come from the world fixture.
ROUTES = {
    "main.index": ("GET", "/", PUBLIC),
    "main.privacy": ("GET", "/privacy", PUBLIC),
    "accounts.register": ("GET", "/register", expect(200, 302, 302, 302, 302)),
    "accounts.login": ("GET", "/login", expect(200, 302, 302, 302, 302)),
    "accounts.logout": ("POST", "/logout", expect(302, 302, 302, 302, 302)),
    "accounts.forgot_password": ("GET", "/password/forgot", PUBLIC),
    "accounts.reset_password": ("GET", "/password/reset/not-a-token", expect(302, 302, 302, 302, 302)),
    "accounts.profile": ("GET", "/profile", SIGNED_IN),
    "accounts.change_password": ("POST", "/profile/password", expect(302, 400, 400, 400, 400)),
    "accounts.set_language": ("GET", "/lang/en", expect(302, 302, 302, 302, 302)),
    "accounts.export_data": ("GET", "/profile/export.json", SIGNED_IN),
    "accounts.erase_account": ("GET", "/profile/erase", SIGNED_IN),
    "accounts.manage_roles": ("GET", "/admin/roles", ADMIN_ONLY),
    "accounts.revoke_role": ("POST", "/admin/roles/{member_assignment}/revoke", expect(302, 403, 403, 403, 302)),
    "places.browse": ("GET", "/places/", PUBLIC),
    "places.manage": ("GET", "/places/manage", ADMIN_ONLY),
    "places.detail": ("GET", "/places/{community}", PUBLIC),
    "places.create": ("GET", "/places/new", ADMIN_ONLY),
    "places.edit": ("GET", "/places/{community}/edit", ADMIN_ONLY),
    "places.move": ("GET", "/places/{community}/move", ADMIN_ONLY),
    "places.import_csv": ("GET", "/places/import", ADMIN_ONLY),
    "places.import_template": ("GET", "/places/import/template.csv", ADMIN_ONLY),
    "vendor.plotly_js": ("GET", "/vendor/plotly.min.js", PUBLIC),
    "orgs.directory": ("GET", "/organisations/", PUBLIC),
    "orgs.mine": ("GET", "/organisations/mine", SIGNED_IN),
    "orgs.register": ("GET", "/organisations/register", SIGNED_IN),
    "orgs.review_queue": ("GET", "/organisations/review", OFFICIALS),
    # the world's org_member is org_admin of both organisations; its official oversees the whole district
    "orgs.detail": ("GET", "/organisations/{pending_org}", expect(404, 404, 200, 200, 200)),
    "orgs.edit": ("GET", "/organisations/{pending_org}/edit", expect(302, 404, 200, 404, 200)),
    "orgs.resubmit": ("POST", "/organisations/{pending_org}/resubmit", expect(302, 404, 409, 404, 409)),
    "orgs.documents": ("GET", "/organisations/{verified_org}/documents", expect(302, 404, 200, 200, 200)),
    "orgs.download_document": ("GET", "/organisations/{pending_org}/documents/{pending_document}",
                               expect(302, 404, 200, 200, 200)),
    "orgs.members": ("GET", "/organisations/{pending_org}/members", expect(302, 404, 200, 200, 200)),
    "orgs.remove_member": ("POST", "/organisations/{pending_org}/members/{pending_assignment}/remove",
                           expect(302, 404, 302, 404, 302)),  # refused (last administrator), back to the list
    "orgs.accept_invitation": ("GET", "/invitations/not-a-token", expect(404, 404, 404, 404, 404)),
    "orgs.reinstate": ("POST", "/organisations/{verified_org}/reinstate", expect(302, 404, 404, 409, 409)),
    "orgs.reject": ("POST", "/organisations/{pending_org}/reject", expect(302, 404, 404, 400, 400)),  # no reason
    "orgs.suspend": ("POST", "/organisations/{verified_org}/suspend", expect(302, 404, 404, 400, 400)),
    "orgs.verify": ("POST", "/organisations/{pending_org}/verify", expect(302, 404, 404, 302, 302)),
    "audit.log": ("GET", "/admin/audit/", ADMIN_ONLY),
    "audit.export_csv": ("GET", "/admin/audit/export.csv", ADMIN_ONLY),
}


@pytest.fixture
def world():
    tree = make_tree()
    admin = UserFactory(email="admin@example.org")
    grant(admin, roles.PLATFORM_ADMIN)
    official = UserFactory(email="official@example.org")
    grant(official, roles.OFFICIAL, tree["district"])
    member = UserFactory(email="member@example.org")
    resident = UserFactory(email="resident@example.org")
    verified = make_organisation(member, tree["community"], status=VERIFIED)
    pending = make_organisation(member, tree["community"], status=PENDING)
    member_assignment = grant(member, roles.ORG_ADMIN, verified)
    pending_assignment = grant(member, roles.ORG_ADMIN, pending)
    pending_document = make_document(pending, member)
    users = {"resident": resident, "org_member": member, "official": official, "admin": admin}
    values = {"member_assignment": member_assignment.id, "verified_org": verified.id, "pending_org": pending.id,
              "pending_assignment": pending_assignment.id, "pending_document": pending_document.id,
              "community": tree["community"].id, "grid": tree["grid"].id, "district": tree["district"].id}
    return users, values


def test_every_route_is_in_the_matrix_and_declares_a_policy(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    missing = sorted(endpoints - ROUTES.keys())
    assert not missing, f"routes without an expected answer per role: {missing}"
    stale = sorted(ROUTES.keys() - endpoints)
    assert not stale, f"matrix names routes that no longer exist: {stale}"
    undeclared = sorted(e for e in endpoints if not hasattr(app.view_functions[e], "route_policy"))
    assert not undeclared, f"views without a policy declaration: {undeclared}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_answer_on_every_route(client, login_as, world, role):
    users, values = world
    if role != "anonymous":
        login_as(users[role])
    token = client.csrf_token("/" if role != "anonymous" else "/login")
    failures = []
    for endpoint, (method, template, expected) in sorted(ROUTES.items()):
        url = template.format(**values)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        response.close()  # file responses (downloads, vendor JS) hold an open file until closed
        if response.status_code != expected[role]:
            failures.append(f"{method} {url} ({endpoint}): got {response.status_code}, want {expected[role]}")
        if endpoint == "accounts.logout" and role != "anonymous":
            login_as(users[role])
            token = client.csrf_token("/")
    assert not failures, "\n".join(failures)
