"""The insights blueprint (/insights): one module per dashboard."""
from flask import Blueprint

bp = Blueprint("insights", __name__, url_prefix="/insights")

from portal.insights.views import contractors, funds, outcomes, profile, redflags  # noqa: E402, F401
