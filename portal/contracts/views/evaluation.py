"""Contracts views: delivery marked complete, the final evaluation with its rebuttal, the evaluation section of
the contract's page, and the organisation's public performance profile."""
from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from portal.contracts import evaluation, loaders, policy, profile, sections
from portal.contracts.models import AREA_LABELS, COMPLETED, CONTRACT_STATUSES, RATED_AREAS
from portal.contracts.views import bp
from portal.contracts.views.payments import contract_url
from portal.core.forms import BaseForm
from portal.core.policy import object_policy
from portal.core.web import ButtonForm, button_action, done, submit_form
from portal.orgs import policy as orgs_policy
from portal.orgs import service as orgs_service

RATING_CHOICES = [SelectChoice("", _l("Choose…"))] + [SelectChoice(str(n), str(n)) for n in range(5, 0, -1)]


def evaluation_form(formdata=None):
    """One 1-5 choice and one narrative per rated area (the narrative is required: the service says so)."""

    class EvaluationForm(BaseForm):
        pass

    for area in RATED_AREAS:
        setattr(EvaluationForm, f"{area}_rating", SelectField(_l("Rating (1-5)"), choices=RATING_CHOICES,
                                                              validators=[Optional()], validate_choice=False))
        setattr(EvaluationForm, f"{area}_narrative", TextAreaField(
            _l("Narrative: what the rating of this area rests on"), validators=[Optional(), Length(max=4000)]))
    return EvaluationForm(formdata=formdata) if formdata is not None else EvaluationForm()


def ratings_of(form) -> dict:
    def number(value):
        return int(value) if (value or "").isdigit() else None

    return {area: {"rating": number(form[f"{area}_rating"].data), "narrative": form[f"{area}_narrative"].data}
            for area in RATED_AREAS}


class RebuttalForm(BaseForm):
    rebuttal = TextAreaField(_l("The organisation's rebuttal"), validators=[Optional(), Length(max=4000)],
                             description=_l("Shown beside the rating in the public performance record."))


def _labels() -> dict:
    return {"area_labels": AREA_LABELS, "rated_areas": RATED_AREAS, "contract_statuses": CONTRACT_STATUSES,
            "contracts_policy": policy, "contract_url": contract_url, "in_window": evaluation.in_rebuttal_window,
            "rebuttal_days": evaluation.REBUTTAL_DAYS}


def _evaluation_url(contract_id: int) -> str:
    return url_for("contracts.evaluation_detail", contract_id=contract_id)


def _render(contract, status: int = 200, form=None, rebuttal_form=None, rebuttal_for=None):
    evaluation.apply_due_steps(contract)
    contract = loaders.load_contract(contract.id)
    evaluations = evaluation.evaluations_of(contract)
    rated = current_user.is_authenticated and any(e.evaluator_id == current_user.id for e in evaluations)
    return render_template("contracts/evaluation_detail.html", contract=contract, evaluations=evaluations,
                           form=form or evaluation_form(), rebuttal_form=rebuttal_form or RebuttalForm(),
                           rebuttal_for=rebuttal_for, already_rated=rated, button_form=ButtonForm(),
                           **_labels()), status


@bp.route("/<int:contract_id>/evaluation")
@object_policy(policy.can_view_contract, loaders.load_contract, login=False)
def evaluation_detail(contract):
    return _render(contract)


@bp.route("/<int:contract_id>/delivered", methods=["POST"])
@object_policy(policy.can_mark_delivered, loaders.load_contract)
def contract_delivered(contract):
    return button_action(lambda: evaluation.mark_delivered(contract, current_user),
                         lambda result: done(_("The delivery is marked complete; the final evaluation can begin."),
                                             _evaluation_url(contract.id)),
                         _evaluation_url(contract.id), flash_statuses=(400,))


@bp.route("/<int:contract_id>/evaluation/rate", methods=["POST"])
@object_policy(policy.can_give_final_rating, loaders.load_contract)
def evaluation_submit(contract):
    form = evaluation_form()
    return submit_form(
        form, lambda: evaluation.submit_evaluation(contract, current_user, ratings_of(form)),
        lambda result: done(_("Your rating is recorded; the organisation may rebut it for %(days)d days.",
                              days=evaluation.REBUTTAL_DAYS), _evaluation_url(contract.id)),
        lambda status: _render(contract, status, form=form))


@bp.route("/<int:contract_id>/evaluations/<int:evaluation_id>/rebut", methods=["POST"])
@object_policy(policy.can_rebut_evaluation, loaders.load_evaluation)
def evaluation_rebut(rated):
    form = RebuttalForm()
    contract = loaders.load_contract(rated.contract_id)
    return submit_form(
        form, lambda: evaluation.rebut(rated, current_user, form.rebuttal.data),
        lambda result: done(_("The rebuttal is recorded beside the rating."), _evaluation_url(contract.id)),
        lambda status: _render(contract, status, rebuttal_form=form, rebuttal_for=rated.id))


@bp.route("/organisations/<int:org_id>")
@object_policy(orgs_policy.can_view_organisation, orgs_service.load_organisation, login=False)
def organisation_profile(organisation):
    evaluation.finalise_due_evaluations(organisation_id=organisation.id)  # the due step on read
    record = profile.organisation_profile(organisation, chart_title=_("Final ratings over time"),
                                          axis_title=_("Overall rating (1-5)"))
    return render_template("contracts/profile.html", organisation=organisation, record=record, **_labels())


@sections.contract_page_sections.register
def evaluation_section(contract, user):
    """The final evaluation's summary on the contract's page; takes the due step on read first."""
    evaluation.apply_due_steps(contract)
    evaluations = evaluation.evaluations_of(contract)
    if contract.status != COMPLETED and not evaluations and not policy.can_mark_delivered(user, contract):
        return None
    return "contracts/_evaluation_section.html", {"evaluations": evaluations, **_labels()}
