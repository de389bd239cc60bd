"""The phone app offline, in a real Chromium on a 375-px phone: the demo grid worker reports with a photo while
the phone has no connection, sees the report waiting in the queue, and when the connection is back exactly one
case arrives; the queue sending the same report again makes no second one."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.cases.models import FOLLOW_UP_PHOTO, HANDLED, REPORT_PHOTO, VERIFIED, Case, CasePhoto
from portal.demo_city import DEMO_PASSWORD, demo_email, seed_places, seed_users
from portal.extensions import db
from portal.places.models import Place
from tests.browser.conftest import screenshot
from tests.browser.page_table import GRID_WORKERS_GRID
from tests.factories.cases import make_case, make_category, photo_bytes
from tests.factories.procurement import make_department

pytestmark = [pytest.mark.browser, pytest.mark.no_db_session]

TITLE = "离线上报：5栋门口垃圾满了"
PHONE = {"width": 375, "height": 812}
HERE = {"latitude": 30.6979, "longitude": 111.2861}  # 铁路坝, inside the city


def _demo_grid_worker_with_a_category():
    """The demo city's places and accounts, and a category on the grid worker's street (the cases demo is
    another part's work)."""
    places = seed_places()
    seed_users(places)
    street = places[GRID_WORKERS_GRID].parent.parent
    category = make_category(street, make_department(street, name="夜明珠街道城管科"), code="LAJI", name="垃圾清运")
    db.session.commit()
    return category


def _sign_in(page, base: str) -> None:
    page.goto(base + "/login")
    page.locator("#email").fill(demo_email("grid-worker"))
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/login)"))


def _cases_titled(title: str) -> list[Case]:
    db.session.rollback()  # end the test's read snapshot: the server committed in its own thread
    return list(db.session.scalars(select(Case).where(Case.title == title)))


def _queued_item(page) -> dict:
    """The report as the app keeps it in IndexedDB (kept in the page, to be put back for a replay)."""
    return page.evaluate("""() => new Promise((resolve, reject) => {
        const opening = indexedDB.open("portal-cases-app");
        opening.onerror = () => reject(opening.error);
        opening.onsuccess = () => {
            const all = opening.result.transaction("queue").objectStore("queue").getAll();
            all.onsuccess = () => { window.keptReport = all.result[0]; resolve({key: all.result[0].key,
                                                                               count: all.result.length}); };
        };
    })""")


def test_a_report_made_offline_arrives_exactly_once_when_the_phone_is_back_online(live_server, browser):
    category = _demo_grid_worker_with_a_category()
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True,
                                  geolocation=HERE, permissions=["geolocation"])
    page = context.new_page()
    crashes = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    _sign_in(page, live_server)
    page.goto(live_server + "/cases/app")
    # the service worker keeps the app for offline use: it opens again without a connection
    assert page.evaluate("navigator.serviceWorker.ready.then(registration => registration.scope)") \
        == live_server + "/cases/"
    context.set_offline(True)
    assert page.reload().from_service_worker
    expect(page.locator("#app-offline")).to_be_visible()

    # one thumb: the Report button opens the camera; the place is the worker's grid, the location the phone's
    with page.expect_file_chooser() as chooser:
        page.locator("#app-report-button").click()
    chooser.value.set_files([{"name": "rubbish.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}])
    expect(page.locator("#app-location-status")).to_contain_text("米")
    page.locator("#category_id").select_option(str(category.id))
    page.locator("#title").fill(TITLE)
    page.locator("#app-report-form button[type=submit]").click()

    queued = page.locator("#app-queue-list li")
    expect(queued).to_have_count(1)
    expect(queued).to_contain_text(TITLE)
    expect(queued).to_contain_text("等待网络连接")
    expect(page.locator("#app-queue-heading")).to_have_text("1 条报告等待发送")
    screenshot(page, "offline-report-queued")
    kept = _queued_item(page)
    assert kept["count"] == 1
    assert _cases_titled(TITLE) == []

    context.set_offline(False)  # the 'online' event sends the queue
    expect(queued).to_have_count(0)
    expect(page.locator("#app-sent-list")).to_contain_text("已发送，编号 AJ-")
    screenshot(page, "offline-report-sent")
    [case] = _cases_titled(TITLE)
    assert (case.idempotency_key, case.reported_via, case.place.name) == (kept["key"], "phone_app", GRID_WORKERS_GRID)
    assert case.latitude == pytest.approx(HERE["latitude"]) and case.longitude == pytest.approx(HERE["longitude"])
    assert db.session.scalar(select(func.count()).select_from(CasePhoto).where(
        CasePhoto.case_id == case.id, CasePhoto.stage == REPORT_PHOTO)) == 1

    # the phone sends the same report again (its answer was lost): the portal knows the key, nothing new
    page.evaluate("""() => new Promise((resolve) => {
        const opening = indexedDB.open("portal-cases-app");
        opening.onsuccess = () => {
            const transaction = opening.result.transaction("queue", "readwrite");
            transaction.objectStore("queue").put(window.keptReport);
            transaction.oncomplete = () => { window.dispatchEvent(new Event("online")); resolve(); };
        };
    })""")
    expect(page.locator("#app-sent-list")).to_contain_text(f"已收到，编号 {case.reference}")
    expect(queued).to_have_count(0)
    expect(page.locator("#app-queue-heading")).to_have_text("全部已发送。")
    assert [c.id for c in _cases_titled(TITLE)] == [case.id]
    assert crashes == []
    db.session.rollback()  # no read transaction left open: the live server's cleanup truncates every table
    context.close()


def test_a_follow_up_photo_taken_offline_verifies_the_case_once_back_online(live_server, browser):
    category = _demo_grid_worker_with_a_category()
    grid = db.session.scalar(select(Place).where(Place.name == GRID_WORKERS_GRID))
    resident = db.session.scalar(select(User).where(User.email == demo_email("resident")))
    case = make_case(category, grid, resident, status=HANDLED, title="井盖松动")
    db.session.commit()
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    _sign_in(page, live_server)
    page.goto(live_server + "/cases/app")
    context.set_offline(True)

    page.locator("details.app-follow-up summary", has_text="现场核查").click()
    page.locator(f"#follow-up-photos-{case.id}").set_input_files(
        [{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}])
    page.locator(f"#follow-up-note-{case.id}").fill("井盖已固定")
    page.get_by_role("button", name="确认已解决").click()
    queued = page.locator("#app-queue-list li")
    expect(queued).to_contain_text(f"核实：{case.reference} 井盖松动")
    db.session.rollback()
    assert db.session.get(Case, case.id).status == HANDLED

    context.set_offline(False)
    expect(queued).to_have_count(0)
    db.session.rollback()
    assert db.session.get(Case, case.id).status == VERIFIED
    assert db.session.scalar(select(func.count()).select_from(CasePhoto).where(
        CasePhoto.case_id == case.id, CasePhoto.stage == FOLLOW_UP_PHOTO)) == 1
    db.session.rollback()
    context.close()
