"""In-kind pledges (goods, skills, time): pledging, and the treasurer receiving, selling or withdrawing them."""
from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.money import parse_amount
from portal.core.policy import object_policy
from portal.core.web import done, submit_form
from portal.funds import in_kind, policy, queries
from portal.funds.forms import PledgeForm, SaleForm
from portal.funds.models import LIVE
from portal.funds.views.common import bp, labels, require_button


@bp.route("/funds/<int:fund_id>/in-kind/new", methods=["GET", "POST"])
@object_policy(policy.can_pledge_in_kind, queries.fund_for_page)
def pledge_new(fund):
    for_others = policy.can_record_in_kind_for_others(current_user, fund)
    campaigns = [c for c in queries.fund_campaigns(fund) if c.status == LIVE]
    form = PledgeForm(campaigns=campaigns, data={"campaign": request.args.get("campaign", "")})
    campaign = next((c for c in campaigns if str(c.id) == form.campaign.data), None)

    def pledge():
        recording_for_other = for_others and bool((form.donor_name.data or "").strip())
        value = form.estimated_value.data
        return in_kind.pledge_in_kind(
            fund, current_user, donor=None if recording_for_other else current_user,
            donor_name=form.donor_name.data if recording_for_other else current_user.display_name,
            display_mode=form.display_mode.data, category=form.category.data,
            description=form.description.data,
            estimated_value_minor=parse_amount(value, field="estimated_value", minimum_minor=0) if value else 0,
            campaign=campaign)

    return submit_form(
        form, pledge,
        lambda result: done(_("Thank you: the pledge is recorded. The treasurer will arrange to receive it."),
                            url_for("funds.campaign_detail", campaign_id=campaign.id) if campaign is not None
                            else url_for("funds.fund_detail", fund_id=fund.id)),
        lambda status: (render_template("funds/pledge_form.html", form=form, fund=fund, for_others=for_others,
                                        **labels()), status))


def _in_kind_desk(pledge) -> str:
    return url_for("funds.fund_manage", fund_id=pledge.fund_id, _anchor="in-kind")


@bp.route("/in-kind/<int:pledge_id>/receive", methods=["POST"])
@object_policy(policy.can_receive_in_kind, queries.pledge_for_page)
def pledge_receive(pledge):
    require_button()
    in_kind.receive_in_kind(pledge, current_user)
    return done(_("Marked as received."), _in_kind_desk(pledge))


@bp.route("/in-kind/<int:pledge_id>/withdraw", methods=["POST"])
@object_policy(policy.can_withdraw_in_kind, queries.pledge_for_page)
def pledge_withdraw(pledge):
    require_button()
    in_kind.withdraw_in_kind(pledge, current_user)
    return done(_("The pledge is withdrawn."),
                _in_kind_desk(pledge) if policy.can_manage_fund(current_user, pledge.fund)
                else url_for("funds.fund_detail", fund_id=pledge.fund_id))


@bp.route("/in-kind/<int:pledge_id>/sell", methods=["GET", "POST"])
@object_policy(policy.can_sell_in_kind, queries.pledge_for_page)
def pledge_sell(pledge):
    form = SaleForm()
    return submit_form(
        form, lambda: in_kind.sell_in_kind(pledge, current_user,
                                           amount_minor=parse_amount(form.amount.data, field="amount"),
                                           method=form.method.data, receipt_ref=form.receipt_ref.data),
        lambda result: done(_("The sale is recorded as a cash gift; a second committee member confirms it before "
                              "it counts."), _in_kind_desk(pledge)),
        lambda status: (render_template("funds/sale_form.html", form=form, pledge=pledge, fund=pledge.fund,
                                        **labels()), status))
