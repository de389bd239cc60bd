"""The admin's audit-log page."""
from flask import Blueprint, render_template

from portal.audit import policy
from portal.core.policy import allowed_if

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.route("/")
@allowed_if(policy.can_view_audit_log)
def log():
    return render_template("audit/log.html")
