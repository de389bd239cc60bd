"""Contracts views: resident sampling. The verifier draws a sample and hands out its links (a printable list
with QR codes); the resident answers on a phone without signing in; a grid worker records answers on visits."""
import segno
from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.contracts import delivery, policy, sampling
from portal.contracts.delivery_forms import AnswerForm
from portal.contracts.loaders import load_contract
from portal.contracts.models import SAMPLE_ANSWERS, SERVICE_RECORD_KINDS
from portal.contracts.views import bp
from portal.core.policy import allowed_if, object_policy, public
from portal.core.web import button_action, done, submit_form


def qr_svg(url: str) -> Markup:
    """The resident's link as an inline SVG QR code (made on the server: no script, no image request)."""
    code = segno.make(url, error="m")
    return Markup(code.svg_inline(scale=4, border=2, omitsize=True, svgclass="sample-qr",
                                  title=_("Link for the resident")))


@bp.route("/<int:contract_id>/reports/<int:report_id>/sample", methods=["POST"])
@object_policy(policy.can_draw_sample, delivery.load_report)
def sample_draw(report):
    back = url_for("contracts.report_page", contract_id=report.contract_id, report_id=report.id)
    return button_action(lambda: sampling.draw_sample(report, current_user),
                         lambda sample: done(_("%(size)d records are sampled. Hand out their links or visit them.",
                                               size=sample.size),
                                             url_for("contracts.sample_page", contract_id=report.contract_id,
                                                     sample_id=sample.id)), back)


@bp.route("/<int:contract_id>/samples/<int:sample_id>")
@object_policy(policy.can_view_sample, sampling.load_sample)
def sample_page(sample):
    contract = load_contract(sample.contract_id)
    links = {item.id: sampling.confirm_url(sample, item) for item in sample.items}
    codes = {item_id: qr_svg(url) for item_id, url in links.items()}
    share = sampling.shares_by_report([sample.report_id]).get(sample.report_id, sampling.Share())
    return render_template("contracts/sample_detail.html", contract=contract, sample=sample, report=sample.report,
                           links=links, codes=codes, share=share, answers=SAMPLE_ANSWERS,
                           record_kinds=SERVICE_RECORD_KINDS)


def _confirm_item(token: str):
    item = sampling.item_for_token(token)
    if item is None:
        abort(404)
    return item


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@public
def confirm(token):
    item = _confirm_item(token)
    record = item.record
    contract = load_contract(item.sample.contract_id)
    if item.answer is not None:  # answered once: a second answer stores nothing
        return (render_template("contracts/confirm_done.html", contract=contract, item=item, already=True),
                409 if request.method == "POST" else 200)
    form = AnswerForm()
    return submit_form(form, lambda: sampling.answer_by_link(item, form.happened.data, form.quality.data,
                                                             form.comment.data),
                       lambda result: (render_template("contracts/confirm_done.html", contract=contract, item=result,
                                                       already=False), 200),
                       lambda status: (render_template("contracts/confirm_form.html", contract=contract, item=item,
                                                       record=record, form=form), status))


@bp.route("/visits")
@allowed_if(policy.is_grid_worker)
def visits():
    awaiting, recorded = sampling.visits_of(current_user)
    return render_template("contracts/visits.html", awaiting=awaiting, recorded=recorded, answers=SAMPLE_ANSWERS,
                           record_kinds=SERVICE_RECORD_KINDS)


@bp.route("/visits/<int:item_id>", methods=["GET", "POST"])
@object_policy(policy.can_record_visit_answer, sampling.load_item)
def visit_answer(item):
    contract = load_contract(item.sample.contract_id)
    if item.answer is not None:
        flash(_("This question was already answered. Thank you: nothing more is needed."), "info")
    form = AnswerForm()
    return submit_form(form, lambda: sampling.record_visit(item, current_user, form.happened.data, form.quality.data,
                                                           form.comment.data),
                       lambda result: done(_("The resident's answer is recorded."), url_for("contracts.visits")),
                       lambda status: (render_template("contracts/visits_answer.html", contract=contract, item=item,
                                                       record=item.record, form=form, answers=SAMPLE_ANSWERS),
                                       status))
