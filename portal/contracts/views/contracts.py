"""Contracts views: contracts."""
from portal.contracts.views import bp  # noqa: F401
