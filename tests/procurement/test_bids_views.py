"""The bid pages: the form, the receipt (hash, time, version; never the price before the opening), withdrawal,
"my bids" with a fixed query count, and the call page's bidding section."""
import io

from flask import render_template
from sqlalchemy import func, select

from portal.extensions import db
from portal.procurement import bids
from portal.procurement.models import WITHDRAWN, Bid, BidReceipt
from portal.procurement.views.bids import bidding_section
from tests.factories.procurement import make_call
from tests.procurement.bids_world import PNG, draft, form_data


def _bid_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Bid))


def test_a_bid_sent_from_the_form_lands_on_its_receipt_with_the_hash_and_not_the_price(market, client, login_as):
    login_as(market.admin)
    response = client.post_form(f"/procurement/calls/{market.call.id}/bid", form_data(market.lot, market.org))
    assert response.status_code == 302
    bid = db.session.scalar(select(Bid))
    receipt_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert bid.receipt_sha256 in receipt_page
    assert "95,000" not in receipt_page and "9500000" not in receipt_page


def test_a_bid_over_the_cap_from_the_form_is_shown_again_with_the_message_and_not_stored(market, client, login_as):
    login_as(market.admin)
    response = client.post_form(f"/procurement/calls/{market.call.id}/bid",
                                form_data(market.lot, market.org, **{"staff-0-rate": "500"}))
    assert response.status_code == 400
    assert "over the lot" in response.get_data(as_text=True) and _bid_count() == 0


def test_a_mislabelled_file_from_the_form_is_refused_with_the_message(market, client, login_as):
    login_as(market.admin)
    data = form_data(market.lot, market.org)
    data["files"] = [(io.BytesIO(PNG), "budget.pdf")]
    response = client.post_form(f"/procurement/calls/{market.call.id}/bid", data,
                                content_type="multipart/form-data")
    assert response.status_code == 400
    assert "named .pdf" in response.get_data(as_text=True) and _bid_count() == 0


def test_a_lot_of_another_call_sent_in_the_form_is_refused(market, client, login_as):
    other = make_call(market.department, market.official)
    login_as(market.admin)
    response = client.post_form(f"/procurement/calls/{market.call.id}/bid", form_data(other.lots[0], market.org))
    assert response.status_code == 400 and _bid_count() == 0


def test_the_form_tells_an_unqualified_organisation_why_before_it_types(market, client, login_as):
    other = market.bidder(qualified=False)
    login_as(other.admin)
    html = client.get(f"/procurement/calls/{market.call.id}/bid").get_data(as_text=True)
    assert "qualified-organisation list" in html


def test_withdrawing_from_the_receipt_page_needs_the_confirmation(market, client, login_as):
    bid = db.session.get(Bid, bids.submit_bid(market.call, market.lot, market.org, market.admin, draft()).bid_id)
    login_as(market.admin)
    url = f"/procurement/calls/{market.call.id}/bids/{bid.id}/withdraw"
    assert client.post_form(url, {}, token_from="/procurement/my-bids").status_code == 400
    assert db.session.get(Bid, bid.id).status != WITHDRAWN
    assert client.post_form(url, {"confirm": "y"}, token_from="/procurement/my-bids").status_code == 302
    assert db.session.get(Bid, bid.id).status == WITHDRAWN


def test_replacing_from_the_form_issues_a_second_receipt(market, client, login_as):
    bid = db.session.get(Bid, bids.submit_bid(market.call, market.lot, market.org, market.admin, draft()).bid_id)
    login_as(market.admin)
    data = {k: v for k, v in form_data(market.lot, market.org).items() if k not in ("organisation", "lot")}
    response = client.post_form(f"/procurement/calls/{market.call.id}/bids/{bid.id}/replace", data)
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(BidReceipt).where(BidReceipt.bid_id == bid.id)) == 2


def test_my_bids_lists_hash_and_status_without_the_price_before_the_opening(market, client, login_as):
    bid = db.session.get(Bid, bids.submit_bid(market.call, market.lot, market.org, market.admin, draft()).bid_id)
    login_as(market.admin)
    html = client.get("/procurement/my-bids").get_data(as_text=True)
    assert bid.receipt_sha256[:16] in html and market.call.reference in html and "95,000" not in html


def test_my_bids_runs_the_same_number_of_queries_for_one_bid_or_five(market, client, login_as, count_queries):
    login_as(market.admin)
    bids.submit_bid(market.call, market.lot, market.org, market.admin, draft())
    client.get("/procurement/my-bids")
    with count_queries() as one:
        assert client.get("/procurement/my-bids").status_code == 200
    for _ in range(4):
        call = make_call(market.department, market.official)
        bids.submit_bid(call, call.lots[0], market.org, market.admin, draft())
    with count_queries() as five:
        html = client.get("/procurement/my-bids").get_data(as_text=True)
    assert html.count("/receipt") == 5
    assert len(five) == len(one)


def test_the_call_page_section_offers_a_bidder_the_form_and_its_bid(market, app):
    bids.submit_bid(market.call, market.lot, market.org, market.admin, draft())
    template, context = bidding_section(market.call, market.admin)
    assert template == "procurement/_call_bidding.html" and context["may_bid"]
    assert len(context["own_bids"]) == 1 and context["bid_count"] is None  # no count before the opening
    with app.test_request_context():
        html = render_template(template, **context)
    assert f"/procurement/calls/{market.call.id}/bid" in html


def test_the_call_page_section_tells_everyone_the_number_of_bids_after_the_opening(market, clock):
    from flask_login import AnonymousUserMixin

    from portal.procurement import opening

    bids.submit_bid(market.call, market.lot, market.org, market.admin, draft())
    clock.move(days=10)
    opening.open_due_calls()
    _template, context = bidding_section(market.call, AnonymousUserMixin())
    assert context["bid_count"] == 1 and not context["sees_opening"] and not context["may_bid"]


def test_the_form_offers_only_the_organisations_that_may_bid_and_says_why_the_others_may_not(
        market, client, login_as):
    from portal.accounts import roles
    from tests.factories.accounts import grant

    unqualified = market.bidder(qualified=False)
    grant(market.admin, roles.ORG_ADMIN, unqualified.org)  # the same person runs both organisations
    login_as(market.admin)
    html = client.get(f"/procurement/calls/{market.call.id}/bid").get_data(as_text=True)
    select = html.split('id="organisation"')[1].split("</select>")[0]
    assert market.org.name in select and unqualified.org.name not in select
    assert unqualified.org.name in html and "qualified-organisation list" in html
    response = client.post_form(f"/procurement/calls/{market.call.id}/bid", form_data(market.lot, unqualified.org))
    assert response.status_code == 400 and _bid_count() == 0


def test_an_opened_bids_file_is_decrypted_for_the_panel_but_not_for_an_evaluator_recused_from_the_bidder(
        market, client, login_as, clock):
    from portal.accounts import roles
    from portal.procurement import evaluation, opening
    from tests.factories.accounts import UserFactory, grant
    from tests.factories.orgs import tiny_pdf
    from tests.procurement.matrix_bids import attach_sealed_file

    bids.submit_bid(market.call, market.lot, market.org, market.admin, draft())
    bid = db.session.scalar(select(Bid))
    bid_file = attach_sealed_file(bid)
    url = f"/procurement/calls/{market.call.id}/bids/{bid.id}/files/{bid_file.id}"
    login_as(market.admin)
    assert client.get(url).status_code == 409  # sealed until the opening, even for the bidder
    clock.move(days=11)
    opening.open_due_calls()
    assert client.get(url).get_data() == tiny_pdf()
    judge, recused = UserFactory(), UserFactory()
    for user in (judge, recused):
        grant(user, roles.EVALUATOR, market.tree["district"])
    evaluation.name_panel(market.call, market.official, [judge.id, recused.id])
    evaluation.start_evaluation(market.call, market.official)
    evaluation.declare_conflicts(market.call, recused, {market.org.id: (True, "曾任该机构理事")})
    from tests.conftest import login

    judge_client, recused_client = client.application.test_client(), client.application.test_client()
    login(judge_client, judge)
    login(recused_client, recused)
    assert judge_client.get(url).get_data() == tiny_pdf()
    response = recused_client.get(url)
    assert response.status_code == 409 and tiny_pdf() not in response.get_data()
