"""Cases views: open311."""
from portal.cases.views import bp  # noqa: F401
