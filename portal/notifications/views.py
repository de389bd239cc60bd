"""The signed-in person's notifications: a list, mark one or all as read."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import HiddenField

from portal.core.forms import BaseForm
from portal.core.pagination import paginate
from portal.core.policy import object_policy, signed_in
from portal.core.web import is_safe_next
from portal.notifications import policy, service

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


class ReadForm(BaseForm):
    """Mark as read: CSRF, and where to go next (the notification's own page, or back to the list)."""

    next = HiddenField()


@bp.route("")
@signed_in
def index():
    page = paginate(service.notifications_query(current_user.id), per_page=30)
    return render_template("notifications/index.html", page=page, unread=service.unread_count(current_user.id),
                           kind_label=service.kind_label, form=ReadForm())


@bp.route("/<int:notification_id>/read", methods=["POST"])
@object_policy(policy.can_read_notification, service.load_notification)
def mark_read(notification):
    form = ReadForm()
    if not form.validate_on_submit():
        abort(400)
    service.mark_read(notification)
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@signed_in
def mark_all_read():
    if not ReadForm().validate_on_submit():
        abort(400)
    count = service.mark_all_read(current_user.id)
    if count:
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))
