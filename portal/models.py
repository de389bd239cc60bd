"""Imports every domain's models so SQLAlchemy's metadata (and Alembic) sees all tables."""
from portal.accounts import models as accounts_models  # noqa: F401
from portal.audit import models as audit_models  # noqa: F401
from portal.funds import models as funds_models  # noqa: F401
from portal.orgs import models as orgs_models  # noqa: F401
from portal.payments import models as payments_models  # noqa: F401
from portal.places import models as places_models  # noqa: F401
