"""Issue 4's journey in a real Chromium: a resident posts a need, signs up for a shift, is checked in by the
organiser with the code from their page, and sees the verified hours and the certificate link."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from portal.accounts import roles
from portal.core.time import utcnow
from portal.extensions import db
from portal.needs.models import Need
from portal.orgs.models import VERIFIED
from portal.volunteering.models import Shift, ShiftSignup
from portal.volunteering.service import check_in_url
from tests.browser.conftest import screenshot
from tests.conftest import TEST_PASSWORD
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation
from tests.factories.places import make_tree
from tests.factories.volunteering import make_opportunity, make_project, make_shift

pytestmark = [pytest.mark.browser, pytest.mark.no_db_session]


def _sign_in(page, live_server, email):
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(email)
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/")


def test_resident_posts_a_need_volunteers_and_sees_verified_hours(live_server, browser):
    tree = make_tree()
    organiser = UserFactory(email="organiser@example.org", display_name="李社工", locale="en")
    resident = UserFactory(email="resident@example.org", display_name="赵阿姨", locale="en")
    organisation = make_organisation(organiser, tree["community"], status=VERIFIED, name="铁路坝为老服务社")
    grant(organiser, roles.ORG_ADMIN, organisation)
    project = make_project(organisation, organiser, places=[tree["community"]])
    shift = make_shift(make_opportunity(project, organiser), starts_in=timedelta(hours=1), hours=2)
    db.session.commit()

    resident_context = browser.new_context(locale="en", viewport={"width": 375, "height": 812}, is_mobile=True)
    page = resident_context.new_page()
    _sign_in(page, live_server, "resident@example.org")

    # 1. the resident says what the community needs
    page.goto(live_server + "/needs/new")
    page.get_by_label("Where").select_option(value=str(tree["community"].id))
    page.get_by_label("What is needed").fill("楼道没有灯，老人晚上下楼不安全")
    page.get_by_role("button", name="Post the need").click()
    page.wait_for_load_state()
    screenshot(page, "need-posted")
    db.session.rollback()  # end the test's read snapshot: the server committed in its own thread
    assert db.session.query(Need).filter_by(posted_by_id=resident.id).count() == 1

    # 2. and signs up for a shift of the project that serves the community
    page.goto(f"{live_server}/projects/{project.id}/volunteer")
    page.get_by_role("button", name="Sign up").first.click()
    page.wait_for_load_state()
    db.session.rollback()
    signup = db.session.query(ShiftSignup).filter_by(user_id=resident.id).one()
    assert signup.status == "confirmed"
    page.goto(live_server + "/volunteer/me")
    assert page.locator(".qr svg, .qr img").count() >= 1  # the check-in code to show on arrival
    screenshot(page, "volunteer-me-with-code")

    # 3. the shift begins (time passes: move it back so it has started) and the organiser checks the resident in
    db.session.execute(update(Shift).where(Shift.id == shift.id).values(
        starts_at=utcnow() - timedelta(minutes=10), ends_at=utcnow() + timedelta(minutes=110)))
    db.session.commit()
    code_url = check_in_url(signup)  # what the QR code on the resident's page encodes
    organiser_context = browser.new_context(locale="en", viewport={"width": 375, "height": 812}, is_mobile=True)
    organiser_page = organiser_context.new_page()
    _sign_in(organiser_page, live_server, "organiser@example.org")
    organiser_page.goto(live_server + code_url[code_url.index("/volunteer/check-in/"):])
    organiser_page.get_by_role("button", name="Check in").click()
    organiser_page.wait_for_load_state()
    organiser_page.goto(f"{live_server}/shifts/{shift.id}/roster")
    organiser_page.get_by_role("button", name="Check out: whole shift").click()
    organiser_page.wait_for_load_state()
    organiser_page.get_by_role("button", name="Verify").first.click()
    organiser_page.wait_for_load_state()
    screenshot(organiser_page, "roster-after-verify-phone")

    # 4. the resident sees the verified hours and can download the certificate
    page.goto(live_server + "/volunteer/me")
    balance = page.locator(".stat", has_text="verified hours").locator(".stat-value").inner_text()
    assert balance.strip().startswith("2")
    assert page.get_by_role("link", name="Download my certificate of service (PDF)").is_visible()
    screenshot(page, "volunteer-me-verified")
    resident_context.close()
    organiser_context.close()
