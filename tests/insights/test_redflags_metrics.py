"""Every red flag on a small hand-made frame whose answer is known (analytics/redflags.py). No database."""
from datetime import date

import pandas as pd
import pytest

from analytics import redflags

T = pd.Timestamp


def calls(*rows):
    columns = ["id", "reference", "title", "department_id", "department", "mode", "category", "status",
               "published_at", "bids_until", "opened_at", "tenderers"]
    return pd.DataFrame([dict(zip(columns, row, strict=True)) for row in rows], columns=columns)


def call(id, mode="open_tender", tenderers=3, days=20, opened=True, department_id=1):
    published = T("2026-03-01T00:00Z")
    return (id, f"T-{id}", "t", department_id, f"局{department_id}", mode, "elderly_care", "closed", published,
            published + pd.Timedelta(days=days), published + pd.Timedelta(days=days) if opened else None, tenderers)


def awards(*rows):
    columns = ["id", "call_id", "reference", "lot_id", "bid_id", "organisation_id", "organisation", "amount_minor",
               "total_score", "decided_at", "department_id", "department", "mode", "category", "low_price_status"]
    return pd.DataFrame([dict(zip(columns, row, strict=True)) for row in rows], columns=columns)


def award(id, organisation_id, amount=100, department_id=1, mode="open_tender", category="elderly_care", day=1,
          low=None, bid_id=None):
    return (id, id, f"T-{id}", id, bid_id or id * 10, organisation_id, f"机构{organisation_id}", amount, 80.0,
            T(f"2026-04-{day:02d}T00:00Z"), department_id, f"局{department_id}", mode, category, low)


def test_a_competitive_call_opened_with_one_bid_is_flagged():
    flags = redflags.single_bid(calls(call(1, tenderers=1), call(2, tenderers=2), call(3, tenderers=0)))
    assert list(flags["call_id"]) == [1]


def test_a_direct_grant_with_one_bid_is_not_a_single_bid():
    assert redflags.single_bid(calls(call(1, mode="direct_grant", tenderers=1))).empty


def test_a_call_not_yet_opened_is_not_a_single_bid():
    assert redflags.single_bid(calls(call(1, tenderers=1, opened=False))).empty


def test_a_bidding_period_under_ten_days_is_short():
    flags = redflags.short_period(calls(call(1, days=9.5), call(2, days=10), call(3, days=30)))
    assert list(flags["call_id"]) == [1] and flags["measure"].iloc[0] == 9.5


def test_a_short_direct_grant_is_not_flagged():
    assert redflags.short_period(calls(call(1, mode="direct_grant", days=2))).empty


def test_a_winner_flagged_low_at_the_opening_is_flagged_whatever_was_decided():
    flags = redflags.low_winner(awards(award(1, 7, low="accepted"), award(2, 8), award(3, 9, low="asked")))
    assert list(flags["call_id"]) == [1, 3]


def totals(*rows):
    return pd.DataFrame(rows, columns=["call_id", "lot_id", "bid_id", "organisation_id", "total"])


def test_a_winner_less_than_two_points_ahead_is_close():
    won = awards(award(1, 7, bid_id=10))
    flags = redflags.close_runner_up(totals((1, 1, 10, 7, 81.0), (1, 1, 11, 8, 79.5), (1, 1, 12, 9, 60.0)), won)
    assert list(flags["measure"]) == [1.5]


def test_a_winner_two_points_ahead_is_not_close():
    won = awards(award(1, 7, bid_id=10))
    assert redflags.close_runner_up(totals((1, 1, 10, 7, 81.0), (1, 1, 11, 8, 79.0)), won).empty


def test_a_loser_scoring_above_the_winner_is_flagged_with_a_negative_gap():
    won = awards(award(1, 7, bid_id=10))
    flags = redflags.close_runner_up(totals((1, 1, 10, 7, 70.0), (1, 1, 11, 8, 75.0)), won)
    assert list(flags["measure"]) == [-5.0]


def test_a_lot_without_a_losing_bid_has_no_runner_up():
    won = awards(award(1, 7, bid_id=10))
    assert redflags.close_runner_up(totals((1, 1, 10, 7, 70.0)), won).empty


def test_an_organisation_winning_most_of_the_last_ten_awards_is_a_repeated_winner():
    # 12 awards: the two oldest (days 1-2) fall out of the window; org 7 wins 6 of the last 10
    rows = [award(n, 7 if n in (1, 2, 3, 4, 5, 6, 7, 8) else 8, day=n) for n in range(1, 13)]
    flags = redflags.repeated_winner(awards(*rows))
    assert list(zip(flags["organisation_id"], flags["count"], flags["total"], strict=True)) == [(7, 6, 10)]
    assert flags["measure"].iloc[0] == 0.6 and flags["call_id"].iloc[0] == 8  # its latest call


def test_half_of_the_last_awards_is_not_more_than_half():
    rows = [award(n, 7 if n % 2 else 8, day=n) for n in range(1, 11)]
    assert redflags.repeated_winner(awards(*rows)).empty


def test_two_of_two_awards_is_below_the_minimum_count():
    assert redflags.repeated_winner(awards(award(1, 7, day=1), award(2, 7, day=2))).empty


def test_direct_grants_over_thirty_percent_of_value_are_flagged():
    flags = redflags.direct_award_share(awards(award(1, 7, amount=400, mode="direct_grant"),
                                               award(2, 8, amount=600)))
    assert flags["measure"].iloc[0] == 0.4 and flags["call_id"].iloc[0] == 1


def test_direct_grants_at_thirty_percent_are_not_flagged():
    assert redflags.direct_award_share(awards(award(1, 7, amount=300, mode="direct_grant"),
                                              award(2, 8, amount=700))).empty


def test_herfindahl_of_a_known_market():
    # shares 50%, 30%, 20% -> 2500 + 900 + 400
    assert redflags.herfindahl(pd.Series([500, 300, 200])) == pytest.approx(3800.0)


def test_a_buyer_category_above_2500_is_concentrated():
    flags = redflags.hhi(awards(award(1, 7, amount=500), award(2, 8, amount=300), award(3, 9, amount=200)))
    assert flags["measure"].iloc[0] == pytest.approx(3800.0) and flags["organisation_id"].iloc[0] == 7


def test_four_equal_winners_are_not_concentrated():
    # four equal shares: 4 x 25^2 = 2500, not above
    assert redflags.hhi(awards(*[award(n, n, amount=100) for n in range(1, 5)])).empty


def test_hhi_is_per_category():
    rows = [award(1, 7, category="elderly_care"), award(2, 7, category="elderly_care"),
            award(3, 8, category="disability"), award(4, 9, category="disability"), award(5, 10, category="disability"),
            award(6, 11, category="disability")]
    flags = redflags.hhi(awards(*rows))
    assert flags.empty  # elderly care has 2 awards (under the minimum); disability is spread over four


def contracts(*rows):
    columns = ["id", "reference", "title", "call_id", "department_id", "department", "organisation_id", "organisation",
               "organisation_status", "category", "status", "original_value_minor", "value_minor", "paid_minor",
               "signed_at", "contracted_units"]
    return pd.DataFrame([dict(zip(columns, row, strict=True)) for row in rows], columns=columns)


def contract(id, original=1000, department_id=1):
    return (id, f"HT-{id}", "c", None, department_id, f"局{department_id}", 7, "机构7", "verified", "elderly_care",
            "active", original, original, 0, T("2026-02-01T00:00Z"), 100)


def amendments(*rows):
    return pd.DataFrame(rows, columns=["id", "contract_id", "number", "value_change_minor", "status", "effective_at"])


def test_amendments_over_fifteen_percent_warn_and_over_thirty_are_severe():
    flags = redflags.amendment_inflation(
        contracts(contract(1), contract(2), contract(3)),
        amendments((1, 1, 1, 100, "in_force", None), (2, 1, 2, 60, "in_force", None),   # +16%
                   (3, 2, 1, 310, "in_force", None),                                     # +31%
                   (4, 3, 1, 500, "proposed", None), (5, 3, 2, 150, "in_force", None)))  # +15%: not over
    assert dict(zip(flags["contract_id"], flags["level"], strict=True)) == {1: "warning", 2: "severe"}


def payments(*rows):
    return pd.DataFrame(rows, columns=["id", "contract_id", "milestone_id", "amount_minor", "decided_at"])


def deliveries(*rows):
    return pd.DataFrame(rows, columns=["id", "contract_id", "milestone_id", "status", "submitted_at", "verified_at",
                                       "units", "value_minor"])


def test_a_payment_above_the_value_verified_by_then_is_flagged():
    flags = redflags.paid_before_verified(
        payments((1, 1, 5, 300, T("2026-05-01T00:00Z")), (2, 1, 5, 300, T("2026-05-10T00:00Z"))),
        # 500 verified before the first payment, 200 more only after the second
        deliveries((1, 1, 5, "verified", None, T("2026-04-20T00:00Z"), 50, 500),
                   (2, 1, 5, "verified", None, T("2026-05-20T00:00Z"), 20, 200)),
        contracts(contract(1)))
    assert list(flags["count"]) == [2] and list(flags["measure"]) == [100]  # 600 paid against 500 verified


def test_a_report_awaiting_verification_does_not_cover_a_payment():
    flags = redflags.paid_before_verified(
        payments((1, 1, 5, 300, T("2026-05-01T00:00Z"))),
        deliveries((1, 1, 5, "submitted", None, None, 50, 500)), contracts(contract(1)))
    assert list(flags["measure"]) == [300]


def test_payments_within_verified_value_are_not_flagged():
    flags = redflags.paid_before_verified(
        payments((1, 1, 5, 500, T("2026-05-01T00:00Z"))),
        deliveries((1, 1, 5, "verified", None, T("2026-04-20T00:00Z"), 50, 500)), contracts(contract(1)))
    assert flags.empty


def requests(*rows):
    return pd.DataFrame(rows, columns=["id", "contract_id", "department_id", "department", "in_scope",
                                       "requested_on"])


def test_an_out_of_scope_share_over_twenty_percent_is_flagged_on_the_worst_contract():
    rows = [(n, 1 if n <= 4 else 2, 1, "局1", n not in (1, 2, 6), date(2026, 3, n)) for n in range(1, 9)]
    flags = redflags.out_of_scope_share(requests(*rows), contracts(contract(1), contract(2)))
    assert flags["measure"].iloc[0] == 0.375 and flags["contract_id"].iloc[0] == 1
    assert (flags["count"].iloc[0], flags["total"].iloc[0]) == (3, 8)


def test_four_requests_are_below_the_minimum():
    rows = [(n, 1, 1, "局1", False, date(2026, 3, n)) for n in range(1, 5)]
    assert redflags.out_of_scope_share(requests(*rows), contracts(contract(1))).empty


def test_all_flags_filters_the_year_of_each_flag():
    frames = {"calls": calls(call(1, tenderers=1)), "awards": awards(), "contracts": contracts(),
              "amendments": amendments(), "payments": payments(), "deliveries": deliveries(),
              "scope_requests": requests(), "totals": totals()}
    assert list(redflags.all_flags(frames, year=2026)["kind"]) == ["single_bid"]
    assert redflags.all_flags(frames, year=2025).empty


def test_the_non_public_kinds_are_the_opening_record_and_ranking_ones():
    assert set(redflags.FLAG_KINDS) - set(redflags.PUBLIC_KINDS) == {"low_winner", "close_runner_up"}
