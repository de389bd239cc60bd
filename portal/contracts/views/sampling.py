"""Contracts views: sampling."""
from portal.contracts.views import bp  # noqa: F401
