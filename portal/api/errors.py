"""Every error of the API as one JSON document, `{"error": {"code", "message", "field"}}`, never an HTML page.

`code` is the HTTP status as text; `field` names the query parameter or body field at fault (or null). The
blueprints register `register(blueprint)`; a URL under /api/ that matches no route gets the same shape from
create_app's handlers (portal/__init__.py, `_wants_json`).
"""
from flask import current_app, jsonify
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, default_exceptions

from portal.core.errors import DomainError


class ApiError(Exception):
    """An answer that is an error document: raised by the API's views and decorators."""

    def __init__(self, status: int, message: str, field: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.field, self.headers = status, message, field, headers or {}


def error_response(status: int, message: str, field: str | None = None, headers: dict | None = None):
    response = jsonify({"error": {"code": str(status), "message": message, "field": field}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def first_problem(messages: dict) -> tuple[str | None, str]:
    """The first field webargs found at fault, and what to tell about it. `messages` is
    {location: {field: [message, ...]}}."""
    for location, problems in messages.items():
        if not isinstance(problems, dict):
            continue
        for field, texts in problems.items():
            text = texts[0] if isinstance(texts, list) and texts else str(texts)
            if field == "_schema":
                return None, str(text)
            if str(text) == "Unknown field.":
                if location == "query":
                    return field, _("%(field)s is not a parameter of this endpoint.", field=field)
                return field, _("%(field)s is not a field of this request.", field=field)
            if str(text) == "Missing data for required field.":
                return field, _("%(field)s is required.", field=field)
            text = str(text)
            return field, text if text.startswith(field) else f"{field}: {text}"
    return None, _("The request could not be understood.")


def _default_message(status: int) -> str:
    return {400: _("The request could not be understood."),
            401: _("An API key is required."),
            403: _("Not allowed."),
            404: _("There is no such object, or it is not public."),
            405: _("This address cannot be used with that method."),
            429: _("Too many requests from your address: at most %(limit)s. Wait a little and try again.",
                   limit=current_app.config["API_RATE_LIMIT"])}.get(status, _("The portal hit an error."))


def register(blueprint) -> None:
    @blueprint.errorhandler(ApiError)
    def api_error(error: ApiError):
        return error_response(error.status, error.message, error.field, error.headers)

    @blueprint.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return error_response(error.status_code, error.message, error.field)

    def http_error(error: HTTPException):
        status = error.code or 500
        messages = (getattr(error, "data", None) or {}).get("messages")
        if messages:
            field, message = first_problem(messages)
            return error_response(status, message, field)
        return error_response(status, _default_message(status))

    # Flask prefers a handler registered for the status code, the app's included (its HTML pages for 400, 404,
    # 429, ...), over a blueprint's handler for the exception class: so one per code, then the class.
    for code in default_exceptions:
        blueprint.register_error_handler(code, http_error)
    blueprint.register_error_handler(HTTPException, http_error)
