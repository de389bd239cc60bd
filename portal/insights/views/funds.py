"""Insights views: funds."""
from portal.insights.views import bp  # noqa: F401
