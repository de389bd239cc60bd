"""Insights views: profile."""
from portal.insights.views import bp  # noqa: F401
