"""Procurement views: catalogue."""
from portal.procurement.views import bp  # noqa: F401
