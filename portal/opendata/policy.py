"""Who may read open data: everyone. A call's own packages exist once it is published (a draft answers 404, to
its buyer too: drafts are not open data)."""
from portal.procurement.models import PUBLIC_STATUSES


def can_read_call_data(user, call) -> bool:
    return call.status in PUBLIC_STATUSES
