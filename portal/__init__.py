"""The community service and welfare-fund portal: create_app() builds the Flask application."""
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, abort, g, has_request_context, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from portal.config import INSTANCE_DIR, config_for
from portal.core import page_cache
from portal.core.errors import DomainError
from portal.core.i18n import current_locale_code
from portal.extensions import babel, csrf, db, limiter, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LANG_COOKIE = "lang"


def create_app(config: str | dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=False,
                template_folder=str(PROJECT_ROOT / "templates"), static_folder=str(PROJECT_ROOT / "static"))
    if isinstance(config, dict):
        app.config.update(config_for(config.pop("PORTAL_ENV", "test")))
        app.config.update(config)
    else:
        app.config.update(config_for(config))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    import portal.models  # noqa: F401  (every table registered before migrations or queries)

    _init_database(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Shanghai")
    _init_login(app)
    _register_blueprints(app)
    _wire_domain_hooks()
    _register_error_handlers(app)
    _register_request_hooks(app)
    page_cache.init_app(app, select_locale)
    _register_template_helpers(app)

    from portal.cli import register_commands

    register_commands(app)
    return app


def _init_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {"timeout": 30})
    db.init_app(app)
    if uri.startswith("sqlite"):
        from sqlalchemy import event

        with app.app_context():
            @event.listens_for(db.engine, "connect")
            def _sqlite_connect(dbapi_connection, _record):
                # Let SQLAlchemy, not pysqlite, issue BEGIN so SAVEPOINTs behave (SQLAlchemy's pysqlite notes).
                dbapi_connection.isolation_level = None
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=30000")
                cursor.close()

            @event.listens_for(db.engine, "begin")
            def _sqlite_begin(connection):
                connection.exec_driver_sql("BEGIN")


def select_locale() -> str:
    if not has_request_context():  # CLI commands, background jobs, tests of services
        return "zh_CN"
    if current_user and current_user.is_authenticated:
        return current_user.locale
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in ("zh_CN", "en"):
        return chosen
    best = request.accept_languages.best_match(["zh_CN", "zh", "zh-CN", "en"], default="zh_CN")
    return "en" if best == "en" else "zh_CN"


def _init_login(app: Flask) -> None:
    from portal.accounts.scopes import load_with_assignments
    from portal.notifications.service import unread_count_of

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(alternative_id: str):
        user_id, _sep, token = alternative_id.partition(":")
        if not user_id.isdigit():
            return None
        # the unread count comes with the person: the navigation shows it on every page
        user = load_with_assignments(int(user_id), figures={"unread": unread_count_of})
        if user is None or user.session_token != token or not user.is_active_account:
            return None
        return user


def _wire_domain_hooks() -> None:
    """Higher domains register with the hooks of the layers below them, so a lower layer never imports upward:
    each domain's part of a person's data download and erasure (accounts/personal_data.py), the scope kinds
    accounts names (accounts/scopes.py), what payments does for funds' campaigns and reconcile
    (funds/hooks.py), what needs and volunteering add to a project's page (projects/hooks.py), the
    projects a fund may pay for (funds/fundable.py) and the calls for services answering needs
    (needs/hooks.py). Importing a module registers its handlers once."""
    from portal.contracts import call_pages as _contracts_call_pages  # noqa: F401  (a call page's contracts)
    from portal.contracts import evaluation as _contracts_evaluation  # noqa: F401  (past performance)
    from portal.contracts import payments as _contracts_payments  # noqa: F401  (reconcile covers contracts)
    from portal.contracts.views import delivery as _contracts_delivery  # noqa: F401  (a contract page's delivery)
    from portal.funds import service as _funds  # noqa: F401  (fund scopes)
    from portal.needs import personal_data as _needs_data  # noqa: F401
    from portal.needs import service as _needs  # noqa: F401  (needs a project answers)
    from portal.orgs import service as _orgs  # noqa: F401  (organisation scopes)
    from portal.payments import bills as _payments_bills  # noqa: F401  (reconcile reads providers' bills)
    from portal.payments import campaigns as _payments_campaigns  # noqa: F401
    from portal.payments import personal_data as _payments_data  # noqa: F401
    from portal.payments import review as _payments_review  # noqa: F401
    from portal.procurement import evaluation_pages as _procurement_evaluation  # noqa: F401  (call sections)
    from portal.procurement import need_links as _procurement_needs  # noqa: F401  (calls answering needs)
    from portal.procurement import personal_data as _procurement_data  # noqa: F401
    from portal.procurement.views import bids as _procurement_bids  # noqa: F401  (a call page's bidding section)
    from portal.projects import personal_data as _projects_data  # noqa: F401
    from portal.projects import service as _projects  # noqa: F401  (projects funds may pay for)
    from portal.volunteering import hours as _volunteering_hours  # noqa: F401  (a project's volunteering)
    from portal.volunteering import personal_data as _volunteering_data  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from portal.accounts.views import bp as accounts_bp
    from portal.audit.views import bp as audit_bp
    from portal.funds.views import bp as funds_bp
    from portal.main.vendor import bp as vendor_bp
    from portal.main.views import bp as main_bp
    from portal.needs.views import bp as needs_bp
    from portal.notifications.views import bp as notifications_bp
    from portal.orgs.views import bp as orgs_bp
    from portal.places.views import bp as places_bp
    from portal.projects.views import bp as projects_bp
    from portal.volunteering.views import bp as volunteering_bp

    for blueprint in (main_bp, accounts_bp, places_bp, orgs_bp, audit_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(vendor_bp)
    for blueprint in (projects_bp, needs_bp, notifications_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(volunteering_bp)
    app.register_blueprint(funds_bp)
    from portal.payments.views import bp as payments_bp

    app.register_blueprint(payments_bp)
    from portal.procurement.views import bp as procurement_bp

    app.register_blueprint(procurement_bp)
    from portal.contracts.views import bp as contracts_bp

    app.register_blueprint(contracts_bp)
    from portal.cases.views import bp as cases_bp

    app.register_blueprint(cases_bp)
    from portal.cases.views.open311 import bp as open311_bp

    csrf.exempt(open311_bp)  # an API for other systems: a posted request carries an API key, not a form token
    app.register_blueprint(open311_bp)
    from portal.opendata.views import bp as opendata_bp

    app.register_blueprint(opendata_bp)
    from portal.insights.views import bp as insights_bp

    app.register_blueprint(insights_bp)
    from portal.api import init_app as init_api

    init_api(app)  # the public JSON API at /api/v1 and its OpenAPI document (portal/api/__init__.py)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json") or (
        request.accept_mimetypes.best == "application/json")


def _register_error_handlers(app: Flask) -> None:
    def error_page(status: int, title: str, message: str):
        if _wants_json():
            return jsonify({"error": {"code": str(status), "message": message, "field": None}}), status
        return render_template("errors/error.html", status=status, title=title, message=message), status

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        if _wants_json():
            return jsonify(error.to_json()), error.status_code
        return render_template("errors/error.html", status=error.status_code, title=_("That could not be done"),
                               message=error.message), error.status_code

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(400, _("The form has expired"),
                          _("The form was open too long or was changed on the way. Go back, reload the page "
                            "and try again. Nothing was saved."))

    @app.errorhandler(400)
    def bad_request(error):
        return error_page(400, _("Bad request"), _("The request could not be understood. Nothing was saved."))

    @app.errorhandler(403)
    def forbidden(error):
        return error_page(403, _("Not allowed"), _("Your account may not open this page."))

    @app.errorhandler(404)
    def not_found(error):
        return error_page(404, _("Page not found"), _("There is no such page, or it is not open to you."))

    @app.errorhandler(405)
    def method_not_allowed(error):
        return error_page(405, _("Not allowed"), _("This page cannot be used that way."))

    @app.errorhandler(413)
    def too_large(error):
        # Only a body far above one file's limit gets here: a file somewhat over it is named beside its field.
        limit = app.config["MAX_UPLOAD_BYTES"]
        return error_page(413, _("File too large"),
                          _("What was sent is far larger than the portal accepts: at most %(mb)s MB per file. "
                            "Go back, choose a smaller file (or fewer files) and send the form again. Nothing "
                            "was saved.", mb=round(limit / 1024 / 1024, 1)))

    @app.errorhandler(429)
    def too_many(error):
        return error_page(429, _("Too many attempts"),
                          _("Too many attempts in a short time. Wait a few minutes and try again."))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return error_page(500, _("Something went wrong"),
                          _("The portal hit an error. Nothing was half-saved; please try again later."))


def _content_security_policy(config) -> str:
    # Images come from the portal itself, and from the case map's tile server when one is configured.
    image_sources = ["'self'", "data:"]
    if tile_url := config.get("CASE_MAP_TILE_URL"):
        parts = urlsplit(tile_url)
        image_sources.append(f"{parts.scheme}://{parts.netloc}")
    # A gift's form answers with a redirect to the provider's checkout, and Chrome holds that redirect to
    # form-action: the enabled rails' checkout origins are allowed there (WeChat Pay's H5 is a link, not a redirect).
    providers = {name.strip() for name in str(config.get("PAYMENT_PROVIDERS") or "").split(",")}
    form_targets = ["'self'"]
    if "stripe" in providers:
        form_targets.append("https://checkout.stripe.com")
    if "alipay" in providers:
        parts = urlsplit(config.get("ALIPAY_GATEWAY") or "https://openapi.alipay.com/gateway.do")
        form_targets.append(f"{parts.scheme}://{parts.netloc}")
    return (f"default-src 'self'; img-src {' '.join(image_sources)}; style-src 'self' 'unsafe-inline'; "
            f"script-src 'self'; object-src 'none'; base-uri 'self'; form-action {' '.join(form_targets)}; "
            "frame-ancestors 'none'")


def _register_request_hooks(app: Flask) -> None:
    from portal.core.forms import has_control_characters

    policies: dict[tuple, str] = {}  # by the settings it reads: a change of rails (a test's) is followed

    def content_security_policy() -> str:
        key = tuple(str(app.config.get(name)) for name in ("CASE_MAP_TILE_URL", "PAYMENT_PROVIDERS", "ALIPAY_GATEWAY"))
        if key not in policies:
            policies[key] = _content_security_policy(app.config)
        return policies[key]

    @app.before_request
    def refuse_control_characters_in_the_address():
        # Search boxes and filters read the query string without a form; PostgreSQL refuses NUL in text.
        if any(has_control_characters(value) for values in request.args.listvalues() for value in values):
            abort(400)

    @app.after_request
    def finish_request(response):
        # The request is the transaction boundary: keep what succeeded, drop what failed. A request that
        # committed its own unit of work (a webhook delivery) has nothing left: no empty commit is begun.
        session = db.session()
        if session.in_transaction() or session.new or session.dirty or session.deleted:
            if response.status_code >= 400:
                session.rollback()
            else:
                session.commit()
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        lang = g.get("set_lang_cookie")
        if lang:
            response.set_cookie(LANG_COOKIE, lang, max_age=60 * 60 * 24 * 365, samesite="Lax",
                                httponly=True, secure=app.config["SESSION_COOKIE_SECURE"])
        return response


def _register_template_helpers(app: Flask) -> None:
    from portal.main.navigation import navigation_for

    @app.context_processor
    def inject_globals():
        # the user itself, not the proxy: the navigation's policy checks read it a few dozen times
        return {"current_locale": current_locale_code(),
                "navigation": navigation_for(current_user._get_current_object()),
                "languages": app.config["LANGUAGES"]}

    from portal.core import formatting

    formatting.register(app)
