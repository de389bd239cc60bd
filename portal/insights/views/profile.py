"""Insights views: profile (a place's grids in aggregate, and what to buy where), and the grid ledgers' import."""
from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from analytics.profile import ELDERLY_THRESHOLD, NEED_THRESHOLD, THRESHOLD
from portal.core import csv_import
from portal.core.policy import allowed_if, public
from portal.core.web import done
from portal.insights import grid_profiles, outcomes, profile
from portal.insights import params as filters
from portal.insights import policy as insights_policy
from portal.insights.views import bp
from portal.orgs.models import SERVICE_AREAS
from portal.places.models import KIND_LABELS
from portal.procurement.models import SERVICE_UNITS


@bp.route("/profile")
@public
def profile_page():
    place = filters.place(request.args)
    figures, computed_at = profile.dashboard(place)
    return render_template(
        "insights/profile.html", place=place, figures=figures, computed_at=computed_at,
        trail=outcomes.breadcrumbs(place), categories=SERVICE_AREAS, kind_labels=KIND_LABELS, units=SERVICE_UNITS,
        threshold=THRESHOLD, elderly_threshold=ELDERLY_THRESHOLD, need_threshold=NEED_THRESHOLD,
        can_import=insights_policy.can_import_grid_profiles(current_user),
        drill=lambda place_id: url_for("insights.profile_page", place=place_id))


@bp.route("/profile/import", methods=["GET", "POST"])
@allowed_if(insights_policy.can_import_grid_profiles)
def grid_profiles_import():
    form = grid_profiles.ImportGridProfilesForm()
    return csv_import.submit_import(
        form, grid_profiles.IMPORT_MAX_BYTES,
        lambda data: grid_profiles.import_grid_profiles_csv(data, actor=current_user),
        lambda result: done(_("%(count)d grid ledgers imported; the profile shows them at its next refresh.",
                              count=result.count), url_for("insights.profile_page")),
        lambda status, row_errors: (render_template(
            "insights/grid_profiles_import.html", form=form, row_errors=row_errors,
            columns=grid_profiles.CSV_COLUMNS), status))


@bp.route("/profile/template.csv")
@allowed_if(insights_policy.can_import_grid_profiles)
def grid_profiles_template():
    return Response(grid_profiles.import_template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=grid-ledgers-template.csv"})
