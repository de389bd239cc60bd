"""Funds pages: funds and their public ledger, campaigns, teams, matching, disbursements, in-kind pledges."""
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from portal.accounts import roles
from portal.accounts.models import RoleAssignment
from portal.core.errors import DomainError, IllegalTransition
from portal.core.money import format_yuan, parse_amount
from portal.core.pagination import paginate
from portal.core.policy import allowed_if, authorize, forget_assignments, object_policy, public
from portal.core.retry import retrying
from portal.core.uploads import upload_path
from portal.core.web import show_error
from portal.extensions import db
from portal.funds import policy, queries, service
from portal.funds.forms import (
    CampaignForm,
    DecisionForm,
    DisbursementForm,
    EmptyForm,
    FundForm,
    FundRoleForm,
    ImageForm,
    MatchingPoolForm,
    PaymentForm,
    PledgeForm,
    SaleForm,
    TeamForm,
    UpdateForm,
)
from portal.funds.models import (
    CAMPAIGN_STATUSES,
    DISBURSEMENT_STATUSES,
    ENTRY_KINDS,
    FUND_KINDS,
    FUNDING_MODELS,
    IN_KIND_CATEGORIES,
    IN_KIND_STATUSES,
    LIVE,
    PURPOSE_KINDS,
    Campaign,
    CampaignImage,
    Disbursement,
    Fund,
    InKindPledge,
    Team,
)
from portal.places.models import COMMUNITY, KIND_LABELS, STREET

bp = Blueprint("funds", __name__)


def _labels() -> dict:
    return {"fund_kinds": FUND_KINDS, "campaign_statuses": CAMPAIGN_STATUSES, "funding_models": FUNDING_MODELS,
            "purpose_kinds": PURPOSE_KINDS, "disbursement_statuses": DISBURSEMENT_STATUSES,
            "entry_kinds": ENTRY_KINDS, "in_kind_statuses": IN_KIND_STATUSES,
            "in_kind_categories": IN_KIND_CATEGORIES, "role_labels": roles.ROLE_LABELS, "kind_labels": KIND_LABELS,
            "policy": policy, "donor_name": queries.public_donor_name}


@bp.app_template_global()
def give_url(campaign=None, fund=None, team=None) -> str | None:
    """The donation page of payments (None while that page does not exist)."""
    try:
        if campaign is not None:
            return url_for("payments.give_to_campaign", campaign_id=campaign.id,
                           team=team.id if team is not None else None)
        return url_for("payments.give_to_fund", fund_id=fund.id)
    except BuildError:
        return None


@bp.app_template_global()
def optional_url(endpoint: str, **values) -> str | None:
    """A link to another domain's page, or None while that page does not exist."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _undo() -> None:
    """Drop what a failed action wrote, so the re-rendered page shows the state before it."""
    db.session.rollback()
    forget_assignments()


def _fund(fund_id: int) -> Fund:
    fund = db.session.scalar(select(Fund).options(joinedload(Fund.place)).where(Fund.id == fund_id))
    if fund is None:
        abort(404)
    return fund


def _campaign(campaign_id: int) -> Campaign:
    campaign = queries.campaign_for_page(campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _team(team_id: int) -> Team:
    team = db.session.scalar(select(Team).options(joinedload(Team.campaign).joinedload(Campaign.fund)
                                                  .joinedload(Fund.place), joinedload(Team.captain))
                             .where(Team.id == team_id))
    if team is None:
        abort(404)
    return team


def _disbursement(disbursement_id: int) -> Disbursement:
    disbursement = queries.disbursement_of(disbursement_id)
    if disbursement is None:
        abort(404)
    return disbursement


def _pledge(pledge_id: int) -> InKindPledge:
    pledge = db.session.scalar(select(InKindPledge).options(joinedload(InKindPledge.fund).joinedload(Fund.place))
                               .where(InKindPledge.id == pledge_id))
    if pledge is None:
        abort(404)
    return pledge


def _id_or_none(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _chosen_place(places):
    place_id = request.args.get("place", "")
    return next((place for place in places if str(place.id) == place_id), None)


def _require_buttons_form() -> None:
    if not EmptyForm().validate_on_submit():
        abort(400)


# --- funds ---------------------------------------------------------------------------------------

@bp.route("/funds/")
@public
def fund_list():
    places = queries.place_choices()
    place = _chosen_place(places)
    page = paginate(queries.fund_list_query(place), per_page=20)
    counts = queries.campaign_counts([fund.id for fund in page.items])
    mine = queries.funds_by_ids(policy.managed_fund_ids(current_user)) if current_user.is_authenticated else []
    return render_template("funds/list.html", page=page, places=places, place=place, counts=counts, mine=mine,
                           can_create=policy.can_create_fund(current_user), **_labels())


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
    if form.validate_on_submit():
        try:
            fund = service.create_fund(current_user, **_fund_details(form, places))
        except DomainError as error:
            _undo()
            show_error(form, error)
        else:
            flash(_("The fund “%(name)s” is set up. Appoint its treasurer and committee next.", name=fund.name),
                  "success")
            return redirect(url_for("funds.fund_manage", fund_id=fund.id))
    status = 400 if form.is_submitted() else 200
    return render_template("funds/fund_form.html", form=form, fund=None, **_labels()), status


@bp.route("/funds/<int:fund_id>")
@object_policy(policy.can_view_fund, login=False)
def fund_detail(fund_id):
    fund = _fund(fund_id)
    authorize(policy.can_view_fund(current_user, fund))
    return render_template("funds/detail.html", fund=fund, ledger=queries.ledger_page(fund),
                           donors=queries.donor_count(fund_id=fund.id),
                           in_kind=queries.in_kind_totals(fund_id=fund.id),
                           campaigns=queries.fund_campaigns(fund), holders=queries.fund_role_holders(fund),
                           **_labels())


@bp.route("/funds/<int:fund_id>/edit", methods=["GET", "POST"])
@object_policy(policy.can_edit_fund)
def fund_edit(fund_id):
    fund = _fund(fund_id)
    authorize(policy.can_edit_fund(current_user, fund))
    places = _fund_places()
    if fund.place not in places:
        places.append(fund.place)
    form = FundForm(data={"name": fund.name, "kind": fund.kind, "place": str(fund.place_id),
                          "description": fund.description, "is_active": fund.is_active}, places=places)
    if form.validate_on_submit():
        try:
            service.update_fund(fund, current_user, is_active=form.is_active.data, **_fund_details(form, places))
        except DomainError as error:
            _undo()
            show_error(form, error)
        else:
            flash(_("The fund's details are saved."), "success")
            return redirect(url_for("funds.fund_detail", fund_id=fund.id))
    status = 400 if form.is_submitted() else 200
    return render_template("funds/fund_form.html", form=form, fund=fund, **_labels()), status


def _render_manage(fund: Fund, role_form=None, status: int = 200):
    return render_template(
        "funds/manage.html", fund=fund, holders=queries.fund_role_holders(fund),
        role_form=role_form or FundRoleForm(), campaigns=queries.fund_campaigns(fund, include_drafts=True),
        disbursements=queries.fund_disbursements(fund), pledges=queries.fund_pledges(fund),
        available=service.available_minor(fund), committed=service.committed_minor(fund.id),
        pending_offline=queries.pending_offline_gifts(fund), button_form=EmptyForm(), **_labels()), status


@bp.route("/funds/<int:fund_id>/manage")
@object_policy(policy.can_manage_fund)
def fund_manage(fund_id):
    fund = _fund(fund_id)
    authorize(policy.can_manage_fund(current_user, fund))
    return _render_manage(fund)


@bp.route("/funds/<int:fund_id>/roles", methods=["POST"])
@object_policy(policy.can_grant_fund_roles)
def fund_role_grant(fund_id):
    fund = _fund(fund_id)
    authorize(policy.can_manage_fund(current_user, fund))
    if not policy.can_grant_fund_roles(current_user, fund):
        abort(403)
    form = FundRoleForm()
    if form.validate_on_submit():
        try:
            assignment = service.grant_fund_role(fund, form.email.data, form.role.data, current_user)
        except DomainError as error:
            _undo()
            show_error(form, error)
        else:
            flash(_("%(name)s is now %(role)s of this fund.", name=assignment.user.display_name,
                    role=roles.ROLE_LABELS[assignment.role]), "success")
            return redirect(url_for("funds.fund_manage", fund_id=fund.id))
    return _render_manage(fund, role_form=form, status=400)


@bp.route("/funds/<int:fund_id>/roles/<int:assignment_id>/revoke", methods=["POST"])
@object_policy(policy.can_grant_fund_roles)
def fund_role_revoke(fund_id, assignment_id):
    fund = _fund(fund_id)
    authorize(policy.can_manage_fund(current_user, fund))
    if not policy.can_grant_fund_roles(current_user, fund):
        abort(403)
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.scope_type != roles.SCOPE_FUND or assignment.scope_id != fund.id:
        abort(404)
    _require_buttons_form()
    name = assignment.user.display_name
    service.revoke_fund_role(fund, assignment, current_user)
    flash(_("%(name)s no longer holds that role on this fund.", name=name), "success")
    return redirect(url_for("funds.fund_manage", fund_id=fund.id))


# --- campaigns -----------------------------------------------------------------------------------

def _campaign_details(form) -> dict:
    """Form -> service arguments; amounts and days are parsed here (errors carry the form's field names)."""
    return {"title": form.title.data, "summary": form.summary.data, "story_md": form.story_md.data,
            "goal_minor": parse_amount(form.goal.data, field="goal"),
            "starts_at": service.day_start(form.starts_at.data) if form.starts_at.data else None,
            "ends_at": service.day_end(form.ends_at.data) if form.ends_at.data else None,
            "funding_model": form.funding_model.data, "purpose_kind": form.purpose_kind.data,
            "purpose_text": form.purpose_text.data, "purpose_object_id": _id_or_none(form.purpose_object_id.data)}


@bp.route("/funds/<int:fund_id>/campaigns/new", methods=["GET", "POST"])
@object_policy(policy.can_create_campaign)
def campaign_new(fund_id):
    fund = _fund(fund_id)
    authorize(policy.can_create_campaign(current_user, fund))
    form = CampaignForm()
    if form.validate_on_submit():
        try:
            campaign = service.create_campaign(fund, current_user, **_campaign_details(form))
        except DomainError as error:
            _undo()
            show_error(form, error)
        else:
            flash(_("The campaign is saved as a draft. Add pictures, then publish it."), "success")
            return redirect(url_for("funds.campaign_edit", campaign_id=campaign.id))
    status = 400 if form.is_submitted() else 200
    return render_template("funds/campaign_form.html", form=form, fund=fund, campaign=None, **_labels()), status


@bp.route("/campaigns/")
@public
def campaign_list():
    places = queries.place_choices()
    place = _chosen_place(places)
    sort = request.args.get("sort", "ending")
    if sort not in queries.CAMPAIGN_SORTS:
        sort = "ending"
    page = paginate(queries.campaign_list_query(place, sort), per_page=12)
    teams = queries.team_counts([campaign.id for campaign in page.items])
    return render_template("funds/campaigns.html", page=page, places=places, place=place, sort=sort, teams=teams,
                           **_labels())


@bp.route("/campaigns/<int:campaign_id>")
@object_policy(policy.can_view_campaign, login=False)
def campaign_detail(campaign_id):
    campaign = _campaign(campaign_id)
    authorize(policy.can_view_campaign(current_user, campaign))
    try:
        service.ensure_campaign_accepts_gifts(campaign)
        closed_reason = None
    except DomainError as error:
        closed_reason = error.message
    my_team = (service.team_of_user_in(campaign.id, current_user.id) if current_user.is_authenticated else None)
    return render_template(
        "funds/campaign.html", campaign=campaign, fund=campaign.fund, closed_reason=closed_reason,
        donors=queries.donor_count(campaign_id=campaign.id), gifts=queries.recent_gifts(campaign_id=campaign.id),
        teams=queries.team_leaderboard(campaign), members=queries.member_leaderboard(campaign),
        pools=queries.matching_pools(campaign), in_kind=queries.in_kind_totals(campaign_id=campaign.id),
        my_team=my_team, button_form=EmptyForm(), refunds_owed=service.gifts_left_to_refund(campaign),
        **_labels())


def _campaign_initial(campaign: Campaign) -> dict:
    return {"title": campaign.title, "summary": campaign.summary, "story_md": campaign.story_md,
            "goal": format_yuan(campaign.goal_minor).replace(",", ""),
            "starts_at": service.local_day(campaign.starts_at), "ends_at": service.local_day(campaign.ends_at),
            "funding_model": campaign.funding_model, "purpose_kind": campaign.purpose_kind,
            "purpose_text": campaign.purpose_text, "purpose_object_id": str(campaign.purpose_object_id or "")}


def _render_campaign_edit(campaign: Campaign, form, image_form=None, status: int = 200):
    return render_template("funds/campaign_form.html", form=form, fund=campaign.fund, campaign=campaign,
                           image_form=image_form or ImageForm(), button_form=EmptyForm(), **_labels()), status


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@object_policy(policy.can_edit_campaign)
def campaign_edit(campaign_id):
    campaign = _campaign(campaign_id)
    authorize(policy.can_edit_campaign(current_user, campaign))
    initial = _campaign_initial(campaign)
    form = CampaignForm(data=initial)
    if form.validate_on_submit():
        try:
            service.update_campaign(campaign, current_user, **_campaign_details(form))
        except DomainError as error:
            _undo()
            show_error(form, error)
        else:
            flash(_("The campaign is saved."), "success")
            return redirect(url_for("funds.campaign_detail", campaign_id=campaign.id))
    return _render_campaign_edit(_campaign(campaign_id), form, status=400 if form.is_submitted() else 200)


def _lifecycle(campaign_id: int, step, message: str):
    campaign = _campaign(campaign_id)
    authorize(policy.can_run_campaign(current_user, campaign))
    _require_buttons_form()
    try:
        step(campaign, current_user)
    except DomainError as error:
        if error.status_code == 400:  # e.g. the end day has passed: say so on the campaign page
            _undo()
            flash(error.message, "error")
            return redirect(url_for("funds.campaign_detail", campaign_id=campaign_id))
        raise
    flash(message, "success")
    return redirect(url_for("funds.campaign_detail", campaign_id=campaign_id))


@bp.route("/campaigns/<int:campaign_id>/publish", methods=["POST"])
@object_policy(policy.can_run_campaign)
def campaign_publish(campaign_id):
    return _lifecycle(campaign_id, service.publish_campaign, _("The campaign is live."))


@bp.route("/campaigns/<int:campaign_id>/finish", methods=["POST"])
@object_policy(policy.can_run_campaign)
def campaign_finish(campaign_id):
    return _lifecycle(campaign_id, service.finish_campaign, _("The campaign is finished."))


@bp.route("/campaigns/<int:campaign_id>/close", methods=["POST"])
@object_policy(policy.can_run_campaign)
def campaign_close(campaign_id):
    return _lifecycle(campaign_id, service.close_campaign, _("The campaign is closed."))


@bp.route("/campaigns/<int:campaign_id>/images", methods=["POST"])
@object_policy(policy.can_edit_campaign)
def campaign_image_add(campaign_id):
    campaign = _campaign(campaign_id)
    authorize(policy.can_edit_campaign(current_user, campaign))
    image_form = ImageForm()
    if image_form.validate_on_submit():
        try:
            service.add_campaign_image(campaign, current_user, image_form.image.data, image_form.caption.data)
        except DomainError as error:
            _undo()
            show_error(image_form, error)
        else:
            flash(_("The picture is added."), "success")
            return redirect(url_for("funds.campaign_edit", campaign_id=campaign.id))
    campaign = _campaign(campaign_id)
    form = CampaignForm(data=_campaign_initial(campaign), formdata=None)
    return _render_campaign_edit(campaign, form, image_form=image_form, status=400)


@bp.route("/campaigns/<int:campaign_id>/images/<int:image_id>")
@object_policy(policy.can_view_campaign_image, login=False)
def campaign_image(campaign_id, image_id):
    campaign = _campaign(campaign_id)
    authorize(policy.can_view_campaign_image(current_user, campaign))
    image = db.session.get(CampaignImage, image_id)
    if image is None or image.campaign_id != campaign.id:
        abort(404)
    path = upload_path(image.storage_key)
    if not path.is_file():
        abort(404)
    mimetype = "image/png" if image.storage_key.endswith(".png") else "image/jpeg"
    return send_file(path, mimetype=mimetype, max_age=86400)


@bp.route("/campaigns/<int:campaign_id>/images/<int:image_id>/remove", methods=["POST"])
@object_policy(policy.can_edit_campaign)
def campaign_image_remove(campaign_id, image_id):
    campaign = _campaign(campaign_id)
    authorize(policy.can_edit_campaign(current_user, campaign))
    image = db.session.get(CampaignImage, image_id)
    if image is None or image.campaign_id != campaign.id:
        abort(404)
    _require_buttons_form()
    service.remove_campaign_image(image, current_user)
    flash(_("The picture is removed."), "success")
    return redirect(url_for("funds.campaign_edit", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/updates/new", methods=["GET", "POST"])
@object_policy(policy.can_post_update)
def campaign_update_new(campaign_id):
    campaign = _campaign(campaign_id)
    authorize(policy.can_post_update(current_user, campaign))
    form = UpdateForm()
    if form.validate_on_submit():
        try:
            service.post_campaign_update(campaign, current_user, form.title.data, form.body_md.data)
        except DomainError as error:
            _undo()
            show_error(form, error)
        else:
            flash(_("The update is posted."), "success")
            return redirect(url_for("funds.campaign_detail", campaign_id=campaign.id, _anchor="updates"))
    status = 400 if form.is_submitted() else 200
    return render_template("funds/update_form.html", form=form, campaign=campaign, **_labels()), status


# --- matching pools ----------------------------------------------------------------------------------

@bp.route("/campaigns/<int:campaign_id>/matching/new", methods=["GET", "POST"])
@object_policy(policy.can_create_matching_pool)
def matching_pool_new(campaign_id):
    campaign = _campaign(campaign_id)
    authorize(policy.can_create_matching_pool(current_user, campaign))
    form = MatchingPoolForm(data={"starts_at": service.local_day(campaign.starts_at),
                                  "ends_at": service.local_day(campaign.ends_at), "ratio_numerator": 1,
                                  "ratio_denominator": 1})
    if form.validate_on_submit():
        try:
            per_donor = form.per_donor_cap.data
            service.create_matching_pool(
                campaign, current_user, sponsor_name=form.sponsor_name.data,
                ratio_numerator=form.ratio_numerator.data, ratio_denominator=form.ratio_denominator.data,
                cap_minor=parse_amount(form.cap.data, field="cap"),
                per_donor_cap_minor=parse_amount(per_donor, field="per_donor_cap") if per_donor else None,
                starts_at=service.day_start(form.starts_at.data), ends_at=service.day_end(form.ends_at.data))
        except DomainError as error:
            _undo()
            show_error(form, error)
        else:
            flash(_("Matching is set up; it shows on the campaign page."), "success")
            return redirect(url_for("funds.campaign_detail", campaign_id=campaign.id, _anchor="matching"))
    status = 400 if form.is_submitted() else 200
    return render_template("funds/pool_form.html", form=form, campaign=campaign, **_labels()), status


# --- teams ---------------------------------------------------------------------------------------

@bp.route("/campaigns/<int:campaign_id>/teams/new", methods=["GET", "POST"])
@object_policy(policy.can_create_team)
def team_new(campaign_id):
    campaign = _campaign(campaign_id)
    authorize(policy.can_view_campaign(current_user, campaign))
    if not policy.can_create_team(current_user, campaign):
        raise IllegalTransition(_("Teams can only be formed while the campaign is live."))
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = service.create_team(campaign, current_user, form.name.data,
                                       parse_amount(form.goal.data, field="goal"), form.story.data)
        except DomainError as error:
            _undo()
            show_error(form, error)
        else:
            flash(_("Your team is formed. Share its page so others join and give."), "success")
            return redirect(url_for("funds.team_detail", team_id=team.id))
    status = 400 if form.is_submitted() else 200
    return render_template("funds/team_form.html", form=form, campaign=campaign, **_labels()), status


@bp.route("/teams/<int:team_id>")
@object_policy(policy.can_view_team, login=False)
def team_detail(team_id):
    team = _team(team_id)
    authorize(policy.can_view_team(current_user, team))
    members = queries.team_members(team)
    member_ids = {member.user_id for member in members}
    my_team = (service.team_of_user_in(team.campaign_id, current_user.id) if current_user.is_authenticated
               else None)
    return render_template("funds/team.html", team=team, campaign=team.campaign, members=members,
                           totals=queries.team_member_totals(team), is_member=current_user.is_authenticated
                           and current_user.id in member_ids, my_team=my_team,
                           donors=queries.donor_count(team_id=team.id), gifts=queries.recent_gifts(team_id=team.id),
                           button_form=EmptyForm(), **_labels())


@bp.route("/teams/<int:team_id>/join", methods=["POST"])
@object_policy(policy.can_view_team)
def team_join(team_id):
    team = _team(team_id)
    authorize(policy.can_view_team(current_user, team))
    _require_buttons_form()
    service.join_team(team, current_user)
    flash(_("Welcome to “%(team)s”.", team=team.name), "success")
    return redirect(url_for("funds.team_detail", team_id=team.id))


@bp.route("/teams/<int:team_id>/leave", methods=["POST"])
@object_policy(policy.can_view_team)
def team_leave(team_id):
    team = _team(team_id)
    authorize(policy.can_view_team(current_user, team))
    _require_buttons_form()
    service.leave_team(team, current_user)
    flash(_("You have left “%(team)s”.", team=team.name), "success")
    return redirect(url_for("funds.team_detail", team_id=team.id))


# --- disbursements -------------------------------------------------------------------------------

def _requestable_organisations():
    from portal.orgs.models import VERIFIED, Organisation

    ids = [a.scope_id for a in current_user.role_assignments
           if a.role == roles.ORG_ADMIN and a.scope_type == roles.SCOPE_ORGANISATION]
    if policy.is_admin(current_user) or any(a.role == roles.COMMUNITY_WORKER for a in current_user.role_assignments):
        statement = select(Organisation).where(Organisation.status == VERIFIED)
    else:
        statement = select(Organisation).where(Organisation.status == VERIFIED, Organisation.id.in_(ids))
    return list(db.session.scalars(statement.order_by(Organisation.name).limit(500)))


@bp.route("/funds/<int:fund_id>/disbursements/new", methods=["GET", "POST"])
@object_policy(policy.can_request_disbursement)
def disbursement_new(fund_id):
    fund = _fund(fund_id)
    authorize(policy.can_request_disbursement(current_user, fund))
    organisations = _requestable_organisations()
    form = DisbursementForm(campaigns=queries.fund_campaigns(fund), organisations=organisations)
    if form.validate_on_submit():
        campaign = db.session.get(Campaign, int(form.campaign.data)) if form.campaign.data else None
        organisation = next((o for o in organisations if str(o.id) == form.organisation.data), None)
        try:
            disbursement = service.request_disbursement(
                fund, current_user, purpose=form.purpose.data, payee=form.payee.data,
                amount_minor=parse_amount(form.amount.data, field="amount"), campaign=campaign,
                organisation=organisation, project_id=_id_or_none(form.project_id.data))
        except DomainError as error:
            _undo()
            show_error(form, error)
        else:
            flash(_("The request is sent to the fund's committee."), "success")
            return redirect(url_for("funds.disbursement_detail", disbursement_id=disbursement.id))
    status = 400 if form.is_submitted() else 200
    return render_template("funds/disbursement_form.html", form=form, fund=fund,
                           available=service.available_minor(fund), **_labels()), status


def _render_disbursement(disbursement: Disbursement, decision_form=None, payment_form=None, status: int = 200):
    return render_template("funds/disbursement.html", disbursement=disbursement, fund=disbursement.fund,
                           decision_form=decision_form or DecisionForm(), payment_form=payment_form or PaymentForm(),
                           available=service.available_minor(disbursement.fund), **_labels()), status


@bp.route("/disbursements/<int:disbursement_id>")
@object_policy(policy.can_view_disbursement)
def disbursement_detail(disbursement_id):
    disbursement = _disbursement(disbursement_id)
    authorize(policy.can_view_disbursement(current_user, disbursement))
    return _render_disbursement(disbursement)


def _decide(disbursement_id: int, approve: bool):
    disbursement = _disbursement(disbursement_id)
    authorize(policy.can_decide_for_fund(current_user, disbursement.fund))
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_disbursement(disbursement, decision_form=form, status=400)
    try:
        if approve:
            service.approve_disbursement(disbursement, current_user, form.reason.data)
        else:
            service.reject_disbursement(disbursement, current_user, form.reason.data)
    except DomainError as error:
        _undo()
        show_error(form, error)
        return _render_disbursement(_disbursement(disbursement_id), decision_form=form, status=error.status_code)
    flash(_("The request is approved; the treasurer can pay it now.") if approve
          else _("The request is rejected; the requester sees your reason."), "success")
    return redirect(url_for("funds.disbursement_detail", disbursement_id=disbursement_id))


@bp.route("/disbursements/<int:disbursement_id>/approve", methods=["POST"])
@object_policy(policy.can_decide_for_fund)
def disbursement_approve(disbursement_id):
    return _decide(disbursement_id, approve=True)


@bp.route("/disbursements/<int:disbursement_id>/reject", methods=["POST"])
@object_policy(policy.can_decide_for_fund)
def disbursement_reject(disbursement_id):
    return _decide(disbursement_id, approve=False)


@bp.route("/disbursements/<int:disbursement_id>/pay", methods=["POST"])
@object_policy(policy.can_pay_for_fund)
@retrying
def disbursement_pay(disbursement_id):
    disbursement = _disbursement(disbursement_id)
    authorize(policy.can_pay_for_fund(current_user, disbursement.fund))
    form = PaymentForm()
    if form.validate_on_submit():
        try:
            service.pay_disbursement(disbursement, current_user, form.reference.data)
        except DomainError as error:
            _undo()
            show_error(form, error)
            return _render_disbursement(_disbursement(disbursement_id), payment_form=form,
                                        status=error.status_code)
        flash(_("The payment is recorded and shows on the public ledger."), "success")
        return redirect(url_for("funds.disbursement_detail", disbursement_id=disbursement_id))
    return _render_disbursement(disbursement, payment_form=form, status=400)


# --- in-kind pledges -------------------------------------------------------------------------------

@bp.route("/funds/<int:fund_id>/in-kind/new", methods=["GET", "POST"])
@object_policy(policy.can_pledge_in_kind)
def pledge_new(fund_id):
    fund = _fund(fund_id)
    authorize(policy.can_pledge_in_kind(current_user, fund))
    for_others = policy.can_record_in_kind_for_others(current_user, fund)
    campaigns = [c for c in queries.fund_campaigns(fund) if c.status == LIVE]
    form = PledgeForm(campaigns=campaigns, data={"campaign": request.args.get("campaign", "")})
    if form.validate_on_submit():
        campaign = next((c for c in campaigns if str(c.id) == form.campaign.data), None)
        recording_for_other = for_others and bool((form.donor_name.data or "").strip())
        try:
            value = form.estimated_value.data
            service.pledge_in_kind(
                fund, current_user, donor=None if recording_for_other else current_user,
                donor_name=form.donor_name.data if recording_for_other else current_user.display_name,
                display_mode=form.display_mode.data, category=form.category.data,
                description=form.description.data,
                estimated_value_minor=parse_amount(value, field="estimated_value", minimum_minor=0) if value else 0,
                campaign=campaign)
        except DomainError as error:
            _undo()
            show_error(form, error)
        else:
            flash(_("Thank you: the pledge is recorded. The treasurer will arrange to receive it."), "success")
            if campaign is not None:
                return redirect(url_for("funds.campaign_detail", campaign_id=campaign.id))
            return redirect(url_for("funds.fund_detail", fund_id=fund.id))
    status = 400 if form.is_submitted() else 200
    return render_template("funds/pledge_form.html", form=form, fund=fund, for_others=for_others,
                           **_labels()), status


@bp.route("/in-kind/<int:pledge_id>/receive", methods=["POST"])
@object_policy(policy.can_handle_in_kind)
def pledge_receive(pledge_id):
    pledge = _pledge(pledge_id)
    authorize(policy.can_handle_in_kind(current_user, pledge.fund))
    _require_buttons_form()
    service.receive_in_kind(pledge, current_user)
    flash(_("Marked as received."), "success")
    return redirect(url_for("funds.fund_manage", fund_id=pledge.fund_id, _anchor="in-kind"))


@bp.route("/in-kind/<int:pledge_id>/withdraw", methods=["POST"])
@object_policy(policy.can_withdraw_pledge_of)
def pledge_withdraw(pledge_id):
    pledge = _pledge(pledge_id)
    authorize(policy.can_withdraw_pledge_of(current_user, pledge))
    _require_buttons_form()
    service.withdraw_in_kind(pledge, current_user)
    flash(_("The pledge is withdrawn."), "success")
    if policy.can_manage_fund(current_user, pledge.fund):
        return redirect(url_for("funds.fund_manage", fund_id=pledge.fund_id, _anchor="in-kind"))
    return redirect(url_for("funds.fund_detail", fund_id=pledge.fund_id))


@bp.route("/in-kind/<int:pledge_id>/sell", methods=["GET", "POST"])
@object_policy(policy.can_handle_in_kind)
def pledge_sell(pledge_id):
    pledge = _pledge(pledge_id)
    authorize(policy.can_handle_in_kind(current_user, pledge.fund))
    form = SaleForm()
    if form.validate_on_submit():
        try:
            service.sell_in_kind(pledge, current_user, amount_minor=parse_amount(form.amount.data, field="amount"),
                                 method=form.method.data, receipt_ref=form.receipt_ref.data)
        except DomainError as error:
            if error.status_code != 400:
                raise
            _undo()
            show_error(form, error)
        else:
            flash(_("The sale is recorded as a cash gift; a second committee member confirms it before it counts."),
                  "success")
            return redirect(url_for("funds.fund_manage", fund_id=pledge.fund_id, _anchor="in-kind"))
    status = 400 if form.is_submitted() else 200
    return render_template("funds/sale_form.html", form=form, pledge=pledge, fund=pledge.fund, **_labels()), status
