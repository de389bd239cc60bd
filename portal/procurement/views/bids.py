"""Procurement views: sealed bids (the form, receipts, withdrawal, "my bids"), the opening record, a bidder's
own content after the opening, and abnormally-low-price reviews. Also the bidding section of a call's page
(registered with sections.call_page_sections; create_app imports this module in _wire_domain_hooks)."""
from urllib.parse import quote

from flask import Response, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from portal.core.errors import ValidationFailed
from portal.core.policy import allowed_if, object_policy
from portal.core.time import utcnow
from portal.core.web import button_action, done, submit_form
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.procurement import bids as service
from portal.procurement import loaders, lowprice, opening, policy, sealing, sections
from portal.procurement.bid_forms import BidForm, DecisionForm, ExplanationForm, ReplaceBidForm, WithdrawForm
from portal.procurement.evaluation import recused_organisation_ids
from portal.procurement.models import (
    ASKED,
    BID_STATUSES,
    CALL_STATUSES,
    EXPLAINED,
    LOW_PRICE_STATUSES,
    PUBLISHED,
    SUBMITTED,
    WITHDRAWN,
    Bid,
)
from portal.procurement.views import bp

RECEIPT_ACTIONS = {"submitted": _l("Submitted"), "replaced": _l("Replaced"), "withdrawn": _l("Withdrawn")}


def _labels() -> dict:
    return {"bid_statuses": BID_STATUSES, "call_statuses": CALL_STATUSES, "low_price_statuses": LOW_PRICE_STATUSES,
            "rule_labels": lowprice.RULE_LABELS, "receipt_actions": RECEIPT_ACTIONS, "policy": policy}


def _call_url(call) -> str | None:
    """The call's public page (views/calls.py), when that page exists."""
    try:
        return url_for("procurement.call_detail", call_id=call.id)
    except BuildError:
        return None


def _my_organisations() -> list[Organisation]:
    ids = policy.organisation_ids_administered(current_user)
    if not ids:
        return []
    return list(db.session.scalars(select(Organisation).where(Organisation.id.in_(sorted(ids)))
                                   .order_by(Organisation.name)))


def _pick(items, value):
    """The item of `items` whose id the form sent (a tampered id of another call's lot finds nothing)."""
    return next((item for item in items if str(item.id) == str(value)), None)


def _receipt_url(bid) -> str:
    return url_for("procurement.bid_receipt", call_id=bid.call_id, bid_id=bid.id)


# --- the bid form --------------------------------------------------------------------------------------
@bp.route("/calls/<int:call_id>/bid", methods=["GET", "POST"])
@object_policy(policy.can_bid, loaders.load_call)
def bid_new(call):
    organisations = _my_organisations()
    problems = {o.id: service.eligibility_problem(call, o) for o in organisations}
    # only the organisations that may bid are offered; the others are listed with the reason they may not
    eligible = [o for o in organisations if problems[o.id] is None]
    form = BidForm(organisations=eligible, lots=call.lots)
    if not form.is_submitted():
        form.organisation.data = str(eligible[0].id) if eligible else None
        form.lot.data = str(call.lots[0].id) if call.lots else None

    def action():
        organisation = _pick(eligible, form.organisation.data)
        if organisation is None:
            raise ValidationFailed(_("Choose one of your organisations."), field="organisation")
        return service.submit_bid(call, _pick(call.lots, form.lot.data), organisation, current_user, form.draft())

    def render(status):
        return render_template("procurement/bid_form.html", call=call, form=form, bid=None, problems=problems,
                               organisations=organisations, eligible=eligible, **_labels()), status

    return submit_form(form, action,
                       lambda receipt: done(_("Your bid is sealed. Keep the receipt: its SHA-256 is what the opening "
                                              "record will show."),
                                            url_for("procurement.bid_receipt", call_id=call.id,
                                                    bid_id=receipt.bid_id)),
                       render)


@bp.route("/calls/<int:call_id>/bids/<int:bid_id>/replace", methods=["GET", "POST"])
@object_policy(policy.can_manage_bid, loaders.load_bid)
def bid_replace(bid):
    form = ReplaceBidForm()

    def render(status):
        return render_template("procurement/bid_form.html", call=bid.call, form=form, bid=bid, problems={},
                               organisations=[bid.organisation], **_labels()), status

    return submit_form(form, lambda: service.replace_bid(bid, current_user, form.draft()),
                       lambda receipt: done(_("Your bid is replaced and sealed again under a new receipt."),
                                            _receipt_url(bid)),
                       render)


@bp.route("/calls/<int:call_id>/bids/<int:bid_id>/withdraw", methods=["POST"])
@object_policy(policy.can_manage_bid, loaders.load_bid)
def bid_withdraw(bid):
    return button_action(lambda: service.withdraw_bid(bid, current_user),
                         lambda receipt: done(_("Your bid is withdrawn; it will not be opened."), _receipt_url(bid)),
                         _receipt_url(bid), form=WithdrawForm())


# --- receipts and "my bids" -----------------------------------------------------------------------------
@bp.route("/calls/<int:call_id>/bids/<int:bid_id>/receipt")
@object_policy(policy.can_manage_bid, loaders.load_bid)
def bid_receipt(bid):
    opening.open_if_due(bid.call)
    review = lowprice.reviews_of_call(bid.call_id).get(bid.id)
    return render_template("procurement/bid_receipt.html", bid=bid, call=bid.call, receipts=service.receipts_of(bid),
                           opened=service.is_opened(bid.call), review=review, call_url=_call_url(bid.call),
                           withdraw_form=WithdrawForm(),
                           taking_bids=bid.call.status == PUBLISHED and bid.status == SUBMITTED, **_labels())


@bp.route("/calls/<int:call_id>/bids/<int:bid_id>/content.json")
@object_policy(policy.can_manage_bid, loaders.load_bid)
def bid_content(bid):
    """The bidder's own canonical content after the opening: its SHA-256 is the receipt's."""
    opening.open_if_due(bid.call)
    content = service.read_bid_content(bid)
    return Response(sealing.canonical(content), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="bid-{bid.id}-v{bid.version}.json"'})


@bp.route("/calls/<int:call_id>/bids/<int:bid_id>/files/<int:file_id>")
@object_policy(policy.can_read_bid_file, loaders.load_bid_file)
def bid_file(bid_file):
    """A file of an opened bid, decrypted for its bidder, the buyer and the panel (not a recused evaluator)."""
    call = bid_file.bid.call
    data = service.read_bid_file(bid_file, current_user, recused_organisation_ids(call, current_user))
    name = bid_file.original_name.replace('"', "")
    return Response(data, mimetype=bid_file.content_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                             "X-Content-Type-Options": "nosniff"})


@bp.route("/my-bids")
@allowed_if(policy.is_bidder_admin)
def my_bids():
    rows = service.bids_of_organisations(policy.organisation_ids_administered(current_user))
    return render_template("procurement/my_bids.html", bids=rows, is_opened=service.is_opened, **_labels())


# --- the opening record --------------------------------------------------------------------------------
@bp.route("/calls/<int:call_id>/opening")
@object_policy(policy.can_view_opening, loaders.load_call)
def opening_record(call):
    opening.open_if_due(call)
    if not service.is_opened(call):
        raise service.BidNotOpened(_("The bids have not been opened yet: they open after the deadline."))
    bids = opening.opening_record(call)
    mine = policy.organisation_ids_administered(current_user)
    own_receipts = {}
    for bid in bids:
        if bid.organisation_id in mine:
            own_receipts[bid.id] = service.receipts_of(bid)
    return render_template("procurement/opening_record.html", call=call, bids=bids, mine=mine,
                           own_receipts=own_receipts, call_url=_call_url(call),
                           reviews=lowprice.reviews_of_call(call.id), **_labels())


# --- abnormally low prices -----------------------------------------------------------------------------
@bp.route("/calls/<int:call_id>/bids/<int:bid_id>/low-price", methods=["GET", "POST"])
@object_policy(policy.can_explain_low_price, loaders.load_low_price_review)
def low_price_explain(review):
    form = ExplanationForm()
    if not form.is_submitted() and review.explanation:
        form.explanation.data = review.explanation

    def render(status):
        return render_template("procurement/low_price_explain.html", review=review, bid=review.bid,
                               call=review.bid.call, form=form, **_labels()), status

    return submit_form(form, lambda: lowprice.explain(review, current_user, form.explanation.data),
                       lambda result: done(_("Your explanation is sent to the buyer."), _receipt_url(review.bid)),
                       render)


@bp.route("/calls/<int:call_id>/bids/<int:bid_id>/low-price/decide", methods=["GET", "POST"])
@object_policy(policy.can_decide_low_price, loaders.load_low_price_review)
def low_price_decide(review):
    form = DecisionForm()

    def render(status):
        return render_template("procurement/low_price_decide.html", review=review, bid=review.bid,
                               call=review.bid.call, form=form, may_reject=lowprice.may_reject_now(review),
                               **_labels()), status

    return submit_form(form, lambda: lowprice.decide(review, current_user, form.decision.data == "accept",
                                                     form.reason.data),
                       lambda result: done(_("The decision is recorded and the bidder can read it."),
                                           url_for("procurement.opening_record", call_id=review.bid.call_id)),
                       render)


# --- the call page's bidding section -------------------------------------------------------------------
@sections.call_page_sections.register
def bidding_section(call, user):
    """For a bidder: its bids on this call and what it may do; after the opening, for everyone, the number of
    bids; for the buyer and the bidders, the opening record."""
    if call.status == "draft":
        return None
    opened = service.is_opened(call)
    organisation_ids = policy.organisation_ids_administered(user) if user.is_authenticated else set()
    own = []
    if organisation_ids:
        own = list(db.session.scalars(select(Bid).where(Bid.call_id == call.id,
                                                        Bid.organisation_id.in_(sorted(organisation_ids)))
                                      .order_by(Bid.lot_id, Bid.id)))
    count = None
    if opened:
        count = db.session.scalar(select(func.count()).select_from(Bid).where(
            Bid.call_id == call.id, Bid.status != WITHDRAWN)) or 0
    may_bid = call.status == PUBLISHED and utcnow() < call.bids_until and policy.can_bid(user, call)
    sees_opening = opened and (bool(own) or policy.can_manage_call(user, call))
    if not (own or may_bid or opened):
        return None
    return "procurement/_call_bidding.html", {
        "call": call, "own_bids": own, "bid_count": count, "may_bid": may_bid, "opened": opened,
        "sees_opening": sees_opening, "bid_statuses": BID_STATUSES}


@sections.buyer_actions.register
def low_price_actions(call):
    """The workbench: each flagged price the buyer may now decide (explained, or its time to explain over)."""
    if call.opened_at is None:
        return []
    return [(_("Decide on an abnormally low price"),
             url_for("procurement.low_price_decide", call_id=call.id, bid_id=review.bid_id))
            for review in lowprice.reviews_of_call(call.id).values()
            if review.status in (ASKED, EXPLAINED) and lowprice.may_reject_now(review)]
