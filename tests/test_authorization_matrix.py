"""Visits every registered route as anonymous, resident, org member, official, admin, fund treasurer, fund
committee member, community worker, grid worker and evaluator.

A route missing from ROUTES fails the suite, so a new page cannot ship without a declared policy and
an expected answer for each role. POST routes are sent with a valid CSRF token and an empty form:
refused roles get sent to sign-in (LOGIN), 403 or 404; allowed roles reach the handling (2xx, a 302/303
that is not to sign-in, 400 for the empty form, 409 for a step the object's state refuses). Every route
is walked by at least one allowed role, and every route that is not public by at least one refused role.
"""
import hashlib
import secrets
from datetime import timedelta

import pytest

from portal.accounts import roles
from portal.accounts.models import PasswordResetToken, RoleAssignment
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds.models import Fund
from portal.orgs.models import PENDING, VERIFIED, OrganisationInvitation
from tests.api.matrix import HEADERS as API_HEADERS
from tests.api.matrix import READ_BY_EVERYONE as API_READ_BY_EVERYONE
from tests.api.matrix import ROUTES as API_ROUTES
from tests.api.matrix import world as api_matrix_world
from tests.cases.matrix import CASES_ROUTES, cases_matrix_world
from tests.contracts.matrix import CONTRACTS_ROUTES, contracts_matrix_world
from tests.factories.accounts import UserFactory, grant
from tests.factories.funds import funds_matrix_world
from tests.factories.orgs import make_document, make_organisation
from tests.factories.payments import payments_matrix_world
from tests.factories.places import make_tree
from tests.factories.projects import projects_matrix_world
from tests.factories.volunteering import volunteering_world
from tests.insights.matrix import INSIGHTS_ROUTES, insights_matrix_world
from tests.opendata.matrix import OPENDATA_ROUTES
from tests.opendata.matrix import READ_BY_EVERYONE as OPENDATA_READ_BY_EVERYONE
from tests.procurement.matrix import PROCUREMENT_ROUTES, procurement_matrix_world

ROLES = ("anonymous", "resident", "org_member", "official", "admin", "treasurer", "committee", "community_worker",
         "grid_worker", "evaluator")
LOGIN = "302 to sign-in"  # a 302 whose Location is the sign-in page: refused for want of signing in
ALLOWED = {200, 302, 303, 400, 409}  # reached the handling (302 here never means "to sign-in")
REFUSED = {LOGIN, 403, 404}


def expect(others=None, **codes):
    """The expected answer per role: the roles named, and `others` for every role not named."""
    unknown = set(codes) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    answers = {role: codes.get(role, others) for role in ROLES}
    assert None not in answers.values(), f"no answer for {[r for r, a in answers.items() if a is None]}"
    return answers


PUBLIC = expect(others=200)
SIGNED_IN = expect(anonymous=LOGIN, others=200)
ADMIN_ONLY = expect(anonymous=LOGIN, admin=200, others=403)
# nobody of the fund's or the campaign's staff (the fund rows' "others" are its managers)
NOT_FUND_STAFF = {"resident": 404, "org_member": 404, "grid_worker": 404, "evaluator": 404}
OFFICIALS = expect(anonymous=LOGIN, official=200, admin=200, others=403)

# endpoint -> (method, url template, expected status per role). Placeholders come from the world fixture.
ROUTES = {
    "main.index": ("GET", "/", PUBLIC),
    "main.privacy": ("GET", "/privacy", PUBLIC),
    "accounts.register": ("GET", "/register", expect(anonymous=200, others=302)),
    "accounts.login": ("GET", "/login", expect(anonymous=200, others=302)),
    "accounts.logout": ("POST", "/logout", expect(anonymous=LOGIN, others=302)),
    "accounts.forgot_password": ("GET", "/password/forgot", PUBLIC),
    "accounts.reset_password": ("GET", "/password/reset/{reset_token}", PUBLIC),
    "accounts.profile": ("GET", "/profile", SIGNED_IN),
    "accounts.change_password": ("POST", "/profile/password", expect(anonymous=LOGIN, others=400)),
    "accounts.set_language": ("GET", "/lang/en", expect(others=302)),  # back where the person came from
    "accounts.export_data": ("GET", "/profile/export.json", SIGNED_IN),
    "accounts.erase_account": ("GET", "/profile/erase", SIGNED_IN),
    "accounts.manage_roles": ("GET", "/admin/roles", ADMIN_ONLY),
    "accounts.revoke_role": ("POST", "/admin/roles/{member_assignment}/revoke",
                            expect(anonymous=LOGIN, admin=302, others=403)),
    "places.browse": ("GET", "/places/", PUBLIC),
    "places.manage": ("GET", "/places/manage", ADMIN_ONLY),
    "places.detail": ("GET", "/places/{community}", PUBLIC),
    "places.create": ("GET", "/places/new", ADMIN_ONLY),
    "places.edit": ("GET", "/places/{community}/edit", expect(anonymous=LOGIN, admin=200, others=404)),
    "places.move": ("GET", "/places/{community}/move", expect(anonymous=LOGIN, admin=200, others=404)),
    "places.import_csv": ("GET", "/places/import", ADMIN_ONLY),
    "places.import_template": ("GET", "/places/import/template.csv", ADMIN_ONLY),
    "vendor.plotly_js": ("GET", "/vendor/plotly.min.js", PUBLIC),
    "orgs.directory": ("GET", "/organisations/", PUBLIC),
    "orgs.mine": ("GET", "/organisations/mine", SIGNED_IN),
    "orgs.register": ("GET", "/organisations/register", SIGNED_IN),
    "orgs.review_queue": ("GET", "/organisations/review", OFFICIALS),
    # the world's org_member is org_admin of both organisations; its official oversees the whole district
    "orgs.detail": ("GET", "/organisations/{pending_org}",
                    expect(org_member=200, official=200, admin=200, others=404)),
    "orgs.edit": ("GET", "/organisations/{pending_org}/edit",
                 expect(anonymous=LOGIN, org_member=200, admin=200, others=404)),
    "orgs.resubmit": ("POST", "/organisations/{pending_org}/resubmit",
                     expect(anonymous=LOGIN, org_member=409, admin=409, others=404)),
    "orgs.documents": ("GET", "/organisations/{verified_org}/documents",
                      expect(anonymous=LOGIN, org_member=200, official=200, admin=200, others=404)),
    "orgs.download_document": ("GET", "/organisations/{pending_org}/documents/{pending_document}",
                              expect(anonymous=LOGIN, org_member=200, official=200, admin=200, others=404)),
    "orgs.members": ("GET", "/organisations/{pending_org}/members",
                    expect(anonymous=LOGIN, org_member=200, official=200, admin=200, others=404)),
    # the step is refused (the last administrator stays): back to the list with a message
    "orgs.remove_member": ("POST", "/organisations/{pending_org}/members/{pending_assignment}/remove",
                          expect(anonymous=LOGIN, org_member=302, admin=302, others=404)),
    "orgs.accept_invitation": ("GET", "/invitations/{invitation_token}", PUBLIC),
    "orgs.reinstate": ("POST", "/organisations/{verified_org}/reinstate",
                      expect(anonymous=LOGIN, official=409, admin=409, others=404)),
    "orgs.reject": ("POST", "/organisations/{pending_org}/reject",
                   expect(anonymous=LOGIN, official=400, admin=400, others=404)),  # no reason
    "orgs.suspend": ("POST", "/organisations/{verified_org}/suspend",
                    expect(anonymous=LOGIN, official=400, admin=400, others=404)),
    "orgs.verify": ("POST", "/organisations/{pending_org}/verify",
                   expect(anonymous=LOGIN, official=302, admin=302, others=404)),
    "audit.log": ("GET", "/admin/audit/", ADMIN_ONLY),
    # volunteering: organiser pages answer only to the project's organisation (404 even to platform admins)
    "volunteering.index": ("GET", "/volunteer/", PUBLIC),
    "volunteering.project_opportunities": ("GET", "/projects/{vol_project}/volunteer", PUBLIC),
    "volunteering.new_opportunity": ("GET", "/projects/{vol_project}/volunteer/new",
                                    expect(anonymous=LOGIN, org_member=200, others=404)),
    "volunteering.new_shift": ("GET", "/opportunities/{vol_opportunity}/shifts/new",
                              expect(anonymous=LOGIN, org_member=200, others=404)),
    "volunteering.close_opportunity": ("GET", "/opportunities/{vol_opportunity}/close",
                                       expect(anonymous=LOGIN, org_member=200, others=404)),  # organisation admins
    "volunteering.sign_up": ("POST", "/shifts/{vol_shift}/signup", expect(anonymous=LOGIN, others=302)),
    "volunteering.cancel_signup": ("POST", "/signups/{vol_signup}/cancel",
                                  expect(anonymous=LOGIN, resident=302, others=404)),
    "volunteering.me": ("GET", "/volunteer/me", SIGNED_IN),
    # only the resident has verified hours; the others are sent back to their page
    "volunteering.certificate": ("GET", "/volunteer/me/certificate.pdf",
                                expect(anonymous=LOGIN, resident=200, others=302)),
    "volunteering.check_in_by_token": ("GET", "/volunteer/check-in/{vol_token}",
                                      expect(anonymous=LOGIN, org_member=200, others=404)),
    "volunteering.roster": ("GET", "/shifts/{vol_shift}/roster", expect(anonymous=LOGIN, org_member=200, others=404)),
    # the organiser's buttons on a shift three days away are refused with a message (too early), back to the roster
    "volunteering.check_in": ("POST", "/signups/{vol_signup}/check-in",
                             expect(anonymous=LOGIN, org_member=302, others=404)),
    "volunteering.check_out": ("POST", "/signups/{vol_signup}/check-out",
                              expect(anonymous=LOGIN, org_member=302, others=404)),
    "volunteering.mark_no_show": ("POST", "/signups/{vol_signup}/no-show",
                                 expect(anonymous=LOGIN, org_member=302, others=404)),
    "volunteering.hours": ("GET", "/projects/{vol_project}/volunteer/hours",
                          expect(anonymous=LOGIN, org_member=200, others=404)),
    "volunteering.verify_hours": ("POST", "/hours/{vol_hours}/verify",
                                 expect(anonymous=LOGIN, org_member=302, others=404)),
    "volunteering.reject_hours": ("POST", "/hours/{vol_hours}/reject",
                                 expect(anonymous=LOGIN, org_member=302, others=404)),  # no reason
    "volunteering.reverse_hours": ("POST", "/hours/{vol_hours}/reverse",
                                  expect(anonymous=LOGIN, org_member=302, others=404)),
    "audit.export_csv": ("GET", "/admin/audit/export.csv", ADMIN_ONLY),
    # service projects (issue 4): the world's org_member is org_admin of the project's organisation; the community
    # worker of the project's community reviews its results reports
    "projects.index": ("GET", "/projects/", PUBLIC),
    "projects.new": ("GET", "/projects/new", SIGNED_IN),
    "projects.detail": ("GET", "/projects/{draft_project}", expect(org_member=200, admin=200, others=404)),  # a draft
    "projects.edit": ("GET", "/projects/{project}/edit", expect(anonymous=LOGIN, org_member=200, others=404)),
    "projects.change_status": ("POST", "/projects/{project}/status",
                              expect(anonymous=LOGIN, org_member=409, others=404)),
    "projects.photos": ("GET", "/projects/{project}/photos", expect(anonymous=LOGIN, org_member=200, others=404)),
    "projects.photo": ("GET", "/projects/{project}/photos/{photo}", PUBLIC),
    "projects.remove_photo": ("POST", "/projects/{project}/photos/{photo}/remove",
                             expect(anonymous=LOGIN, org_member=302, others=404)),
    "projects.indicators": ("GET", "/projects/{project}/indicators",
                           expect(anonymous=LOGIN, org_member=200, others=404)),
    "projects.edit_indicator": ("GET", "/projects/{project}/indicators/{indicator}/edit",
                               expect(anonymous=LOGIN, org_member=200, others=404)),
    "projects.new_report": ("GET", "/projects/{project}/indicators/{indicator}/report",
                           expect(anonymous=LOGIN, org_member=200, others=404)),
    "projects.report": ("GET", "/projects/{project}/reports/{report}",
                       expect(org_member=200, community_worker=200, others=404)),  # awaiting
    "projects.review_report": ("POST", "/projects/{project}/reports/{report}/review",
                              expect(anonymous=LOGIN, community_worker=400, others=404)),
    "projects.evidence": ("GET", "/projects/{project}/reports/{report}/evidence/{evidence}",
                         expect(org_member=200, community_worker=200, others=404)),
    "projects.reviews": ("GET", "/projects/reviews", expect(anonymous=LOGIN, community_worker=200, others=403)),
    "projects.post_update": ("POST", "/projects/{project}/updates",
                            expect(anonymous=LOGIN, org_member=400, others=404)),  # no title
    "projects.follow": ("POST", "/projects/{project}/follow", expect(anonymous=LOGIN, others=302)),
    "projects.unfollow": ("POST", "/projects/{project}/unfollow", expect(anonymous=LOGIN, others=302)),
    "projects.rate": ("POST", "/projects/{project}/rating",
                     expect(anonymous=LOGIN, org_member=404, others=400)),  # no score
    "projects.reply_rating": ("POST", "/projects/{project}/ratings/{rating}/reply",
                             expect(anonymous=LOGIN, org_member=400, others=404)),
    "needs.board": ("GET", "/needs/", PUBLIC),
    "needs.new": ("GET", "/needs/new", SIGNED_IN),
    "needs.similar": ("GET", "/needs/similar?place_id={community}&q=矩阵测试", PUBLIC),
    "needs.detail": ("GET", "/needs/{need}", PUBLIC),
    "needs.back": ("POST", "/needs/{need}/back", expect(anonymous=LOGIN, others=302)),  # the poster is told "already"
    # triage: the community worker of the need's community (empty forms: decline/merge/link want their fields)
    "needs.accept": ("POST", "/needs/{need}/accept", expect(anonymous=LOGIN, community_worker=302, others=404)),
    "needs.decline": ("POST", "/needs/{need}/decline", expect(anonymous=LOGIN, community_worker=400, others=404)),
    "needs.merge": ("POST", "/needs/{need}/merge", expect(anonymous=LOGIN, community_worker=400, others=404)),
    "needs.link": ("POST", "/needs/{need}/link", expect(anonymous=LOGIN, community_worker=400, others=404)),
    "notifications.index": ("GET", "/notifications", SIGNED_IN),
    "notifications.mark_read": ("POST", "/notifications/{notification}/read",
                               expect(anonymous=LOGIN, resident=302, others=404)),
    "notifications.mark_all_read": ("POST", "/notifications/read-all", expect(anonymous=LOGIN, others=302)),
    # funds: the fund is on the world's community (its official oversees the district, its community worker is
    # place staff); the treasurer and the committee member hold their seats on this fund. Money decisions with an
    # empty form: approve goes through (302), reject wants a reason and pay a reference (400)
    "funds.fund_list": ("GET", "/funds/", PUBLIC),
    "funds.fund_new": ("GET", "/funds/new",
                      expect(anonymous=LOGIN, official=200, admin=200, community_worker=200, others=403)),
    "funds.fund_detail": ("GET", "/funds/{fund}", PUBLIC),
    "funds.fund_edit": ("GET", "/funds/{fund}/edit",
                       expect(anonymous=LOGIN, official=200, admin=200, community_worker=200, others=404)),
    "funds.fund_manage": ("GET", "/funds/{fund}/manage",
                         expect(anonymous=LOGIN, **NOT_FUND_STAFF, others=200)),
    # fund roles are granted by platform administrators (the admin's empty form is a 400); the fund's managers
    # see the page but are refused the grant (403)
    "funds.fund_role_grant": ("POST", "/funds/{fund}/roles",
                             expect(anonymous=LOGIN, admin=400, others=404)),  # platform admins appoint
    "funds.fund_role_revoke": ("POST", "/funds/{fund}/roles/{fund_assignment}/revoke",
                              expect(anonymous=LOGIN, admin=302, others=404)),
    "funds.campaign_new": ("GET", "/funds/{fund}/campaigns/new",
                          expect(anonymous=LOGIN, **NOT_FUND_STAFF, others=200)),
    "funds.campaign_list": ("GET", "/campaigns/", PUBLIC),
    "funds.campaign_detail": ("GET", "/campaigns/{campaign}", PUBLIC),
    "funds.campaign_edit": ("GET", "/campaigns/{campaign}/edit",
                           expect(anonymous=LOGIN, **NOT_FUND_STAFF, others=200)),
    "funds.campaign_publish": ("POST", "/campaigns/{draft_campaign}/publish",
                              expect(anonymous=LOGIN, **NOT_FUND_STAFF, others=302)),
    "funds.campaign_finish": ("POST", "/campaigns/{campaign_to_finish}/finish",
                             expect(anonymous=LOGIN, **NOT_FUND_STAFF, others=302)),
    "funds.campaign_close": ("POST", "/campaigns/{ended_campaign}/close",
                            expect(anonymous=LOGIN, **NOT_FUND_STAFF, others=302)),
    "funds.campaign_image": ("GET", "/campaigns/{campaign}/images/{campaign_image}", PUBLIC),
    "funds.campaign_image_add": ("POST", "/campaigns/{campaign}/images",
                                expect(anonymous=LOGIN, **NOT_FUND_STAFF, others=400)),
    "funds.campaign_image_remove": ("POST", "/campaigns/{campaign}/images/{campaign_image}/remove",
                                   expect(anonymous=LOGIN, **NOT_FUND_STAFF, others=302)),
    # updates: the fund's committee or the campaign's author (the admin in this world)
    "funds.campaign_update_new": ("GET", "/campaigns/{campaign}/updates/new",
                                 expect(anonymous=LOGIN, admin=200, treasurer=200, committee=200, others=404)),
    "funds.matching_pool_new": ("GET", "/campaigns/{campaign}/matching/new",
                               expect(anonymous=LOGIN, admin=200, treasurer=200, others=404)),
    "funds.team_new": ("GET", "/campaigns/{campaign}/teams/new", SIGNED_IN),
    "funds.team_detail": ("GET", "/teams/{team}", PUBLIC),
    # the resident captains the team: already in it, and a captain cannot leave (409); the others join, then leave
    "funds.team_edit": ("GET", "/teams/{team}/edit", expect(anonymous=LOGIN, org_member=404, grid_worker=404,
                                                            evaluator=404, others=200)),  # captain and managers
    "funds.team_join": ("POST", "/teams/{team}/join", expect(anonymous=LOGIN, resident=409, others=302)),
    "funds.team_leave": ("POST", "/teams/{team}/leave", expect(anonymous=LOGIN, resident=404, others=302)),  # captain
    "funds.disbursement_new": ("GET", "/funds/{fund}/disbursements/new",
                              expect(anonymous=LOGIN, org_member=200, community_worker=200, others=404)),
    "funds.disbursement_detail": ("GET", "/disbursements/{disbursement}",
                                 expect(anonymous=LOGIN, resident=404, grid_worker=404, evaluator=404,
                                        others=200)),
    "funds.disbursement_approve": ("POST", "/disbursements/{disbursement}/approve",
                                  expect(anonymous=LOGIN, treasurer=302, committee=302, others=404)),
    "funds.disbursement_reject": ("POST", "/disbursements/{disbursement}/reject",
                                 expect(anonymous=LOGIN, treasurer=400, committee=400, others=404)),
    "funds.disbursement_pay": ("POST", "/disbursements/{disbursement}/pay",
                              expect(anonymous=LOGIN, treasurer=400, others=404)),
    "funds.pledge_new": ("GET", "/funds/{fund}/in-kind/new", SIGNED_IN),
    "funds.pledge_receive": ("POST", "/in-kind/{pledge}/receive", expect(anonymous=LOGIN, treasurer=302, others=404)),
    "funds.pledge_sell": ("GET", "/in-kind/{pledge}/sell", expect(anonymous=LOGIN, treasurer=200, others=404)),
    "funds.pledge_withdraw": ("POST", "/in-kind/{pledge}/withdraw",
                             expect(anonymous=LOGIN, resident=302, treasurer=409, others=404)),
    # payments: the resident gave (a paid gift, a pending sandbox checkout, a monthly gift); receipts and gift
    # management belong to the donor and the fund's treasurer/committee. The pending offline gift was recorded by
    # the treasurer, so only the committee member may decide it (second-person rule: the recorder gets 404); the
    # decision buttons go back to the offline gifts page, with a message when refused (a rejection without a reason)
    "payments.give_to_campaign": ("GET", "/give/campaign/{campaign}", SIGNED_IN),
    "payments.give_to_fund": ("GET", "/give/fund/{fund}", SIGNED_IN),
    "payments.sandbox_checkout": ("GET", "/sandbox/checkout/{sandbox_token}",
                                 expect(anonymous=LOGIN, resident=200, others=404)),
    "payments.stripe_webhook": ("POST", "/webhooks/stripe", expect(others=400)),  # unsigned
    "payments.wechatpay_webhook": ("POST", "/webhooks/wechatpay", expect(others=400)),  # unsigned: WeChat's FAIL
    # the QR pay page of a WeChat Pay gift, its status and "I have paid": the donor only; the paid gift's pay page
    # and "I have paid" lead to its receipt
    "payments.pay_gift": ("GET", "/give/{donation}/pay", expect(anonymous=LOGIN, resident=302, others=404)),
    "payments.gift_status": ("GET", "/give/{donation}/status", expect(anonymous=LOGIN, resident=200, others=404)),
    "payments.check_gift": ("POST", "/give/{donation}/check", expect(anonymous=LOGIN, resident=302, others=404)),
    "payments.alipay_webhook": ("POST", "/webhooks/alipay", expect(others=400)),  # unsigned (or Alipay off)
    "payments.receipt": ("GET", "/donations/{donation}/receipt",
                        expect(anonymous=LOGIN, resident=200, treasurer=200, others=404)),
    "payments.receipt_pdf": ("GET", "/donations/{donation}/receipt.pdf",
                            expect(anonymous=LOGIN, resident=200, treasurer=200, others=404)),
    "payments.manage_donation": ("GET", "/donations/{donation}/manage",
                                expect(anonymous=LOGIN, treasurer=200, committee=200, others=404)),
    "payments.refund_donation": ("POST", "/donations/{donation}/refund",
                                expect(anonymous=LOGIN, treasurer=400, others=404)),  # the treasurer refunds
    "payments.fund_donations": ("GET", "/funds/{fund}/donations",
                               expect(anonymous=LOGIN, treasurer=200, committee=200, others=404)),
    "payments.offline_gifts": ("GET", "/funds/{fund}/offline-gifts",
                              expect(anonymous=LOGIN, treasurer=200, committee=200, others=404)),
    "payments.record_offline_gift": ("GET", "/funds/{fund}/offline-gifts/new",
                                    expect(anonymous=LOGIN, treasurer=200, others=404)),
    "payments.confirm_offline_gift": ("POST", "/donations/{offline_donation}/confirm-offline",
                                     expect(anonymous=LOGIN, committee=302, others=404)),  # not the recorder
    "payments.reject_offline_gift": ("POST", "/donations/{offline_donation}/reject-offline",
                                    expect(anonymous=LOGIN, committee=302, others=404)),
    "payments.my_giving": ("GET", "/me/giving", SIGNED_IN),
    "payments.recurring_gift": ("GET", "/me/giving/monthly/{recurring_gift}",
                               expect(anonymous=LOGIN, resident=200, others=404)),
    # the resident's empty form is a valid cancel (only a CSRF token): cancelled, back to "My giving"
    "payments.cancel_recurring_gift": ("POST", "/me/giving/monthly/{recurring_gift}/cancel",
                                      expect(anonymous=LOGIN, resident=302, others=404)),
    "payments.statement_csv": ("GET", "/me/giving/statement/2026.csv", SIGNED_IN),
    "payments.statement_pdf": ("GET", "/me/giving/statement/2026.pdf", SIGNED_IN),
}
ROUTES.update(PROCUREMENT_ROUTES)  # tests/procurement/matrix.py
ROUTES.update(CONTRACTS_ROUTES)  # tests/contracts/matrix.py
ROUTES.update(CASES_ROUTES)  # tests/cases/matrix.py
ROUTES.update(OPENDATA_ROUTES)  # tests/opendata/matrix.py
ROUTES.update(INSIGHTS_ROUTES)  # tests/insights/matrix.py
ROUTES.update(API_ROUTES)  # tests/api/matrix.py
HEADERS = dict(API_HEADERS)  # endpoint -> headers sent with its row (templates filled like the URL)


def headers_of(endpoint: str, values: dict) -> dict:
    return {name: value.format(**values) for name, value in HEADERS.get(endpoint, {}).items()}


@pytest.fixture
def world():
    tree = make_tree()
    admin = UserFactory(email="admin@example.org")
    grant(admin, roles.PLATFORM_ADMIN)
    official = UserFactory(email="official@example.org")
    grant(official, roles.OFFICIAL, tree["district"])
    member = UserFactory(email="member@example.org")
    resident = UserFactory(email="resident@example.org")
    community_worker = UserFactory(email="community-worker@example.org")
    grant(community_worker, roles.COMMUNITY_WORKER, tree["community"])
    grid_worker = UserFactory(email="grid-worker@example.org")
    grant(grid_worker, roles.GRID_WORKER, tree["grid"])
    evaluator = UserFactory(email="evaluator@example.org")
    grant(evaluator, roles.EVALUATOR, tree["district"])
    verified = make_organisation(member, tree["community"], status=VERIFIED)
    pending = make_organisation(member, tree["community"], status=PENDING)
    member_assignment = grant(member, roles.ORG_ADMIN, verified)
    pending_assignment = grant(member, roles.ORG_ADMIN, pending)
    pending_document = make_document(pending, member)
    # volunteering's own rows (a project of the verified organisation, shifts, sign-ups, hours)
    volunteering_values = volunteering_world(member, resident, verified, tree["community"])
    values = {"member_assignment": member_assignment.id, "verified_org": verified.id, "pending_org": pending.id,
              "pending_assignment": pending_assignment.id, "pending_document": pending_document.id,
              "community": tree["community"].id, "grid": tree["grid"].id, "district": tree["district"].id}
    values.update(volunteering_values)
    values.update(projects_matrix_world(member, resident, verified, tree["community"]))
    values.update(funds_matrix_world(tree["community"], resident, member, admin))
    values.update(payments_matrix_world(values, resident))
    # the fund's treasurer (made by funds_matrix_world) and a committee member of the same fund
    treasurer = db.session.get(RoleAssignment, values["fund_assignment"]).user
    committee = UserFactory(email="committee@example.org")
    grant(committee, roles.FUND_COMMITTEE, db.session.get(Fund, values["fund"]))
    # links that only a token opens: a password reset (of the resident) and an invitation to the verified org
    reset_token, invitation_token = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    db.session.add_all([
        PasswordResetToken(user_id=resident.id, token_hash=hashlib.sha256(reset_token.encode()).hexdigest(),
                           expires_at=utcnow() + timedelta(hours=1)),
        OrganisationInvitation(organisation_id=verified.id, email="invitee@example.org", role=roles.ORG_MEMBER,
                               token_hash=hashlib.sha256(invitation_token.encode()).hexdigest(),
                               invited_by_id=member.id, expires_at=utcnow() + timedelta(days=7))])
    db.session.flush()
    values.update(reset_token=reset_token, invitation_token=invitation_token)
    users = {"resident": resident, "org_member": member, "official": official, "admin": admin,
             "treasurer": treasurer, "committee": committee, "community_worker": community_worker,
             "grid_worker": grid_worker, "evaluator": evaluator}
    values.update(procurement_matrix_world(tree, users, verified))
    values.update(contracts_matrix_world(tree, users, verified, values))
    values.update(cases_matrix_world(tree, users, values))
    values.update(insights_matrix_world(tree, users, values))
    values.update(api_matrix_world(tree, users, values))
    return users, values


def answer_of(response):
    """The status, with a redirect to the sign-in page told apart from other redirects."""
    if response.status_code == 302 and response.headers.get("Location", "").split("?")[0].endswith("/login"):
        return LOGIN
    return response.status_code


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
        url, headers = template.format(**values), headers_of(endpoint, values)
        if method == "GET":
            response = client.get(url, headers=headers)
        else:
            response = client.post(url, data={"csrf_token": token}, headers=headers)
        response.close()  # file responses (downloads, vendor JS) hold an open file until closed
        if answer_of(response) != expected[role]:
            failures.append(f"{method} {url} ({endpoint}): got {answer_of(response)}, want {expected[role]}")
        if endpoint == "accounts.logout" and role != "anonymous":
            login_as(users[role])
            token = client.csrf_token("/")
    assert not failures, "\n".join(failures)


# Object pages anyone may read when the object is public, as every one of these is in the world (a place, a
# published need, project photo, fund, campaign and its picture, team, opportunity list). Their checks are
# proved enforced by test_every_declared_policy_is_the_one_enforced; their refusals by each domain's tests.
READ_BY_EVERYONE = {"places.detail", "needs.detail", "projects.photo", "funds.fund_detail", "funds.campaign_detail",
                    "funds.campaign_image", "funds.team_detail", "volunteering.project_opportunities"}
READ_BY_EVERYONE |= {"procurement.award_notice", "procurement.roadshow"}  # a published call's notice and roadshow
READ_BY_EVERYONE |= {"contracts.milestone_detail", "contracts.evaluation_detail"}  # contracts are public
READ_BY_EVERYONE |= {"contracts.detail"}  # every contract is public (portal/contracts/policy.py)
READ_BY_EVERYONE |= OPENDATA_READ_BY_EVERYONE  # a published call's OCDS packages
READ_BY_EVERYONE |= {"insights.fund_page"}  # every fund is public (funds.policy.can_view_fund)
READ_BY_EVERYONE |= API_READ_BY_EVERYONE  # the API's one-object reads (public objects only)


def test_every_route_is_walked_by_an_allowed_and_a_refused_role(app):
    """Each route's allowed path is walked by someone, and each route that is not public refuses someone."""
    never_allowed, never_refused = [], []
    for endpoint, (_method, _template, expected) in sorted(ROUTES.items()):
        answers = set(expected.values())
        if not answers & ALLOWED:
            never_allowed.append(endpoint)
        protected = getattr(app.view_functions[endpoint], "route_policy", None) != "public"
        if protected and endpoint not in READ_BY_EVERYONE and not answers & REFUSED:
            never_refused.append(endpoint)
    assert not never_allowed, f"routes no role of the matrix reaches: {never_allowed}"
    assert not never_refused, f"protected routes no role of the matrix is refused: {never_refused}"


def test_every_declared_policy_is_the_one_enforced(app, client, login_as, world, monkeypatch):
    """Swap each route's declared check for one that refuses everyone, then visit the route as a role the
    matrix lets through: it must now be refused. A view that loaded its object and checked something else
    by hand would still answer."""
    unchecked = sorted(endpoint for endpoint, view in app.view_functions.items()
                       if getattr(view, "route_policy", "public") not in ("public", "signed_in")
                       and getattr(view, "route_check", None) is None)
    assert not unchecked, f"routes whose declared policy is only a label, not enforced by the decorator: {unchecked}"

    users, values = world
    walks = {role: [] for role in ROLES}  # anonymous first: nobody is signed in yet
    for endpoint, (method, template, expected) in sorted(ROUTES.items()):
        view = app.view_functions[endpoint]
        if getattr(view, "route_check", None) is None:
            continue
        monkeypatch.setattr(view, "route_check", lambda *args: False)
        role = next(role for role in (*ROLES[1:], "anonymous") if expected[role] in ALLOWED)
        walks[role].append((endpoint, method, template.format(**values), headers_of(endpoint, values)))
    answered = []
    token = client.csrf_token("/login")
    for role, routes in walks.items():
        if not routes:
            continue
        if role != "anonymous":
            client.post("/logout", data={"csrf_token": token}).close()  # the previous role, if any
            login_as(users[role])
            token = client.csrf_token("/")
        for endpoint, method, url, headers in routes:
            response = (client.get(url, headers=headers) if method == "GET"
                        else client.post(url, data={"csrf_token": token}, headers=headers))
            response.close()
            if response.status_code not in (403, 404):
                answered.append(f"{method} {url} ({endpoint}) as {role}: {response.status_code} with a refusing policy")
    assert not answered, "\n".join(answered)


def test_every_declared_post_policy_is_the_one_enforced(app, client, login_as, world, monkeypatch):
    """Pages anyone in scope may read but only some may change (object_policy's on_post): with the POST check
    swapped for a refusing one, a role the matrix lets read the page is refused the POST."""
    users, values = world
    posts = []
    for endpoint, (_method, template, expected) in sorted(ROUTES.items()):
        view = app.view_functions[endpoint]
        if getattr(view, "route_post_check", None) is None:
            continue
        monkeypatch.setattr(view, "route_post_check", lambda *args: False)
        role = next(role for role in ROLES[1:] if expected[role] in ALLOWED)
        posts.append((endpoint, role, template.format(**values)))
    assert {endpoint for endpoint, _role, _url in posts} >= {"orgs.documents", "orgs.members"}
    answered = []
    for endpoint, role, url in posts:
        login_as(users[role])
        response = client.post(url, data={"csrf_token": client.csrf_token("/")})
        response.close()
        if response.status_code != 404:
            answered.append(f"POST {url} ({endpoint}) as {role}: {response.status_code} with a refusing POST policy")
        client.post("/logout", data={"csrf_token": client.csrf_token("/")}).close()
    assert not answered, "\n".join(answered)
