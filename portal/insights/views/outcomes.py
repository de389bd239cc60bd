"""Insights views: outcomes."""
from portal.insights.views import bp  # noqa: F401
