"""Funds pages, one blueprint (`funds.*`) in modules by what a person manages: funds and their roles,
campaigns, teams and matching, disbursements, in-kind pledges."""
from portal.funds.views import campaigns, disbursements, funds, in_kind, teams  # noqa: F401  (they add the routes)
from portal.funds.views.common import bp

__all__ = ["bp"]
