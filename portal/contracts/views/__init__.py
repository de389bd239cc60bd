"""The contracts blueprint, one module per thing a person manages (CONTRIBUTING.md, "A route")."""
from flask import Blueprint

bp = Blueprint("contracts", __name__, url_prefix="/contracts")

from portal.contracts.views import contracts, delivery, evaluation, payments, sampling  # noqa: E402, F401
