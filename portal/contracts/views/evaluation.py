"""Contracts views: evaluation."""
from portal.contracts.views import bp  # noqa: F401
