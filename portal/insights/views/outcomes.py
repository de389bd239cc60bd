"""Insights views: outcomes (indicator attainment down the place tree, and money per verified unit)."""
from flask import render_template, request, url_for
from flask_babel import gettext as _

from analytics.charts import figure_data
from analytics.outcomes import attainment_chart
from portal.core.policy import public
from portal.insights import outcomes
from portal.insights.views import bp
from portal.orgs.models import SERVICE_AREAS
from portal.places.models import KIND_LABELS
from portal.procurement.models import CALL_MODES, SERVICE_UNITS
from portal.projects.models import SERVICE_TYPES


def mode_labels() -> dict:
    return {**{key: str(label) for key, label in CALL_MODES.items()}, outcomes.MODES[-1]: _("No call (own project)")}


@bp.route("/outcomes")
@public
def outcomes_page():
    view = outcomes.read_filters(request.args)
    figures, computed_at = outcomes.dashboard(view)
    rows = [child for child in figures["children"]]
    chart = None
    shown = [row for row in rows if row["indicators"]]
    if shown:
        chart = figure_data(attainment_chart(
            [row["name"] for row in shown], [row["attainment"] for row in shown],
            [row["indicators"] for row in shown], title=_("Indicator attainment"), axis_title=_("Attainment"),
            hover_label=_("indicators")))
    return render_template(
        "insights/outcomes.html", view=view, figures=figures, computed_at=computed_at, chart=chart,
        trail=outcomes.breadcrumbs(view.place), categories=SERVICE_AREAS, service_types=SERVICE_TYPES,
        modes=mode_labels(), kind_labels=KIND_LABELS, units=SERVICE_UNITS,
        drill=lambda place_id: url_for("insights.outcomes_page", **view.query(place=place_id)))
