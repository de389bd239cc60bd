"""The case board: open and overdue cases by place, response / solve / satisfaction rates per street and
department, weekly trends and a map drawn without outside tile servers (unless one is configured)."""
from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user

from portal.cases import board as case_board
from portal.cases import policy
from portal.cases.case_map import build_map
from portal.cases.models import CASE_STATUSES, CLOSED, EVALUATED
from portal.cases.service import city_bounds
from portal.cases.views import bp
from portal.core.policy import public


def _point_label(point) -> str:
    status = CASE_STATUSES.get(point.status, point.status)
    if point.overdue:
        return _("%(reference)s: %(title)s (%(status)s, overdue)", reference=point.reference, title=point.title,
                 status=status)
    return _("%(reference)s: %(title)s (%(status)s)", reference=point.reference, title=point.title, status=status)


def _cluster_label(row) -> str:
    return _("%(place)s: %(count)d cases", place=row.label, count=row.figures.points)


@bp.route("/board")
@public
def board():
    streets = case_board.street_choices()
    filters = case_board.parse_filters(request.args.get("street", ""), request.args.get("department", ""),
                                       request.args.get("days", ""), streets)
    figures = case_board.case_board(
        filters, policy.board_private_places(current_user), streets,
        chart_labels={"reported": pgettext("grid case", "Reported"), "closed": pgettext("grid case", "Closed"),
                      "axis_title": _("Cases")})
    drawing = build_map(figures.points, figures.clusters, city_bounds(), current_app.config.get("CASE_MAP_TILE_URL"),
                        point_label=_point_label, cluster_label=_cluster_label, closed_statuses=(CLOSED, EVALUATED))
    return render_template("cases/board.html", board=figures, drawing=drawing,
                           periods=case_board.PERIODS)
