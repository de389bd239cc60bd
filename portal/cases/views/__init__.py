"""The grid cases blueprint (and Open311 GeoReport v2 under /open311/v2), one module per area."""
from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")

from portal.cases.views import (  # noqa: E402, F401
    api_keys,  # noqa: E402, F401  (Open311 API keys, for administrators)
    app_shell,
    board,
    cases,
    open311,
)
