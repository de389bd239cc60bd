"""Fund transparency: what each fund and campaign raised, from how many donors (and how many gave again), the
average and median gift, teams, matching used, disbursed and left, over time; in-kind gifts apart from cash.
Datasets (one SQL statement each), pure metrics and a figure. No Flask.

A gift counts when it succeeded or was partly refunded, at its amount net of refunds (what the fund kept).
Donors and repeat donors come from the donor tallies the ledger keeps (one row per donor and fund or campaign),
so no page counts distinct donors over a million gifts. A repeat donor gave two counted gifts or more; the
repeat-donor rate is repeat donors / donors. The median gift is percentile_cont(0.5)'s (the mean of the two
middle gifts when their number is even), worked out from a histogram of net amounts read in one pass over the
gifts (`gift_histogram`), which serves the funds and the campaigns alike: at 1,000,000 gifts one hash aggregate
instead of four passes with two sorts (about 4 s -> 1 s on PostgreSQL).
In-kind pledges are never money: pledged and received estimates are shown beside cash, never added to it.
"""
import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import BigInteger, Integer, String, and_, case, column, extract, func, literal, select, table

from analytics.charts import FONT, RED

COUNTED = ("succeeded", "partially_refunded")

funds = table("funds", column("id", Integer), column("name", String), column("kind", String),
              column("place_id", Integer), column("currency", String), column("is_active", Integer),
              column("raised_minor", BigInteger), column("disbursed_minor", BigInteger),
              column("balance_minor", BigInteger), column("donor_count", Integer))
campaigns = table("campaigns", column("id", Integer), column("fund_id", Integer), column("title", String),
                  column("status", String), column("goal_minor", BigInteger), column("raised_minor", BigInteger),
                  column("donor_count", Integer), column("starts_at"), column("ends_at"))
donations = table("donations", column("id", Integer), column("fund_id", Integer), column("campaign_id", Integer),
                  column("amount_minor", BigInteger), column("refunded_minor", BigInteger), column("status", String),
                  column("succeeded_at"))
tallies = table("donor_tallies", column("scope", String), column("scope_id", Integer), column("gifts", Integer))
teams = table("teams", column("id", Integer), column("campaign_id", Integer))
pools = table("matching_pools", column("campaign_id", Integer), column("used_minor", BigInteger))
disbursements = table("disbursements", column("fund_id", Integer), column("campaign_id", Integer),
                      column("amount_minor", BigInteger), column("status", String), column("paid_at"))
pledges = table("in_kind_pledges", column("fund_id", Integer), column("campaign_id", Integer),
                column("estimated_value_minor", BigInteger), column("status", String))

GIFT_COLUMNS = ("key", "gifts", "gifts_minor", "median_minor")
MONTH_COLUMNS = ("fund_id", "year", "month", "gifts", "gifts_minor", "disbursed_minor")


def _net():
    return donations.c.amount_minor - donations.c.refunded_minor


def gift_histogram(connection) -> pd.DataFrame:
    """Counted gifts per (fund, campaign, calendar month (UTC) of success, net amount): fund_id, campaign_id (None
    outside a campaign), year, month (None without a success time), net_minor, gifts. One pass over the gifts (a
    hash aggregate, no sort), from which gift_figures works out counts, sums and medians of funds and campaigns
    and `monthly` the gifts per month: gifts repeat a few amounts (50, 100, 200 yuan), so a million gifts make a
    few thousand rows."""
    net = _net()
    year, month = extract("year", donations.c.succeeded_at), extract("month", donations.c.succeeded_at)
    statement = (select(donations.c.fund_id, donations.c.campaign_id, year.label("year"), month.label("month"),
                        net.label("net_minor"), func.count().label("gifts"))
                 .where(donations.c.status.in_(COUNTED))
                 .group_by(donations.c.fund_id, donations.c.campaign_id, year, month, net))
    result = connection.execute(statement)
    frame = pd.DataFrame(result.all(), columns=["fund_id", "campaign_id", "year", "month", "net_minor", "gifts"])
    return frame.astype({"net_minor": "int64", "gifts": "int64"}) if not frame.empty else frame


def histogram_median(pairs) -> float | None:
    """The median of the gifts given as (net amount, how many) pairs, as percentile_cont(0.5) gives it: the
    middle gift, or the mean of the two middle ones when their number is even. None for no gifts."""
    ordered = sorted((int(amount), int(count)) for amount, count in pairs if count)
    total = sum(count for _amount, count in ordered)
    if not total:
        return None
    wanted, found, seen = sorted({(total + 1) // 2, (total + 2) // 2}), [], 0  # 1-based positions
    for amount, count in ordered:
        seen += count
        while wanted and wanted[0] <= seen:
            wanted.pop(0)
            found.append(amount)
    return float(found[0]) if len(found) == 1 else (found[0] + found[1]) / 2


def gift_figures(connection, by: str, histogram: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per fund (`by`="fund") or campaign ("campaign"): counted gifts, their net sum and median. GIFT_COLUMNS.

    Worked out from `gift_histogram` (read here unless given, so the funds and campaigns of one page share one
    pass over the gifts)."""
    histogram = gift_histogram(connection) if histogram is None else histogram
    key = "fund_id" if by == "fund" else "campaign_id"
    rows = histogram[histogram[key].notna()] if not histogram.empty else histogram
    if rows.empty:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in GIFT_COLUMNS})
    records = []
    for value, group in rows.groupby(key, sort=True):
        per_amount = group.groupby("net_minor")["gifts"].sum()  # the months of one amount together
        amounts, counts = per_amount.index.tolist(), per_amount.tolist()
        records.append((int(value), int(sum(counts)), int(sum(a * c for a, c in zip(amounts, counts, strict=True))),
                        histogram_median(zip(amounts, counts, strict=True))))
    frame = pd.DataFrame(records, columns=list(GIFT_COLUMNS))
    frame["median_minor"] = frame["median_minor"].astype("float64")
    return frame


def donor_figures(connection, scope: str) -> pd.DataFrame:
    """Per fund or campaign (`scope`): donors with a counted gift and those with two or more (the tallies)."""
    statement = (select(tallies.c.scope_id.label("key"), func.count().label("donors"),
                        func.sum(case((tallies.c.gifts >= 2, 1), else_=0)).label("repeat_donors"))
                 .where(tallies.c.scope == scope, tallies.c.gifts > 0).group_by(tallies.c.scope_id)
                 .order_by(tallies.c.scope_id))
    result = connection.execute(statement)
    frame = pd.DataFrame(result.all(), columns=["key", "donors", "repeat_donors"])
    return frame.astype({"donors": "int64", "repeat_donors": "int64"}) if not frame.empty else frame


def fund_rows(connection) -> pd.DataFrame:
    """Every fund with its ledger caches (raised, disbursed, balance), in-kind estimates and campaigns."""
    in_kind = (select(pledges.c.fund_id,
                      func.sum(case((pledges.c.status == "pledged", pledges.c.estimated_value_minor), else_=0))
                      .label("in_kind_pledged_minor"),
                      func.sum(case((pledges.c.status == "received", pledges.c.estimated_value_minor), else_=0))
                      .label("in_kind_received_minor"))
               .group_by(pledges.c.fund_id).subquery("in_kind"))
    counts = (select(campaigns.c.fund_id, func.count().label("campaigns")).where(campaigns.c.status != "draft")
              .group_by(campaigns.c.fund_id).subquery("counts"))
    statement = (select(funds.c.id, funds.c.name, funds.c.kind, funds.c.place_id, funds.c.currency,
                        funds.c.raised_minor, funds.c.disbursed_minor, funds.c.balance_minor,
                        func.coalesce(counts.c.campaigns, 0).label("campaigns"),
                        func.coalesce(in_kind.c.in_kind_pledged_minor, 0).label("in_kind_pledged_minor"),
                        func.coalesce(in_kind.c.in_kind_received_minor, 0).label("in_kind_received_minor"))
                 .select_from(funds.outerjoin(in_kind, in_kind.c.fund_id == funds.c.id)
                              .outerjoin(counts, counts.c.fund_id == funds.c.id))
                 .order_by(funds.c.raised_minor.desc(), funds.c.id))
    result = connection.execute(statement)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def campaign_rows(connection) -> pd.DataFrame:
    """Every public campaign (not a draft) with its caches, teams, matching used and in-kind estimates."""
    team_counts = (select(teams.c.campaign_id, func.count().label("teams")).group_by(teams.c.campaign_id)
                   .subquery("team_counts"))
    matched = (select(pools.c.campaign_id, func.sum(pools.c.used_minor).label("matched_minor"))
               .group_by(pools.c.campaign_id).subquery("matched"))
    in_kind = (select(pledges.c.campaign_id, func.sum(pledges.c.estimated_value_minor).label("in_kind_minor"))
               .where(pledges.c.status.in_(("pledged", "received")), pledges.c.campaign_id.is_not(None))
               .group_by(pledges.c.campaign_id).subquery("campaign_in_kind"))
    statement = (select(campaigns.c.id, campaigns.c.fund_id, campaigns.c.title, campaigns.c.status,
                        campaigns.c.goal_minor, campaigns.c.raised_minor, campaigns.c.starts_at, campaigns.c.ends_at,
                        func.coalesce(team_counts.c.teams, 0).label("teams"),
                        func.coalesce(matched.c.matched_minor, 0).label("matched_minor"),
                        func.coalesce(in_kind.c.in_kind_minor, 0).label("in_kind_minor"))
                 .select_from(campaigns.outerjoin(team_counts, team_counts.c.campaign_id == campaigns.c.id)
                              .outerjoin(matched, matched.c.campaign_id == campaigns.c.id)
                              .outerjoin(in_kind, in_kind.c.campaign_id == campaigns.c.id))
                 .where(campaigns.c.status != "draft").order_by(campaigns.c.starts_at.desc(), campaigns.c.id.desc()))
    result = connection.execute(statement)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def monthly(connection, histogram: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per fund and calendar month (UTC): counted gifts and their net sum (from `gift_histogram`, read here unless
    given), and disbursements paid. MONTH_COLUMNS."""
    histogram = gift_histogram(connection) if histogram is None else histogram
    gifts = pd.DataFrame(columns=list(MONTH_COLUMNS))
    if not histogram.empty:
        timed = histogram[histogram["year"].notna()].copy()
        timed["gifts_minor"] = timed["net_minor"] * timed["gifts"]
        gifts = (timed.groupby(["fund_id", "year", "month"], as_index=False)[["gifts", "gifts_minor"]].sum()
                 .assign(disbursed_minor=0))
    paid_year, paid_month = extract("year", disbursements.c.paid_at), extract("month", disbursements.c.paid_at)
    paid = (select(disbursements.c.fund_id, paid_year.label("year"), paid_month.label("month"),
                   literal(0).label("gifts"), literal(0).label("gifts_minor"),
                   func.sum(disbursements.c.amount_minor).label("disbursed_minor"))
            .where(and_(disbursements.c.status == "paid", disbursements.c.paid_at.is_not(None)))
            .group_by(disbursements.c.fund_id, paid_year, paid_month))
    result = connection.execute(paid)
    paid_frame = pd.DataFrame(result.all(), columns=list(MONTH_COLUMNS))
    both = pd.concat([frame for frame in (gifts, paid_frame) if not frame.empty], ignore_index=True) \
        if not (gifts.empty and paid_frame.empty) else pd.DataFrame(columns=list(MONTH_COLUMNS))
    if both.empty:
        return both
    both = both.astype({"fund_id": "int64", "year": "int64", "month": "int64"})
    frame = (both.groupby(["fund_id", "year", "month"], as_index=False)[["gifts", "gifts_minor", "disbursed_minor"]]
             .sum().sort_values(["fund_id", "year", "month"]).reset_index(drop=True))
    return frame[list(MONTH_COLUMNS)].astype("int64")


# --- metrics -------------------------------------------------------------------------------------------

def with_gift_metrics(rows: pd.DataFrame, gifts: pd.DataFrame, donors: pd.DataFrame) -> pd.DataFrame:
    """`rows` (with an `id`) joined to their gift and donor figures, with average gift (net sum / gifts) and the
    repeat-donor rate (repeat donors / donors); None where there is nothing to divide."""
    result = rows.copy()
    gift_by = gifts.set_index("key") if not gifts.empty else pd.DataFrame(columns=GIFT_COLUMNS[1:])
    donor_by = donors.set_index("key") if not donors.empty else pd.DataFrame(columns=["donors", "repeat_donors"])
    for name in ("gifts", "gifts_minor"):
        result[name] = result["id"].map(gift_by[name]).fillna(0).astype("int64")
    result["median_minor"] = result["id"].map(gift_by["median_minor"]).astype("float64")
    for name in ("donors", "repeat_donors"):
        result[name] = result["id"].map(donor_by[name]).fillna(0).astype("int64")
    result["average_minor"] = [total / count if count else None
                               for total, count in zip(result["gifts_minor"], result["gifts"], strict=True)]
    result["repeat_rate"] = [repeat / count if count else None
                             for repeat, count in zip(result["repeat_donors"], result["donors"], strict=True)]
    return result


def median(values) -> float | None:
    """The median of `values` (the mean of the two middle ones when their number is even); None for none."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def month_series(months: pd.DataFrame, fund_id: int) -> pd.DataFrame:
    """One fund's months from its first movement to its last, quiet months as zeros, with the running balance of
    gifts less disbursements (`cumulative_net_minor`; matched money and refunds of earlier months aside)."""
    columns = ["month", "gifts", "gifts_minor", "disbursed_minor", "cumulative_net_minor"]
    rows = months[months["fund_id"] == fund_id] if not months.empty else months
    if rows.empty:
        return pd.DataFrame(columns=columns)
    periods = pd.PeriodIndex([pd.Period(year=int(y), month=int(m), freq="M")
                              for y, m in zip(rows["year"], rows["month"], strict=True)])
    by_period = rows.assign(period=periods).groupby("period")[["gifts", "gifts_minor", "disbursed_minor"]].sum()
    full = by_period.reindex(pd.period_range(periods.min(), periods.max(), freq="M"), fill_value=0)
    full["cumulative_net_minor"] = (full["gifts_minor"] - full["disbursed_minor"]).cumsum()
    full["month"] = [str(period) for period in full.index]
    return full.reset_index(drop=True)[columns].astype({name: "int64" for name in columns[1:]})


def months_chart(series: pd.DataFrame, *, title: str, raised_label: str, disbursed_label: str,
                 axis_title: str) -> go.Figure:
    """Gifts received and disbursements paid per month (yuan), side by side."""
    months = list(series["month"])
    figure = go.Figure([
        go.Bar(x=months, y=[value / 100 for value in series["gifts_minor"]], name=raised_label, marker_color=RED),
        go.Bar(x=months, y=[value / 100 for value in series["disbursed_minor"]], name=disbursed_label,
               marker_color="#1d5fa8")])
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}}, barmode="group",
        font={"family": FONT, "size": 13, "color": "#1f2328"}, height=340,
        margin={"l": 8, "r": 16, "t": 48, "b": 40}, paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"type": "category", "gridcolor": "#d8dde3"},
        yaxis={"title": {"text": axis_title}, "rangemode": "tozero", "gridcolor": "#d8dde3"},
        legend={"orientation": "h", "y": -0.2})
    return figure


def funds_chart(rows: pd.DataFrame, *, title: str, raised_label: str, disbursed_label: str, balance_label: str,
                axis_title: str) -> go.Figure:
    """Per fund (the first row on top): raised, disbursed and balance in yuan, as grouped horizontal bars. Not
    stacked: the balance is the ledger's, which need not be raised less disbursed (refunds, matching)."""
    names = list(rows["name"])[::-1]
    series = ((raised_label, "raised_minor", RED), (disbursed_label, "disbursed_minor", "#1d5fa8"),
              (balance_label, "balance_minor", "#6b7280"))
    figure = go.Figure([go.Bar(y=names, x=[value / 100 for value in list(rows[column])[::-1]], name=label,
                               orientation="h", marker_color=colour,
                               hovertemplate="%{y}<br>" + label + ": ¥%{x:,.2f}<extra></extra>")
                        for label, column, colour in reversed(series)])  # plotly draws a group's first bar lowest
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}}, barmode="group",
        font={"family": FONT, "size": 13, "color": "#1f2328"}, height=max(260, 120 + 54 * len(names)),
        margin={"l": 8, "r": 16, "t": 48, "b": 40}, paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"title": {"text": axis_title}, "rangemode": "tozero", "gridcolor": "#d8dde3", "tickformat": ",d"},
        yaxis={"automargin": True}, legend={"orientation": "h", "y": -0.25, "traceorder": "reversed"})
    return figure
