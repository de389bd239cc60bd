"""The contracts blueprint, one module per thing a person manages (CONTRIBUTING.md, "A route")."""
from flask import Blueprint

bp = Blueprint("contracts", __name__, url_prefix="/contracts")

from portal.contracts.views import contracts, delivery, evaluation, payments, sampling  # noqa: E402, F401


@bp.app_template_filter("service_unit")
def service_unit(code: str) -> str:
    """A unit of service by its label in the reader's language (hour -> 小时), as the catalogue shows it."""
    from portal.procurement.models import SERVICE_UNITS

    label = SERVICE_UNITS.get(code)
    return str(label) if label is not None else code
