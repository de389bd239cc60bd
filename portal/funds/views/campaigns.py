"""Campaigns: the list, a campaign's page, writing and editing one, its lifecycle buttons, pictures, updates."""
from flask import abort, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.errors import DomainError
from portal.core.money import format_yuan, parse_amount
from portal.core.page_cache import cached_for_visitors, cached_part, render_part
from portal.core.pagination import paginate
from portal.core.policy import object_policy, public
from portal.core.uploads import upload_path
from portal.core.web import button_action, done, submit_form
from portal.funds import policy, queries, service
from portal.funds.forms import CampaignForm, EmptyForm, ImageForm, UpdateForm
from portal.funds.models import Campaign
from portal.funds.views.common import bp, chosen_place, id_or_none, labels, require_button


def _campaign_details(form) -> dict:
    """Form -> service arguments; amounts and days are parsed here (errors carry the form's field names)."""
    return {"title": form.title.data, "summary": form.summary.data, "story_md": form.story_md.data,
            "goal_minor": parse_amount(form.goal.data, field="goal"),
            "starts_at": service.day_start(form.starts_at.data) if form.starts_at.data else None,
            "ends_at": service.day_end(form.ends_at.data) if form.ends_at.data else None,
            "funding_model": form.funding_model.data, "purpose_kind": form.purpose_kind.data,
            "purpose_text": form.purpose_text.data, "purpose_object_id": id_or_none(form.purpose_object_id.data)}


@bp.route("/funds/<int:fund_id>/campaigns/new", methods=["GET", "POST"])
@object_policy(policy.can_create_campaign, queries.fund_for_page)
def campaign_new(fund):
    form = CampaignForm()
    return submit_form(
        form, lambda: service.create_campaign(fund, current_user, **_campaign_details(form)),
        lambda campaign: done(_("The campaign is saved as a draft. Add pictures, then publish it."),
                              url_for("funds.campaign_edit", campaign_id=campaign.id)),
        lambda status: (render_template("funds/campaign_form.html", form=form, fund=fund, campaign=None,
                                        **labels()), status))


@bp.route("/campaigns/")
@public
def campaign_list():
    places = queries.place_choices()
    place = chosen_place(places)
    sort = request.args.get("sort", "ending")
    if sort not in queries.CAMPAIGN_SORTS:
        sort = "ending"
    page = paginate(queries.campaign_list_query(place, sort), per_page=12)
    teams = queries.team_counts([campaign.id for campaign in page.items])
    return render_template("funds/campaigns.html", page=page, places=places, place=place, sort=sort, teams=teams,
                           **labels())


@bp.route("/campaigns/<int:campaign_id>")
@cached_for_visitors
@object_policy(policy.can_view_campaign, queries.campaign_for_page, login=False)
def campaign_detail(campaign):
    try:
        service.ensure_campaign_accepts_gifts(campaign)
        closed_reason = None
    except DomainError as error:  # not a form: the reason gifts are closed is shown on the page
        closed_reason = error.message
    my_team = None
    if current_user.is_authenticated:  # kept like the public part; joining is the person's own write, so fresh
        my_team = cached_part("my_team", (campaign.id, current_user.id),
                              lambda: queries.team_ref_of(campaign.id, current_user.id))
    # a gift moves the stored total or donor count, so a part keyed by them shows it at once in every process
    version = (campaign.id, campaign.raised_minor, campaign.donor_count, campaign.status)
    return render_template(
        "funds/campaign.html", campaign=campaign, fund=campaign.fund, closed_reason=closed_reason,
        donors=campaign.donor_count, public=cached_part("campaign", version, lambda: _campaign_public(campaign)),
        my_team=my_team, refunds_owed=service.gifts_left_to_refund(campaign), **labels())


def _campaign_public(campaign: Campaign) -> dict:
    """Matching, teams, leaderboards, latest gifts and gifts in kind: the same for every visitor."""
    teams = queries.team_leaderboard(campaign)
    html = render_part(
        "funds/_campaign_public.html", campaign=campaign, fund=campaign.fund, teams=teams,
        gifts=queries.recent_gifts(campaign_id=campaign.id), members=queries.member_leaderboard(campaign),
        pools=queries.matching_pools(campaign), in_kind=queries.in_kind_totals(campaign_id=campaign.id), **labels())
    return {"html": html, "teams": len(teams)}


def _campaign_initial(campaign: Campaign) -> dict:
    return {"title": campaign.title, "summary": campaign.summary, "story_md": campaign.story_md,
            "goal": format_yuan(campaign.goal_minor).replace(",", ""),
            "starts_at": service.local_day(campaign.starts_at), "ends_at": service.local_day(campaign.ends_at),
            "funding_model": campaign.funding_model, "purpose_kind": campaign.purpose_kind,
            "purpose_text": campaign.purpose_text, "purpose_object_id": str(campaign.purpose_object_id or "")}


def _render_campaign_edit(campaign: Campaign, form, image_form=None, status: int = 200):
    return render_template("funds/campaign_form.html", form=form, fund=campaign.fund, campaign=campaign,
                           image_form=image_form or ImageForm(), button_form=EmptyForm(), **labels()), status


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@object_policy(policy.can_edit_campaign, queries.campaign_for_page)
def campaign_edit(campaign):
    form = CampaignForm(data=_campaign_initial(campaign))
    return submit_form(
        form, lambda: service.update_campaign(campaign, current_user, **_campaign_details(form)),
        lambda result: done(_("The campaign is saved."), url_for("funds.campaign_detail", campaign_id=campaign.id)),
        lambda status: _render_campaign_edit(queries.campaign_for_page(campaign.id), form, status=status))


def _lifecycle(campaign: Campaign, step, message: str):
    """A lifecycle button. What differs from button_action: only a refused input (400, e.g. the end day has
    passed) is said on the campaign page; an illegal step (publishing twice) stays the 409 page."""
    back = url_for("funds.campaign_detail", campaign_id=campaign.id)
    return button_action(lambda: step(campaign, current_user), lambda result: done(message, back), back,
                         flash_statuses=(400,))


@bp.route("/campaigns/<int:campaign_id>/publish", methods=["POST"])
@object_policy(policy.can_run_campaign, queries.campaign_for_page)
def campaign_publish(campaign):
    return _lifecycle(campaign, service.publish_campaign, _("The campaign is live."))


@bp.route("/campaigns/<int:campaign_id>/finish", methods=["POST"])
@object_policy(policy.can_run_campaign, queries.campaign_for_page)
def campaign_finish(campaign):
    return _lifecycle(campaign, service.finish_campaign, _("The campaign is finished."))


@bp.route("/campaigns/<int:campaign_id>/close", methods=["POST"])
@object_policy(policy.can_run_campaign, queries.campaign_for_page)
def campaign_close(campaign):
    return _lifecycle(campaign, service.close_campaign, _("The campaign is closed."))


@bp.route("/campaigns/<int:campaign_id>/images", methods=["POST"])
@object_policy(policy.can_edit_campaign, queries.campaign_for_page)
def campaign_image_add(campaign):
    image_form = ImageForm()

    def render(status):
        reloaded = queries.campaign_for_page(campaign.id)
        form = CampaignForm(data=_campaign_initial(reloaded), formdata=None)
        return _render_campaign_edit(reloaded, form, image_form=image_form, status=status)

    return submit_form(
        image_form,
        lambda: service.add_campaign_image(campaign, current_user, image_form.image.data, image_form.caption.data),
        lambda image: done(_("The picture is added."), url_for("funds.campaign_edit", campaign_id=campaign.id)),
        render)


@bp.route("/campaigns/<int:campaign_id>/images/<int:image_id>")
@object_policy(policy.can_view_campaign_image, queries.load_campaign_image, login=False)
def campaign_image(image):
    path = upload_path(image.storage_key)
    if not path.is_file():
        abort(404)
    mimetype = "image/png" if image.storage_key.endswith(".png") else "image/jpeg"
    return send_file(path, mimetype=mimetype, max_age=86400)


@bp.route("/campaigns/<int:campaign_id>/images/<int:image_id>/remove", methods=["POST"])
@object_policy(policy.can_remove_campaign_image, queries.load_campaign_image)
def campaign_image_remove(image):
    require_button()
    campaign_id = image.campaign_id
    service.remove_campaign_image(image, current_user)
    return done(_("The picture is removed."), url_for("funds.campaign_edit", campaign_id=campaign_id))


@bp.route("/campaigns/<int:campaign_id>/updates/new", methods=["GET", "POST"])
@object_policy(policy.can_post_update, queries.campaign_for_page)
def campaign_update_new(campaign):
    form = UpdateForm()
    return submit_form(
        form, lambda: service.post_campaign_update(campaign, current_user, form.title.data, form.body_md.data),
        lambda update: done(_("The update is posted."),
                            url_for("funds.campaign_detail", campaign_id=campaign.id, _anchor="updates")),
        lambda status: (render_template("funds/update_form.html", form=form, campaign=campaign, **labels()),
                        status))
