"""Funds: the list, a fund's public page and ledger, setting one up, its management page and its roles."""
from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import roles
from portal.core.page_cache import cached_for_visitors, cached_part, render_part
from portal.core.pagination import paginate
from portal.core.policy import allowed_if, object_policy, public
from portal.core.web import done, submit_form
from portal.funds import disbursements, policy, queries, service
from portal.funds.forms import EmptyForm, FundForm, FundRoleForm
from portal.funds.models import Fund
from portal.funds.views.common import bp, chosen_place, labels, require_button
from portal.places.models import COMMUNITY, STREET


@bp.route("/funds/")
@public
def fund_list():
    places = queries.place_choices()
    place = chosen_place(places)
    page = paginate(queries.fund_list_query(place), per_page=20)
    counts = queries.campaign_counts([fund.id for fund in page.items])
    mine = queries.funds_by_ids(policy.managed_fund_ids(current_user)) if current_user.is_authenticated else []
    return render_template("funds/list.html", page=page, places=places, place=place, counts=counts, mine=mine,
                           can_create=policy.can_create_fund(current_user), **labels())


def _fund_places() -> list:
    """Streets and communities where the current user may set up a fund."""
    return [place for place in queries.place_choices()
            if place.kind in (STREET, COMMUNITY) and policy.can_create_fund_at(current_user, place)]


def _fund_details(form, places) -> dict:
    place = next((p for p in places if str(p.id) == form.place.data), None)
    return {"place": place, "kind": form.kind.data, "name": form.name.data, "description": form.description.data}


@bp.route("/funds/new", methods=["GET", "POST"])
@allowed_if(policy.can_create_fund)
def fund_new():
    places = _fund_places()
    form = FundForm(places=places)
    return submit_form(
        form, lambda: service.create_fund(current_user, **_fund_details(form, places)),
        lambda fund: done(_("The fund “%(name)s” is set up. Appoint its treasurer and committee next.",
                            name=fund.name), url_for("funds.fund_manage", fund_id=fund.id)),
        lambda status: (render_template("funds/fund_form.html", form=form, fund=None, **labels()), status))


@bp.route("/funds/<int:fund_id>")
@cached_for_visitors
@object_policy(policy.can_view_fund, queries.fund_for_page, login=False)
def fund_detail(fund):
    before = request.args.get("before", type=int)
    # every gift, refund and payout moves the stored totals: a part keyed by them shows it at once in every process
    version = (fund.id, before, fund.raised_minor, fund.balance_minor, fund.disbursed_minor, fund.donor_count)
    return render_template("funds/detail.html", fund=fund,
                           public=cached_part("fund", version, lambda: _fund_public(fund, before)), **labels())


def _fund_public(fund: Fund, before: int | None):
    """The figures, bookkeepers, gifts in kind, campaigns and a page of the ledger: the same for every visitor."""
    return render_part("funds/_fund_public.html", fund=fund, ledger=queries.ledger_page(fund, before=before),
                       donors=fund.donor_count, in_kind=queries.in_kind_totals(fund_id=fund.id),
                       campaigns=queries.fund_campaigns(fund), holders=queries.fund_role_holders(fund), **labels())


@bp.route("/funds/<int:fund_id>/edit", methods=["GET", "POST"])
@object_policy(policy.can_edit_fund, queries.fund_for_page)
def fund_edit(fund):
    places = _fund_places()
    if fund.place not in places:
        places.append(fund.place)
    form = FundForm(data={"name": fund.name, "kind": fund.kind, "place": str(fund.place_id),
                          "description": fund.description, "is_active": fund.is_active}, places=places)
    return submit_form(
        form, lambda: service.update_fund(fund, current_user, is_active=form.is_active.data,
                                          **_fund_details(form, places)),
        lambda result: done(_("The fund's details are saved."), url_for("funds.fund_detail", fund_id=fund.id)),
        lambda status: (render_template("funds/fund_form.html", form=form, fund=fund, **labels()), status))


def _render_manage(fund: Fund, role_form=None, status: int = 200):
    return render_template(
        "funds/manage.html", fund=fund, holders=queries.fund_role_holders(fund),
        role_form=role_form or FundRoleForm(), campaigns=queries.fund_campaigns(fund, include_drafts=True),
        disbursements=queries.fund_disbursements(fund), pledges=queries.fund_pledges(fund),
        available=disbursements.available_minor(fund), committed=disbursements.committed_minor(fund.id),
        pending_offline=queries.pending_offline_gifts(fund), button_form=EmptyForm(), **labels()), status


@bp.route("/funds/<int:fund_id>/manage")
@object_policy(policy.can_manage_fund, queries.fund_for_page)
def fund_manage(fund):
    return _render_manage(fund)


@bp.route("/funds/<int:fund_id>/roles", methods=["POST"])
@object_policy(policy.can_grant_fund_roles, queries.fund_for_page)
def fund_role_grant(fund):
    form = FundRoleForm()
    return submit_form(
        form, lambda: service.grant_fund_role(fund, form.email.data, form.role.data, current_user),
        lambda assignment: done(_("%(name)s is now %(role)s of this fund.", name=assignment.user.display_name,
                                  role=roles.ROLE_LABELS[assignment.role]),
                                url_for("funds.fund_manage", fund_id=fund.id)),
        lambda status: _render_manage(queries.fund_for_page(fund.id), role_form=form, status=status))


@bp.route("/funds/<int:fund_id>/roles/<int:assignment_id>/revoke", methods=["POST"])
@object_policy(policy.can_revoke_fund_role, queries.load_fund_role)
def fund_role_revoke(fund_role):
    fund, assignment = fund_role.fund, fund_role.assignment
    require_button()
    name = assignment.user.display_name
    service.revoke_fund_role(fund, assignment, current_user)
    return done(_("%(name)s no longer holds that role on this fund.", name=name),
                url_for("funds.fund_manage", fund_id=fund.id))
