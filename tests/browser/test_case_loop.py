"""Issue 13's loop in a real Chromium, everyone on a 375-px phone: a resident reports a case with a photo (in
Chinese), the community worker files and dispatches it, the department's official takes it up, handles it
and tells the reporter, the grid worker verifies on site with a follow-up photo, the community worker closes
it, and the resident gives a verdict. The stored photo carries no metadata; the timeline shows every step."""
import pytest
from sqlalchemy import select

from portal.accounts import roles
from portal.cases.models import EVALUATED, Case
from portal.cases.photos import photo_path
from portal.extensions import db
from tests.browser.conftest import screenshot
from tests.conftest import TEST_PASSWORD
from tests.factories.accounts import UserFactory, grant
from tests.factories.cases import make_category, photo_bytes
from tests.factories.places import make_tree
from tests.factories.procurement import make_department

pytestmark = [pytest.mark.browser, pytest.mark.no_db_session]


def _phone(browser, live_server, email, locale="en"):
    context = browser.new_context(locale=locale, viewport={"width": 375, "height": 812}, is_mobile=True)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(live_server + "/")
    return page


def _step(page, step, **fields):
    """Fill a step card's fields (by name) and press its button; wait for the page it leads to."""
    card = page.locator(f"#step-{step}")
    for name, value in fields.items():
        target = card.locator(f"[name={name}]")
        if name == "photos":
            target.set_input_files(value)
        else:
            target.fill(value)
    card.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _status(case_id) -> str:
    db.session.rollback()
    return db.session.get(Case, case_id).status


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_case_from_a_residents_photo_to_their_verdict_on_phones(live_server, browser):
    tree = make_tree()
    department = make_department(tree["street"], name="夜明珠街道城管科")
    UserFactory(email="resident@example.org", locale="zh_CN")  # the resident
    worker = UserFactory(email="worker@example.org", locale="en")
    official = UserFactory(email="official@example.org", locale="en")
    gridder = UserFactory(email="grid@example.org", locale="en")
    grant(worker, roles.COMMUNITY_WORKER, tree["community"])
    grant(official, roles.OFFICIAL, tree["street"])
    grant(gridder, roles.GRID_WORKER, tree["grid"])
    category = make_category(tree["street"], department, code="DUIWU", name="楼道堆物")
    db.session.commit()
    photo = {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}

    # 1. the resident reports it from a phone, in Chinese, with a photo taken on the spot
    phone = _phone(browser, live_server, "resident@example.org", locale="zh-CN")
    phone.goto(live_server + "/cases/report")
    phone.locator("#place_id").select_option(str(tree["grid"].id))
    phone.locator("#category_id").select_option(str(category.id))
    phone.locator("#title").fill("3栋楼道堆满杂物")
    phone.locator("#description").fill("旧家具挡住了消防通道。")
    phone.locator("#photos").set_input_files(photo)
    _no_sideways_scroll(phone)
    phone.locator("#case-report-form button[type=submit]").click()
    phone.wait_for_load_state()
    db.session.rollback()
    case = db.session.scalar(select(Case).where(Case.title == "3栋楼道堆满杂物"))
    assert case is not None and case.status == "reported" and case.reported_via == "web"
    assert phone.url.endswith(f"/cases/{case.id}")
    assert case.latitude is not None  # placed by the photo's GPS
    stored = photo_path(case.photos[0]).read_bytes()
    assert b"SecretPhoneMaker" not in stored and b"Exif" not in stored
    screenshot(phone, "cases-reported-phone-zh")

    # 2. the community worker files it and dispatches it to the category's department
    desk = _phone(browser, live_server, "worker@example.org")
    desk.goto(f"{live_server}/cases/{case.id}")
    _step(desk, "file")
    assert _status(case.id) == "filed"
    _step(desk, "dispatch")
    assert _status(case.id) == "dispatched"

    # 3. the department's official takes it up, handles it and tells the reporter
    handler = _phone(browser, live_server, "official@example.org")
    handler.goto(f"{live_server}/cases/{case.id}")
    _step(handler, "accept")
    _step(handler, "handle", note="已联系业主清走旧家具，消防通道畅通。")
    assert _status(case.id) == "handled"
    _step(handler, "feedback", note="杂物已清理，请查看。")
    _no_sideways_scroll(handler)

    # 4. the grid worker verifies on site with a follow-up photo
    grid = _phone(browser, live_server, "grid@example.org")
    grid.goto(f"{live_server}/cases/{case.id}")
    _step(grid, "verify", photos={"name": "after.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()})
    assert _status(case.id) == "verified"

    # 5. the community worker closes it; 6. the resident is satisfied
    desk.goto(f"{live_server}/cases/{case.id}")
    _step(desk, "close")
    assert _status(case.id) == "closed"
    phone.goto(f"{live_server}/cases/{case.id}")
    phone.locator("#step-evaluate input[value=yes]").check()
    phone.locator("#step-evaluate button[type=submit]").click()
    phone.wait_for_load_state()
    db.session.rollback()
    case = db.session.get(Case, case.id)
    assert case.status == EVALUATED and case.satisfaction == "satisfied"
    assert [event.action for event in case.events] == ["report", "file", "dispatch", "accept", "handle",
                                                       "feedback", "verify", "close", "evaluate"]
    assert {p.stage for p in case.photos} == {"report", "follow_up"}
    phone.goto(f"{live_server}/cases/{case.id}")
    body = phone.locator("main").inner_text()
    assert "满意" in body and case.reference in body
    _no_sideways_scroll(phone)
    screenshot(phone, "cases-evaluated-phone-zh")
