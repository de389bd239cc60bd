"""Contracts views: delivery."""
from portal.contracts.views import bp  # noqa: F401
