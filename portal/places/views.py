"""Places: public browse of the tree and place pages, admin management and CSV import."""
from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from analytics.charts import bar_per_place, figure_data
from analytics.metrics import rows_of_kind, with_ancestor_name
from portal.core import csv_import
from portal.core.errors import ValidationFailed
from portal.core.pagination import paginate
from portal.core.policy import allowed_if, object_policy, public
from portal.core.web import done, submit_form
from portal.places import policy, service
from portal.places.forms import (
    NO_PARENT,
    EditPlaceForm,
    ImportPlacesForm,
    MovePlaceForm,
    PlaceForm,
    parent_choices,
)
from portal.places.models import DISTRICT, KIND_LABELS, KINDS, PARENT_KIND, STREET, Place

bp = Blueprint("places", __name__, url_prefix="/places")


def _street_chart(frame):
    """Verified organisations per street, as plotly data plus the rows for the table fallback."""
    streets = rows_of_kind(with_ancestor_name(frame, DISTRICT, "district"), STREET, sort_by="verified_organisations")
    if streets.empty or not streets["verified_organisations"].any():
        return None, []  # a chart of zeros says nothing; the tree shows the zeros
    # the page's heading is the chart's title
    figure = bar_per_place(streets, "verified_organisations", axis_title=_("Verified organisations"),
                           hover_label=_("Verified organisations"), group="district")
    rows = streets.astype(object).where(streets.notna(), None).to_dict("records")
    return figure_data(figure), rows


@bp.route("/")
@public
def browse():
    frame = service.place_figures()
    tree = service.build_tree(frame)
    totals = {kind: int((frame["kind"] == kind).sum()) if not frame.empty else 0 for kind in KINDS}
    totals["verified_organisations"] = sum(node.verified_organisations for node in tree)
    chart, street_rows = _street_chart(frame) if not frame.empty else (None, [])
    return render_template("places/browse.html", tree=tree, totals=totals, chart=chart, street_rows=street_rows,
                           kind_labels=KIND_LABELS, show_role_holders=policy.can_see_role_holder_counts(current_user))


@bp.route("/<int:place_id>")
@object_policy(policy.can_view_place, service.get_place, login=False)
def detail(place):
    frame = service.place_figures(within=place)
    (node,) = service.build_tree(frame)
    return render_template("places/detail.html", place=place, node=node, ancestors=service.ancestors_of(place),
                           kind_labels=KIND_LABELS,
                           show_role_holders=policy.can_see_role_holder_counts(current_user),
                           can_edit=policy.can_edit_place(current_user, place),
                           can_move=policy.can_move_place(current_user, place))


# --- administration -------------------------------------------------------------------------------

@bp.route("/manage")
@allowed_if(policy.can_manage_places)
def manage():
    kind = request.args.get("kind") or None
    statement = service.search_places(request.args.get("q"), kind).options(joinedload(Place.parent))
    page = paginate(statement, per_page=50)
    return render_template("places/manage.html", page=page, kind_labels=KIND_LABELS)


def _parent_for(form_value: str | None) -> Place | None:
    if not form_value or form_value == NO_PARENT:
        return None
    place = service.get_place(int(form_value)) if form_value.isdigit() else None
    if place is None:
        raise ValidationFailed(_("Choose a parent place from the list."), field="parent")
    return place


@bp.route("/new", methods=["GET", "POST"])
@allowed_if(policy.can_manage_places)
def create():
    form = PlaceForm()
    if request.method == "GET" and request.args.get("parent", "").isdigit():
        form.parent.data = request.args["parent"]
        parent = service.get_place(int(request.args["parent"]))
        if parent is not None and parent.kind != "grid":
            form.kind.data = KINDS[parent.depth + 1]
    form.parent.choices = parent_choices(service.possible_parents(), none_label=_("None (a district)"))
    return submit_form(
        form, lambda: service.create_place(form.kind.data, form.name.data, form.code.data,
                                           _parent_for(form.parent.data), form.population.data,
                                           form.households.data, actor=current_user),
        lambda place: done(_("%(name)s is added.", name=place.name), url_for("places.detail", place_id=place.id)),
        lambda status: (render_template("places/form.html", form=form, place=None), status))


@bp.route("/<int:place_id>/edit", methods=["GET", "POST"])
@object_policy(policy.can_edit_place, service.get_place)
def edit(place):
    form = EditPlaceForm(obj=place)
    return submit_form(
        form, lambda: service.update_place(place, form.name.data, form.code.data, form.population.data,
                                           form.households.data, actor=current_user),
        lambda result: done(_("%(name)s is saved.", name=place.name), url_for("places.detail", place_id=place.id)),
        lambda status: (render_template("places/form.html", form=form, place=place), status))


@bp.route("/<int:place_id>/move", methods=["GET", "POST"])
@object_policy(policy.can_move_place, service.get_place)
def move(place):
    form = MovePlaceForm(parent=str(place.parent_id))
    form.parent.choices = parent_choices(service.possible_parents(place.kind))
    return submit_form(
        form, lambda: service.move_place(place, _parent_for(form.parent.data), actor=current_user),
        lambda result: done(_("%(name)s now lies in %(parent)s.", name=place.name, parent=place.parent.name),
                            url_for("places.detail", place_id=place.id)),
        lambda status: (render_template("places/move.html", form=form, place=place,
                                        parent_kind=PARENT_KIND[place.kind], kind_labels=KIND_LABELS), status))


@bp.route("/import", methods=["GET", "POST"])
@allowed_if(policy.can_import_places)
def import_csv():
    form = ImportPlacesForm()
    return csv_import.submit_import(
        form, service.IMPORT_MAX_BYTES, lambda data: service.import_places_csv(data, actor=current_user),
        lambda result: done(_("%(count)d places imported.", count=result.count), url_for("places.manage")),
        lambda status, row_errors: (render_template("places/import.html", form=form, row_errors=row_errors,
                                                    columns=service.CSV_REQUIRED + service.CSV_OPTIONAL), status))


@bp.route("/import/template.csv")
@allowed_if(policy.can_import_places)
def import_template():
    return Response(service.import_template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=places-template.csv"})
