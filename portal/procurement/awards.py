"""Awards, publicity and objections (stub: filled in by the award work)."""


def end_due_publicity() -> list[int]:
    """Confirm every awarded call whose publicity period has ended with no open objection; the ids."""
    return []


def end_publicity_if_due(call) -> bool:
    return False
