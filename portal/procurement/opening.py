"""The opening of bids at the deadline (stub: filled in by the bids work)."""


def open_due_calls() -> list[int]:
    """Open every published call whose bid deadline has passed; the ids opened."""
    return []


def open_if_due(call) -> bool:
    return False
