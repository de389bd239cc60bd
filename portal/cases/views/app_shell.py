"""The grid worker's phone app (issue 13, item 3): an installable page that works offline.

The page shows my grid's open cases, today's follow-ups and a one-thumb report with the camera (a resident
gets the same report form and their own reports). static/cases/app.js keeps every report and follow-up in
the phone's IndexedDB with an idempotency key until the JSON endpoints here answer 200 or 201, so what was
made without a connection is sent when it is back, each exactly once; the service worker (sw.js, from
templates/cases/app_sw.js) keeps the page and its files for offline use.
"""
import hashlib
from functools import lru_cache
from pathlib import Path
from uuid import uuid4

from flask import Response, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from portal.accounts import roles
from portal.accounts.scopes import places_with_role
from portal.cases import loaders, phone_app, policy, queries, service
from portal.cases.app_forms import FollowUpForm, ReportForm
from portal.cases.models import CASE_STATUSES, CaseCategory
from portal.cases.views import bp
from portal.core.errors import DomainError
from portal.core.i18n import current_locale_code
from portal.core.policy import allowed_if, object_policy, public, signed_in
from portal.core.web import undo
from portal.extensions import db
from portal.needs.service import places_for_choices
from portal.places.models import Place

# what the service worker keeps for offline use besides the page itself (static/ paths)
SHELL_FILES = ("cases/app.js", "cases/app.css", "css/portal.css", "js/portal.js", "cases/icon-192.png",
               "cases/icon-512.png", "img/favicon.svg")
APP_SCOPE = "/cases/"
THEME_COLOUR = "#b4342d"


@lru_cache(maxsize=1)
def shell_version(static_folder: str, templates_folder: str) -> str:
    """A digest of the shell's files: a new version makes the service worker fetch them again."""
    digest = hashlib.sha256()
    for name in SHELL_FILES:
        digest.update((Path(static_folder) / name).read_bytes())
    for name in ("cases/app.html", "cases/_app_lists.html", "cases/app_sw.js"):
        digest.update((Path(templates_folder) / name).read_bytes())
    return digest.hexdigest()[:12]


def _version() -> str:
    return shell_version(current_app.static_folder, current_app.template_folder)


def _static(name: str) -> str:
    return url_for("static", filename=name, v=_version())


def _case_url(case) -> str:
    try:
        return url_for("cases.detail", case_id=case.id)
    except BuildError:  # the case pages are registered by portal/cases/views/cases.py
        return f"/cases/{case.id}"


def _report_places(grid_worker: bool) -> list[Place]:
    """A grid worker reports in their grids; a resident in a community or one of its grids."""
    if grid_worker:
        return sorted(places_with_role(current_user, roles.GRID_WORKER), key=lambda place: place.path)
    return places_for_choices()


def _report_categories(places: list[Place], grid_worker: bool) -> list[CaseCategory]:
    """The categories the page offers: those of the worker's grids (and above them); for a resident every
    active category, which the page narrows to the place they choose (each option names its place)."""
    if grid_worker:
        found = {category.id: category for place in places for category in service.categories_for(place)}
        return sorted(found.values(), key=lambda category: (category.place.path, category.name))
    return list(db.session.scalars(select(CaseCategory).options(joinedload(CaseCategory.place))
                                   .join(CaseCategory.place).where(CaseCategory.is_active)
                                   .order_by(Place.path, CaseCategory.name)))


@bp.route("/app")
@signed_in
def app():
    grid_worker = policy.is_grid_worker(current_user)
    places = _report_places(grid_worker)
    form = ReportForm(places=places, categories=_report_categories(places, grid_worker))
    form.idempotency_key.data = str(uuid4())  # without JavaScript the form is sent once with this key
    return render_template(
        "cases/app.html", form=form, grid_worker=grid_worker,
        open_cases=queries.grid_open_cases(current_user) if grid_worker else [],
        follow_ups=queries.follow_ups_today(current_user) if grid_worker else [],
        my_reports=queries.my_reports(current_user)[:20], case_statuses=CASE_STATUSES, case_url=_case_url,
        static_url=_static, theme_colour=THEME_COLOUR)


@bp.route("/app/session")
@signed_in
def app_session():
    """A fresh CSRF token for sending the queue (the page the phone kept may be older than the token's life),
    and whose queue it is (a phone shared by two accounts sends each one's reports as its author)."""
    response = jsonify({"csrf_token": generate_csrf(), "user_id": current_user.id})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/app/manifest.webmanifest")
@public
def app_manifest():
    language = "zh-CN" if current_locale_code() == "zh_CN" else "en"
    manifest = {
        "id": url_for("cases.app"), "name": _("Grid cases: report and follow up"), "short_name": _("Grid cases"),
        "description": _("Report a problem with a photo, follow up your grid's cases; works without a connection."),
        "lang": language, "start_url": url_for("cases.app"), "scope": APP_SCOPE, "display": "standalone",
        "background_color": "#f6f7f9", "theme_color": THEME_COLOUR,
        "icons": [{"src": _static(f"cases/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
                   "purpose": purpose} for size in (192, 512) for purpose in ("any", "maskable")],
    }
    response = jsonify(manifest)
    response.mimetype = "application/manifest+json"
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


@bp.route("/app/sw.js")
@public
def app_service_worker():
    script = render_template("cases/app_sw.js", version=_version(), page=url_for("cases.app"),
                             files=[_static(name) for name in SHELL_FILES],
                             never_cached=[url_for("cases.app_session")])
    response = Response(script, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = APP_SCOPE
    response.headers["Cache-Control"] = "no-cache"  # the browser checks for a new worker on every visit
    return response


# --- the queue's endpoints: JSON in, JSON out ------------------------------------------------------------

def _json_error(message: str, field: str | None = None, status: int = 400, code: str = "invalid"):
    return jsonify({"error": {"code": code, "message": message, "field": field}}), status


def _invalid(form):
    name, errors = next(iter(form.errors.items()))
    label = form[name].label.text if name in form and form[name].label.text else ""
    return _json_error(f"{label}: {errors[0]}" if label else errors[0], field=name)


def _sent(case, created: bool):
    return jsonify({"reference": case.reference, "url": _case_url(case), "created": created}), 201 if created else 200


def _apply(form, action):
    """Validate, call the service once; a refusal is undone and answered as JSON with its field."""
    if not form.validate_on_submit():
        return _invalid(form)
    try:
        case, created = action()
    except DomainError as error:
        undo()
        return jsonify(error.to_json()), error.status_code
    return _sent(case, created)


@bp.route("/app/reports", methods=["POST"])
@allowed_if(policy.can_report_case)
def app_report():
    """A report from the phone's queue: 201 with the new case, 200 (created false) for a replay of its key."""
    form = ReportForm()

    def report():
        latitude, longitude = form.point()
        return service.report_case(
            current_user, category_id=int(form.category_id.data), title=(form.title.data or "").strip(),
            description=(form.description.data or "").strip(), place_id=int(form.place_id.data),
            latitude=latitude, longitude=longitude,
            photos=request.files.getlist("photos"), idempotency_key=form.idempotency_key.data, via="phone_app")

    return _apply(form, report)


@bp.route("/app/cases/<int:case_id>/verify", methods=["POST"])
@object_policy(policy.can_verify_case, loaders.load_case)
def app_verify(case):
    """A follow-up from the phone's queue: 201 when it verified the case, 200 (created false) for a replay."""
    form = FollowUpForm()
    return _apply(form, lambda: phone_app.verify_from_app(case, current_user, form.idempotency_key.data,
                                                          form.note.data or "", request.files.getlist("photos")))
