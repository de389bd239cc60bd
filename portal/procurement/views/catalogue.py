"""Procurement views: the purchase catalogue (购买服务目录) and its departments, the qualified-organisation list
(承接主体目录) and the local minimum wage."""
from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import csv_import
from portal.core.pagination import paginate
from portal.core.policy import allowed_if, object_policy, public
from portal.core.time import utcnow
from portal.core.web import done, submit_form
from portal.orgs.models import SERVICE_AREAS
from portal.procurement import catalogue, catalogue_import, policy
from portal.procurement.catalogue_forms import (
    CatalogueItemForm,
    DepartmentForm,
    ImportCatalogueForm,
    MinimumWageForm,
    QualificationForm,
    RevokeQualificationForm,
    place_choices,
)
from portal.procurement.loaders import load_department
from portal.procurement.models import SERVICE_UNITS
from portal.procurement.views import bp


def _labels() -> dict:
    return {"service_areas": SERVICE_AREAS, "service_units": SERVICE_UNITS}


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


# --- the catalogue -------------------------------------------------------------------------------------

@bp.route("/catalogue")
@public
def catalogue_list():
    departments = catalogue.all_departments()
    department_id, year = _int_arg("department"), _int_arg("year")
    page = paginate(catalogue.catalogue_query(department_id, year), per_page=50)
    mine = catalogue.departments_for(current_user) if policy.is_buyer_official(current_user) else []
    return render_template("procurement/catalogue_list.html", page=page, departments=departments,
                           years=catalogue.catalogue_years(), department_id=department_id, year=year, mine=mine,
                           managed={d.id for d in mine}, can_buy=policy.is_buyer_official(current_user), **_labels())


@bp.route("/departments/new", methods=["GET", "POST"])
@allowed_if(policy.is_buyer_official)
def department_new():
    form = DepartmentForm()
    places = catalogue.buyer_places(current_user)
    form.place.choices = place_choices(places)
    return submit_form(
        form, lambda: catalogue.create_department(catalogue.get_place(form.place.data), form.name.data,
                                                  actor=current_user),
        lambda department: done(_("The department %(name)s is set up. Add its catalogue next.", name=department.name),
                                url_for("procurement.catalogue_list", department=department.id)),
        lambda status: (render_template("procurement/department_form.html", form=form, places=places), status))


def _item_values(form) -> dict:
    return {"year": form.year.data, "code": form.code.data, "name": form.name.data, "category": form.category.data,
            "unit": form.unit.data, "ceiling": form.ceiling.data, "quality_standard": form.quality_standard.data}


@bp.route("/departments/<int:department_id>/items/new", methods=["GET", "POST"])
@object_policy(policy.can_manage_department, load_department)
def item_new(department):
    form = CatalogueItemForm()
    if request.method == "GET":
        form.year.data = utcnow().year
    return submit_form(
        form, lambda: catalogue.create_item(department, actor=current_user, **_item_values(form)),
        lambda item: done(_("%(name)s is in the %(year)d catalogue.", name=item.name, year=item.year),
                          url_for("procurement.catalogue_list", department=department.id, year=item.year)),
        lambda status: (render_template("procurement/catalogue_item_form.html", form=form, department=department,
                                        item=None), status))


@bp.route("/catalogue/items/<int:item_id>/edit", methods=["GET", "POST"])
@object_policy(policy.can_manage_catalogue_item, catalogue.load_item)
def item_edit(item):
    form = CatalogueItemForm(data={"year": item.year, "code": item.code, "name": item.name, "category": item.category,
                                   "unit": item.unit, "ceiling": catalogue.ceiling_text(item),
                                   "quality_standard": item.quality_standard})
    return submit_form(
        form, lambda: catalogue.update_item(item, actor=current_user, **_item_values(form)),
        lambda result: done(_("%(name)s is saved.", name=item.name),
                            url_for("procurement.catalogue_list", department=item.department_id, year=item.year)),
        lambda status: (render_template("procurement/catalogue_item_form.html", form=form,
                                        department=item.department, item=item,
                                        locked=catalogue.used_by_published_call(item)), status))


@bp.route("/departments/<int:department_id>/import", methods=["GET", "POST"])
@object_policy(policy.can_manage_department, load_department)
def catalogue_import_csv(department):
    form = ImportCatalogueForm()
    return csv_import.submit_import(
        form, catalogue_import.IMPORT_MAX_BYTES,
        lambda data: catalogue_import.import_catalogue_csv(department, data, actor=current_user),
        lambda result: done(_("%(count)d catalogue items imported.", count=result.count),
                            url_for("procurement.catalogue_list", department=department.id)),
        lambda status, row_errors: (render_template(
            "procurement/catalogue_import.html", form=form, department=department, row_errors=row_errors,
            columns=catalogue_import.CSV_COLUMNS, **_labels()), status))


@bp.route("/catalogue/template.csv")
@allowed_if(policy.is_buyer_official)
def catalogue_template():
    return Response(catalogue_import.import_template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=catalogue-template.csv"})


# --- the qualified-organisation list -------------------------------------------------------------------

@bp.route("/qualified")
@public
def qualified_list():
    category = request.args.get("category") or None
    category = category if category in SERVICE_AREAS else None
    page = paginate(catalogue.qualified_query(category), per_page=50)
    return render_template("procurement/qualified_list.html", page=page, category=category,
                           can_record=policy.is_buyer_official(current_user),
                           can_revoke=lambda q: policy.can_revoke_qualification(current_user, q), **_labels())


@bp.route("/qualified/new", methods=["GET", "POST"])
@allowed_if(policy.is_buyer_official)
def qualification_new():
    form = QualificationForm()
    form.organisation.choices = [(str(o.id), o.name) for o in catalogue.verified_organisations()]
    form.place.choices = place_choices(catalogue.buyer_places(current_user))
    if request.method == "GET" and request.args.get("organisation", "").isdigit():
        form.organisation.data = request.args["organisation"]
    return submit_form(
        form, lambda: catalogue.record_qualification(
            catalogue.get_organisation(form.organisation.data), catalogue.get_place(form.place.data),
            form.category.data, actor=current_user, years_registered=form.years_registered.data or 0,
            past_delivery=form.past_delivery.data, note=form.note.data),
        lambda qualification: done(_("%(name)s is on the qualified list for %(category)s.",
                                     name=qualification.organisation.name,
                                     category=SERVICE_AREAS[qualification.category]),
                                   url_for("procurement.qualified_list", category=qualification.category)),
        lambda status: (render_template("procurement/qualified_form.html", form=form), status))


@bp.route("/qualified/<int:qualification_id>/revoke", methods=["GET", "POST"])
@object_policy(policy.can_revoke_qualification, catalogue.load_qualification)
def qualification_revoke(qualification):
    form = RevokeQualificationForm()
    return submit_form(
        form, lambda: catalogue.revoke_qualification(qualification, actor=current_user, reason=form.reason.data),
        lambda result: done(_("The qualification of %(name)s is revoked.", name=qualification.organisation.name),
                            url_for("procurement.qualified_list")),
        lambda status: (render_template("procurement/qualified_revoke.html", form=form, qualification=qualification,
                                        **_labels()), status))


# --- the local minimum wage ----------------------------------------------------------------------------

@bp.route("/minimum-wages", methods=["GET", "POST"])
@allowed_if(policy.is_buyer_official)
def minimum_wages():
    places = catalogue.buyer_places(current_user)
    form = MinimumWageForm()
    form.place.choices = place_choices(places)
    return submit_form(
        form, lambda: catalogue.set_minimum_wage(catalogue.get_place(form.place.data), actor=current_user,
                                                 hourly=form.hourly.data),
        lambda setting: done(_("The minimum wage is saved."), url_for("procurement.minimum_wages")),
        lambda status: _render_minimum_wages(form, places, status))


def _render_minimum_wages(form, places, status):
    settings = catalogue.minimum_wages_in(places)
    # what applies on each place: its own setting, else the nearest one above it among these places
    applies = {place.id: next((settings[i].hourly_minor for i in reversed(place.ancestor_ids) if i in settings), None)
               for place in places}
    return render_template("procurement/minimum_wage.html", form=form, places=places, settings=settings,
                           applies=applies), status
