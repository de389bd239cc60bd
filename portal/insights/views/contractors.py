"""Insights views: contractor performance, public (GET /insights/contractors, the list compared within a
category and sortable; GET /insights/contractors/<id>, one organisation with its trend and "why this
past-performance score"). The numbers come from portal/insights/contractors.py."""
from flask import render_template, request
from flask_babel import gettext as _

from portal.core.errors import ValidationFailed
from portal.core.policy import object_policy, public
from portal.insights import contractors as service
from portal.insights.views import bp
from portal.orgs import policy as orgs_policy
from portal.orgs import service as orgs_service
from portal.orgs.models import SERVICE_AREAS
from portal.procurement.scoring import NEUTRAL_PAST_PERFORMANCE

ORDERS = ("desc", "asc")


def _choice(name: str, allowed, default: str | None, message: str) -> str | None:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    if text not in allowed:
        raise ValidationFailed(message, field=name)
    return text


@bp.route("/contractors")
@public
def contractors():
    category = _choice("category", SERVICE_AREAS, None,
                       _("There is no category (category) “%(value)s”: choose one from the list.",
                         value=request.args.get("category", "")[:40]))
    sort = _choice("sort", service.SORTS, "value_minor",
                   _("The list cannot be sorted (sort) by “%(value)s”.", value=request.args.get("sort", "")[:40]))
    order = _choice("order", ORDERS, "asc" if sort == "organisation" else "desc",
                    _("The order (order) is “asc” or “desc”."))
    table, computed_at = service.performance_table(category, sort, descending=order == "desc")
    return render_template("insights/contractors.html", rows=table["rows"], categories=table["categories"],
                           category=category, sort=sort, order=order, computed_at=computed_at,
                           category_labels=SERVICE_AREAS, neutral_share=NEUTRAL_PAST_PERFORMANCE)


@bp.route("/contractors/<int:org_id>")
@object_policy(orgs_policy.can_view_organisation, orgs_service.load_organisation, login=False)
def contractor(organisation):
    record, computed_at = service.organisation_record(
        organisation, chart_title=_("Mean final rating by year"), axis_title=_("Mean final rating (1-5)"))
    return render_template("insights/contractor.html", organisation=organisation, record=record,
                           computed_at=computed_at, category_labels=SERVICE_AREAS)
