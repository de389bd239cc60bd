"""Cases views: app_shell."""
from portal.cases.views import bp  # noqa: F401
