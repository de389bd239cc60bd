"""Organisations: directory, registration, verification queue."""
from flask import Blueprint, render_template

from portal.core.policy import allowed_if, public, signed_in
from portal.orgs import policy

bp = Blueprint("orgs", __name__, url_prefix="/organisations")


@bp.route("/")
@public
def directory():
    return render_template("orgs/directory.html")


@bp.route("/mine")
@signed_in
def mine():
    return render_template("orgs/mine.html")


@bp.route("/review")
@allowed_if(policy.can_review_organisations)
def review_queue():
    return render_template("orgs/review_queue.html")


@bp.route("/register")
@signed_in
def register():
    return render_template("orgs/mine.html")
