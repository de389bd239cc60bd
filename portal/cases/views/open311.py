"""Open311 GeoReport v2 at /open311/v2: discovery, services, service definitions, requests (list, one, post) and
tokens, each as .json or .xml. Reading is open to anyone (public categories only); posting needs an API key
(portal/cases/api_keys.py). An API for other systems, so no CSRF token and no sign-in (create_app exempts it)."""
from functools import wraps

from flask import Blueprint, Response, current_app, json, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from portal.cases import api_keys, open311
from portal.cases.open311 import Open311Error
from portal.core.web import undo
from portal.extensions import limiter

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")


def api_key_required(check):
    """Posting: any caller (no account, so "public" to the matrix's roles) holding a live API key. The key check
    is the view's `route_check`, looked up at call time like object_policy's, so the authorization matrix proves
    that it is the check enforced (it swaps it for one that refuses, and the post must then be a 403)."""

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            key = wrapped.route_check(request.values.get("api_key"))
            if not key:
                raise Open311Error(403, _("A valid api_key is required to post a request: ask the portal's "
                                          "administrators for one."))
            return view(key, *args, **kwargs)

        wrapped = guarded
        wrapped.route_policy = "public"
        wrapped.route_check = check
        return wrapped

    return decorator


def public_api(view):
    view.route_policy = "public"
    return view


def _format(fmt: str) -> str:
    if fmt not in open311.FORMATS:
        raise Open311Error(404, _("Ask for .json or .xml."))
    return fmt


def answer(fmt: str, root: str, value, status: int = 200) -> Response:
    """The document in the format the URL asked for (`root`: the XML root element; JSON is the bare value)."""
    fmt = fmt if fmt in open311.FORMATS else "json"
    if fmt == "xml":
        body = open311.to_xml(root, value)
    else:
        body = json.dumps(open311.without_nones(value), ensure_ascii=False)
    return Response(body, status=status, mimetype=None, content_type=open311.FORMATS[fmt])


@bp.errorhandler(Open311Error)
def open311_error(error: Open311Error):
    undo()  # nothing of a refused request is stored
    return answer((request.view_args or {}).get("fmt", "json"), "errors",
                  open311.error_rows(error.status, error.description), error.status)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    undo()
    return answer((request.view_args or {}).get("fmt", "json"), "errors",
                  open311.error_rows(error.code or 500, error.description or error.name), error.code or 500)


def _photo_url(case) -> str | None:
    """The absolute address of the case's first photo on the case pages, when they serve one."""
    photo = open311.first_photo(case)
    if photo is None or "cases.photo" not in current_app.view_functions:
        return None
    try:
        return url_for("cases.photo", case_id=case.id, photo_id=photo.id, _external=True)
    except BuildError:
        return None


@bp.route("/discovery.<fmt>")
@public_api
def discovery(fmt):
    fmt = _format(fmt)
    document = open311.discovery(url_for("open311.discovery", fmt=fmt, _external=True).rsplit("/", 1)[0],
                                 current_app.config.get("MAIL_DEFAULT_SENDER") or "")
    return answer(fmt, "discovery", document)


@bp.route("/services.<fmt>")
@public_api
def services(fmt):
    fmt = _format(fmt)
    return answer(fmt, "services", [open311.service_row(category) for category in open311.active_categories()])


@bp.route("/services/<service_code>.<fmt>")
@public_api
def service_definition(service_code, fmt):
    fmt = _format(fmt)
    category = open311.find_service(service_code)
    if category is None:
        raise Open311Error(404, _("No service has the code %(code)s.", code=service_code))
    return answer(fmt, "service_definition", open311.service_definition(category))


@bp.route("/requests.<fmt>")
@public_api
def requests(fmt):
    fmt = _format(fmt)
    cases = open311.find_requests(request.args)
    return answer(fmt, "service_requests", [open311.request_row(case, _photo_url(case)) for case in cases])


@bp.route("/requests.<fmt>", methods=["POST"])
@api_key_required(api_keys.key_for)
@limiter.limit("120 per minute")
def post_request(key, fmt):
    fmt = _format(fmt)
    case, _created = open311.post_request(request.values, key, request.headers.get("Idempotency-Key"))
    return answer(fmt, "service_requests", [open311.post_answer(case)])


@bp.route("/requests/<service_request_id>.<fmt>")
@public_api
def request_detail(service_request_id, fmt):
    fmt = _format(fmt)
    case = open311.find_request(service_request_id)
    if case is None:
        raise Open311Error(404, _("No public service request has the id %(id)s.", id=service_request_id))
    return answer(fmt, "service_requests", [open311.request_row(case, _photo_url(case))])


@bp.route("/tokens/<token>.<fmt>")
@public_api
def token(token, fmt):
    fmt = _format(fmt)
    case = open311.find_token(token)
    if case is None:
        raise Open311Error(404, _("No request was posted with the token %(token)s.", token=token))
    return answer(fmt, "service_requests", [open311.token_row(case)])
