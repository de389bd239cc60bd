"""The places page in Chromium: the tree opens, the plotly chart draws under the CSP, phones don't scroll sideways."""
import pytest

from portal.extensions import db
from portal.orgs.models import VERIFIED
from portal.places import service
from tests.browser.conftest import screenshot
from tests.factories.accounts import UserFactory
from tests.factories.orgs import make_organisation

pytestmark = [pytest.mark.browser, pytest.mark.no_db_session]


def _small_city():
    district = service.create_place("district", "西陵区", "420502", None)
    creator = UserFactory()
    for s, street_name in enumerate(("夜明珠街道", "西陵街道", "学院街道")):
        street = service.create_place("street", street_name, f"420502{s:03d}", district)
        community = service.create_place("community", f"{street_name[:2]}社区", f"420502{s:03d}001", street)
        for g in range(4):
            service.create_place("grid", f"第{g + 1}网格", f"420502{s:03d}001-{g}", community)
        for _n in range(s + 1):
            make_organisation(creator, community, status=VERIFIED)
    db.session.commit()


def test_places_page_draws_the_chart_without_csp_errors(live_server, page):
    _small_city()
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(live_server + "/places/")
    page.locator("#street-chart").scroll_into_view_if_needed()
    page.wait_for_selector("#street-chart .main-svg", timeout=20_000)
    assert page.locator("#street-chart g.point").count() == 3
    # a street's summary opens it to show its communities; its page is a link inside (never inside the summary)
    page.locator("summary", has_text="夜明珠街道").click()
    assert page.locator("summary", has_text="夜明社区").is_visible()
    assert page.locator("summary a").count() == 0
    screenshot(page, "places-browse")
    page.get_by_role("link", name="进入夜明珠街道页面").click()
    page.wait_for_url(live_server + "/places/*")
    assert page.locator("h1").inner_text().startswith("夜明珠街道")
    assert violations == []
    assert page.js_errors == []


def test_places_page_fits_a_phone(live_server, browser):
    _small_city()
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.goto(live_server + "/places/")
    page.locator("#street-chart").scroll_into_view_if_needed()
    page.wait_for_selector("#street-chart .main-svg", timeout=20_000)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "places-browse-phone")
    context.close()
