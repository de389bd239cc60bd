"""Procurement views: awards."""
from portal.procurement.views import bp  # noqa: F401
