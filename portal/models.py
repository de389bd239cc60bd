"""Imports every domain's models so SQLAlchemy's metadata (and Alembic) sees all tables."""
from portal.accounts import models as accounts_models  # noqa: F401
from portal.audit import models as audit_models  # noqa: F401
from portal.cases import models as cases_models  # noqa: F401
from portal.contracts import models as contracts_models  # noqa: F401
from portal.funds import models as funds_models  # noqa: F401
from portal.insights import models as insights_models  # noqa: F401
from portal.needs import models as needs_models  # noqa: F401
from portal.notifications import models as notifications_models  # noqa: F401
from portal.orgs import models as orgs_models  # noqa: F401
from portal.payments import models as payments_models  # noqa: F401
from portal.places import models as places_models  # noqa: F401
from portal.procurement import models as procurement_models  # noqa: F401
from portal.projects import models as projects_models  # noqa: F401
from portal.volunteering import models as volunteering_models  # noqa: F401
