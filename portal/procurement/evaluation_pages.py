"""What evaluation, award and roadshow add to a call's page and to the buyer's workbench (sections.py hooks):
the panel and scoring links, the public award notice with its objection button, the roadshow's link."""
from flask import url_for
from flask_babel import gettext as _

from portal.procurement import awards, evaluation, policy, sections
from portal.procurement.models import AWARDED, CLOSED, CONFIRMED, CONTEST, EVALUATION, OBJECTION_OPEN


@sections.call_page_sections.register
def evaluation_section(call, user):
    """Links for the buyer (panel, ranking, award) and for a panel member (their sheet)."""
    buyer = policy.can_manage_call(user, call) and call.status in (CLOSED, EVALUATION, AWARDED, CONFIRMED)
    member = evaluation.member_of(call, user)
    if not buyer and member is None:
        return None
    return "procurement/_call_evaluation.html", {
        "call": call, "buyer": buyer, "member": member, "panel_size": len(evaluation.panel_of(call)),
        "all_submitted": evaluation.all_submitted(call)}


@sections.call_page_sections.register
def award_section(call, user):
    """The public award notice (公示) once there is or was an award."""
    if call.status not in awards.AWARD_SHOWN and not awards.cancelled_awards(call):
        return None
    return "procurement/_call_award.html", awards.notice_context(call, user)


@sections.call_page_sections.register
def roadshow_section(call, user):
    if call.mode != CONTEST or call.roadshow_starts_at is None:
        return None
    return "procurement/_call_roadshow.html", {"call": call}


@sections.buyer_actions.register
def buyer_actions(call) -> list[tuple[str, str]]:
    if call.status == CLOSED:
        if not evaluation.panel_of(call):
            return [(_("Name the evaluation panel"), url_for("procurement.panel", call_id=call.id))]
        return [(_("Start the evaluation"), url_for("procurement.panel", call_id=call.id))]
    if call.status == EVALUATION and evaluation.all_submitted(call):
        return [(_("Decide the award"), url_for("procurement.award_decision", call_id=call.id))]
    if call.status == AWARDED:
        return [(_("Answer the objection from %(name)s", name=o.organisation.name),
                 url_for("procurement.objection_detail", call_id=call.id, objection_id=o.id))
                for o in awards.objections_of(call) if o.status == OBJECTION_OPEN]
    return []
