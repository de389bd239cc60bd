"""The public JSON API (/api/v1) and its OpenAPI document, generated from the code.

Why flask-smorest rather than APIFlask: APIFlask is a framework, an `APIFlask` subclass of `Flask` that would have
to become the whole portal's application class, with its own JSON error handlers for every route and its own
spec and docs routes. flask-smorest is an extension on the existing Flask app: `Api(app)` plus one
`flask_smorest.Blueprint`, so the rest of the portal (HTML pages, Flask-WTF's CSRF, Flask-Login's sessions, the
error pages) is untouched. Its spec covers only the blueprints registered through it; it serves no docs UI
unless configured to (and its UIs load from a CDN, which the portal's CSP and offline rule forbid), so
OPENAPI_URL_PREFIX stays unset and portal/api/pages.py serves the document and a page of its own. Its one
app-wide hook, a JSON handler for every HTTPException, is switched off here (`PortalApi`): the API's blueprints
answer their errors in the API's own shape (portal/api/errors.py) and the portal keeps its pages.

Layer: above cases and opendata (it reads projects, funds, payments, procurement, contracts and cases, and writes
only through `portal.cases.service.report_case`).
"""
from flask import Flask
from flask_smorest import Api

from portal.api.schemas import Error

API_VERSION = "1.0.0"
OPENAPI_VERSION = "3.0.3"


class PortalApi(Api):
    def _register_error_handlers(self):
        """No app-wide handler: the portal's HTML error pages stay as they are (see the module docstring)."""

    ERROR_SCHEMA = Error  # the documented error document is the API's own


def init_app(app: Flask) -> None:
    from portal.api import pages, views
    from portal.extensions import csrf

    api = PortalApi(app, spec_kwargs={
        "title": "Community Services Portal API", "version": API_VERSION, "openapi_version": OPENAPI_VERSION,
        "info": {"description": "Public data of the portal, read by anyone (rate limited per address). Money is "
                                "integer fen beside a currency; times are ISO 8601 with their offset. Errors are "
                                "{\"error\": {\"code\", \"message\", \"field\"}}. Reporting a case needs an API "
                                "key issued by the portal's administrators.",
                 "license": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}},
        "servers": [{"url": "/"}]})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme("apiKeyHeader", {"type": "apiKey", "in": "header", "name": "X-API-Key"})
    csrf.exempt(views.blp)  # an API for other systems: a write carries an API key in a header, not a form token
    api.register_blueprint(views.blp)
    app.register_blueprint(pages.bp)
    app.extensions["portal_api"] = api
