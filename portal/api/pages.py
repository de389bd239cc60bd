"""The API's own pages, outside the documented operations: the OpenAPI document at /api/v1/openapi.json and a
page listing the endpoints for people at /api/v1/ (rendered here from the same document: no docs UI from a CDN)."""
import re

from flask import Blueprint, current_app, jsonify, render_template
from flask_babel import lazy_gettext as _l

from portal.api import errors
from portal.api.views import API_PREFIX, RATE_LIMIT
from portal.core.policy import public

bp = Blueprint("api_pages", __name__, url_prefix=API_PREFIX)
errors.register(bp)
RATE_LIMIT(bp)

# What each resource is, for the page (the document's own texts are English).
RESOURCES = {
    "projects": _l("Service projects past their draft, with their places and indicators."),
    "funds": _l("Community funds: raised, paid out, balance and donors."),
    "campaigns": _l("Fundraising campaigns past their draft."),
    "gifts": _l("Gifts received, anonymised: a donor appears only by the name or initials they chose to show."),
    "calls": _l("Published calls for services with their lots, criteria and awards. Bids stay sealed until the "
                "opening: no bid is counted or priced before it."),
    "awards": _l("Awards with their winner, price and score."),
    "contracts": _l("Contracts with their milestones and approved payments."),
    "cases": _l("Grid cases of public categories, without who reported them. Other systems report cases here "
                "with an API key."),
}
METHOD_ORDER = ("get", "post")


def openapi_document() -> dict:
    """The OpenAPI document flask-smorest generated from the API's routes and schemas."""
    return current_app.extensions["portal_api"].spec.to_dict()


def operations(document: dict) -> list[dict]:
    """Each resource with its operations (method, path, summary, parameters), in the document's order."""
    found = {tag: [] for tag in RESOURCES}
    for path, item in document["paths"].items():
        for method in METHOD_ORDER:
            operation = item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["other"])[0]
            parameters = [parameter["name"] for parameter in operation.get("parameters", [])
                          if parameter.get("in") == "query"]
            found.setdefault(tag, []).append({
                "method": method.upper(), "path": path, "summary": operation.get("summary", ""),
                "parameters": parameters, "needs_key": bool(operation.get("security")),
                "example": re.sub(r"\{[^}]+\}", "1", path)})
    return [{"tag": tag, "text": RESOURCES.get(tag, ""), "operations": rows} for tag, rows in found.items() if rows]


@bp.route("/openapi.json")
@public
def openapi_json():
    return jsonify(openapi_document())


@bp.route("/")
@public
def index():
    document = openapi_document()
    return render_template("api/index.html", resources=operations(document), version=document["info"]["version"],
                           rate_limit=current_app.config["API_RATE_LIMIT"])

