"""Abnormally low prices: the arithmetic on hand-checked cases, the flags at the opening, the bidder's
explanation by its time and the buyer's decision with a written reason."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.errors import DomainError, ValidationFailed
from portal.extensions import db
from portal.procurement import bids, lowprice, opening
from portal.procurement.lowprice import (
    BELOW_MEAN,
    BELOW_NEXT,
    UNDER_MINIMUM_WAGE,
    below_mean_of_others,
    below_next_lowest,
    price_reasons,
    under_minimum_wage,
)
from portal.procurement.models import (
    ACCEPTED,
    DISQUALIFIED,
    EXPLAINED,
    REJECTED,
    VALID,
    Bid,
    LowPriceReview,
    MinimumWage,
)
from tests.procurement.bids_world import draft


# --- the arithmetic, checked by hand -------------------------------------------------------------------
def test_exactly_40_percent_below_the_mean_of_the_others_is_flagged():
    # others 10,000 and 10,000 yuan: mean 10,000; 6,000 is 40.0% below it
    assert below_mean_of_others(600_000, [1_000_000, 1_000_000]) == {
        "rule": BELOW_MEAN, "price_minor": 600_000, "mean_of_others_minor": 1_000_000, "percent_below": 40.0}


def test_one_fen_less_than_40_percent_below_the_mean_is_not_flagged():
    assert below_mean_of_others(600_001, [1_000_000, 1_000_000]) is None


def test_the_mean_is_of_the_other_bids_only():
    # others 80, 90, 100 -> mean 90; 0.6 x 90 = 54, so 50 is flagged (44.4% below) and 55 is not
    assert below_mean_of_others(5_000, [8_000, 9_000, 10_000])["percent_below"] == 44.4
    assert below_mean_of_others(5_500, [8_000, 9_000, 10_000]) is None


def test_a_lone_bid_is_never_below_anything():
    assert below_mean_of_others(100, []) is None and below_next_lowest(100, []) is None


def test_exactly_30_percent_below_the_next_lowest_is_flagged():
    # the next lowest of 7,000 among 10,000 and 12,000 is 10,000: 30.0% below
    assert below_next_lowest(700_000, [1_000_000, 1_200_000]) == {
        "rule": BELOW_NEXT, "price_minor": 700_000, "next_lowest_minor": 1_000_000, "percent_below": 30.0}
    assert below_next_lowest(700_001, [1_000_000, 1_200_000]) is None


def test_the_next_lowest_is_the_next_bid_up_not_a_cheaper_one():
    # 100 with 50 below it and 150 above: compared with 150, 33.3% below
    assert below_next_lowest(10_000, [5_000, 15_000])["next_lowest_minor"] == 15_000
    assert below_next_lowest(15_000, [5_000, 10_000]) is None  # the highest bid has no next one up


def test_equal_lowest_bids_are_not_below_each_other():
    assert price_reasons({1: 500_000, 2: 500_000}) == {}


def test_price_reasons_flag_only_the_outlier_of_a_lot():
    # 6,000 / 10,000 / 10,000 yuan: 6,000 is 40% below the mean of the others and 40% below the next lowest
    flagged = price_reasons({1: 600_000, 2: 1_000_000, 3: 1_000_000})
    assert list(flagged) == [1] and [r["rule"] for r in flagged[1]] == [BELOW_MEAN, BELOW_NEXT]


def test_staff_cost_under_minimum_wage_times_hours_is_flagged():
    # 2,000 staff hours at a ¥45.00 minimum cost at least ¥90,000; ¥80,000 is under it
    assert under_minimum_wage(8_000_000, 2000, 4500) == {
        "rule": UNDER_MINIMUM_WAGE, "staff_cost_minor": 8_000_000, "staff_hours": 2000,
        "hourly_minimum_wage_minor": 4500, "minimum_staff_cost_minor": 9_000_000}


def test_staff_cost_exactly_at_the_minimum_wage_is_not_flagged():
    assert under_minimum_wage(8_000_000, 2000, 4000) is None


def test_without_a_minimum_wage_nothing_is_flagged():
    assert under_minimum_wage(1, 2000, None) is None


def test_staff_hours_count_people_times_hours():
    lines = [{"kind": "staff", "people": 3, "hours": 100, "rate_minor": 2000, "amount_minor": 600_000},
             {"kind": "staff", "people": 1, "hours": 50, "rate_minor": 3000, "amount_minor": 150_000},
             {"kind": "materials", "amount_minor": 99}]
    assert bids.staff_cost_and_hours(lines) == (750_000, 350)


# --- the minimum wage up the tree ----------------------------------------------------------------------
# --- at the opening ------------------------------------------------------------------------------------
def _open_with(market, clock, rates):
    """One bid per hourly rate (2 people x 1,000 h each), opened; the bids in the order given."""
    made = []
    for n, rate in enumerate(rates):
        who = market if n == 0 else market.bidder()
        receipt = bids.submit_bid(market.call, market.lot, who.org, who.admin, draft(rate=rate))
        made.append(db.session.get(Bid, receipt.bid_id))
    clock.move(days=10)
    opening.open_due_calls()
    return made


def _review(bid) -> LowPriceReview | None:
    return db.session.scalar(select(LowPriceReview).where(LowPriceReview.bid_id == bid.id))


def test_the_opening_flags_a_price_far_below_the_others(market, clock):
    # ¥55,000, ¥175,000, ¥175,000: the first is 68.6% below both the mean of the others and the next lowest
    low, high, _other = _open_with(market, clock, ["20", "80", "80"])
    review = _review(low)
    assert [r["rule"] for r in review.reasons] == [BELOW_MEAN, BELOW_NEXT] and _review(high) is None
    assert review.explain_by == market.call.opened_at + timedelta(days=lowprice.EXPLAIN_DAYS)
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "low_price.flagged")) is not None


def test_the_opening_flags_staff_paid_under_the_local_minimum_wage(market, clock):
    db.session.add(MinimumWage(place_id=market.tree["district"].id, hourly_minor=2500, set_by_id=market.official.id))
    db.session.flush()
    (bid,) = _open_with(market, clock, ["20"])  # ¥20 an hour for 2,000 staff hours, under ¥25
    assert [r["rule"] for r in _review(bid).reasons] == [UNDER_MINIMUM_WAGE]
    assert _review(bid).reasons[0]["minimum_staff_cost_minor"] == 5_000_000


# --- explanation and decision --------------------------------------------------------------------------
@pytest.fixture
def flagged(market, clock):
    low, _high, _other = _open_with(market, clock, ["20", "80", "80"])
    return _review(low)


def test_the_bidder_explains_by_the_set_time(market, flagged):
    lowprice.explain(flagged, market.admin, "志愿者参与服务，物资由社区捐赠。")
    assert flagged.status == EXPLAINED and flagged.explained_at is not None


def test_an_explanation_after_the_set_time_is_refused(market, flagged, clock):
    clock.move(days=lowprice.EXPLAIN_DAYS)
    with pytest.raises(DomainError, match="time to explain ended") as refused:
        lowprice.explain(flagged, market.admin, "迟到的解释")
    assert refused.value.status_code == 409 and flagged.explanation is None


def test_the_buyer_may_not_reject_before_an_explanation_or_its_time(market, flagged):
    with pytest.raises(DomainError, match="may explain until"):
        lowprice.decide(flagged, market.official, False, "太低")
    assert flagged.bid.status == VALID and flagged.decided_at is None


def test_a_rejection_after_the_explanation_disqualifies_the_bid(market, flagged):
    lowprice.explain(flagged, market.admin, "志愿者参与服务。")
    lowprice.decide(flagged, market.official, False, "解释不足以说明能按标准提供服务")
    assert (flagged.status, flagged.bid.status) == (REJECTED, DISQUALIFIED)


def test_a_rejection_once_the_time_has_passed_needs_no_explanation(market, flagged, clock):
    clock.move(days=lowprice.EXPLAIN_DAYS)
    lowprice.decide(flagged, market.official, False, "未在期限内解释")
    assert flagged.bid.status == DISQUALIFIED


def test_accepting_keeps_the_bid_valid(market, flagged):
    lowprice.decide(flagged, market.official, True, "有社区捐赠物资，价格合理")
    assert (flagged.status, flagged.bid.status) == (ACCEPTED, VALID)


def test_a_decision_without_a_reason_is_refused(market, flagged):
    with pytest.raises(ValidationFailed, match="reason"):
        lowprice.decide(flagged, market.official, True, "  ")
    assert flagged.decided_at is None


def test_a_decided_review_cannot_be_decided_again(market, flagged):
    lowprice.decide(flagged, market.official, True, "合理")
    with pytest.raises(DomainError, match="already been decided") as refused:
        lowprice.decide(flagged, market.official, False, "改主意")
    assert refused.value.status_code == 409 and flagged.bid.status == VALID


# --- pages ---------------------------------------------------------------------------------------------
def test_the_bidder_sends_its_explanation_from_its_page(market, flagged, client, login_as):
    login_as(market.admin)
    url = f"/procurement/calls/{market.call.id}/bids/{flagged.bid_id}/low-price"
    response = client.post_form(url, {"explanation": "有志愿者参与"})
    assert response.status_code == 302
    assert db.session.get(LowPriceReview, flagged.id).explanation == "有志愿者参与"


def test_the_buyer_decides_from_its_page_with_a_reason(market, flagged, client, login_as):
    login_as(market.official)
    url = f"/procurement/calls/{market.call.id}/bids/{flagged.bid_id}/low-price/decide"
    assert client.post_form(url, {"decision": "accept"}).status_code == 400  # no reason
    response = client.post_form(url, {"decision": "accept", "reason": "价格合理"})
    assert response.status_code == 302 and db.session.get(LowPriceReview, flagged.id).status == ACCEPTED


def test_the_buyers_early_rejection_on_the_page_is_a_409_and_changes_nothing(market, flagged, client, login_as):
    login_as(market.official)
    url = f"/procurement/calls/{market.call.id}/bids/{flagged.bid_id}/low-price/decide"
    assert client.post_form(url, {"decision": "reject", "reason": "太低"}).status_code == 409
    assert db.session.get(Bid, flagged.bid_id).status == VALID


def test_after_the_opening_the_receipt_shows_the_price_and_the_review(market, flagged, client, login_as):
    login_as(market.admin)
    html = client.get(f"/procurement/calls/{market.call.id}/bids/{flagged.bid_id}/receipt").get_data(as_text=True)
    assert "¥55,000.00" in html and f"/bids/{flagged.bid_id}/low-price" in html


def test_the_opening_record_offers_the_buyer_the_decision_on_a_flagged_bid(market, flagged, client, login_as):
    login_as(market.official)
    html = client.get(f"/procurement/calls/{market.call.id}/opening").get_data(as_text=True)
    assert f"/bids/{flagged.bid_id}/low-price/decide" in html and "¥175,000.00" in html


def test_the_buyers_workbench_lists_a_flagged_price_once_it_may_be_decided(market, flagged, app):
    from portal.procurement.views.bids import low_price_actions

    with app.test_request_context():
        assert low_price_actions(market.call) == []  # the bidder still has time to explain
        lowprice.explain(flagged, market.admin, "有志愿者参与")
        ((_label, url),) = low_price_actions(market.call)
    assert url.endswith(f"/bids/{flagged.bid_id}/low-price/decide")
