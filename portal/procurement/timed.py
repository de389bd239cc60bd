"""The timed steps of purchase of services, run by the background worker (portal/worker.py) every minute and
by pages on read: opening bids at the deadline, ending publicity periods. Each is guarded by
steps.claim_step, so it takes effect exactly once however many workers or requests run it at once."""
from portal.procurement import awards, opening


def run_due_steps() -> dict:
    """Take every step that is due now; returns what was done, by kind, as lists of call ids."""
    return {"opened": opening.open_due_calls(), "publicity_ended": awards.end_due_publicity()}


def apply_due_steps(call) -> None:
    """A page about to show `call` first takes its own due step, so nobody sees a stale state when the
    worker is late or down."""
    opening.open_if_due(call)
    awards.end_publicity_if_due(call)
