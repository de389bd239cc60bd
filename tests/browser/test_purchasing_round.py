"""Issue 11's purchasing round in a real Chromium, as its people do it: the official publishes a call, two
organisations bid, the deadline passes and the bids open, the official names the panel, the evaluator declares
and scores, the official awards, the losing bidder objects in the publicity period and the official answers; when
publicity ends the award is confirmed. The portal's clock is moved (the server runs in this process)."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts import roles
from portal.extensions import db
from portal.orgs.models import VERIFIED
from portal.procurement.models import CONFIRMED, VALID, Award, Bid, Call, Objection
from tests.browser.conftest import screenshot
from tests.conftest import TEST_PASSWORD
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation
from tests.factories.places import make_tree
from tests.factories.procurement import make_call, make_catalogue_item, make_department, qualify

pytestmark = [pytest.mark.browser, pytest.mark.no_db_session]


def _page_for(browser, live_server, email, phone=False):
    size = {"width": 375, "height": 812} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(locale="en", viewport=size, is_mobile=phone)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Publish this call?" and the like
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(email)
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/")
    return page


def _bid(page, live_server, call, people, hours, rate, materials, overheads):
    page.goto(f"{live_server}/procurement/calls/{call.id}/bid")
    page.get_by_label("Approach").fill("入户评估建档，按需上门服务，每月回访并公开服务记录。")
    page.get_by_label("Team").fill("项目主管1名，持证社工3名，护理员6名")
    page.locator("#indicators-0-name").fill("上门服务人次")
    page.locator("#indicators-0-unit").fill("人次")
    page.locator("#indicators-0-baseline").fill("0")
    page.locator("#indicators-0-target").fill("2000")
    page.locator("#staff-0-role").fill("护理员")
    page.locator("#staff-0-people").fill(str(people))
    page.locator("#staff-0-hours").fill(str(hours))
    page.locator("#staff-0-rate").fill(str(rate))
    page.get_by_label("Materials (yuan)").fill(str(materials))
    page.get_by_label("Overheads (yuan)").fill(str(overheads))
    page.get_by_role("button", name="Seal and submit the bid").click()
    page.wait_for_load_state()
    assert re.search(r"[0-9a-f]{64}", page.content()), "the receipt shows the bid's SHA-256"


def test_a_purchasing_round_from_publishing_to_a_confirmed_award(live_server, browser, clock):
    tree = make_tree()
    official = UserFactory(email="official@example.org", locale="en")
    grant(official, roles.OFFICIAL, tree["district"])
    evaluator = UserFactory(email="evaluator@example.org", locale="en")
    grant(evaluator, roles.EVALUATOR, tree["district"])
    bidders = []
    for n, name in enumerate(("阳光社工服务中心", "乐龄社工服务中心")):
        admin = UserFactory(email=f"bidder{n}@example.org", locale="en")
        organisation = make_organisation(admin, tree["community"], status=VERIFIED, name=name)
        grant(admin, roles.ORG_ADMIN, organisation)
        qualify(organisation, tree["district"], official)
        bidders.append((admin, organisation))
    department = make_department(tree["district"])
    item = make_catalogue_item(department, ceiling_minor=20_000)  # 200 yuan an hour: 2,000 hours fit the cap
    call = make_call(department, official, status="draft", min_bids=2, item=item,
                     bids_until=clock.now().replace(microsecond=0) + timedelta(days=10))
    db.session.commit()

    # 1. the official publishes the draft
    buyer = _page_for(browser, live_server, "official@example.org")
    buyer.goto(f"{live_server}/procurement/calls/{call.id}")
    buyer.get_by_role("button", name="Publish").click()
    buyer.wait_for_load_state()
    assert "Open for bids" in buyer.content()

    # 2. two organisations bid (one on a phone); nobody can read a price before the deadline
    first = _page_for(browser, live_server, "bidder0@example.org", phone=True)
    _bid(first, live_server, call, 1, 2000, 60, 60000, 30000)  # 210,000 yuan under a 300,000 cap
    second = _page_for(browser, live_server, "bidder1@example.org")
    _bid(second, live_server, call, 1, 2000, 50, 45555, 10000)  # 155,555 yuan
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(Bid).where(Bid.call_id == call.id)) == 2
    buyer.goto(f"{live_server}/procurement/calls/{call.id}")
    assert "300,000.00" in buyer.content()  # the cap is public; the prices are sealed
    assert "210,000" not in buyer.content() and "155,555" not in buyer.content()

    # 3. the deadline passes: the call page opens the bids (the worker would, too)
    clock.move(days=11)
    buyer.goto(f"{live_server}/procurement/calls/{call.id}")
    assert "2 bids were opened" in buyer.content()
    buyer.goto(f"{live_server}/procurement/calls/{call.id}/opening")
    assert "阳光社工服务中心" in buyer.content() and "乐龄社工服务中心" in buyer.content()
    screenshot(buyer, "procurement-opening-record")

    # 4. the official names the panel and starts the evaluation
    buyer.goto(f"{live_server}/procurement/calls/{call.id}/panel")
    buyer.get_by_label(re.compile("evaluator@example.org|" + re.escape(evaluator.display_name))).check()
    buyer.get_by_role("button", name="Save the panel").click()
    buyer.wait_for_load_state()
    buyer.get_by_role("button", name="Start the evaluation").click()
    buyer.wait_for_load_state()

    # 5. the evaluator declares no conflicts, scores both bids 0-5 with comments, and submits
    panel = _page_for(browser, live_server, "evaluator@example.org", phone=True)
    panel.goto(f"{live_server}/procurement/calls/{call.id}/conflicts")
    for radio in panel.get_by_label("No conflict").all():
        radio.check()
    panel.get_by_role("button", name="Record my declarations").click()
    panel.wait_for_load_state()
    db.session.rollback()
    bids = db.session.scalars(select(Bid).where(Bid.call_id == call.id).order_by(Bid.id)).all()
    assert [bid.status for bid in bids] == [VALID, VALID]
    for bid, points in zip(bids, ("5", "3"), strict=True):
        panel.goto(f"{live_server}/procurement/calls/{call.id}/scoring/{bid.id}")
        for group in panel.locator("[role=radiogroup]").all():
            group.locator(f"input[value='{points}']").check()
        for comment in panel.locator("textarea").all():
            comment.fill("方案针对需求，指标可测。")
        panel.get_by_role("button", name="Save my scores").click()
        panel.wait_for_load_state()
    panel.goto(f"{live_server}/procurement/calls/{call.id}/scoring")
    panel.get_by_role("button", name="Submit my scores").click()
    panel.wait_for_load_state()
    screenshot(panel, "procurement-scoring-submitted-phone")

    # 6. the official sees the ranking and awards the top bid, with reasons
    buyer.goto(f"{live_server}/procurement/calls/{call.id}/award")
    buyer.locator("input[type=checkbox]").first.check()
    buyer.locator("textarea").first.fill("综合得分第一，方案与团队最符合需求。")
    buyer.get_by_role("button", name="Publish the award").click()
    buyer.wait_for_load_state()
    db.session.rollback()
    award = db.session.scalar(select(Award).where(Award.call_id == call.id))
    winner_id = award.bid.organisation_id
    loser_admin = next(admin for admin, organisation in bidders if organisation.id != winner_id)

    # 7. the losing bidder sees its scores beside the winner's and objects during publicity
    loser = _page_for(browser, live_server, loser_admin.email)
    loser.goto(f"{live_server}/procurement/calls/{call.id}/my-scores")
    assert loser.locator("table").count() >= 1
    loser.goto(f"{live_server}/procurement/calls/{call.id}/objections/new")
    loser.get_by_label("Grounds of the objection").fill("我方的团队资质评分偏低，请复核评分依据与评审意见。")
    loser.get_by_role("button", name="File the objection").click()
    loser.wait_for_load_state()
    db.session.rollback()
    objection = db.session.scalar(select(Objection).where(Objection.call_id == call.id))
    assert objection.status == "open"

    # 8. publicity ends, but the open objection freezes the award until the official answers it
    clock.move(days=6)
    buyer.goto(f"{live_server}/procurement/calls/{call.id}")
    db.session.rollback()
    assert db.session.get(Call, call.id).status == "awarded"
    buyer.goto(f"{live_server}/procurement/calls/{call.id}/objections/{objection.id}")
    buyer.get_by_label("Dismissed", exact=False).first.check()
    buyer.get_by_label("Answer to the objector").fill("经复核，评分依据充分，维持原评审结果。")
    buyer.get_by_role("button", name="Send the answer").click()
    buyer.wait_for_load_state()

    # 9. the next look at the call confirms the award (exactly once), and the objector reads the answer
    buyer.goto(f"{live_server}/procurement/calls/{call.id}")
    db.session.rollback()
    assert db.session.get(Call, call.id).status == CONFIRMED
    assert "Award confirmed" in buyer.content()
    loser.goto(f"{live_server}/procurement/calls/{call.id}/objections/{objection.id}")
    assert "维持原评审结果" in loser.content()
    screenshot(loser, "procurement-objection-answered")
