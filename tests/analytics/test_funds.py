"""analytics.funds: gift figures with medians from a histogram of net amounts read in SQL, donors from the
tallies, and the pure metrics on hand-made frames."""
import pandas as pd
import pytest

from analytics import funds
from portal.extensions import db
from tests.factories.accounts import UserFactory
from tests.factories.funds import make_campaign, make_fund, make_gift, make_refund
from tests.factories.places import make_tree


def test_median_of_an_even_number_of_gifts_is_the_mean_of_the_middle_two():
    assert funds.median([40, 10, 30, 20]) == 25 and funds.median([3, 1, 2]) == 2 and funds.median([]) is None


def test_average_gift_and_repeat_rate_are_worked_out_from_the_figures():
    rows = pd.DataFrame({"id": [1, 2]})
    gifts = pd.DataFrame({"key": [1], "gifts": [4], "gifts_minor": [10_000], "median_minor": [2_000.0]})
    donors = pd.DataFrame({"key": [1], "donors": [3], "repeat_donors": [1]})
    result = funds.with_gift_metrics(rows, gifts, donors).set_index("id")
    assert result.loc[1, "average_minor"] == 2_500 and result.loc[1, "repeat_rate"] == pytest.approx(1 / 3)
    assert pd.isna(result.loc[2, "average_minor"]) and pd.isna(result.loc[2, "repeat_rate"])  # nothing to divide


def test_quiet_months_are_zeros_and_the_running_total_nets_disbursements():
    months = pd.DataFrame([(1, 2026, 1, 2, 500, 0), (1, 2026, 3, 1, 100, 300), (2, 2026, 2, 9, 9, 9)],
                          columns=list(funds.MONTH_COLUMNS))
    series = funds.month_series(months, 1)
    assert series["month"].tolist() == ["2026-01", "2026-02", "2026-03"]
    assert series["cumulative_net_minor"].tolist() == [500, 500, 300]


def test_sql_medians_count_gifts_net_of_refunds_and_match_the_pure_median():
    fund = make_fund(make_tree()["community"])
    amounts = [1_000, 5_000, 3_000, 9_000]
    gifts = [make_gift(fund, amount, donor=UserFactory()) for amount in amounts]
    make_refund(gifts[3], 8_000)  # 9,000 kept 1,000
    figures = funds.gift_figures(db.session, "fund").set_index("key")
    assert figures.loc[fund.id, "gifts"] == 4 and figures.loc[fund.id, "gifts_minor"] == 1_000 + 5_000 + 3_000 + 1_000
    assert figures.loc[fund.id, "median_minor"] == funds.median([1_000, 5_000, 3_000, 1_000]) == 2_000


def test_repeat_donors_come_from_the_tallies():
    tree = make_tree()
    fund = make_fund(tree["community"])
    campaign = make_campaign(fund, UserFactory())
    loyal, once = UserFactory(), UserFactory()
    make_gift(fund, 1_000, campaign=campaign, donor=loyal)
    make_gift(fund, 2_000, campaign=campaign, donor=loyal)
    make_gift(fund, 3_000, campaign=campaign, donor=once)
    donors = funds.donor_figures(db.session, "campaign").set_index("key")
    assert donors.loc[campaign.id, ["donors", "repeat_donors"]].tolist() == [2, 1]
    rows = funds.campaign_rows(db.session).set_index("id")
    assert rows.loc[campaign.id, "raised_minor"] == 6_000


def test_the_funds_chart_shows_each_fund_in_yuan_the_first_fund_on_top():
    rows = pd.DataFrame({"name": ["甲基金", "乙基金"], "raised_minor": [500_000, 120_000],
                         "disbursed_minor": [100_000, 20_000], "balance_minor": [390_000, 100_000]})
    figure = funds.funds_chart(rows, title="t", raised_label="Raised", disbursed_label="Disbursed",
                               balance_label="Balance", axis_title="Yuan")
    by_name = {trace.name: trace for trace in figure.data}
    assert list(by_name["Raised"].y) == ["乙基金", "甲基金"]  # plotly draws the first category lowest
    assert list(by_name["Raised"].x) == [1_200.0, 5_000.0]
    assert list(by_name["Balance"].x) == [1_000.0, 3_900.0]  # the ledger's balance, not raised less disbursed


def test_the_histogram_median_is_the_median_of_the_gifts_it_counts():
    gifts = [10, 20, 20, 20, 90, 90, 5, 5]
    pairs = [(amount, gifts.count(amount)) for amount in set(gifts)]
    assert funds.histogram_median(pairs) == funds.median(gifts) == 20
    assert funds.histogram_median([(10, 1), (30, 1)]) == 20.0 and funds.histogram_median([(7, 3)]) == 7.0
    assert funds.histogram_median([(10, 2), (40, 2)]) == 25.0  # even: the mean of the two middle gifts
    assert funds.histogram_median([(10, 0)]) is None and funds.histogram_median([]) is None


def test_months_count_gifts_net_of_refunds_in_the_month_they_succeeded():
    from datetime import UTC, datetime

    fund = make_fund(make_tree()["community"])
    gifts = [make_gift(fund, amount, donor=UserFactory()) for amount in (1_000, 2_000, 4_000)]
    gifts[0].succeeded_at = datetime(2026, 1, 31, 12, tzinfo=UTC)
    make_refund(gifts[2], 1_500)
    db.session.flush()
    months = funds.monthly(db.session).set_index(["fund_id", "year", "month"])
    now = gifts[1].succeeded_at
    assert months.loc[(fund.id, 2026, 1), "gifts"] == 1 and months.loc[(fund.id, 2026, 1), "gifts_minor"] == 1_000
    assert months.loc[(fund.id, now.year, now.month), "gifts"] == 2
    assert months.loc[(fund.id, now.year, now.month), "gifts_minor"] == 2_000 + 2_500
