"""Insights views: contractors."""
from portal.insights.views import bp  # noqa: F401
