"""Contracts views: milestone acceptance and payments (requested by one official, approved by another), the
public list of payments, and the payments section of the contract's page."""
from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.routing import BuildError
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from portal.contracts import loaders, payments, policy, sections
from portal.contracts.models import (
    ACCEPTED,
    CONTRACT_STATUSES,
    MILESTONE_STATUSES,
    PAYMENT_STATUSES,
    REQUESTED,
    Milestone,
)
from portal.contracts.payable import milestone_payable
from portal.contracts.views import bp
from portal.core.forms import BaseForm
from portal.core.money import parse_amount
from portal.core.policy import object_policy, public
from portal.core.retry import retrying
from portal.core.web import done, submit_form
from portal.extensions import db


class AcceptForm(BaseForm):
    rating = SelectField(_l("Acceptance rating"), validators=[Optional()], validate_choice=False,
                         choices=[SelectChoice("", _l("Choose…"))]
                         + [SelectChoice(str(n), str(n)) for n in range(5, 0, -1)],
                         description=_l("5 is best; the contract's published factor table turns it into the share "
                                        "of verified value paid."))
    note = TextAreaField(_l("What was checked"), validators=[Optional(), Length(max=2000)])


class PaymentRequestForm(BaseForm):
    amount = StringField(_l("Amount (yuan)"), validators=[Optional(), Length(max=20)],
                         description=_l("At most what the milestone may still pay, shown above."))


class PaymentDecisionForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)],
                           description=_l("Required when rejecting; shown with the payment."))


def contract_url(contract_id: int) -> str:
    """The contract's page (views/contracts.py); its evaluation page while that page does not exist."""
    try:
        return url_for("contracts.detail", contract_id=contract_id)
    except BuildError:
        return url_for("contracts.evaluation_detail", contract_id=contract_id)


def _labels() -> dict:
    return {"milestone_statuses": MILESTONE_STATUSES, "payment_statuses": PAYMENT_STATUSES,
            "contract_statuses": CONTRACT_STATUSES, "contracts_policy": policy, "contract_url": contract_url}


def _milestone_url(milestone) -> str:
    return url_for("contracts.milestone_detail", contract_id=milestone.contract_id, milestone_id=milestone.id)


def _render_milestone(milestone, status: int = 200, **forms):
    contract = loaders.load_contract(milestone.contract_id)
    milestone = db.session.get(Milestone, milestone.id)
    lines = {line.id: line for line in contract.lines}
    return render_template(
        "contracts/milestone_detail.html", contract=contract, milestone=milestone,
        payable=milestone_payable(contract, milestone), lines=lines,
        has_verified_report=payments.has_verified_report(milestone),
        payments=[p for p in payments.payments_of(contract) if p.milestone_id == milestone.id],
        accept_form=forms.get("accept") or AcceptForm(), request_form=forms.get("request") or PaymentRequestForm(),
        decision_form=forms.get("decision") or PaymentDecisionForm(), decision_for=forms.get("decision_for"),
        **_labels()), status


@bp.route("/<int:contract_id>/milestones/<int:milestone_id>")
@object_policy(policy.can_view_milestone, loaders.load_milestone, login=False)
def milestone_detail(milestone):
    return _render_milestone(milestone)


@bp.route("/<int:contract_id>/milestones/<int:milestone_id>/accept", methods=["POST"])
@object_policy(policy.can_accept_milestone, loaders.load_milestone)
def milestone_accept(milestone):
    form = AcceptForm()

    def accept():
        rating = int(form.rating.data) if (form.rating.data or "").isdigit() else None
        return payments.accept_milestone(milestone.contract, milestone, current_user, rating, form.note.data)

    return submit_form(form, accept,
                       lambda result: done(_("The milestone is accepted; a payment can be asked for now."),
                                           _milestone_url(milestone)),
                       lambda status: _render_milestone(milestone, status, accept=form))


@bp.route("/<int:contract_id>/milestones/<int:milestone_id>/payments", methods=["POST"])
@object_policy(policy.can_request_payment, loaders.load_milestone)
def payment_request(milestone):
    form = PaymentRequestForm()
    return submit_form(
        form, lambda: payments.request_payment(milestone.contract, milestone, current_user,
                                               parse_amount(form.amount.data, field="amount")),
        lambda result: done(_("The payment is asked for; another official approves it."), _milestone_url(milestone)),
        lambda status: _render_milestone(milestone, status, request=form))


def _decide(payment, decide, message: str):
    form = PaymentDecisionForm()
    milestone = db.session.get(Milestone, payment.milestone_id)
    return submit_form(form, lambda: decide(payment, current_user, form.reason.data),
                       lambda result: done(message, _milestone_url(milestone)),
                       lambda status: _render_milestone(milestone, status, decision=form, decision_for=payment.id))


@bp.route("/<int:contract_id>/payments/<int:payment_id>/approve", methods=["POST"])
@object_policy(policy.can_decide_payment, loaders.load_payment)
@retrying
def payment_approve(payment):
    return _decide(payment, payments.approve_payment,
                   _("The payment is approved and posted on the public ledger."))


@bp.route("/<int:contract_id>/payments/<int:payment_id>/reject", methods=["POST"])
@object_policy(policy.can_decide_payment, loaders.load_payment)
def payment_reject(payment):
    return _decide(payment, payments.reject_payment, _("The payment is rejected; the reason is recorded."))


@bp.route("/payments")
@public
def payments_list():
    return render_template("contracts/payments_list.html", rows=payments.approved_payments(), **_labels())


@sections.contract_page_sections.register
def payments_section(contract, user):
    """Each milestone with a link to its computation and what it may still pay; to the buyer, the requests that
    wait for a second official. (The contract's page lists the payments themselves.)"""
    remaining = {m.id: milestone_payable(contract, m) for m in contract.milestones if m.status == ACCEPTED}
    waiting: dict[int, int] = {}
    if policy.can_see_payment_requests(user, contract):
        for payment in payments.payments_of(contract):
            if payment.status == REQUESTED:
                waiting[payment.milestone_id] = waiting.get(payment.milestone_id, 0) + 1
    return "contracts/_payment_section.html", {"milestones": contract.milestones, "remaining": remaining,
                                              "waiting": waiting, **_labels()}
