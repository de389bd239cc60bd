"""Procurement views: calls."""
from portal.procurement.views import bp  # noqa: F401
