"""Contracts views: payments."""
from portal.contracts.views import bp  # noqa: F401
