"""Visits every registered route as anonymous, resident, org member, official and admin.

A route missing from ROUTES fails the suite, so a new page cannot ship without a declared policy and
an expected answer for each role. POST routes are sent with a valid CSRF token and an empty form:
refused roles get 302 (to sign-in), 403 or 404; allowed roles reach the form handling.
"""
import pytest

from portal.accounts import roles
from portal.orgs.models import PENDING, VERIFIED
from tests.factories.accounts import UserFactory, grant
from tests.factories.funds import funds_matrix_world
from tests.factories.orgs import make_document, make_organisation
from tests.factories.payments import payments_matrix_world
from tests.factories.places import make_tree
from tests.factories.projects import projects_matrix_world
from tests.factories.volunteering import volunteering_world

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
    "places.edit": ("GET", "/places/{community}/edit", expect(302, 404, 404, 404, 200)),
    "places.move": ("GET", "/places/{community}/move", expect(302, 404, 404, 404, 200)),
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
    # volunteering: organiser pages answer only to the project's organisation (404 even to platform admins)
    "volunteering.index": ("GET", "/volunteer/", PUBLIC),
    "volunteering.project_opportunities": ("GET", "/projects/{vol_project}/volunteer", PUBLIC),
    "volunteering.new_opportunity": ("GET", "/projects/{vol_project}/volunteer/new", expect(302, 404, 200, 404, 404)),
    "volunteering.new_shift": ("GET", "/opportunities/{vol_opportunity}/shifts/new", expect(302, 404, 200, 404, 404)),
    "volunteering.sign_up": ("POST", "/shifts/{vol_shift}/signup", expect(302, 302, 302, 302, 302)),
    "volunteering.cancel_signup": ("POST", "/signups/{vol_signup}/cancel", expect(302, 302, 404, 404, 404)),
    "volunteering.me": ("GET", "/volunteer/me", SIGNED_IN),
    # only the resident has verified hours; the others are sent back to their page
    "volunteering.certificate": ("GET", "/volunteer/me/certificate.pdf", expect(302, 200, 302, 302, 302)),
    "volunteering.check_in_by_token": ("GET", "/volunteer/check-in/{vol_token}", expect(302, 404, 200, 404, 404)),
    "volunteering.roster": ("GET", "/shifts/{vol_shift}/roster", expect(302, 404, 200, 404, 404)),
    # the organiser's buttons on a shift three days away are refused with a message (too early), back to the roster
    "volunteering.check_in": ("POST", "/signups/{vol_signup}/check-in", expect(302, 404, 302, 404, 404)),
    "volunteering.check_out": ("POST", "/signups/{vol_signup}/check-out", expect(302, 404, 302, 404, 404)),
    "volunteering.mark_no_show": ("POST", "/signups/{vol_signup}/no-show", expect(302, 404, 302, 404, 404)),
    "volunteering.hours": ("GET", "/projects/{vol_project}/volunteer/hours", expect(302, 404, 200, 404, 404)),
    "volunteering.verify_hours": ("POST", "/hours/{vol_hours}/verify", expect(302, 404, 302, 404, 404)),
    "volunteering.reject_hours": ("POST", "/hours/{vol_hours}/reject", expect(302, 404, 302, 404, 404)),  # no reason
    "volunteering.reverse_hours": ("POST", "/hours/{vol_hours}/reverse", expect(302, 404, 302, 404, 404)),
    "audit.export_csv": ("GET", "/admin/audit/export.csv", ADMIN_ONLY),
    # service projects (issue 4): the world's org_member is org_admin of the project's organisation; nobody in
    # the world is a community worker, so reviews are refused to all
    "projects.index": ("GET", "/projects/", PUBLIC),
    "projects.new": ("GET", "/projects/new", SIGNED_IN),
    "projects.detail": ("GET", "/projects/{draft_project}", expect(404, 404, 200, 404, 200)),  # a draft
    "projects.edit": ("GET", "/projects/{project}/edit", expect(302, 404, 200, 404, 404)),
    "projects.change_status": ("POST", "/projects/{project}/status", expect(302, 404, 409, 404, 404)),
    "projects.photos": ("GET", "/projects/{project}/photos", expect(302, 404, 200, 404, 404)),
    "projects.photo": ("GET", "/projects/{project}/photos/{photo}", PUBLIC),
    "projects.remove_photo": ("POST", "/projects/{project}/photos/{photo}/remove", expect(302, 404, 302, 404, 404)),
    "projects.indicators": ("GET", "/projects/{project}/indicators", expect(302, 404, 200, 404, 404)),
    "projects.edit_indicator": ("GET", "/projects/{project}/indicators/{indicator}/edit",
                                expect(302, 404, 200, 404, 404)),
    "projects.new_report": ("GET", "/projects/{project}/indicators/{indicator}/report",
                            expect(302, 404, 200, 404, 404)),
    "projects.report": ("GET", "/projects/{project}/reports/{report}", expect(404, 404, 200, 404, 404)),  # awaiting
    "projects.review_report": ("POST", "/projects/{project}/reports/{report}/review", expect(302, 404, 404, 404, 404)),
    "projects.evidence": ("GET", "/projects/{project}/reports/{report}/evidence/{evidence}",
                          expect(404, 404, 200, 404, 404)),
    "projects.reviews": ("GET", "/projects/reviews", expect(302, 403, 403, 403, 403)),
    "projects.post_update": ("POST", "/projects/{project}/updates", expect(302, 404, 400, 404, 404)),  # no title
    "projects.follow": ("POST", "/projects/{project}/follow", expect(302, 302, 302, 302, 302)),
    "projects.unfollow": ("POST", "/projects/{project}/unfollow", expect(302, 302, 302, 302, 302)),
    "projects.rate": ("POST", "/projects/{project}/rating", expect(302, 400, 404, 400, 400)),  # no score
    "projects.reply_rating": ("POST", "/projects/{project}/ratings/{rating}/reply", expect(302, 404, 400, 404, 404)),
    "needs.board": ("GET", "/needs/", PUBLIC),
    "needs.new": ("GET", "/needs/new", SIGNED_IN),
    "needs.similar": ("GET", "/needs/similar?place_id={community}&q=矩阵测试", PUBLIC),
    "needs.detail": ("GET", "/needs/{need}", PUBLIC),
    "needs.back": ("POST", "/needs/{need}/back", expect(302, 302, 302, 302, 302)),  # the poster is told "already"
    "needs.accept": ("POST", "/needs/{need}/accept", expect(302, 404, 404, 404, 404)),
    "needs.decline": ("POST", "/needs/{need}/decline", expect(302, 404, 404, 404, 404)),
    "needs.merge": ("POST", "/needs/{need}/merge", expect(302, 404, 404, 404, 404)),
    "needs.link": ("POST", "/needs/{need}/link", expect(302, 404, 404, 404, 404)),
    "notifications.index": ("GET", "/notifications", SIGNED_IN),
    "notifications.mark_read": ("POST", "/notifications/{notification}/read", expect(302, 302, 404, 404, 404)),
    "notifications.mark_all_read": ("POST", "/notifications/read-all", expect(302, 302, 302, 302, 302)),
    # funds: the fund is on the world's community (its official oversees the district); the world's roles hold
    # no treasurer or committee seat, so money decisions answer 404 to all of them
    "funds.fund_list": ("GET", "/funds/", PUBLIC),
    "funds.fund_new": ("GET", "/funds/new", OFFICIALS),
    "funds.fund_detail": ("GET", "/funds/{fund}", PUBLIC),
    "funds.fund_edit": ("GET", "/funds/{fund}/edit", expect(302, 404, 404, 200, 200)),
    "funds.fund_manage": ("GET", "/funds/{fund}/manage", expect(302, 404, 404, 200, 200)),
    "funds.fund_role_grant": ("POST", "/funds/{fund}/roles", expect(302, 404, 404, 403, 400)),  # empty form
    "funds.fund_role_revoke": ("POST", "/funds/{fund}/roles/{fund_assignment}/revoke", expect(302, 404, 404, 403, 302)),
    "funds.campaign_new": ("GET", "/funds/{fund}/campaigns/new", expect(302, 404, 404, 200, 200)),
    "funds.campaign_list": ("GET", "/campaigns/", PUBLIC),
    "funds.campaign_detail": ("GET", "/campaigns/{campaign}", PUBLIC),
    "funds.campaign_edit": ("GET", "/campaigns/{campaign}/edit", expect(302, 404, 404, 200, 200)),
    "funds.campaign_publish": ("POST", "/campaigns/{draft_campaign}/publish", expect(302, 404, 404, 302, 302)),
    "funds.campaign_finish": ("POST", "/campaigns/{campaign_to_finish}/finish", expect(302, 404, 404, 302, 302)),
    "funds.campaign_close": ("POST", "/campaigns/{ended_campaign}/close", expect(302, 404, 404, 302, 302)),
    "funds.campaign_image": ("GET", "/campaigns/{campaign}/images/{campaign_image}", PUBLIC),
    "funds.campaign_image_add": ("POST", "/campaigns/{campaign}/images", expect(302, 404, 404, 400, 400)),
    "funds.campaign_image_remove": ("POST", "/campaigns/{campaign}/images/{campaign_image}/remove",
                                    expect(302, 404, 404, 302, 302)),
    # updates: the fund's committee or the campaign's author (the admin in this world)
    "funds.campaign_update_new": ("GET", "/campaigns/{campaign}/updates/new", expect(302, 404, 404, 404, 200)),
    "funds.matching_pool_new": ("GET", "/campaigns/{campaign}/matching/new", expect(302, 404, 404, 404, 200)),
    "funds.team_new": ("GET", "/campaigns/{campaign}/teams/new", SIGNED_IN),
    "funds.team_detail": ("GET", "/teams/{team}", PUBLIC),
    # the resident captains the team: already in it, and a captain cannot leave (409); the others join, then leave
    "funds.team_join": ("POST", "/teams/{team}/join", expect(302, 409, 302, 302, 302)),
    "funds.team_leave": ("POST", "/teams/{team}/leave", expect(302, 409, 302, 302, 302)),
    "funds.disbursement_new": ("GET", "/funds/{fund}/disbursements/new", expect(302, 404, 200, 404, 404)),
    "funds.disbursement_detail": ("GET", "/disbursements/{disbursement}", expect(302, 404, 200, 200, 200)),
    "funds.disbursement_approve": ("POST", "/disbursements/{disbursement}/approve", expect(302, 404, 404, 404, 404)),
    "funds.disbursement_reject": ("POST", "/disbursements/{disbursement}/reject", expect(302, 404, 404, 404, 404)),
    "funds.disbursement_pay": ("POST", "/disbursements/{disbursement}/pay", expect(302, 404, 404, 404, 404)),
    "funds.pledge_new": ("GET", "/funds/{fund}/in-kind/new", SIGNED_IN),
    "funds.pledge_receive": ("POST", "/in-kind/{pledge}/receive", expect(302, 404, 404, 404, 404)),
    "funds.pledge_sell": ("GET", "/in-kind/{pledge}/sell", expect(302, 404, 404, 404, 404)),
    "funds.pledge_withdraw": ("POST", "/in-kind/{pledge}/withdraw", expect(302, 302, 404, 404, 404)),
    # payments: the resident gave (a paid gift, a pending sandbox checkout, a monthly gift); receipts and gift
    # management belong to the donor and the fund's treasurer/committee, whom no matrix role is
    "payments.give_to_campaign": ("GET", "/give/campaign/{campaign}", SIGNED_IN),
    "payments.give_to_fund": ("GET", "/give/fund/{fund}", SIGNED_IN),
    "payments.sandbox_checkout": ("GET", "/sandbox/checkout/{sandbox_token}", expect(302, 200, 404, 404, 404)),
    "payments.stripe_webhook": ("POST", "/webhooks/stripe", expect(400, 400, 400, 400, 400)),  # unsigned
    "payments.receipt": ("GET", "/donations/{donation}/receipt", expect(302, 200, 404, 404, 404)),
    "payments.receipt_pdf": ("GET", "/donations/{donation}/receipt.pdf", expect(302, 200, 404, 404, 404)),
    "payments.manage_donation": ("GET", "/donations/{donation}/manage", expect(302, 404, 404, 404, 404)),
    "payments.refund_donation": ("POST", "/donations/{donation}/refund", expect(302, 404, 404, 404, 404)),
    "payments.fund_donations": ("GET", "/funds/{fund}/donations", expect(302, 404, 404, 404, 404)),
    "payments.offline_gifts": ("GET", "/funds/{fund}/offline-gifts", expect(302, 404, 404, 404, 404)),
    "payments.record_offline_gift": ("GET", "/funds/{fund}/offline-gifts/new", expect(302, 404, 404, 404, 404)),
    "payments.confirm_offline_gift": ("POST", "/donations/{offline_donation}/confirm-offline",
                                      expect(302, 404, 404, 404, 404)),
    "payments.reject_offline_gift": ("POST", "/donations/{offline_donation}/reject-offline",
                                     expect(302, 404, 404, 404, 404)),
    "payments.my_giving": ("GET", "/me/giving", SIGNED_IN),
    "payments.recurring_gift": ("GET", "/me/giving/monthly/{recurring_gift}", expect(302, 200, 404, 404, 404)),
    # the resident's empty form is a valid cancel (only a CSRF token): cancelled, back to "My giving"
    "payments.cancel_recurring_gift": ("POST", "/me/giving/monthly/{recurring_gift}/cancel",
                                       expect(302, 302, 404, 404, 404)),
    "payments.statement_csv": ("GET", "/me/giving/statement/2026.csv", SIGNED_IN),
    "payments.statement_pdf": ("GET", "/me/giving/statement/2026.pdf", SIGNED_IN),
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
    # volunteering's own rows (a project of the verified organisation, shifts, sign-ups, hours)
    volunteering_values = volunteering_world(member, resident, verified, tree["community"])
    values = {"member_assignment": member_assignment.id, "verified_org": verified.id, "pending_org": pending.id,
              "pending_assignment": pending_assignment.id, "pending_document": pending_document.id,
              "community": tree["community"].id, "grid": tree["grid"].id, "district": tree["district"].id}
    values.update(volunteering_values)
    values.update(projects_matrix_world(member, resident, verified, tree["community"]))
    values.update(funds_matrix_world(tree["community"], resident, member, admin))
    values.update(payments_matrix_world(values, resident))
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


def test_every_declared_policy_is_the_one_enforced(app, client, login_as, world, monkeypatch):
    """Swap each route's declared check for one that refuses everyone: the platform administrator must then be
    refused too. A view that loaded its object and checked something else by hand would still answer."""
    users, values = world
    login_as(users["admin"])
    token = client.csrf_token("/")
    answered = []
    for endpoint, (method, template, _expected) in sorted(ROUTES.items()):
        view = app.view_functions[endpoint]
        if getattr(view, "route_check", None) is None:
            continue
        monkeypatch.setattr(view, "route_check", lambda *args: False)
        url = template.format(**values)
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        response.close()
        if response.status_code not in (403, 404):
            answered.append(f"{method} {url} ({endpoint}): {response.status_code} with a refusing policy")
    assert not answered, "\n".join(answered)
