"""The fund-transparency dashboard's service: every fund's and campaign's figures and each fund's months, computed
in one stored snapshot (analytics/funds.py) that the background worker keeps fresh, so neither page scans the
gifts however many there are."""
from datetime import timedelta

from analytics import funds as figures
from portal.extensions import db
from portal.insights.params import records
from portal.insights.snapshots import read, snapshot

SNAPSHOT = "funds.transparency"


@snapshot(SNAPSHOT, max_age=timedelta(minutes=30), defaults=[{}])
def compute(params: dict) -> dict:
    connection = db.session.connection()
    histogram = figures.gift_histogram(connection)  # one pass over the gifts: funds, campaigns and months
    fund_rows = figures.with_gift_metrics(figures.fund_rows(connection),
                                          figures.gift_figures(connection, "fund", histogram),
                                          figures.donor_figures(connection, "fund"))
    campaign_rows = figures.with_gift_metrics(figures.campaign_rows(connection),
                                              figures.gift_figures(connection, "campaign", histogram),
                                              figures.donor_figures(connection, "campaign"))
    months = figures.monthly(connection, histogram)
    campaign_rows["starts_at"] = campaign_rows["starts_at"].astype(str)
    campaign_rows["ends_at"] = campaign_rows["ends_at"].astype(str)
    return {"funds": records(fund_rows), "campaigns": records(campaign_rows),
            "months": {str(fund_id): records(figures.month_series(months, fund_id)) for fund_id in fund_rows["id"]},
            "totals": {"raised_minor": int(fund_rows["raised_minor"].sum()) if not fund_rows.empty else 0,
                       "disbursed_minor": int(fund_rows["disbursed_minor"].sum()) if not fund_rows.empty else 0,
                       "balance_minor": int(fund_rows["balance_minor"].sum()) if not fund_rows.empty else 0,
                       "gifts": int(fund_rows["gifts"].sum()) if not fund_rows.empty else 0,
                       "in_kind_minor": int((fund_rows["in_kind_pledged_minor"]
                                             + fund_rows["in_kind_received_minor"]).sum())
                       if not fund_rows.empty else 0}}


def overview() -> tuple[dict, object]:
    """(figures of every fund, computed_at)."""
    return read(SNAPSHOT, {})


def for_fund(fund_id: int) -> tuple[dict | None, list[dict], list[dict], object]:
    """(the fund's figures, its campaigns, its months, computed_at), from the same snapshot. A fund created after
    the snapshot has no figures yet (None)."""
    payload, computed_at = overview()
    fund = next((row for row in payload["funds"] if row["id"] == fund_id), None)
    campaigns = [row for row in payload["campaigns"] if row["fund_id"] == fund_id]
    return fund, campaigns, payload["months"].get(str(fund_id), []), computed_at
