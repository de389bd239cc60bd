"""Insights views: the index of every dashboard."""
from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from portal.core.policy import public
from portal.insights.views import bp

# (endpoint, the path it has when the endpoint is not there yet, title, what it answers)
DASHBOARDS = (
    ("insights.outcomes_page", "/insights/outcomes", _l("Outcomes"),
     _l("Which services reached their targets, from the district down to each grid, and what a verified unit of "
        "service cost.")),
    ("insights.contractors", "/insights/contractors", _l("Contractor performance"),
     _l("Each organisation's contracts, on-time and verified delivery, residents' confirmations and ratings.")),
    ("insights.red_flags", "/insights/red-flags", _l("Procurement red flags"),
     _l("Calls and contracts with signs worth a second look, each flag with its formula and threshold.")),
    ("insights.funds_page", "/insights/funds", _l("Fund transparency"),
     _l("What each fund and campaign raised, from how many donors, what was matched, disbursed and is left.")),
    ("insights.profile_page", "/insights/profile", _l("Community profile"),
     _l("Who lives in each grid (in aggregate), what residents asked for, and which catalogue services to buy "
        "where.")),
)


def dashboard_url(endpoint: str, fallback: str) -> str:
    """The dashboard's URL; its path as agreed while the endpoint is still being built."""
    try:
        return url_for(endpoint)
    except BuildError:
        return fallback


@bp.route("/")
@public
def index():
    dashboards = [(dashboard_url(endpoint, path), title, description)
                  for endpoint, path, title, description in DASHBOARDS]
    return render_template("insights/index.html", dashboards=dashboards)
