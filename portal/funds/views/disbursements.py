"""Disbursements: a request for money, the committee's decision (never the requester's) and the payment."""
from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.money import parse_amount
from portal.core.policy import object_policy
from portal.core.retry import retrying
from portal.core.web import done, submit_form
from portal.extensions import db
from portal.funds import disbursements, fundable, policy, queries
from portal.funds.forms import DecisionForm, DisbursementForm, PaymentForm
from portal.funds.models import Campaign, Disbursement
from portal.funds.views.common import bp, id_or_none, labels


@bp.route("/funds/<int:fund_id>/disbursements/new", methods=["GET", "POST"])
@object_policy(policy.can_request_disbursement, queries.fund_for_page)
def disbursement_new(fund):
    organisations = queries.requestable_organisations(current_user)
    form = DisbursementForm(campaigns=queries.fund_campaigns(fund), organisations=organisations,
                            projects=fundable.fundable_projects(fund))

    def ask():
        campaign = db.session.get(Campaign, int(form.campaign.data)) if form.campaign.data else None
        organisation = next((o for o in organisations if str(o.id) == form.organisation.data), None)
        return disbursements.request_disbursement(
            fund, current_user, purpose=form.purpose.data, payee=form.payee.data,
            amount_minor=parse_amount(form.amount.data, field="amount"), campaign=campaign,
            organisation=organisation, project_id=id_or_none(form.project_id.data))

    return submit_form(
        form, ask,
        lambda disbursement: done(_("The request is sent to the fund's committee."),
                                  url_for("funds.disbursement_detail", disbursement_id=disbursement.id)),
        lambda status: (render_template("funds/disbursement_form.html", form=form, fund=fund,
                                        available=disbursements.available_minor(fund), **labels()), status))


def _render_disbursement(disbursement: Disbursement, decision_form=None, payment_form=None, status: int = 200):
    return render_template("funds/disbursement.html", disbursement=disbursement, fund=disbursement.fund,
                           decision_form=decision_form or DecisionForm(), payment_form=payment_form or PaymentForm(),
                           available=disbursements.available_minor(disbursement.fund), **labels()), status


def _again(disbursement: Disbursement, **forms):
    """The request's page again with the form that failed (after undo, so the state before it)."""
    return lambda status: _render_disbursement(queries.disbursement_of(disbursement.id), status=status, **forms)


@bp.route("/disbursements/<int:disbursement_id>")
@object_policy(policy.can_view_disbursement, queries.disbursement_of)
def disbursement_detail(disbursement):
    return _render_disbursement(disbursement)


def _decide(disbursement: Disbursement, decide, message: str):
    form = DecisionForm()
    return submit_form(
        form, lambda: decide(disbursement, current_user, form.reason.data),
        lambda result: done(message, url_for("funds.disbursement_detail", disbursement_id=disbursement.id)),
        _again(disbursement, decision_form=form))


@bp.route("/disbursements/<int:disbursement_id>/approve", methods=["POST"])
@object_policy(policy.can_decide_disbursement, queries.disbursement_of)
def disbursement_approve(disbursement):
    return _decide(disbursement, disbursements.approve_disbursement,
                   _("The request is approved; the treasurer can pay it now."))


@bp.route("/disbursements/<int:disbursement_id>/reject", methods=["POST"])
@object_policy(policy.can_decide_disbursement, queries.disbursement_of)
def disbursement_reject(disbursement):
    return _decide(disbursement, disbursements.reject_disbursement,
                   _("The request is rejected; the requester sees your reason."))


@bp.route("/disbursements/<int:disbursement_id>/pay", methods=["POST"])
@object_policy(policy.can_pay_disbursement, queries.disbursement_of)
@retrying
def disbursement_pay(disbursement):
    form = PaymentForm()
    return submit_form(
        form, lambda: disbursements.pay_disbursement(disbursement, current_user, form.reference.data),
        lambda result: done(_("The payment is recorded and shows on the public ledger."),
                            url_for("funds.disbursement_detail", disbursement_id=disbursement.id)),
        _again(disbursement, payment_form=form))
