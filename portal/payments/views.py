"""Giving pages, the sandbox checkout, the Stripe webhook, receipts, refunds, offline gifts, "My giving"."""
import segno
from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.accounts.service import find_user_by_email
from portal.core.errors import DomainError, IllegalTransition, ValidationFailed
from portal.core.money import parse_amount
from portal.core.pagination import paginate
from portal.core.policy import object_policy, public, signed_in
from portal.core.retry import retrying
from portal.core.web import button_action, done, submit_form
from portal.extensions import csrf, db
from portal.funds.models import Campaign, Fund, Team
from portal.payments import offline, pdf, policy, queries, receipts, review, service, webhooks
from portal.payments import sandbox_checkout as sandbox_buttons
from portal.payments.forms import (
    EmptyForm,
    GiveForm,
    OfflineGiftForm,
    ReasonForm,
    RefundForm,
    new_nonce,
    read_nonce,
)
from portal.payments.models import (
    ALIPAY,
    DISPLAY_MODES,
    MONTHLY,
    OFFLINE_METHODS,
    PENDING,
    PROVIDERS,
    RECURRING_STATUSES,
    STRIPE,
    WECHATPAY,
    Donation,
    RecurringGift,
)
from portal.payments.providers import enabled_provider_names, get_provider
from portal.payments.providers.base import PAGE, QR, ProviderError, SignatureError

bp = Blueprint("payments", __name__)
NONCES_KEPT = 10


def _labels() -> dict:
    return {"status_labels": service.STATUS_LABELS, "provider_labels": PROVIDERS, "display_modes": DISPLAY_MODES,
            "recurring_statuses": RECURRING_STATUSES, "offline_methods": OFFLINE_METHODS,
            "public_name": service.public_donor_name, "policy": policy}


def _success_url(gift, external: bool = True) -> str:
    if isinstance(gift, Donation):
        return url_for("payments.receipt", donation_id=gift.id, _external=external)
    return url_for("payments.recurring_gift", gift_id=gift.id, _external=external)


def _give_url(gift, external: bool = True) -> str:
    if gift.campaign_id:
        return url_for("payments.give_to_campaign", campaign_id=gift.campaign_id, _external=external)
    return url_for("payments.give_to_fund", fund_id=gift.fund_id, _external=external)


# --- the give form ---------------------------------------------------------------------------------

@bp.route("/give/campaign/<int:campaign_id>", methods=["GET", "POST"])
@object_policy(policy.can_give_to_campaign, queries.campaign_for_giving)
@retrying
def give_to_campaign(campaign):
    return _give(campaign.fund, campaign)


@bp.route("/give/fund/<int:fund_id>", methods=["GET", "POST"])
@object_policy(policy.can_give_to_fund, queries.load_fund)
@retrying
def give_to_fund(fund):
    return _give(fund, None)


def _closed_reason(fund: Fund, campaign: Campaign | None) -> str | None:
    if not fund.is_active:
        return _("This fund is not accepting gifts.")
    if campaign is not None:
        try:
            service.ensure_campaign_accepts_gifts(campaign)
        except DomainError as error:  # not a form: why gifts are closed is shown above the form
            return error.message
    return None


def _remember_nonce(nonce: str, gift) -> None:
    kept = dict(session.get("gift_nonces") or {})
    kept[nonce] = ["d" if isinstance(gift, Donation) else "r", gift.id]
    session["gift_nonces"] = dict(list(kept.items())[-NONCES_KEPT:])


def _gift_of_nonce(nonce: str):
    kind, gift_id = (session.get("gift_nonces") or {}).get(nonce) or (None, None)
    if kind is None:
        return None
    gift = db.session.get(Donation if kind == "d" else RecurringGift, gift_id)
    return gift if gift is not None and gift.donor_id == current_user.id else None


def _give(fund: Fund, campaign: Campaign | None):
    providers = enabled_provider_names(online_only=True)
    teams = campaign.teams if campaign is not None else []
    defaults = {"donor_name": current_user.display_name}
    if request.method == "GET" and request.args.get("team", "").isdigit():
        defaults["team"] = request.args["team"]
    form = GiveForm(teams=teams, providers=providers, **defaults)

    def checkout():
        """-> (gift, checkout url), or (gift, None) when this form's gift was already made."""
        nonce = read_nonce(form.nonce.data)
        if nonce is None:
            raise ValidationFailed(_("This form is too old. Check the details and press the button again."))
        gift = _gift_of_nonce(nonce)
        if gift is not None and gift.status != PENDING:
            return gift, None
        if gift is None:
            team = None
            if form.team_id() is not None:
                team = next((t for t in teams if t.id == form.team_id()), None)
                if team is None:
                    raise ValidationFailed(_("Choose a team of this campaign."), field="team")
            gift = service.prepare_gift(
                current_user, fund=fund, campaign=campaign, team=team, amount_minor=form.amount_minor(),
                frequency=form.frequency.data, display_mode=form.display_mode.data,
                donor_name=form.donor_name.data, message=form.message.data, provider_name=form.provider.data,
                currency=form.currency.data or "CNY")
            # the pending gift exists before any provider call, and stays if that call fails
            db.session.commit()
            _remember_nonce(nonce, gift)
        model, gift_id = type(gift), gift.id
        try:
            return gift, service.start_checkout(gift, _success_url(gift), _give_url(gift))
        except IllegalTransition:
            # paid since it was committed above: by this form's earlier submission, or by the donor's other
            # browser that had the same pending gift (prepare_gift reuses it: one intent, one gift); the gift
            # this form meant is made, so the donor is shown it, not an error
            db.session.rollback()
            gift = db.session.get(model, gift_id)
            if gift.status == PENDING:
                raise
            return gift, None

    def checkout_once():
        try:
            return checkout()
        except DomainError:
            # the corrected form is a new submission: a changed amount must not reopen the old checkout
            form.nonce.data = new_nonce()
            raise

    def started(result):
        gift, checkout_url = result
        if checkout_url is None:
            return done(_("This gift was already made; here it is."), _success_url(gift, external=False), "info")
        return redirect(checkout_url, code=303)

    return submit_form(
        form, checkout_once, started,
        lambda status: (render_template("payments/give.html", form=form, fund=fund, campaign=campaign,
                                        closed=_closed_reason(fund, campaign), presets=form.amount_choice,
                                        monthly=MONTHLY, no_monthly=_rails_without_monthly(providers),
                                        **_labels()), status))


def _rails_without_monthly(providers: list[str]) -> list[str]:
    """The enabled ways to pay that take one-off gifts only (the form says so beside the frequency)."""
    return [str(PROVIDERS.get(name, name)) for name in providers if not get_provider(name).supports_monthly]


# --- the sandbox checkout ------------------------------------------------------------------------------

@bp.route("/sandbox/checkout/<token>", methods=["GET", "POST"])
@object_policy(policy.can_use_sandbox_checkout, queries.load_sandbox_gift)
@retrying
def sandbox_checkout(gift):
    form = EmptyForm()
    if request.method == "GET":
        return render_template("payments/sandbox_checkout.html", gift=gift, form=form,
                               is_monthly=isinstance(gift, RecurringGift), **_labels())
    action = request.form.get("action", "")

    def finished(result):
        if action == sandbox_buttons.SANDBOX_PAY:
            return redirect(_success_url(gift, external=False), code=303)
        if action == sandbox_buttons.SANDBOX_FAIL:
            flash(_("The simulated payment failed. Nothing was charged; you can try again."), "error")
        else:
            flash(_("Payment cancelled. Nothing was charged."), "info")
        return redirect(_give_url(gift, external=False), code=303)

    return button_action(lambda: sandbox_buttons.complete_sandbox_checkout(gift, action), finished, request.path,
                         form=form)


# --- the Stripe webhook --------------------------------------------------------------------------------

@bp.route("/webhooks/stripe", methods=["POST"])
@public
@csrf.exempt
@retrying
def stripe_webhook():
    raw_body = request.get_data()
    try:
        provider = get_provider(STRIPE)
        event = provider.parse_webhook(raw_body, request.headers)
    except (DomainError, SignatureError) as error:
        # nothing is stored: a forged, replayed or stale delivery leaves no trace but this answer
        message = error.message if isinstance(error, DomainError) else "invalid signature"
        return jsonify({"error": {"code": "bad_webhook", "message": message, "field": None}}), 400
    outcome = webhooks.receive_and_commit(STRIPE, event)  # the delivery is its own unit of work
    return jsonify({"received": True, "outcome": outcome}), 200


# --- QR rails (WeChat Pay): the pay page, its status, "I have paid", the notification ------------------------

def _qr_svg(payload: str) -> Markup:
    code = segno.make(payload, error="m")
    return Markup(code.svg_inline(scale=6, border=2, omitsize=True, svgclass="qr-code",
                                  title=_("Payment code to scan")))


@bp.route("/give/<int:donation_id>/pay")
@object_policy(policy.can_pay_gift, queries.load_donation)
def pay_gift(donation):
    """Desktop: the QR code to scan; phone: a link to the provider's H5 cashier, which comes back here. Updated by
    static/js/pay_status.js when the gift is confirmed."""
    if donation.status != PENDING:
        return redirect(_success_url(donation, external=False))
    checkout = service.open_checkout(donation)
    if checkout.kind not in (QR, PAGE):
        return redirect(checkout.url, code=303)
    return render_template("payments/pay_qr.html", donation=donation, pay_url=checkout.pay_url,
                           qr=_qr_svg(checkout.qr_payload) if checkout.qr_payload else None,
                           button_form=EmptyForm(), **_labels())


@bp.route("/give/<int:donation_id>/status")
@object_policy(policy.can_pay_gift, queries.load_donation)
def gift_status(donation):
    response = jsonify({"status": donation.status, "label": service.status_label(donation.status),
                        "paid": donation.status in service.SETTLED,
                        "receipt_url": _success_url(donation, external=False)})
    response.headers["Cache-Control"] = "private, no-store"  # polled: always the current state
    return response


@bp.route("/give/<int:donation_id>/check", methods=["POST"])
@object_policy(policy.can_pay_gift, queries.load_donation)
@retrying
def check_gift(donation):
    """"I have paid": ask the provider now instead of waiting for its notification."""
    back = url_for("payments.pay_gift", donation_id=donation.id)

    def ask():
        try:
            return webhooks.query_and_apply(donation)
        except ProviderError as error:
            raise service.PaymentServiceUnavailable() from error

    def answered(outcome):
        if db.session.get(Donation, donation.id).status in service.SETTLED:
            return done(_("Thank you! Your gift is confirmed."), _success_url(donation, external=False))
        if donation.status != PENDING:
            return redirect(_success_url(donation, external=False))
        return done(_("WeChat Pay has not confirmed the payment yet. If you paid, this page updates by itself "
                      "within a few minutes."), back, "info")

    return button_action(ask, answered, back, form=EmptyForm())


@bp.route("/webhooks/wechatpay", methods=["POST"])
@public
@csrf.exempt
@retrying
def wechatpay_webhook():
    """WeChat Pay's notification: 204 with no body when taken (stored, or a replay), else an error JSON (WeChat
    then retries, with backoff, for about a day)."""
    raw_body = request.get_data()
    try:
        provider = get_provider(WECHATPAY)
        event = provider.parse_webhook(raw_body, request.headers)
    except (DomainError, SignatureError):
        # nothing is stored: a forged, stale or undecryptable delivery leaves no trace but this answer
        return jsonify({"code": "FAIL", "message": "signature verification failed"}), 400
    webhooks.receive_and_commit(WECHATPAY, event)
    return Response(status=204)
# --- the Alipay notification -----------------------------------------------------------------------------

@bp.route("/webhooks/alipay", methods=["POST"])
@public
@csrf.exempt
@retrying
def alipay_webhook():
    """Alipay's asynchronous notification: `success` only once it is stored and applied, else `fail`
    (Alipay then delivers it again, up to 8 times over 25 hours)."""
    raw_body = request.get_data()
    try:
        provider = get_provider(ALIPAY)
        event = provider.parse_webhook(raw_body, request.headers)
    except (DomainError, SignatureError):
        # nothing is stored: a forged notification, or one for another app, leaves no trace but this answer
        return Response("fail", status=400, mimetype="text/plain")
    webhooks.receive_and_commit(ALIPAY, event)
    return Response("success", status=200, mimetype="text/plain")


# --- receipts --------------------------------------------------------------------------------------------

@bp.route("/donations/<int:donation_id>/receipt")
@object_policy(policy.can_view_receipt, queries.load_donation)
def receipt(donation):
    return render_template("payments/receipt.html", donation=donation, **_labels())


@bp.route("/donations/<int:donation_id>/receipt.pdf")
@object_policy(policy.can_view_receipt, queries.load_receipted_donation)
def receipt_pdf(donation):
    body = pdf.receipt_pdf(donation, url_for("payments.receipt", donation_id=donation.id, _external=True))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="receipt-{donation.receipt_number}.pdf"',
        "Cache-Control": "private, no-store"})


# --- the treasurer's side: donations, refunds --------------------------------------------------------------

def _render_manage(donation: Donation, refund_form: RefundForm, status: int = 200):
    return render_template("payments/manage_donation.html", donation=donation, refund_form=refund_form,
                           history=queries.history_of(donation), refundable=service.refundable_minor(donation),
                           can_refund=policy.shows_refund_form(current_user, donation),
                           disputes=receipts.disputes_of(donation), **_labels()), status


@bp.route("/donations/<int:donation_id>/manage")
@object_policy(policy.can_view_donation_admin, queries.load_donation)
def manage_donation(donation):
    return _render_manage(donation, RefundForm())


def _refunded(refund):
    if refund.status == "succeeded":
        flash(_("Refunded. The refund is on the public ledger."), "success")
    elif refund.status == "failed":
        flash(_("The payment provider refused the refund. Nothing was refunded."), "error")
    else:
        flash(_("The refund is on its way; it is posted to the ledger when the payment provider confirms it."),
              "info")
    return redirect(url_for("payments.manage_donation", donation_id=refund.donation_id))


@bp.route("/donations/<int:donation_id>/refund", methods=["POST"])
@object_policy(policy.can_refund_donation, queries.load_donation)
@retrying
def refund_donation(donation):
    form = RefundForm()
    return submit_form(
        form, lambda: service.refund_donation(donation, parse_amount(form.amount.data), form.reason.data,
                                              current_user),
        _refunded, lambda status: _render_manage(queries.load_donation(donation.id), form, status))


@bp.route("/funds/<int:fund_id>/donations")
@object_policy(policy.can_view_fund_donations, queries.load_fund)
def fund_donations(fund):
    status = request.args.get("status", "")
    page = paginate(queries.fund_donations_query(fund, status if status in service.STATUS_LABELS else None),
                    per_page=50)
    return render_template("payments/fund_donations.html", fund=fund, page=page, status=status,
                           held=review.payments_held_for_review(fund), **_labels())


# --- offline gifts ------------------------------------------------------------------------------------------

@bp.route("/funds/<int:fund_id>/offline-gifts")
@object_policy(policy.can_review_offline_gifts, queries.load_fund)
def offline_gifts(fund):
    gifts = receipts.offline_gifts_of(fund)
    return render_template("payments/offline_gifts.html", fund=fund, gifts=gifts, button_form=EmptyForm(),
                           reason_form=ReasonForm(),
                           can_record=policy.can_record_offline_gift(current_user, fund), **_labels())


@bp.route("/funds/<int:fund_id>/offline-gifts/new", methods=["GET", "POST"])
@object_policy(policy.can_record_offline_gift, queries.load_fund)
@retrying
def record_offline_gift(fund):
    campaigns = queries.live_campaigns(fund)
    form = OfflineGiftForm(campaigns=campaigns)

    def record():
        campaign = next((c for c in campaigns if str(c.id) == form.campaign.data), None)
        team = db.session.get(Team, int(form.team.data)) if form.team.data.isdigit() else None
        donor = None
        if form.donor_email.data:
            donor = find_user_by_email(form.donor_email.data)
            if donor is None:
                raise ValidationFailed(_("No account uses this email. Leave it empty for a donor without an "
                                         "account."), field="donor_email")
        return offline.record_offline_gift(
            fund, campaign, team, form.donor_name.data, form.display_mode.data,
            parse_amount(form.amount.data), form.method.data, form.receipt_ref.data, current_user, donor=donor)

    return submit_form(
        form, record,
        lambda donation: done(_("Recorded gift %(ref)s. It counts once a second committee member confirms it.",
                                ref=donation.offline_receipt_ref), url_for("payments.offline_gifts", fund_id=fund.id)),
        lambda status: (render_template("payments/offline_gift_form.html", fund=fund, form=form, **_labels()),
                        status))


def _offline_desk(donation: Donation) -> str:
    return url_for("payments.offline_gifts", fund_id=donation.fund_id)


@bp.route("/donations/<int:donation_id>/confirm-offline", methods=["POST"])
@object_policy(policy.can_confirm_offline_gift, queries.load_offline_gift)
@retrying
def confirm_offline_gift(donation):
    return button_action(lambda: offline.confirm_offline_gift(donation, current_user),
                         lambda result: done(_("Confirmed. The gift now counts and is on the public ledger."),
                                             _offline_desk(donation)),
                         _offline_desk(donation))


@bp.route("/donations/<int:donation_id>/reject-offline", methods=["POST"])
@object_policy(policy.can_reject_offline_gift, queries.load_offline_gift)
@retrying
def reject_offline_gift(donation):
    form = ReasonForm()

    def reject():
        if not form.validate():  # said on the list the button is on, like the service's own refusals
            raise ValidationFailed(_("Say why the gift is rejected."), field="reason")
        return offline.reject_offline_gift(donation, current_user, form.reason.data)

    return button_action(reject, lambda result: done(_("Rejected. The gift does not count."), _offline_desk(donation)),
                         _offline_desk(donation))


# --- my giving ------------------------------------------------------------------------------------------

@bp.route("/me/giving")
@signed_in
def my_giving():
    page = paginate(receipts.donations_query(current_user), per_page=20)
    years = receipts.yearly_totals(receipts.counted_donations_of(current_user))
    return render_template("payments/my_giving.html", page=page, donations=page.items,
                           recurring=receipts.recurring_gifts_of(current_user),
                           teams=receipts.teams_of(current_user), years=years, button_form=EmptyForm(), **_labels())


@bp.route("/me/giving/monthly/<int:gift_id>")
@object_policy(policy.can_view_recurring_gift, queries.load_recurring_gift)
def recurring_gift(gift):
    return render_template("payments/recurring_gift.html", gift=gift, cycles=receipts.cycles_of(gift),
                           button_form=EmptyForm(), **_labels())


@bp.route("/me/giving/monthly/<int:gift_id>/cancel", methods=["POST"])
@object_policy(policy.can_cancel_recurring_gift, queries.load_recurring_gift)
@retrying
def cancel_recurring_gift(gift):
    return button_action(lambda: service.cancel_recurring_gift(gift, current_user),
                         lambda result: done(_("Your monthly gift is stopped. Nothing more will be charged."),
                                             url_for("payments.my_giving")),
                         url_for("payments.recurring_gift", gift_id=gift.id))


@bp.route("/me/giving/statement/<int:year>.csv")
@signed_in
def statement_csv(year):
    body = receipts.statement_csv(current_user, year)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="giving-statement-{year}.csv"',
        "Cache-Control": "private, no-store"})


@bp.route("/me/giving/statement/<int:year>.pdf")
@signed_in
def statement_pdf(year):
    rows, total = receipts.statement(current_user, year)
    body = pdf.statement_pdf(current_user, year, rows, total)
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="giving-statement-{year}.pdf"',
        "Cache-Control": "private, no-store"})
