"""Fixtures shared by the procurement tests (each area's world lives in its own module)."""
from tests.procurement.bids_world import english, market  # noqa: F401  (the sealed-bid tests' world)
