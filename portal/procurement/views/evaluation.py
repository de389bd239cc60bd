"""Procurement views: evaluation."""
from portal.procurement.views import bp  # noqa: F401
