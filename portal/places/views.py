"""Places: public browse of the tree, admin management and CSV import."""
from flask import Blueprint, render_template

from portal.core.policy import allowed_if, public
from portal.places import policy

bp = Blueprint("places", __name__, url_prefix="/places")


@bp.route("/")
@public
def browse():
    return render_template("places/browse.html")


@bp.route("/manage")
@allowed_if(policy.can_manage_places)
def manage():
    return render_template("places/manage.html")
