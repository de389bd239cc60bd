"""Contracts: the public list and a contract's page (with the sections delivery, sampling, payments and the
evaluation contribute), signing from a confirmed award, amendments and their second official, the scope ledger
and its public page per department."""
from datetime import timedelta

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.contracts import amendments, loaders, policy, scope, service
from portal.contracts import contract_queries as queries
from portal.contracts.amendments import SECOND_OFFICIAL_SHARE_BP
from portal.contracts.contract_forms import (
    TerminateForm,
    amendment_form,
    line_id_of,
    milestone_fields,
    milestone_rows,
    quantities_of,
    scope_request_form,
    sign_form,
)
from portal.contracts.models import (
    AMENDMENT_STATUSES,
    BY_DEPARTMENT,
    CONTRACT_STATUSES,
    MILESTONE_STATUSES,
    PAYMENT_STATUSES,
    PROPOSED,
)
from portal.contracts.sections import contract_page_sections
from portal.contracts.views import bp
from portal.core.formatting import translated
from portal.core.pagination import paginate
from portal.core.policy import object_policy, public
from portal.core.time import utcnow
from portal.core.web import ButtonForm, button_action, done, submit_form
from portal.extensions import db
from portal.procurement.models import SERVICE_UNITS, Call

PER_PAGE = 20


def _labels() -> dict:
    return {"contract_statuses": translated(CONTRACT_STATUSES), "milestone_statuses": translated(MILESTONE_STATUSES),
            "amendment_statuses": translated(AMENDMENT_STATUSES), "payment_statuses": translated(PAYMENT_STATUSES),
            "service_units": translated(SERVICE_UNITS), "policy": policy}


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


# --- the public list -------------------------------------------------------------------------------------
@bp.route("/")
@public
def index():
    department_id, organisation_id = _int_arg("department"), _int_arg("organisation")
    status = request.args.get("status", "")
    status = status if status in CONTRACT_STATUSES else ""
    page = paginate(queries.list_query(department_id, organisation_id, status), per_page=PER_PAGE)
    return render_template("contracts/list.html", page=page, departments=queries.department_choices(),
                           organisations=queries.organisation_choices(), department_id=department_id,
                           organisation_id=organisation_id, status=status, **_labels())


@bp.route("/scope")
@public
def scope_ledger():
    return render_template("contracts/scope.html", rows=scope.shares_by_department(), **_labels())


# --- a contract's page -------------------------------------------------------------------------------------
def _rendered_sections(contract) -> list[Markup]:
    """Each registered section rendered with its own context beside the contract and the policy, as the call page
    does (procurement/views/calls.py): a section's context may name `contract` too without a clash."""
    return [Markup(render_template(template, **{"contract": contract, "policy": policy, **context}))
            for template, context in filter(None, contract_page_sections(contract, current_user))]


def _render_detail(contract, forms: dict | None = None, status: int = 200):
    forms = forms or {}
    listed = amendments.amendments_of(contract)
    total = amendments.running_total(contract)
    confirmed, answered = queries.verified_share(contract)
    manage = policy.can_manage_contract(current_user, contract)
    context = {
        "contract": contract, "call": db.session.get(Call, contract.call_id) if contract.call_id else None,
        "amendments": listed, "running_total": total,
        "running_share_bp": amendments.share_bp(total, contract.original_value_minor),
        "second_official_bp": SECOND_OFFICIAL_SHARE_BP, "lines_by_id": {line.id: line for line in contract.lines},
        "payments": queries.payments_of(contract), "confirmed": confirmed, "answered": answered,
        "department_scope": scope.department_share(contract.department_id),
        "scope_requests": scope.requests_of(contract), "manage": manage,
        "may_log_scope": policy.can_log_scope_request(current_user, contract),
        "second_official_of": {a.id for a in listed if a.status == PROPOSED
                               and policy.is_second_official(current_user, a)},
        "sections": _rendered_sections(contract), "button_form": ButtonForm(), "by_department": BY_DEPARTMENT}
    context.update(forms)
    return render_template("contracts/detail.html", **context, **_labels()), status


@bp.route("/<int:contract_id>")
@object_policy(policy.can_view_contract, loaders.load_contract, login=False)
def detail(contract):
    return _render_detail(contract)


# --- signing from an award -------------------------------------------------------------------------------------
@bp.route("/awards/<int:award_id>/sign", methods=["GET", "POST"])
@object_policy(policy.can_sign_contract, loaders.load_award)
def sign(award):
    call = db.session.get(Call, award.call_id)
    today = utcnow().date()
    form = sign_form(today, today + timedelta(days=364))

    def render(status):
        return render_template("contracts/sign.html", award=award, call=call, form=form,
                               rows=milestone_fields(form), existing=service.contract_of_award(award.id),
                               **_labels()), status

    return submit_form(form, lambda: service.create_from_award(award, current_user, form.starts_on.data,
                                                               form.ends_on.data, milestone_rows(form)),
                       lambda contract: done(_("Contract %(ref)s is signed. The bid's indicators are the results "
                                               "framework of its service project.", ref=contract.reference),
                                             url_for("contracts.detail", contract_id=contract.id)),
                       render)


# --- amendments -------------------------------------------------------------------------------------------------
@bp.route("/<int:contract_id>/amendments/new", methods=["GET", "POST"])
@object_policy(policy.can_manage_contract, loaders.load_contract)
def amendment_new(contract):
    form = amendment_form(contract)

    def render(status):
        return render_template("contracts/amendment_form.html", contract=contract, form=form,
                               running_total=amendments.running_total(contract),
                               second_official_bp=SECOND_OFFICIAL_SHARE_BP, **_labels()), status

    def action():
        return amendments.propose(contract, current_user, form.rationale.data,
                                  amendments.parse_value_change(form.value_change.data), form.ends_on.data,
                                  quantities_of(form, contract))

    def proposed(amendment):
        if amendment.status == PROPOSED:
            message = _("Amendment %(n)d is recorded. It changes the value by more than %(share)s%% of the original "
                        "in all, so it awaits a second official.", n=amendment.number,
                        share=SECOND_OFFICIAL_SHARE_BP // 100)
        else:
            message = _("Amendment %(n)d is in force.", n=amendment.number)
        return done(message, url_for("contracts.detail", contract_id=contract.id, _anchor="amendments"))

    return submit_form(form, action, proposed, render)


def _decision(amendment, act, message: str):
    back = url_for("contracts.detail", contract_id=amendment.contract_id, _anchor="amendments")
    return button_action(lambda: act(amendment, current_user), lambda result: done(message, back), back)


@bp.route("/<int:contract_id>/amendments/<int:amendment_id>/approve", methods=["POST"])
@object_policy(policy.can_decide_amendment, loaders.load_amendment)
def amendment_approve(amendment):
    return _decision(amendment, amendments.approve, _("The amendment is approved and in force."))


@bp.route("/<int:contract_id>/amendments/<int:amendment_id>/refuse", methods=["POST"])
@object_policy(policy.can_decide_amendment, loaders.load_amendment)
def amendment_refuse(amendment):
    return _decision(amendment, amendments.refuse, _("The amendment is refused; the contract is unchanged."))


# --- termination -------------------------------------------------------------------------------------------------
@bp.route("/<int:contract_id>/terminate", methods=["GET", "POST"])
@object_policy(policy.can_manage_contract, loaders.load_contract)
def terminate(contract):
    form = TerminateForm()

    def render(status):
        return render_template("contracts/terminate.html", contract=contract, form=form, **_labels()), status

    return submit_form(form, lambda: service.terminate_contract(contract, current_user, form.reason.data),
                       lambda result: done(_("The contract is terminated; the reason is on its page."),
                                           url_for("contracts.detail", contract_id=contract.id)),
                       render)


# --- the scope ledger ---------------------------------------------------------------------------------------------
@bp.route("/<int:contract_id>/scope/new", methods=["GET", "POST"])
@object_policy(policy.can_log_scope_request, loaders.load_contract)
def scope_new(contract):
    department_side = scope.side_of(current_user, contract) == BY_DEPARTMENT
    form = scope_request_form(contract, department_side)

    def render(status):
        return render_template("contracts/scope_form.html", contract=contract, form=form,
                               department_side=department_side, **_labels()), status

    return submit_form(form, lambda: scope.log_request(contract, current_user, line_id_of(form),
                                                       form.requested_on.data, form.description.data),
                       lambda result: done(_("The request is logged in the scope ledger."),
                                           url_for("contracts.detail", contract_id=contract.id, _anchor="scope")),
                       render)
