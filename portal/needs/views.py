"""Resident needs: the needs board per place, posting (with duplicate suggestions), backing, triage."""
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.core.pagination import paginate
from portal.core.policy import object_policy, public, signed_in
from portal.core.web import button_action, done, is_safe_next, submit_form
from portal.extensions import db
from portal.needs import policy, service
from portal.needs.forms import DeclineForm, EmptyForm, LinkForm, MergeForm, NeedForm
from portal.needs.models import LINK_TARGETS, NEED_STATUSES, Need
from portal.places.models import KIND_LABELS, Place
from portal.places.service import ancestors_of
from portal.projects.models import CATEGORIES

bp = Blueprint("needs", __name__, url_prefix="/needs")


def _labels() -> dict:
    return {"need_statuses": NEED_STATUSES, "categories": CATEGORIES, "link_targets": LINK_TARGETS,
            "kind_labels": KIND_LABELS, "policy": policy}


def _place(value) -> Place | None:
    return db.session.get(Place, int(value)) if value and str(value).isdigit() else None


# --- the board -------------------------------------------------------------------------------------

@bp.route("/")
@public
def board():
    place = _place(request.args.get("place"))
    status = request.args.get("status", "")
    page = paginate(service.board_query(place, status), per_page=20)
    places = service.places_for_choices()
    return render_template("needs/board.html", page=page, place=place, status=status, places=places,
                           backed=service.backed_ids(current_user, [need.id for need in page.items]),
                           button_form=EmptyForm(), **_labels())


# --- posting ---------------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@signed_in
def new():
    form = NeedForm(places=service.places_for_choices())
    if request.method == "GET" and request.args.get("place"):
        form.place.data = request.args["place"]
    grid_worker = policy.is_grid_worker(current_user)

    def render(status):
        similar = []
        place = _place(form.place.data)
        if form.is_submitted() and place is not None and form.title.data:
            similar = service.similar_needs(place, form.title.data)  # the same suggestions without JavaScript
        return render_template("needs/form.html", form=form, grid_worker=grid_worker, similar=similar,
                               **_labels()), status

    return submit_form(
        form,
        lambda: service.post_need(current_user, _place(form.place.data), form.title.data, form.description.data,
                                  form.affected_group.data, form.affected_count.data or 0, form.category.data,
                                  form.on_behalf_of.data if grid_worker else None),
        lambda need: done(_("Your need is posted. Neighbours can back it; the community worker will look at it."),
                          url_for("needs.detail", need_id=need.id)),
        render)


@bp.route("/similar")
@public
def similar():
    """JSON for the duplicate suggestions shown while a resident types a title."""
    place = _place(request.args.get("place_id"))
    text = request.args.get("q", "").strip()[:120]
    if place is None or not text:
        return jsonify({"needs": []})
    return jsonify({"needs": service.similar_needs(place, text)})


# --- the need page ---------------------------------------------------------------------------------

def _render_detail(need: Need, forms: dict | None = None, status: int = 200):
    forms = forms or {}
    user = current_user
    triage = policy.can_triage_need(user, need)
    context = {"need": need, "ancestors": ancestors_of(need.place), "chain": service.chain_of(need),
               "merged_from": service.merged_from(need), "backed": service.has_backed(need, user),
               "triage": triage, "button_form": EmptyForm(), "show_requester": policy.can_see_requester(user, need),
               "decline_form": forms.get("decline") or DeclineForm(), "merge_form": forms.get("merge") or MergeForm(),
               "link_form": forms.get("link") or LinkForm(), "link_type": forms.get("link_type")}
    if triage and policy.can_merge_need(user, need):
        candidates = service.merge_candidates(need)
        context["merge_form"].merge_into.choices = [SelectChoice("", _("Choose a need"))] + [
            SelectChoice(str(c.id), f"#{c.id} {c.title} (+{c.backing_count})") for c in candidates]
    if triage and policy.can_link_need(user, need):
        context["project_choices"] = service.project_candidates(need)
        context["campaign_choices"] = service.campaign_candidates(need)
    return render_template("needs/detail.html", **context, **_labels()), status


def _detail_with(need: Need, name: str, form, **extra):
    """The need page again with the triage form `name` showing its errors (after undo, so the state before)."""
    return lambda status: _render_detail(service.load_need(need.id), {name: form, **extra}, status)


@bp.route("/<int:need_id>")
@object_policy(policy.can_view_need, service.load_need, login=False)
def detail(need):
    return _render_detail(need)


@bp.route("/<int:need_id>/back", methods=["POST"])
@object_policy(policy.can_back_need, service.load_need)
def back(need):
    def backed(result):
        target = request.form.get("next", "")
        return done(_("You back this need: %(count)d residents now count on it.", count=need.backing_count),
                    target if is_safe_next(target) and target.startswith("/needs/")
                    else url_for("needs.detail", need_id=need.id))

    return button_action(lambda: service.back_need(need, current_user), backed,
                         url_for("needs.detail", need_id=need.id))


@bp.route("/<int:need_id>/accept", methods=["POST"])
@object_policy(policy.can_triage_need, service.load_need)
def accept(need):
    if not EmptyForm().validate_on_submit():
        abort(400)
    service.accept_need(need, current_user)  # a need no longer open is the service's 409
    flash(_("The need is accepted. Link the project or campaign that answers it when there is one."), "success")
    return redirect(url_for("needs.detail", need_id=need.id))


@bp.route("/<int:need_id>/decline", methods=["POST"])
@object_policy(policy.can_triage_need, service.load_need)
def decline(need):
    form = DeclineForm()
    return submit_form(form, lambda: service.decline_need(need, current_user, form.reason.data),
                       lambda result: done(_("The need is declined; its backers see your reason."),
                                      url_for("needs.detail", need_id=need.id)),
                       _detail_with(need, "decline", form))


@bp.route("/<int:need_id>/merge", methods=["POST"])
@object_policy(policy.can_triage_need, service.load_need)
def merge(need):
    form = MergeForm()
    into = service.load_need(int(form.merge_into.data)) if str(form.merge_into.data or "").isdigit() else None
    return submit_form(form, lambda: service.merge_need(need, into, current_user),
                       lambda result: done(_("Merged: the backers now count on “%(title)s”.", title=into.title),
                                      url_for("needs.detail", need_id=into.id)),
                       _detail_with(need, "merge", form))


@bp.route("/<int:need_id>/link", methods=["POST"])
@object_policy(policy.can_triage_need, service.load_need)
def link(need):
    form = LinkForm()
    return submit_form(
        form,
        lambda: service.link_need(need, current_user, form.target_type.data or "", form.target_id.data, form.note.data),
        lambda result: done(_("Linked: residents can follow the need to what answers it."),
                       url_for("needs.detail", need_id=need.id)),
        _detail_with(need, "link", form, link_type=form.target_type.data))
