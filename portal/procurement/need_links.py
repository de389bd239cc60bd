"""Purchase of services answers resident needs: registers with the needs domain's hooks (portal/needs/hooks.py)
so a need can be linked to a published call and its page shows the call in its chain. Imported by
create_app's _wire_domain_hooks."""
from flask import url_for
from sqlalchemy import select

from portal.extensions import db
from portal.needs import hooks as needs_hooks
from portal.procurement.models import CALL_STATUSES, DRAFT, Call


@needs_hooks.tender_for_link.register
def tender_for_link(target_id: int):
    call = db.session.get(Call, target_id)
    return call if call is not None and call.status != DRAFT else None


@needs_hooks.tender_chain.register
def tender_chain(target_ids: list[int]) -> dict:
    rows = db.session.execute(select(Call.id, Call.title, Call.status)
                              .where(Call.id.in_(target_ids), Call.status != DRAFT))
    return {row.id: {"title": row.title, "url": url_for("procurement.call_detail", call_id=row.id),
                     "status": row.status, "status_label": str(CALL_STATUSES[row.status])} for row in rows}
