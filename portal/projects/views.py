"""Service projects: the public list and project page, posting and editing, results, updates, ratings."""
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError

from portal.core.page_cache import cached_for_visitors, cached_part, render_part
from portal.core.pagination import paginate
from portal.core.policy import allowed_if, object_policy, public, signed_in
from portal.core.uploads import upload_path
from portal.core.web import button_action, done, submit_form
from portal.extensions import db
from portal.places.models import KIND_LABELS, Place
from portal.projects import policy, results, service
from portal.projects.forms import (
    EmptyForm,
    IndicatorForm,
    PhotoForm,
    ProjectForm,
    RatingForm,
    ReplyForm,
    ReportForm,
    ReviewForm,
    StatusForm,
    UpdateForm,
)
from portal.projects.models import (
    CATEGORIES,
    DELIVERY_MODELS,
    DIRECTIONS,
    DRAFT,
    PROJECT_STATUSES,
    REPORT_STATUSES,
    RETURNED,
    SERVICE_TYPES,
    IndicatorReport,
    ServiceProject,
)

bp = Blueprint("projects", __name__, url_prefix="/projects")

# what the buttons say for each lifecycle step
STEP_LABELS = {"published": _l("Publish"), "in_progress": _l("Start the service"),
               "completed": _l("Mark as completed"), "cancelled": _l("Cancel the project")}


def _labels() -> dict:
    return {"categories": CATEGORIES, "service_types": SERVICE_TYPES, "delivery_models": DELIVERY_MODELS,
            "project_statuses": PROJECT_STATUSES, "report_statuses": REPORT_STATUSES, "directions": DIRECTIONS,
            "kind_labels": KIND_LABELS, "policy": policy}


def _details(form: ProjectForm) -> service.ProjectDetails:
    wanted = {int(value) for value in form.places.data or [] if str(value).isdigit()}
    places = list(db.session.scalars(select(Place).where(Place.id.in_(wanted)))) if wanted else []
    return service.ProjectDetails(
        title=form.title.data, summary=form.summary.data, description_md=form.description_md.data,
        category=form.category.data, service_type=form.service_type.data, delivery_model=form.delivery_model.data,
        target_groups=form.target_groups.data, places=places, starts_on=form.starts_on.data,
        ends_on=form.ends_on.data, budget=form.budget.data, funding_sources=form.funding_sources.data,
        beneficiaries_target=form.beneficiaries_target.data)


# --- the public list -------------------------------------------------------------------------------

@bp.route("/")
@cached_for_visitors
@public
def index():
    own = policy.organisation_ids_of(current_user) if current_user.is_authenticated else []
    if own:  # a member also sees the organisation's drafts: their list is theirs alone
        return render_template("projects/index.html", listing=_project_listing(current_user))
    return render_template("projects/index.html",
                           listing=cached_part("projects", (request.full_path,), lambda: _project_listing(None)))


def _project_listing(viewer):
    """The search form, the filters and one page of projects, as `viewer` may see them (None: the public)."""
    search = request.args.get("q", "").strip()[:100]
    category = request.args.get("category", "")
    status = request.args.get("status", "")
    organisation_id = request.args.get("organisation", "", type=str)
    organisation_id = int(organisation_id) if organisation_id.isdigit() else None
    places = service.place_options()
    place_id = request.args.get("place", "")
    place = next((p for p in places if str(p.id) == place_id), None)
    if place is None and place_id.isdigit():
        place = db.session.get(Place, int(place_id))  # a grid or district from a link elsewhere
    organisations = service.organisations_for_filter(viewer)
    page = paginate(service.projects_query(viewer, search, category, status, organisation_id, place), per_page=20)
    filtered = bool(search or category in CATEGORIES or status in PROJECT_STATUSES or organisation_id or place)
    return render_part("projects/_list_public.html", request=request, page=page, search=search, category=category,
                       status=status, organisation_id=organisation_id, organisations=organisations, places=places,
                       place=place, filtered=filtered, show_drafts=viewer is not None, **_labels())


# --- posting and editing ---------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@signed_in
def new():
    organisations = service.organisations_for(current_user)
    if not organisations:
        return render_template("projects/no_organisation.html"), 200
    form = ProjectForm(organisations=organisations, places=service.places_for_choices())
    if request.method == "GET" and request.args.get("organisation"):
        form.organisation.data = request.args["organisation"]

    def create():
        organisation = next((o for o in organisations if str(o.id) == form.organisation.data), None)
        if organisation is None:
            abort(404)
        return service.create_project(organisation, current_user, _details(form))

    return submit_form(form, create,
                       lambda project: done(_("The draft is saved. Add indicators and photos, then publish it."),
                                            url_for("projects.detail", project_id=project.id)),
                       lambda status: (render_template("projects/form.html", form=form, project=None, **_labels()),
                                       status))


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@object_policy(policy.can_manage_project, service.load_project)
def edit(project):
    service.check_editable(project)
    initial = {"organisation": str(project.organisation_id), "title": project.title, "summary": project.summary,
               "description_md": project.description_md, "category": project.category,
               "service_type": project.service_type, "delivery_model": project.delivery_model,
               "target_groups": project.target_groups, "places": [str(link.place_id) for link in project.places],
               "starts_on": project.starts_on, "ends_on": project.ends_on,
               "budget": f"{project.budget_minor / 100:.2f}".removesuffix(".00"),
               "funding_sources": project.funding_sources, "beneficiaries_target": str(project.beneficiaries_target)}
    form = ProjectForm(data=initial, organisations=[project.organisation], places=service.places_for_choices())
    form.organisation.data = str(project.organisation_id)  # the organisation of a project never changes
    return submit_form(form, lambda: service.update_project(project, current_user, _details(form)),
                       lambda result: done(_("The project is saved."),
                                           url_for("projects.detail", project_id=project.id)),
                       lambda status: (render_template("projects/form.html", form=form, project=project,
                                                       **_labels()), status))


@bp.route("/<int:project_id>/status", methods=["POST"])
@object_policy(policy.can_manage_project, service.load_project)
def change_status(project):
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    service.change_status(project, form.status.data or "", current_user)  # an illegal step is a 409
    flash(_("The project is now “%(status)s”.", status=PROJECT_STATUSES[project.status]), "success")
    return redirect(url_for("projects.detail", project_id=project.id))


# --- the project page ------------------------------------------------------------------------------

def _optional_url(endpoint: str, **values) -> str | None:
    """A link to a page another engineer builds alongside (volunteering); None until the route exists."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _render_detail(project: ServiceProject, forms: dict | None = None, status: int = 200):
    forms = forms or {}
    user = current_user
    manage = policy.can_manage_project(user, project)
    own_rating = service.rating_of(project, user)
    rating_form = forms.get("rating") or RatingForm(
        data={"score": str(own_rating.score), "comment": own_rating.comment} if own_rating else None)
    context = {
        "project": project, "results": results.results_of(project),
        "reports": results.reports_of(project,
                                      approved_only=not policy.can_see_unapproved_reports(user, project)),
        "updates": service.updates_of(project), "ratings": service.ratings_of(project),
        "average_rating": service.average_rating(project), "own_rating": own_rating,
        "following": service.is_following(project, user), "can_manage": manage,
        "transitions": sorted(service.TRANSITIONS[project.status], key=list(STEP_LABELS).index) if manage else [],
        "step_labels": STEP_LABELS, "needs": service.needs_answered(project),
        "volunteer_summary": service.volunteer_summary(project.id),
        "volunteer_url": _optional_url("volunteering.project_opportunities", project_id=project.id),
        "update_form": forms.get("update") or UpdateForm(),
        "rating_form": rating_form, "reply_forms": forms.get("reply", {}), "button_form": EmptyForm(),
    }
    return render_template("projects/detail.html", **context, **_labels()), status


def _detail_with(project_id: int, forms: dict):
    """The project page again with a form showing its errors (reloaded after undo: the state before)."""
    return lambda status: _render_detail(service.load_project(project_id), forms, status)


@bp.route("/<int:project_id>")
@object_policy(policy.can_view_project, service.load_project, login=False)
def detail(project):
    return _render_detail(project)


@bp.route("/<int:project_id>/photos/<int:photo_id>")
@object_policy(policy.can_view_photo, service.load_photo, login=False)
def photo(item):
    path = upload_path(item.storage_key)
    if not path.is_file():
        abort(404)
    mimetype = "image/png" if item.storage_key.endswith(".png") else "image/jpeg"
    return send_file(path, mimetype=mimetype, max_age=3600 if item.project.status != DRAFT else 0)


# --- photos ----------------------------------------------------------------------------------------

@bp.route("/<int:project_id>/photos", methods=["GET", "POST"])
@object_policy(policy.can_manage_project, service.load_project)
def photos(project):
    form = PhotoForm()
    project_id = project.id
    return submit_form(form, lambda: service.add_photo(project, form.photo.data, form.caption.data, current_user),
                       lambda result: done(_("The photo is added."), url_for("projects.photos", project_id=project_id)),
                       lambda status: (render_template("projects/photos.html", project=service.load_project(project_id),
                                                       form=form, button_form=EmptyForm(), **_labels()), status))


@bp.route("/<int:project_id>/photos/<int:photo_id>/remove", methods=["POST"])
@object_policy(policy.can_remove_photo, service.load_photo)
def remove_photo(item):
    if not EmptyForm().validate_on_submit():
        abort(400)
    service.remove_photo(item, current_user)
    flash(_("The photo is removed."), "success")
    return redirect(url_for("projects.photos", project_id=item.project_id))


# --- indicators and reports ------------------------------------------------------------------------

@bp.route("/<int:project_id>/indicators", methods=["GET", "POST"])
@object_policy(policy.can_manage_project, service.load_project)
def indicators(project):
    form = IndicatorForm()
    project_id = project.id

    def render(status):
        reloaded = service.load_project(project_id)
        return render_template("projects/indicators.html", project=reloaded, form=form,
                               results=results.results_of(reloaded), **_labels()), status

    return submit_form(form, lambda: results.add_indicator(project, current_user, form.name.data, form.unit.data,
                                                           form.baseline.data, form.target.data, form.direction.data),
                       lambda indicator: done(_("“%(name)s” is added.", name=indicator.name),
                                              url_for("projects.indicators", project_id=project_id)),
                       render)


@bp.route("/<int:project_id>/indicators/<int:indicator_id>/edit", methods=["GET", "POST"])
@object_policy(policy.can_edit_indicator, results.load_indicator)
def edit_indicator(indicator):
    form = IndicatorForm(data={"name": indicator.name, "unit": indicator.unit,
                               "baseline": _plain(indicator.baseline), "target": _plain(indicator.target),
                               "direction": indicator.direction})
    project_id = indicator.project_id
    return submit_form(form, lambda: results.update_indicator(indicator, current_user, form.name.data,
                                                              form.unit.data, form.baseline.data, form.target.data,
                                                              form.direction.data),
                       lambda result: done(_("The indicator is saved."),
                                           url_for("projects.indicators", project_id=project_id)),
                       lambda status: (render_template("projects/indicator_form.html", project=indicator.project,
                                                       indicator=indicator, form=form, **_labels()), status))


def _plain(value) -> str:
    text = f"{value:.2f}" if value is not None else ""
    return text.rstrip("0").rstrip(".") if "." in text else text


@bp.route("/<int:project_id>/indicators/<int:indicator_id>/report", methods=["GET", "POST"])
@object_policy(policy.can_report_result, results.load_indicator)
def new_report(indicator):
    project = indicator.project
    initial = None
    corrects = None
    if request.method == "GET" and request.args.get("corrects", "").isdigit():
        # "submit a corrected report": start from the returned one
        corrects = db.session.get(IndicatorReport, int(request.args["corrects"]))
        if corrects is not None and corrects.indicator_id == indicator.id and corrects.status == RETURNED:
            initial = {"period_start": corrects.period_start, "period_end": corrects.period_end,
                       "actual": _plain(corrects.actual), "narrative": corrects.narrative}
        else:
            corrects = None
    form = ReportForm(data=initial)
    if request.method == "GET" and project.status not in service.REPORTABLE_STATUSES:
        flash(_("Results are reported once the project is in progress."), "info")
    return submit_form(form, lambda: results.submit_report(indicator, current_user, form.period_start.data,
                                                           form.period_end.data, form.actual.data,
                                                           form.narrative.data,
                                                           request.files.getlist(form.evidence.name)),
                       lambda report: done(_("The report is sent to the community worker for review."),
                                           url_for("projects.report", project_id=report.indicator.project_id,
                                                   report_id=report.id)),
                       lambda status: (render_template("projects/report_form.html", project=indicator.project,
                                                       indicator=indicator, form=form, corrects=corrects,
                                                       **_labels()), status))


def _render_report(report, form=None, status=200):
    return render_template("projects/report.html", project=report.indicator.project, report=report,
                           previous=results.previous_approved(report), review_form=form or ReviewForm(),
                           **_labels()), status


@bp.route("/<int:project_id>/reports/<int:report_id>")
@object_policy(policy.can_view_report, results.load_report, login=False)
def report(report):
    return _render_report(report)


@bp.route("/<int:project_id>/reports/<int:report_id>/review", methods=["POST"])
@object_policy(policy.can_review_report, results.load_report)
def review_report(report):
    form = ReviewForm()
    if form.is_submitted() and form.decision.data not in ("approve", "return"):
        abort(400)  # the page's two buttons are the only decisions: anything else is a tampered form
    approve = form.decision.data == "approve"
    project_id, report_id = report.indicator.project_id, report.id
    return submit_form(form, lambda: results.review_report(report, current_user, approve, form.comment.data),
                       lambda result: done(_("The report is approved; its value now counts.") if approve else
                                           _("The report is returned to the organisation with your comment."),
                                           url_for("projects.report", project_id=project_id, report_id=report_id)),
                       lambda status: _render_report(results.load_report(project_id, report_id), form, status))


@bp.route("/<int:project_id>/reports/<int:report_id>/evidence/<int:evidence_id>")
@object_policy(policy.can_view_evidence, results.load_evidence, login=False)
def evidence(item):
    path = upload_path(item.storage_key)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=item.content_type, as_attachment=item.content_type == "application/pdf",
                         download_name=item.original_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/reviews")
@allowed_if(policy.can_review_reports)
def reviews():
    page = paginate(results.reports_to_review_query(current_user), per_page=20)
    return render_template("projects/reviews.html", page=page, **_labels())


# --- updates, followers, ratings -------------------------------------------------------------------

@bp.route("/<int:project_id>/updates", methods=["POST"])
@object_policy(policy.can_manage_project, service.load_project)
def post_update(project):
    form = UpdateForm()
    return submit_form(form, lambda: service.post_update(project, current_user, form.title.data, form.body_md.data),
                       lambda update_row: done(_("The update is posted and followers are notified."),
                                               url_for("projects.detail", project_id=project.id,
                                                       _anchor=f"update-{update_row.id}")),
                       _detail_with(project.id, {"update": form}))


@bp.route("/<int:project_id>/follow", methods=["POST"])
@object_policy(policy.can_follow_project, service.load_project)
def follow(project):
    def followed(changed):
        if changed:
            flash(_("You follow this project: its updates will appear in your notifications."), "success")
        return redirect(url_for("projects.detail", project_id=project.id))

    return button_action(lambda: service.follow(project, current_user), followed,
                         url_for("projects.detail", project_id=project.id))


@bp.route("/<int:project_id>/unfollow", methods=["POST"])
@object_policy(policy.can_follow_project, service.load_project)
def unfollow(project):
    def unfollowed(changed):
        if changed:
            flash(_("You no longer follow this project."), "success")
        return redirect(url_for("projects.detail", project_id=project.id))

    return button_action(lambda: service.unfollow(project, current_user), unfollowed,
                         url_for("projects.detail", project_id=project.id))


@bp.route("/<int:project_id>/rating", methods=["POST"])
@object_policy(policy.can_rate_project, service.load_project)
def rate(project):
    form = RatingForm()
    return submit_form(form, lambda: service.rate_project(project, current_user, form.score.data, form.comment.data),
                       lambda result: done(_("Thank you: your rating is recorded.") if result[1]
                                           else _("Your rating is updated."),
                                           url_for("projects.detail", project_id=project.id, _anchor="ratings")),
                       _detail_with(project.id, {"rating": form}))


@bp.route("/<int:project_id>/ratings/<int:rating_id>/reply", methods=["POST"])
@object_policy(policy.can_reply_to_rating, service.load_rating)
def reply_rating(rating):
    form = ReplyForm()
    project_id, rating_id = rating.project_id, rating.id
    return submit_form(form, lambda: service.reply_to_rating(rating, current_user, form.reply.data),
                       lambda result: done(_("Your reply is published under the rating."),
                                           url_for("projects.detail", project_id=project_id,
                                                   _anchor=f"rating-{rating_id}")),
                       _detail_with(project_id, {"reply": {rating_id: form}}))
