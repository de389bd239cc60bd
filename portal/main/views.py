"""Home page and small shared pages."""
from flask import Blueprint, render_template
from flask_login import current_user

from portal.accounts.scopes import assignments_of
from portal.core.policy import public
from portal.main.dashboard import home_highlights, home_summary

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index():
    return render_template("main/index.html", summary=home_summary(), highlights=home_highlights(),
                           my_roles=assignments_of(current_user))


@bp.route("/privacy")
@public
def privacy():
    return render_template("main/privacy.html")
