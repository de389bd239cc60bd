"""Issue 12's path in a real Chromium, as its people do it: the contractor reports delivery from a phone, the
community worker draws a sample and verifies, sampled residents answer on their phones (one says the service
never happened), the official accepts the milestone and asks for the payment, a second official approves it,
the official rates the delivered contract, and the organisation's public record shows it."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts import roles
from portal.contracts.models import APPROVED, COMPLETED, VERIFIED, Contract, ContractPayment, DeliveryReport
from portal.core.time import utcnow
from portal.extensions import db
from portal.orgs.models import VERIFIED as ORG_VERIFIED
from tests.browser.conftest import screenshot
from tests.conftest import TEST_PASSWORD
from tests.factories.accounts import UserFactory, grant
from tests.factories.contracts import make_contract
from tests.factories.orgs import make_organisation
from tests.factories.places import make_tree
from tests.factories.procurement import make_department

pytestmark = [pytest.mark.browser, pytest.mark.no_db_session]


def _page(browser, live_server, email=None, phone=False):
    size = {"width": 375, "height": 812} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(locale="en", viewport=size, is_mobile=phone)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    if email:
        page.goto(live_server + "/login")
        page.get_by_label("Email").fill(email)
        page.locator("#password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(live_server + "/")
    return page


def test_a_contract_from_reported_delivery_to_a_rated_public_record(live_server, browser):
    tree = make_tree()
    official, second = UserFactory(email="official@example.org", locale="en"), UserFactory(
        email="second@example.org", locale="en")
    worker, contractor = UserFactory(email="worker@example.org", locale="en"), UserFactory(
        email="contractor@example.org", locale="en")
    for user in (official, second):
        grant(user, roles.OFFICIAL, tree["district"])
    grant(worker, roles.COMMUNITY_WORKER, tree["community"])
    organisation = make_organisation(contractor, tree["community"], status=ORG_VERIFIED, name="铁路坝为老服务社")
    grant(contractor, roles.ORG_ADMIN, organisation)
    contract = make_contract(make_department(tree["district"]), organisation, official, place=tree["community"],
                             lines=(("居家养老上门服务", "hour", 4000, 200),), shares=(10000,))
    db.session.commit()
    base = f"{live_server}/contracts/{contract.id}"
    today = utcnow().date()

    # 1. the contractor reports 200 hours and five people served, from a phone
    phone = _page(browser, live_server, "contractor@example.org", phone=True)
    phone.goto(base + "/reports/new")
    phone.get_by_label("Period from").fill((today - timedelta(days=20)).isoformat())
    phone.get_by_label("Period to").fill((today - timedelta(days=1)).isoformat())
    phone.locator(f"#units_{contract.lines[0].id}").fill("200")
    phone.get_by_label("What was delivered").fill("按计划完成上门服务，签到表和回访记录齐全。")
    for n, name in enumerate(("王阿姨", "李大爷", "张奶奶", "刘爷爷", "陈阿姨")):
        phone.locator(f"#rec-{n}-label").fill(name)
        phone.locator(f"#rec-{n}-served_on").fill((today - timedelta(days=10 + n)).isoformat())
    phone.get_by_role("button", name="Send for verification").click()
    phone.wait_for_load_state()
    db.session.rollback()
    report = db.session.scalar(select(DeliveryReport).where(DeliveryReport.contract_id == contract.id))
    assert report is not None and len(report.records) == 5
    screenshot(phone, "contracts-report-sent-phone")

    # 2. the community worker draws a sample of the people served, then verifies the report
    desk = _page(browser, live_server, "worker@example.org")
    desk.goto(f"{base}/reports/{report.id}")
    desk.get_by_role("button", name="Draw a sample").click()
    desk.wait_for_load_state()
    desk.goto(f"{base}/reports/{report.id}")
    desk.get_by_role("button", name="Verify the report").click()
    desk.wait_for_load_state()
    db.session.rollback()
    assert db.session.get(DeliveryReport, report.id).status == VERIFIED
    desk.goto(f"{base}/reports/{report.id}")
    desk.get_by_role("link", name="Sample and links").click()
    links = [a.get_attribute("href") for a in desk.locator("a[href*='/contracts/confirm/']").all()]
    assert len(links) == 5

    # 3. two residents answer on their phones without signing in: one confirms, one denies
    for link, happened in ((links[0], "yes"), (links[1], "no")):
        resident = _page(browser, live_server, phone=True)
        resident.goto(link if link.startswith("http") else live_server + link)
        resident.locator(f"input[name=happened][value={happened}]").check()
        if happened == "yes":
            resident.locator("input[name=quality][value='5']").check()
        resident.get_by_role("button", name="Send my answer").click()
        resident.wait_for_load_state()
        assert "Thank" in resident.content() or "thank" in resident.content()
        resident.context.close()

    # 4. the official accepts the milestone (rating 4: factor 1.0); one denial of two answers halves the units
    buyer = _page(browser, live_server, "official@example.org")
    milestone = contract.milestones[0]
    buyer.goto(f"{base}/milestones/{milestone.id}")
    buyer.get_by_label("Acceptance rating").select_option("4")
    buyer.locator("textarea").first.fill("抽查记录与居民回访一致。")
    buyer.get_by_role("button", name="Accept").click()
    buyer.wait_for_load_state()
    assert "4,000.00" in buyer.content()  # 100 payable hours x ¥40 x 1.0, not 200 hours' ¥8,000
    buyer.get_by_label(re.compile("Amount")).fill("4000")
    buyer.get_by_role("button", name="Ask for the payment").click()
    buyer.wait_for_load_state()

    # 5. the same official cannot approve it; a second official does, and the contract is delivered
    db.session.rollback()
    payment = db.session.scalar(select(ContractPayment).where(ContractPayment.contract_id == contract.id))
    buyer.goto(f"{base}/milestones/{milestone.id}")
    assert buyer.get_by_role("button", name="Approve and pay").count() == 0
    approver = _page(browser, live_server, "second@example.org")
    approver.goto(f"{base}/milestones/{milestone.id}")
    approver.get_by_role("button", name="Approve and pay").click()
    approver.wait_for_load_state()
    db.session.rollback()
    assert db.session.get(ContractPayment, payment.id).status == APPROVED
    assert db.session.get(Contract, contract.id).paid_minor == 400_000
    assert db.session.get(Contract, contract.id).status == COMPLETED

    # 6. the official rates the five areas, each with its narrative
    buyer.goto(f"{base}/evaluation")
    for select_box in buyer.locator("form.evaluation-form select").all():
        select_box.select_option("4")
    for narrative in buyer.locator("form.evaluation-form textarea").all():
        narrative.fill("按时交付，记录完整；一名居民否认接受服务，已按抽样结果扣减。")
    buyer.get_by_role("button", name="Submit the rating").click()
    buyer.wait_for_load_state()

    # 7. the organisation's public record shows the contract, what was paid and the rating
    public = _page(browser, live_server)
    public.goto(f"{live_server}/contracts/organisations/{organisation.id}")
    content = public.content()
    assert contract.reference in content and "4,000.00" in content
    screenshot(public, "contracts-organisation-record")
