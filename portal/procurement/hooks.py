"""Hooks procurement declares for the domains built on it (CONTRIBUTING.md, "hooks").

`past_performance` is answered by the contracts work of the next issue (a delivered contract's final
rating); until a handler is registered, or when it knows nothing of the organisation, the award criterion
scores neutral and the ranking says so.
"""
from portal.core.hooks import Hook

past_performance = Hook(
    "procurement.past_performance",
    "(organisation) -> rating from 0 to 1 of its earlier contracts, or None when it has none.")


def past_performance_rating(organisation) -> float | None:
    """The first rating any handler gives (clamped to 0..1), or None: no earlier contract ratings."""
    for rating in past_performance(organisation):
        if rating is not None:
            return min(max(float(rating), 0.0), 1.0)
    return None
