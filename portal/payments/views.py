"""Giving pages, the sandbox checkout, the Stripe webhook, receipts, refunds, offline gifts, "My giving"."""
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.service import find_user_by_email
from portal.audit.models import AuditEvent
from portal.core.errors import DomainError, ValidationFailed
from portal.core.money import parse_amount
from portal.core.pagination import paginate
from portal.core.policy import authorize, object_policy, public, signed_in
from portal.core.retry import retrying
from portal.core.web import show_error
from portal.extensions import csrf, db
from portal.funds import policy as funds_policy
from portal.funds.models import LIVE, Campaign, Fund, Team
from portal.payments import pdf, policy, receipts, service, webhooks
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
    DISPLAY_MODES,
    MONTHLY,
    OFFLINE,
    OFFLINE_METHODS,
    PENDING,
    PROVIDERS,
    RECURRING_STATUSES,
    SANDBOX,
    STRIPE,
    Donation,
    RecurringGift,
)
from portal.payments.providers import enabled_provider_names, get_provider
from portal.payments.providers.base import SignatureError
from portal.payments.providers.sandbox import SESSION_PREFIX

bp = Blueprint("payments", __name__)
NONCES_KEPT = 10


def _labels() -> dict:
    return {"status_labels": service.STATUS_LABELS, "provider_labels": PROVIDERS, "display_modes": DISPLAY_MODES,
            "recurring_statuses": RECURRING_STATUSES, "offline_methods": OFFLINE_METHODS,
            "public_name": service.public_donor_name}


def _load_donation(donation_id: int) -> Donation:
    donation = db.session.scalar(
        select(Donation).options(joinedload(Donation.fund), joinedload(Donation.campaign), joinedload(Donation.team))
        .where(Donation.id == donation_id))
    if donation is None:
        abort(404)
    return donation


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
@object_policy(funds_policy.can_view_campaign)
@retrying
def give_to_campaign(campaign_id):
    campaign = db.session.scalar(select(Campaign).options(joinedload(Campaign.fund), selectinload(Campaign.teams))
                                 .where(Campaign.id == campaign_id))
    if campaign is None:
        abort(404)
    authorize(funds_policy.can_view_campaign(current_user, campaign))
    return _give(campaign.fund, campaign)


@bp.route("/give/fund/<int:fund_id>", methods=["GET", "POST"])
@signed_in
@retrying
def give_to_fund(fund_id):
    fund = db.get_or_404(Fund, fund_id)
    return _give(fund, None)


def _closed_reason(fund: Fund, campaign: Campaign | None) -> str | None:
    if not fund.is_active:
        return _("This fund is not accepting gifts.")
    if campaign is not None:
        try:
            service.ensure_campaign_accepts_gifts(campaign)
        except DomainError as error:
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
    closed = _closed_reason(fund, campaign)
    status = 200
    if form.validate_on_submit():
        nonce = read_nonce(form.nonce.data)
        try:
            if nonce is None:
                raise ValidationFailed(_("This form is too old. Check the details and press the button again."))
            gift = _gift_of_nonce(nonce)
            if gift is not None and gift.status != PENDING:
                flash(_("This gift was already made; here it is."), "info")
                return redirect(_success_url(gift, external=False))
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
            checkout_url = service.start_checkout(gift, _success_url(gift), _give_url(gift))
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
            status = error.status_code
            # the corrected form is a new submission: a changed amount must not reopen the old checkout
            form.nonce.data = new_nonce()
        else:
            return redirect(checkout_url, code=303)
    elif form.is_submitted():
        status = 400
    return render_template("payments/give.html", form=form, fund=fund, campaign=campaign, closed=closed,
                           presets=form.amount_choice, monthly=MONTHLY, **_labels()), status


# --- the sandbox checkout ------------------------------------------------------------------------------

def _sandbox_gift(token: str):
    if SANDBOX not in enabled_provider_names():
        abort(404)
    session_id = SESSION_PREFIX + token
    gift = db.session.scalar(select(Donation).where(Donation.provider == SANDBOX,
                                                    Donation.provider_session_id == session_id))
    if gift is None:
        gift = db.session.scalar(select(RecurringGift).where(RecurringGift.provider == SANDBOX,
                                                             RecurringGift.provider_session_id == session_id))
    if gift is None:
        abort(404)
    return gift


@bp.route("/sandbox/checkout/<token>", methods=["GET", "POST"])
@object_policy(policy.can_use_sandbox_checkout)
@retrying
def sandbox_checkout(token):
    gift = _sandbox_gift(token)
    authorize(policy.can_use_sandbox_checkout(current_user, gift))
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        action = request.form.get("action", "")
        try:
            service.complete_sandbox_checkout(gift, action)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("payments.sandbox_checkout", token=token))
        if action == service.SANDBOX_PAY:
            return redirect(_success_url(gift, external=False), code=303)
        if action == service.SANDBOX_FAIL:
            flash(_("The simulated payment failed. Nothing was charged; you can try again."), "error")
        else:
            flash(_("Payment cancelled. Nothing was charged."), "info")
        return redirect(_give_url(gift, external=False), code=303)
    return render_template("payments/sandbox_checkout.html", gift=gift, form=form,
                           is_monthly=isinstance(gift, RecurringGift), **_labels())


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
    outcome = webhooks.receive_event(STRIPE, event)
    return jsonify({"received": True, "outcome": outcome}), 200


# --- receipts --------------------------------------------------------------------------------------------

@bp.route("/donations/<int:donation_id>/receipt")
@object_policy(policy.can_view_receipt)
def receipt(donation_id):
    donation = _load_donation(donation_id)
    authorize(policy.can_view_receipt(current_user, donation))
    return render_template("payments/receipt.html", donation=donation, **_labels())


@bp.route("/donations/<int:donation_id>/receipt.pdf")
@object_policy(policy.can_view_receipt)
def receipt_pdf(donation_id):
    donation = _load_donation(donation_id)
    authorize(policy.can_view_receipt(current_user, donation) and donation.receipt_number is not None)
    body = pdf.receipt_pdf(donation, url_for("payments.receipt", donation_id=donation.id, _external=True))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="receipt-{donation.receipt_number}.pdf"',
        "Cache-Control": "private, no-store"})


# --- the treasurer's side: donations, refunds --------------------------------------------------------------

def _history(donation: Donation) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).options(joinedload(AuditEvent.actor))
                                   .where(AuditEvent.object_type == "donation",
                                          AuditEvent.object_id == str(donation.id))
                                   .order_by(AuditEvent.created_at, AuditEvent.id)))


def _render_manage(donation: Donation, refund_form: RefundForm, status: int = 200):
    return render_template("payments/manage_donation.html", donation=donation, refund_form=refund_form,
                           history=_history(donation), refundable=service.refundable_minor(donation),
                           can_refund=policy.shows_refund_form(current_user, donation),
                           disputes=receipts.disputes_of(donation), **_labels()), status


@bp.route("/donations/<int:donation_id>/manage")
@object_policy(policy.can_view_donation_admin)
def manage_donation(donation_id):
    donation = _load_donation(donation_id)
    authorize(policy.can_view_donation_admin(current_user, donation))
    return _render_manage(donation, RefundForm())


@bp.route("/donations/<int:donation_id>/refund", methods=["POST"])
@object_policy(policy.can_view_donation_admin)
@retrying
def refund_donation(donation_id):
    donation = _load_donation(donation_id)
    authorize(policy.can_view_donation_admin(current_user, donation))
    form = RefundForm()
    if not form.validate_on_submit():
        return _render_manage(donation, form, 400)
    if not policy.can_refund_donation(current_user, donation):
        abort(403)
    try:
        refund = service.refund_donation(donation, parse_amount(form.amount.data), form.reason.data, current_user)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return _render_manage(_load_donation(donation_id), form, error.status_code)
    if refund.status == "succeeded":
        flash(_("Refunded. The refund is on the public ledger."), "success")
    elif refund.status == "failed":
        flash(_("The payment provider refused the refund. Nothing was refunded."), "error")
    else:
        flash(_("The refund is on its way; it is posted to the ledger when the payment provider confirms it."),
              "info")
    return redirect(url_for("payments.manage_donation", donation_id=donation.id))


@bp.route("/funds/<int:fund_id>/donations")
@object_policy(policy.can_view_fund_donations)
def fund_donations(fund_id):
    fund = db.get_or_404(Fund, fund_id)
    authorize(policy.can_view_fund_donations(current_user, fund))
    status = request.args.get("status", "")
    statement = (select(Donation).options(joinedload(Donation.campaign), joinedload(Donation.team))
                 .where(Donation.fund_id == fund.id).order_by(Donation.created_at.desc(), Donation.id.desc()))
    if status in service.STATUS_LABELS:
        statement = statement.where(Donation.status == status)
    page = paginate(statement, per_page=50)
    return render_template("payments/fund_donations.html", fund=fund, page=page, status=status,
                           held=service.payments_held_for_review(fund), **_labels())


# --- offline gifts ------------------------------------------------------------------------------------------

def _live_campaigns(fund: Fund) -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).options(selectinload(Campaign.teams))
                                   .where(Campaign.fund_id == fund.id, Campaign.status == LIVE)
                                   .order_by(Campaign.title)))


@bp.route("/funds/<int:fund_id>/offline-gifts")
@object_policy(policy.can_review_offline_gifts)
def offline_gifts(fund_id):
    fund = db.get_or_404(Fund, fund_id)
    authorize(policy.can_review_offline_gifts(current_user, fund))
    gifts = receipts.offline_gifts_of(fund)
    return render_template("payments/offline_gifts.html", fund=fund, gifts=gifts, button_form=EmptyForm(),
                           reason_form=ReasonForm(),
                           can_record=policy.can_record_offline_gift(current_user, fund), **_labels())


@bp.route("/funds/<int:fund_id>/offline-gifts/new", methods=["GET", "POST"])
@object_policy(policy.can_record_offline_gift)
@retrying
def record_offline_gift(fund_id):
    fund = db.get_or_404(Fund, fund_id)
    authorize(policy.can_record_offline_gift(current_user, fund))
    campaigns = _live_campaigns(fund)
    form = OfflineGiftForm(campaigns=campaigns)
    if form.validate_on_submit():
        try:
            campaign = next((c for c in campaigns if str(c.id) == form.campaign.data), None)
            team = db.session.get(Team, int(form.team.data)) if form.team.data.isdigit() else None
            donor = None
            if form.donor_email.data:
                donor = find_user_by_email(form.donor_email.data)
                if donor is None:
                    raise ValidationFailed(_("No account uses this email. Leave it empty for a donor without an "
                                             "account."), field="donor_email")
            donation = service.record_offline_gift(
                fund, campaign, team, form.donor_name.data, form.display_mode.data,
                parse_amount(form.amount.data), form.method.data, form.receipt_ref.data, current_user, donor=donor)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("Recorded gift %(ref)s. It counts once a second committee member confirms it.",
                    ref=donation.offline_receipt_ref), "success")
            return redirect(url_for("payments.offline_gifts", fund_id=fund.id))
    status = 400 if form.is_submitted() else 200
    return render_template("payments/offline_gift_form.html", fund=fund, form=form, **_labels()), status


def _decide_offline(donation_id: int, decide):
    donation = _load_donation(donation_id)
    authorize(donation.provider == OFFLINE and policy.can_review_offline_gifts(current_user, donation.fund))
    try:
        decide(donation)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(url_for("payments.offline_gifts", fund_id=donation.fund_id))


@bp.route("/donations/<int:donation_id>/confirm-offline", methods=["POST"])
@object_policy(policy.can_confirm_offline_gift)
@retrying
def confirm_offline_gift(donation_id):
    def decide(donation):
        if not EmptyForm().validate_on_submit():
            raise ValidationFailed(_("The form has expired; reload the page and try again."))
        service.confirm_offline_gift(donation, current_user)
        flash(_("Confirmed. The gift now counts and is on the public ledger."), "success")

    return _decide_offline(donation_id, decide)


@bp.route("/donations/<int:donation_id>/reject-offline", methods=["POST"])
@object_policy(policy.can_reject_offline_gift)
@retrying
def reject_offline_gift(donation_id):
    def decide(donation):
        form = ReasonForm()
        if not form.validate_on_submit():
            raise ValidationFailed(_("Say why the gift is rejected."), field="reason")
        service.reject_offline_gift(donation, current_user, form.reason.data)
        flash(_("Rejected. The gift does not count."), "success")

    return _decide_offline(donation_id, decide)


# --- my giving ------------------------------------------------------------------------------------------

@bp.route("/me/giving")
@signed_in
def my_giving():
    page = paginate(receipts.donations_query(current_user), per_page=20)
    years = receipts.yearly_totals(receipts.counted_donations_of(current_user))
    return render_template("payments/my_giving.html", page=page, donations=page.items,
                           recurring=receipts.recurring_gifts_of(current_user),
                           teams=receipts.teams_of(current_user), years=years, button_form=EmptyForm(), **_labels())


def _load_recurring(gift_id: int) -> RecurringGift:
    gift = db.session.scalar(select(RecurringGift).options(joinedload(RecurringGift.fund),
                                                           joinedload(RecurringGift.campaign))
                             .where(RecurringGift.id == gift_id))
    if gift is None:
        abort(404)
    return gift


@bp.route("/me/giving/monthly/<int:gift_id>")
@object_policy(policy.can_view_recurring_gift)
def recurring_gift(gift_id):
    gift = _load_recurring(gift_id)
    authorize(policy.can_view_recurring_gift(current_user, gift))
    return render_template("payments/recurring_gift.html", gift=gift, cycles=receipts.cycles_of(gift),
                           button_form=EmptyForm(), **_labels())


@bp.route("/me/giving/monthly/<int:gift_id>/cancel", methods=["POST"])
@object_policy(policy.can_view_recurring_gift)
@retrying
def cancel_recurring_gift(gift_id):
    gift = _load_recurring(gift_id)
    authorize(policy.can_view_recurring_gift(current_user, gift))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        service.cancel_recurring_gift(gift, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("payments.recurring_gift", gift_id=gift_id))
    flash(_("Your monthly gift is stopped. Nothing more will be charged."), "success")
    return redirect(url_for("payments.my_giving"))


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
