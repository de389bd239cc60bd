"""Procurement views: bids."""
from portal.procurement.views import bp  # noqa: F401
