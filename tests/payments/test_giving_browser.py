"""The giving journey in Chromium: give by sandbox card through a team, see the receipt, "My giving" on a phone."""
import pytest

from portal.accounts import roles
from portal.extensions import db
from tests.browser.conftest import browser, live_server, page, screenshot  # noqa: F401  (fixtures)
from tests.conftest import TEST_PASSWORD
from tests.factories.accounts import UserFactory, grant
from tests.factories.funds import make_campaign, make_fund, make_team
from tests.factories.places import make_tree

pytestmark = [pytest.mark.browser, pytest.mark.no_db_session]


def _world(locale: str = "en") -> dict:
    """A campaign to give to and a donor reading the portal in `locale` ("en", or "zh_CN": Chinese pages and
    button names, whatever the browser asks for)."""
    tree = make_tree()
    captain = UserFactory(display_name="李队长")
    fund = make_fund(tree["community"], name="铁路坝社区公益金")
    campaign = make_campaign(fund, captain, title="为独居老人送餐")
    team = make_team(campaign, captain, name="暖心小分队")
    grant(UserFactory(), roles.TREASURER, fund)
    donor = UserFactory(email="giver@example.org", display_name="张小明", locale=locale)
    db.session.commit()
    return {"campaign": campaign.id, "team": team.id, "team_name": team.name, "fund": fund.id, "email": donor.email}


def _sign_in(tab, base, email):
    tab.goto(base + "/login")
    tab.fill("input[name=email]", email)
    tab.fill("input[name=password]", TEST_PASSWORD)
    tab.locator("form:has(input[type=password]) [type=submit]").first.click()
    tab.wait_for_load_state()


def test_a_resident_gives_through_a_team_and_gets_a_receipt(live_server, page):  # noqa: F811
    world = _world()
    _sign_in(page, live_server, world["email"])
    page.goto(f"{live_server}/give/campaign/{world['campaign']}?team={world['team']}")
    assert page.locator(".custom-amount").is_hidden()  # payments.js: shown only for "Other amount"
    page.locator("label.choice", has_text="Other amount").click()
    assert page.locator("input[name=custom_amount]").is_visible()
    page.fill("input[name=custom_amount]", "66.60")
    page.locator("label.choice", has_text="Show my initials").click()
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_load_state()
    assert "/sandbox/checkout/" in page.url
    assert page.get_by_role("heading", name="Pay ¥66.60").is_visible()
    screenshot(page, "payments-sandbox-checkout")
    page.get_by_role("button", name="Pay ¥66.60").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Donation receipt").is_visible()
    assert page.locator(".receipt-number strong").inner_text().startswith("R")
    assert world["team_name"] in page.content()
    screenshot(page, "payments-receipt")
    page.goto(f"{live_server}/campaigns/{world['campaign']}")
    assert "¥66.60" in page.content()
    assert page.js_errors == []


def test_my_giving_fits_a_phone(live_server, browser):  # noqa: F811
    world = _world()
    context = browser.new_context(locale="en", viewport={"width": 375, "height": 812}, is_mobile=True,
                                  has_touch=True)
    tab = context.new_page()
    _sign_in(tab, live_server, world["email"])
    tab.goto(f"{live_server}/give/campaign/{world['campaign']}")
    tab.locator("label.choice", has_text="Every month").click()
    tab.get_by_role("button", name="Continue to payment").click()
    tab.wait_for_load_state()
    tab.get_by_role("button", name="Pay ¥50.00").click()
    tab.wait_for_load_state()
    tab.goto(f"{live_server}/me/giving")
    assert tab.get_by_role("button", name="Cancel this monthly gift").is_visible()
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(tab, "payments-my-giving-phone")
    context.close()
