"""Insights views: funds (raised, donors, gifts, matching, disbursed and left, per fund and campaign)."""
import pandas as pd
from flask import render_template
from flask_babel import gettext as _

from analytics.charts import figure_data
from analytics.funds import funds_chart, months_chart
from portal.core.policy import object_policy, public
from portal.funds import policy as fund_policy
from portal.funds import queries as fund_queries
from portal.funds.models import CAMPAIGN_STATUSES, FUND_KINDS
from portal.insights import funds
from portal.insights.views import bp


@bp.route("/funds")
@public
def funds_page():
    payload, computed_at = funds.overview()
    chart = None
    if payload["funds"]:
        chart = figure_data(funds_chart(pd.DataFrame(payload["funds"]), title=_("Raised, disbursed and left per fund"),
                                        raised_label=_("Raised"), disbursed_label=_("Disbursed"),
                                        balance_label=_("Balance"), axis_title=_("Yuan")))
    return render_template("insights/funds.html", payload=payload, computed_at=computed_at, kinds=FUND_KINDS,
                           chart=chart)


@bp.route("/funds/<int:fund_id>")
@object_policy(fund_policy.can_view_fund, fund_queries.fund_for_page, login=False)
def fund_page(fund):
    figures, campaigns, months, computed_at = funds.for_fund(fund.id)
    chart = None
    if months:
        chart = figure_data(months_chart(pd.DataFrame(months), title=_("Gifts and disbursements per month"),
                                         raised_label=_("Gifts received"), disbursed_label=_("Disbursed"),
                                         axis_title=_("Yuan")))
    return render_template("insights/fund.html", fund=fund, figures=figures, campaigns=campaigns, months=months,
                           chart=chart, computed_at=computed_at, statuses=CAMPAIGN_STATUSES, kinds=FUND_KINDS)
