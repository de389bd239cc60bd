"""Cases views: board."""
from portal.cases.views import bp  # noqa: F401
