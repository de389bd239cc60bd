"""Evaluation pages: the buyer's panel, the evaluator's queue, conflict declarations, scoring (phone first),
the submitted sheet and the ranking; and the contest's public roadshow with its QR code and vote page."""
import segno
from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectChoice

from portal.core.errors import DomainError
from portal.core.formatting import translated
from portal.core.policy import allowed_if, object_policy
from portal.core.web import button_action, done, submit_form
from portal.procurement import evaluation, loaders, policy
from portal.procurement import ranking as ranking_service
from portal.procurement import roadshow as roadshow_service
from portal.procurement.evaluation_forms import (
    PanelForm,
    VoteForm,
    answers_of,
    conflict_form,
    score_entries,
    score_form,
)
from portal.procurement.models import CALL_STATUSES, CLOSED, CRITERION_KINDS, EVALUATION, LOW_PRICE_STATUSES
from portal.procurement.views import bp


def call_page(call) -> str:
    """The call's own page when the calls pages are there, else its award notice (which shows the call)."""
    if "procurement.call_detail" in current_app.view_functions:
        return url_for("procurement.call_detail", call_id=call.id)
    return url_for("procurement.award_notice", call_id=call.id)


def _labels() -> dict:
    return {"call_statuses": translated(CALL_STATUSES), "criterion_kinds": translated(CRITERION_KINDS),
            "low_price_statuses": translated(LOW_PRICE_STATUSES), "policy": policy, "call_page": call_page}


# --- the buyer's panel ---------------------------------------------------------------------------------
@bp.route("/calls/<int:call_id>/panel", methods=["GET", "POST"])
@object_policy(policy.can_manage_call, loaders.load_call)
def panel(call):
    candidates = policy.evaluator_candidates(call)
    members = evaluation.panel_of(call)
    form = PanelForm()
    form.members.choices = [SelectChoice(u.id, u.display_name) for u in candidates]
    if not form.is_submitted():
        form.members.data = [m.user_id for m in members]

    def render(status):
        return render_template("procurement/panel.html", call=call, form=form, members=evaluation.panel_of(call),
                               candidates=candidates, minimum=evaluation.MIN_PANEL,
                               recommended=evaluation.RECOMMENDED_PANEL, **_labels()), status

    def named(result):
        if len(result) < evaluation.RECOMMENDED_PANEL:
            flash(_("A panel of fewer than %(num)d evaluators is allowed, but three or more make the scores "
                    "fairer.", num=evaluation.RECOMMENDED_PANEL), "info")
        return done(_("The panel is named. Start the evaluation when it is complete; it is fixed from then."),
                    url_for("procurement.panel", call_id=call.id))

    return submit_form(form, lambda: evaluation.name_panel(call, current_user, form.members.data or []), named,
                       render)


@bp.route("/calls/<int:call_id>/evaluation/start", methods=["POST"])
@object_policy(policy.can_manage_call, loaders.load_call)
def start_evaluation(call):
    back = url_for("procurement.panel", call_id=call.id)
    return button_action(lambda: evaluation.start_evaluation(call, current_user),
                         lambda result: done(_("The evaluation has started; the panel can declare conflicts and "
                                               "score."), back), back)


# --- the evaluator ---------------------------------------------------------------------------------------
@bp.route("/evaluations")
@allowed_if(policy.is_evaluator)
def evaluator_queue():
    return render_template("procurement/evaluator_queue.html", rows=evaluation.queue_of(current_user),
                           **_labels())


@bp.route("/calls/<int:call_id>/conflicts", methods=["GET", "POST"])
@object_policy(policy.can_evaluate, loaders.load_call)
def declare_conflicts(call):
    member = evaluation.member_of(call, current_user)
    if member.declared_at is not None:
        return redirect(url_for("procurement.scoring_sheet", call_id=call.id))
    organisations = evaluation.bidding_organisations(call)
    form = conflict_form(organisations)

    def render(status):
        return render_template("procurement/evaluator_conflicts.html", call=call, form=form,
                               organisations=organisations, open=call.status == EVALUATION, **_labels()), status

    return submit_form(form, lambda: evaluation.declare_conflicts(call, current_user, answers_of(form, organisations)),
                       lambda result: done(_("Your declarations are recorded. You can now see and score the bids "
                                             "you are not recused from."),
                                           url_for("procurement.scoring_sheet", call_id=call.id)),
                       render)


@bp.route("/calls/<int:call_id>/scoring")
@object_policy(policy.can_evaluate, loaders.load_call)
def scoring_sheet(call):
    member = evaluation.member_of(call, current_user)
    if call.status == EVALUATION and member.declared_at is None:
        return redirect(url_for("procurement.declare_conflicts", call_id=call.id))
    recused = evaluation.recused_organisation_ids(call, current_user)
    own = evaluation.own_scores(call, current_user)
    criteria = evaluation.quality_criteria(call)
    bids = evaluation.evaluated_bids(call) if call.status != CLOSED else []
    rows = [{"bid": bid, "recused": bid.organisation_id in recused,
             "scored": sum(1 for c in criteria if (bid.id, c.id) in own)} for bid in bids]
    return render_template("procurement/scoring_sheet.html", call=call, member=member, rows=rows,
                           criteria=criteria, state=evaluation.sheet_state(call, current_user),
                           all_submitted=evaluation.all_submitted(call), **_labels())


@bp.route("/calls/<int:call_id>/scoring/<int:bid_id>", methods=["GET", "POST"])
@object_policy(policy.can_evaluate_bid, loaders.load_bid)
def score_bid(bid):
    call = bid.call
    content = evaluation.open_bid(call, current_user, bid)  # recused, undeclared or wrong state: a clear 409
    criteria = evaluation.quality_criteria(call)
    own = {cid: s for (bid_id, cid), s in evaluation.own_scores(call, current_user).items() if bid_id == bid.id}
    form = score_form(criteria, own)
    member = evaluation.member_of(call, current_user)

    def render(status):
        return render_template("procurement/scoring_bid.html", call=call, bid=bid, content=content, form=form,
                               criteria=criteria, member=member, **_labels()), status

    return submit_form(form, lambda: evaluation.save_scores(call, current_user, bid, score_entries(form, criteria)),
                       lambda result: done(_("Your scores for %(name)s are saved; you can change them until you "
                                             "submit your sheet.", name=bid.organisation.name),
                                           url_for("procurement.scoring_sheet", call_id=call.id)),
                       render)


@bp.route("/calls/<int:call_id>/scoring/submit", methods=["POST"])
@object_policy(policy.can_evaluate, loaders.load_call)
def submit_sheet(call):
    back = url_for("procurement.scoring_sheet", call_id=call.id)
    return button_action(lambda: evaluation.submit_sheet(call, current_user),
                         lambda result: done(_("Your scores are submitted. The other evaluators' scores are shown "
                                               "once the whole panel has submitted."), back), back)


@bp.route("/calls/<int:call_id>/ranking")
@object_policy(policy.can_view_ranking, loaders.load_call)
def ranking(call):
    buyer = policy.can_manage_call(current_user, call)
    if not buyer and not evaluation.all_submitted(call):
        raise DomainError(_("The ranking and the other evaluators' scores are shown to the panel once every "
                            "member has submitted."))
    members = evaluation.panel_of(call)
    return render_template("procurement/ranking.html", call=call, rankings=ranking_service.rank_call(call), buyer=buyer,
                           scores=evaluation.all_scores(call), members=members,
                           names={m.user_id: m.user.display_name for m in members},
                           criteria=evaluation.quality_criteria(call),
                           all_submitted=evaluation.all_submitted(call), **_labels())


# --- the roadshow (contests) ----------------------------------------------------------------------------
def qr_svg(url: str) -> Markup:
    """The vote page's link as an inline SVG QR code (made on the server, as volunteering's check-in codes)."""
    code = segno.make(url, error="m")
    return Markup(code.svg_inline(scale=5, border=2, omitsize=True, svgclass="qr-code",
                                  title=_("Scan to vote")))


@bp.route("/calls/<int:call_id>/roadshow")
@object_policy(policy.can_view_call, roadshow_service.load_contest, login=False)
def roadshow(call):
    vote_url = url_for("procurement.roadshow_vote", call_id=call.id, _external=True)
    return render_template("procurement/roadshow.html", call=call, entries=roadshow_service.entries(call),
                           window=roadshow_service.window_state(call), vote_url=vote_url, qr=qr_svg(vote_url),
                           **_labels())


@bp.route("/calls/<int:call_id>/roadshow/vote", methods=["GET", "POST"])
@object_policy(policy.can_vote_in_roadshow, roadshow_service.load_contest)
def roadshow_vote(call):
    entries = roadshow_service.entries(call)
    form = VoteForm()
    form.bid.choices = [SelectChoice(str(e.bid.id), e.bid.organisation.name) for e in entries]

    def render(status):
        return render_template("procurement/roadshow_vote.html", call=call, entries=entries, form=form,
                               window=roadshow_service.window_state(call),
                               ballot=roadshow_service.vote_of(call, current_user), **_labels()), status

    return submit_form(form, lambda: roadshow_service.vote(call, current_user, form.bid.data),
                       lambda result: done(_("Thank you: your vote is counted."),
                                           url_for("procurement.roadshow_vote", call_id=call.id)),
                       render)
