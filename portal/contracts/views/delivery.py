"""Contracts views: delivery reports (report, verify or return, correct and send again, evidence, CSV template)
and the contract page's delivery section."""
from flask import Response, abort, flash, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.contracts import delivery, policy, sampling
from portal.contracts.delivery_forms import DecisionForm, report_form_for, typed_rows, units_fields
from portal.contracts.loaders import load_contract
from portal.contracts.models import (
    MILESTONE_STATUSES,
    PENDING,
    REPORT_STATUSES,
    RETURNED,
    SERVICE_RECORD_KINDS,
    Milestone,
)
from portal.contracts.sections import contract_page_sections
from portal.contracts.views import bp
from portal.core.csv_import import ImportRejected
from portal.core.errors import IllegalTransition
from portal.core.policy import object_policy
from portal.core.uploads import upload_path
from portal.core.web import done, submit_form
from portal.extensions import db


def _labels() -> dict:
    return {"policy": policy, "report_statuses": REPORT_STATUSES, "record_kinds": SERVICE_RECORD_KINDS,
            "milestone_statuses": MILESTONE_STATUSES}


def _input(form, contract) -> delivery.ReportInput:
    upload = form.records_csv.data
    given = upload is not None and getattr(upload, "filename", "")
    csv_data = upload.read(delivery.MAX_CSV_BYTES + 1) if given else None
    return delivery.ReportInput(
        period_start=form.period_start.data, period_end=form.period_end.data,
        units={line.id: field.data for line, field in units_fields(form, contract)},
        narrative=form.narrative.data, files=tuple(request.files.getlist(form.evidence.name)),
        records=tuple(typed_rows(request.form)), records_csv=csv_data)


def _report_form_page(contract, form, row_errors, rows, status, report=None):
    return render_template("contracts/report_form.html", contract=contract, form=form, report=report,
                           lines=units_fields(form, contract), rows=rows, row_errors=row_errors,
                           remaining=delivery.remaining_quantity(contract, getattr(report, "id", None)),
                           columns=delivery.RECORD_COLUMNS, **_labels()), status


def _with_row_errors(action, row_errors):
    def run():
        try:
            return action()
        except ImportRejected as error:
            row_errors.extend(error.errors)
            raise
    return run


@bp.route("/<int:contract_id>/reports/new", methods=["GET", "POST"])
@object_policy(policy.can_report_delivery, load_contract)
def report_new(contract):
    pending = next((m for m in contract.milestones if m.status == PENDING), None)
    form = report_form_for(contract, data={"milestone": getattr(pending, "id", None)})
    row_errors: list = []

    def action():
        milestone = db.session.get(Milestone, form.milestone.data) if form.milestone.data else None
        return delivery.report_delivery(contract, milestone, current_user, _input(form, contract))

    return submit_form(form, _with_row_errors(action, row_errors),
                       lambda report: done(_("The report is sent for verification."),
                                           url_for("contracts.report_page", contract_id=contract.id,
                                                   report_id=report.id)),
                       lambda status: _report_form_page(contract, form, row_errors, typed_rows(request.form),
                                                        status))


@bp.route("/<int:contract_id>/reports/<int:report_id>/resubmit", methods=["GET", "POST"])
@object_policy(policy.can_resubmit_report, delivery.load_report)
def report_resubmit(report):
    contract = load_contract(report.contract_id)
    if request.method == "GET" and report.status != RETURNED:
        # a verified report never changes; one awaiting verification is the verifier's to decide
        try:
            delivery.refuse_if_verified(report)
            raise IllegalTransition(_("Only a returned report can be corrected and sent again."))
        except IllegalTransition as error:
            flash(error.message, "error")
        return _report_page(report, status=409)
    initial = {"milestone": report.milestone_id, "period_start": report.period_start,
               "period_end": report.period_end, "narrative": report.narrative,
               **{f"units_{line.contract_line_id}": str(line.units) for line in report.lines}}
    form = report_form_for(contract, data=initial)
    form.milestone.choices = [choice for choice in form.milestone.choices if choice.value == report.milestone_id]
    row_errors: list = []
    return submit_form(form, _with_row_errors(lambda: delivery.resubmit_report(report, current_user,
                                                                                _input(form, contract)), row_errors),
                       lambda result: done(_("The corrected report is sent for verification again."),
                                           url_for("contracts.report_page", contract_id=contract.id,
                                                   report_id=report.id)),
                       lambda status: _report_form_page(contract, form, row_errors, typed_rows(request.form),
                                                        status, report))


def _report_page(report, form=None, status=200):
    contract = load_contract(report.contract_id)
    share = sampling.shares_by_report([report.id]).get(report.id, sampling.Share())
    milestone = db.session.get(Milestone, report.milestone_id)
    return render_template("contracts/report_detail.html", contract=contract, report=report, milestone=milestone,
                           lines={line.id: line for line in contract.lines}, decision_form=form or DecisionForm(),
                           sample=report.sample, share=share, **_labels()), status


@bp.route("/<int:contract_id>/reports/<int:report_id>")
@object_policy(policy.can_view_delivery_report, delivery.load_report)
def report_page(report):
    return _report_page(report)


@bp.route("/<int:contract_id>/reports/<int:report_id>/verify", methods=["POST"])
@object_policy(policy.can_verify_report, delivery.load_report)
def report_verify(report):
    form = DecisionForm()
    return submit_form(form, lambda: delivery.verify_report(report, current_user),
                       lambda result: done(_("The report is verified; its units now count toward payment."),
                                           url_for("contracts.report_page", contract_id=report.contract_id,
                                                   report_id=report.id)),
                       lambda status: _report_page(report, form, status))


@bp.route("/<int:contract_id>/reports/<int:report_id>/return", methods=["POST"])
@object_policy(policy.can_verify_report, delivery.load_report)
def report_return(report):
    form = DecisionForm()
    return submit_form(form, lambda: delivery.return_report(report, current_user, form.reason.data),
                       lambda result: done(_("The report is returned to the contractor with your reason."),
                                           url_for("contracts.report_page", contract_id=report.contract_id,
                                                   report_id=report.id)),
                       lambda status: _report_page(report, form, status))


@bp.route("/<int:contract_id>/reports/<int:report_id>/evidence/<int:evidence_id>")
@object_policy(policy.can_view_report_evidence, delivery.load_evidence)
def report_evidence(item):
    path = upload_path(item.storage_key)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=item.content_type, as_attachment=True, download_name=item.original_name,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:contract_id>/reports/records-template.csv")
@object_policy(policy.can_report_delivery, load_contract)
def report_records_template(contract):
    return Response(delivery.records_template_csv(contract), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=records-{contract.id}.csv"})


# --- the contract page's section ----------------------------------------------------------------------

@contract_page_sections.register
def delivery_section(contract, user):
    """The delivery reports (status, units, sample, verified share) and the contract's verified share. Public:
    counts and shares only; the report pages (names, phones) open to the contractor and the verifiers."""
    reports = delivery.reports_of(contract)
    shares = sampling.shares_by_report([report.id for report in reports])
    return "contracts/_report_section.html", {
        "reports": reports, "shares": shares, "total_share": sampling.contract_share(shares),
        "lines": {line.id: line for line in contract.lines},
        "milestones": {m.id: m for m in contract.milestones}, "user": user, **_labels()}
