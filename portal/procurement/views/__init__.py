"""The purchase-of-services blueprint, one module per thing a person manages (CONTRIBUTING.md, "A route")."""
from flask import Blueprint

bp = Blueprint("procurement", __name__, url_prefix="/procurement")

from portal.procurement.views import awards, bids, calls, catalogue, evaluation  # noqa: E402, F401
