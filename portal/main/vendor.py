"""Third-party browser files served from installed Python packages (no CDN: the portal runs on closed networks)."""
from importlib.metadata import version
from pathlib import Path

import plotly
from flask import Blueprint, abort, send_file, url_for

from portal.core.policy import public

bp = Blueprint("vendor", __name__, url_prefix="/vendor")

PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
PLOTLY_VERSION = version("plotly")
ONE_YEAR = 60 * 60 * 24 * 365


@bp.route("/plotly.min.js")
@public
def plotly_js():
    if not PLOTLY_JS.is_file():
        abort(404)
    # Pages link it with ?v=<plotly version>, so a year of caching is safe: an upgrade changes the URL.
    response = send_file(PLOTLY_JS, mimetype="text/javascript", max_age=ONE_YEAR, conditional=True)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


@bp.app_template_global()
def plotly_url() -> str:
    """plotly.min.js with its version in the URL, for the pages that draw charts (templates call it)."""
    return url_for("vendor.plotly_js", v=PLOTLY_VERSION)
