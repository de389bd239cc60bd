"""Award pages: the buyer's award decision, the public award notice (公示), objections (质疑) and their answers,
and a bidder's own scores beside the winner's."""
from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.core.formatting import local_datetime, translated
from portal.core.policy import object_policy
from portal.core.web import done, submit_form
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.procurement import awards, loaders, policy
from portal.procurement.evaluation_forms import (
    ObjectionAnswerForm,
    ObjectionForm,
    award_choices,
    award_form,
)
from portal.procurement.models import OBJECTION_STATUSES
from portal.procurement.ranking import rank_call
from portal.procurement.views import bp
from portal.procurement.views.evaluation import _labels


def _award_labels() -> dict:
    return {**_labels(), "objection_statuses": translated(OBJECTION_STATUSES)}


@bp.route("/calls/<int:call_id>/award", methods=["GET", "POST"])
@object_policy(policy.can_manage_call, loaders.load_call)
def award_decision(call):
    rankings = rank_call(call)
    form = award_form(rankings)

    def render(status):
        return render_template("procurement/award_decision.html", call=call, rankings=rankings, form=form,
                               **_award_labels()), status

    def action():
        choices, reasons = award_choices(form, rankings)
        return awards.decide_award(call, current_user, choices, reasons)

    return submit_form(form, action,
                       lambda result: done(_("The award is published. The publicity period runs until %(when)s.",
                                             when=local_datetime(call.publicity_ends_at)),
                                           url_for("procurement.award_notice", call_id=call.id)),
                       render)


@bp.route("/calls/<int:call_id>/award-notice")
@object_policy(policy.can_view_call, loaders.load_call, login=False)
def award_notice(call):
    return render_template("procurement/award_notice.html",
                           **{**_award_labels(), **awards.notice_context(call, current_user)})


@bp.route("/calls/<int:call_id>/objections/new", methods=["GET", "POST"])
@object_policy(policy.can_object, loaders.load_call)
def objection_new(call):
    awards.end_publicity_if_due(call)
    form = ObjectionForm()
    organisation_ids = sorted(policy.bidding_organisation_ids(current_user, call))
    names = {o.id: o.name for o in db.session.query(Organisation).filter(Organisation.id.in_(organisation_ids))}
    form.organisation.choices = [SelectChoice(oid, names[oid]) for oid in organisation_ids]

    def render(status):
        return render_template("procurement/objection_form.html", call=call, form=form,
                               in_publicity=awards.in_publicity(call), **_award_labels()), status

    return submit_form(form, lambda: awards.file_objection(call, current_user, form.organisation.data,
                                                           form.grounds.data),
                       lambda objection: done(_("Your objection is filed. The award is frozen until the buyer "
                                                "answers it."),
                                              url_for("procurement.objection_detail", call_id=call.id,
                                                      objection_id=objection.id)),
                       render)


def _objection_page(objection, form, status: int = 200):
    call = loaders.load_call(objection.call_id)
    return render_template("procurement/objection_detail.html", call=call, objection=objection, form=form,
                           may_answer=policy.can_answer_objection(current_user, objection),
                           **_award_labels()), status


@bp.route("/calls/<int:call_id>/objections/<int:objection_id>")
@object_policy(policy.can_view_objection, loaders.load_objection)
def objection_detail(objection):
    return _objection_page(objection, ObjectionAnswerForm())


@bp.route("/calls/<int:call_id>/objections/<int:objection_id>/answer", methods=["POST"])
@object_policy(policy.can_answer_objection, loaders.load_objection)
def objection_answer(objection):
    form = ObjectionAnswerForm()
    return submit_form(form, lambda: awards.answer_objection(objection, current_user, form.outcome.data,
                                                             form.answer.data),
                       lambda result: done(_("The objection is answered; the objector sees your answer."),
                                           url_for("procurement.objection_detail", call_id=objection.call_id,
                                                   objection_id=objection.id)),
                       lambda status: _objection_page(db.session.get(type(objection), objection.id), form, status))


@bp.route("/calls/<int:call_id>/my-scores")
@object_policy(policy.can_see_own_scores, loaders.load_call)
def my_scores(call):
    awards.end_publicity_if_due(call)
    return render_template("procurement/my_scores.html", call=call, lots=awards.my_scores(call, current_user),
                           **_award_labels())

