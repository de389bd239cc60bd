"""Issue 14's journey in a real Chromium: an official opens the insights, drills the outcomes from the district
down to a grid (in English, on a 375-px phone), climbs back by the breadcrumbs, then opens the procurement red
flags (in Chinese, at a desk and on a phone), follows a single-bid flag to its call and finds the flag's
explanation readable on the phone. Every page visited on the phone fits its width.

The world's figures are chosen so each level has its own answer: on 夜明珠街道's grid two indicators, 30 of 60
(50%) and 40 of 40 (100%, met); on 西陵街道 one, 20 of 80 (25%). So the grid, its community and its street
read 75% (2 indicators, 1 met, 2 projects), 西陵街道 25%, and the district (175 / 3) 58%."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts import roles
from portal.extensions import db
from portal.procurement.models import Bid
from tests.browser.conftest import screenshot
from tests.conftest import TEST_PASSWORD
from tests.factories.accounts import UserFactory, grant
from tests.factories.evaluation import award, make_bidder
from tests.factories.orgs import make_organisation
from tests.factories.places import make_place
from tests.factories.procurement import make_department, opened_call
from tests.factories.projects import make_indicator, make_project, make_report

pytestmark = [pytest.mark.browser, pytest.mark.no_db_session]

PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True}
DESK = {"viewport": {"width": 1280, "height": 900}}


def _world() -> dict:
    district = make_place("district", "西陵区")
    street = make_place("street", "夜明珠街道", district)
    other_street = make_place("street", "西陵街道", district)
    community = make_place("community", "铁路坝社区", street)
    grid = make_place("grid", "铁路坝社区第1网格", community)
    organiser = UserFactory()
    organisation = make_organisation(organiser, community, status="verified")
    for target, actual, place in ((60, 30, grid), (40, 40, grid), (80, 20, other_street)):
        project = make_project(organisation, organiser, [place])
        make_report(make_indicator(project, target=target), organiser, actual=actual, status="approved")
    official_en = UserFactory(email="official-en@example.org", locale="en")
    official_zh = UserFactory(email="official-zh@example.org", locale="zh_CN")
    for official in (official_en, official_zh):
        grant(official, roles.OFFICIAL, district)
    department = make_department(district, name="西陵区民政局")
    bidder, bidder_admin = make_bidder(community, name="夜明珠街道老年协会")
    call = opened_call(department, official_zh, [bidder], [20_000_000], bidder_admin, reference="XL-2026-001",
                       title="铁路坝社区居家养老服务")
    award(call, official_zh, db.session.scalars(select(Bid).where(Bid.call_id == call.id)).one())
    db.session.commit()
    return {"district": district, "street": street, "other_street": other_street, "community": community,
            "grid": grid, "call": call}


def _signed_in(browser, live_server, email, locale, size):
    context = browser.new_context(locale=locale, **size)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    page.goto(live_server + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(live_server + "/")
    return page


def _fits(page):
    """Nothing on the page scrolls sideways."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


def _place_row(page, name):
    return page.locator("#places-heading + * tbody tr, section[aria-labelledby=places-heading] tbody tr").filter(
        has=page.get_by_role("link", name=name, exact=True))


def _drill(page, name):
    """Open a place from the outcomes table; the heading and the breadcrumb's current step become it."""
    # Charts draw when scrolled into view and push the table down, so a pointer click can land beside a
    # moving link on a busy box: the link is activated as a keyboard user does (focus, Enter), which no layout
    # shift can miss.
    page.wait_for_load_state("networkidle")
    link = _place_row(page, name).get_by_role("link", name=name, exact=True)
    href = link.get_attribute("href")
    link.focus()
    link.press("Enter")
    page.wait_for_url(lambda url: url.endswith(href))
    expect(page.locator("h1")).to_have_text(f"Outcomes: {name}")
    expect(page.locator("nav.breadcrumb [aria-current=page]")).to_have_text(name)
    _fits(page)


def _attainment(page, name):
    return _place_row(page, name).locator("td[data-label=Attainment]")


def test_an_official_drills_to_a_grid_and_opens_a_red_flagged_call(live_server, browser):
    world = _world()

    # 1. in English, on a phone: the insights, the outcomes, and down the tree to a grid
    phone = _signed_in(browser, live_server, "official-en@example.org", "en", PHONE)
    phone.goto(live_server + "/insights/")
    _fits(phone)
    phone.get_by_role("link", name="Outcomes", exact=True).click()
    expect(phone.locator("h1")).to_have_text("Outcomes")
    _fits(phone)
    expect(_attainment(phone, "西陵区")).to_have_text("58%")
    _drill(phone, "西陵区")
    expect(_attainment(phone, "夜明珠街道")).to_have_text("75%")
    expect(_attainment(phone, "西陵街道")).to_have_text("25%")
    _drill(phone, "夜明珠街道")
    expect(_attainment(phone, "铁路坝社区")).to_have_text("75%")
    _drill(phone, "铁路坝社区")
    row = _place_row(phone, "铁路坝社区第1网格")
    expect(row.locator("td[data-label=Indicators]")).to_have_text("2")
    expect(row.locator("td[data-label=Met]")).to_have_text("1")
    _drill(phone, "铁路坝社区第1网格")
    stats = phone.locator(".stats")
    expect(stats.locator(".stat").filter(has_text="attainment").locator(".stat-value")).to_have_text("75%")
    expect(stats.locator(".stat").filter(has_text="targets met").locator(".stat-value")).to_have_text("1")
    expect(stats.locator(".stat").filter(has_text="projects").locator(".stat-value")).to_have_text("2")
    expect(phone.locator(".computed-at")).to_contain_text("computed at")
    screenshot(phone, "insights-grid-phone-en")
    # back up by the breadcrumbs
    phone.locator("nav.breadcrumb").get_by_role("link", name="夜明珠街道", exact=True).click()
    expect(phone.locator("h1")).to_have_text("Outcomes: 夜明珠街道")
    phone.locator("nav.breadcrumb").get_by_role("link", name="All districts", exact=True).click()
    expect(phone.locator("h1")).to_have_text("Outcomes")
    assert not phone.js_errors

    # 2. in Chinese, at a desk: the red flags, the single-bid flag and its call
    desk = _signed_in(browser, live_server, "official-zh@example.org", "zh-CN", DESK)
    desk.goto(live_server + "/insights/")
    desk.get_by_role("link", name="政府购买服务风险预警", exact=True).click()
    expect(desk.locator("h1")).to_have_text("政府购买服务风险预警")
    flag = desk.locator(".flags-table tbody tr").filter(has_text="单一投标")
    expect(flag).to_have_count(1)
    explanation = "该竞争性项目只有一家组织投标。"
    expect(flag.locator("td").last).to_have_text(explanation)
    flag.get_by_role("link", name="XL-2026-001").click()
    desk.wait_for_url(f"{live_server}/procurement/calls/{world['call'].id}")
    expect(desk.locator("h1")).to_have_text("铁路坝社区居家养老服务")
    desk.go_back()
    expect(desk.locator(".flags-table tbody tr").filter(has_text="单一投标")).to_contain_text(explanation)

    # 3. the same page on the official's phone: it fits, and the explanation is on screen, not off to the right
    zh_phone = _signed_in(browser, live_server, "official-zh@example.org", "zh-CN", PHONE)
    zh_phone.goto(live_server + "/insights/red-flags")
    _fits(zh_phone)
    single_bid = zh_phone.locator(".flags-table tbody tr").filter(has_text="单一投标")
    why = single_bid.get_by_text(explanation)
    expect(why).to_be_visible()
    box = why.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375 + 1
    screenshot(zh_phone, "insights-red-flags-phone-zh")
    single_bid.get_by_role("link", name="XL-2026-001").click()
    expect(zh_phone.locator("h1")).to_have_text("铁路坝社区居家养老服务")
    _fits(zh_phone)
    assert not desk.js_errors and not zh_phone.js_errors
