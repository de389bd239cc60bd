"""Insights views: redflags."""
from portal.insights.views import bp  # noqa: F401
