"""Teams (众筹小分队) and matching pools (配捐): forming, joining and leaving a team, a team's page, matching."""
from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.errors import IllegalTransition
from portal.core.money import format_yuan, parse_amount
from portal.core.policy import object_policy
from portal.core.web import done, submit_form
from portal.funds import policy, queries, service
from portal.funds.forms import EmptyForm, MatchingPoolForm, TeamForm
from portal.funds.models import LIVE
from portal.funds.views.common import bp, labels, require_button

# --- matching pools ----------------------------------------------------------------------------------


@bp.route("/campaigns/<int:campaign_id>/matching/new", methods=["GET", "POST"])
@object_policy(policy.can_create_matching_pool, queries.campaign_for_page)
def matching_pool_new(campaign):
    form = MatchingPoolForm(data={"starts_at": service.local_day(campaign.starts_at),
                                  "ends_at": service.local_day(campaign.ends_at), "ratio_numerator": 1,
                                  "ratio_denominator": 1})

    def create():
        per_donor = form.per_donor_cap.data
        return service.create_matching_pool(
            campaign, current_user, sponsor_name=form.sponsor_name.data,
            ratio_numerator=form.ratio_numerator.data, ratio_denominator=form.ratio_denominator.data,
            cap_minor=parse_amount(form.cap.data, field="cap"),
            per_donor_cap_minor=parse_amount(per_donor, field="per_donor_cap") if per_donor else None,
            starts_at=service.day_start(form.starts_at.data), ends_at=service.day_end(form.ends_at.data))

    return submit_form(
        form, create,
        lambda pool: done(_("Matching is set up; it shows on the campaign page."),
                          url_for("funds.campaign_detail", campaign_id=campaign.id, _anchor="matching")),
        lambda status: (render_template("funds/pool_form.html", form=form, campaign=campaign, **labels()), status))


# --- teams ---------------------------------------------------------------------------------------

@bp.route("/campaigns/<int:campaign_id>/teams/new", methods=["GET", "POST"])
@object_policy(policy.can_create_team, queries.campaign_for_page)
def team_new(campaign):
    if campaign.status != LIVE:  # the form of a campaign that is not live would only ever be refused
        raise IllegalTransition(_("Teams can only be formed while the campaign is live."))
    form = TeamForm()
    return submit_form(
        form, lambda: service.create_team(campaign, current_user, form.name.data,
                                          parse_amount(form.goal.data, field="goal"), form.story.data),
        lambda team: done(_("Your team is formed. Share its page so others join and give."),
                          url_for("funds.team_detail", team_id=team.id)),
        lambda status: (render_template("funds/team_form.html", form=form, campaign=campaign, **labels()), status))


@bp.route("/teams/<int:team_id>")
@object_policy(policy.can_view_team, queries.team_for_page, login=False)
def team_detail(team):
    members = queries.team_members(team)
    member_ids = {member.user_id for member in members}
    my_team = (service.team_of_user_in(team.campaign_id, current_user.id) if current_user.is_authenticated
               else None)
    return render_template("funds/team.html", team=team, campaign=team.campaign, members=members,
                           totals=queries.team_member_totals(team), is_member=current_user.is_authenticated
                           and current_user.id in member_ids, my_team=my_team,
                           donors=team.donor_count, gifts=queries.recent_gifts(team_id=team.id),
                           button_form=EmptyForm(), **labels())


@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@object_policy(policy.can_manage_team, queries.team_for_page)
def team_edit(team):
    form = TeamForm(data={"name": team.name, "goal": format_yuan(team.goal_minor).replace(",", ""),
                          "story": team.story})
    return submit_form(
        form, lambda: service.update_team(team, current_user, form.name.data,
                                          parse_amount(form.goal.data, field="goal"), form.story.data),
        lambda result: done(_("The team is saved."), url_for("funds.team_detail", team_id=team.id)),
        lambda status: (render_template("funds/team_form.html", form=form, campaign=team.campaign, team=team,
                                        **labels()), status))


@bp.route("/teams/<int:team_id>/join", methods=["POST"])
@object_policy(policy.can_join_team, queries.team_for_page)
def team_join(team):
    require_button()
    service.join_team(team, current_user)  # already in a team, or the campaign is over: the 409 page says so
    return done(_("Welcome to “%(team)s”.", team=team.name), url_for("funds.team_detail", team_id=team.id))


@bp.route("/teams/<int:team_id>/leave", methods=["POST"])
@object_policy(policy.can_leave_team, queries.team_for_page)
def team_leave(team):
    require_button()
    service.leave_team(team, current_user)
    return done(_("You have left “%(team)s”.", team=team.name), url_for("funds.team_detail", team_id=team.id))
