"""Cases views: cases."""
from portal.cases.views import bp  # noqa: F401
