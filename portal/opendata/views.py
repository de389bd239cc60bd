"""Open data (public, GET only): the index page, OCDS release and record packages (all calls, paged, and per
call), and CSV/XLSX exports of the public tables. Thin: the packages are built in portal/opendata/ocds.py."""
import json

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import gettext as _

from portal.core.errors import DomainError, ValidationFailed
from portal.core.policy import object_policy, public
from portal.extensions import db
from portal.opendata import exports, ocds, policy, queries

bp = Blueprint("opendata", __name__, url_prefix="/opendata")

CALLS_PER_PAGE = 100  # calls per page of the packages (each call brings all of its releases)
MAX_PAGE = 1_000_000


def _json(document: dict, status: int = 200) -> Response:
    return Response(json.dumps(document, ensure_ascii=False, separators=(",", ":")), status=status,
                    mimetype="application/json")


def _page() -> int:
    text = request.args.get("page", "1").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise ValidationFailed(_("The page is a whole number from 1."), field="page")
    return int(text)


def _paged(build, endpoint: str) -> Response:
    """One page of a package over every published call, with links.next while more calls follow."""
    try:
        page = _page()
    except DomainError as error:
        return _json(error.to_json(), error.status_code)
    total = queries.count_public_calls()
    pages = max(1, -(-total // CALLS_PER_PAGE))
    if page > pages:
        return _json({"error": {"code": "not_found", "field": "page",
                                "message": _("There are %(pages)d pages.", pages=pages)}}, 404)
    ids = list(db.session.scalars(queries.public_call_ids_query().limit(CALLS_PER_PAGE)
                                  .offset((page - 1) * CALLS_PER_PAGE)))
    uri = url_for(endpoint, page=page, _external=True)
    next_url = url_for(endpoint, page=page + 1, _external=True) if page < pages else None
    return _json(build(queries.call_data(ids), uri, next_url))


@bp.route("/")
@public
def index():
    return render_template("opendata/index.html", tables=exports.TABLES, columns=exports.COLUMNS,
                           ocid_prefix=current_app.config["OCDS_OCID_PREFIX"], license_url=ocds.LICENSE_URL)


@bp.route("/ocds/releases.json")
@public
def releases():
    return _paged(ocds.release_package, "opendata.releases")


@bp.route("/ocds/records.json")
@public
def records():
    return _paged(ocds.record_package, "opendata.records")


@bp.route("/ocds/calls/<int:call_id>/releases.json")
@object_policy(policy.can_read_call_data, queries.load_public_call, login=False)
def call_releases(call):
    return _json(ocds.release_package(queries.call_data([call.id]), request.base_url))


@bp.route("/ocds/calls/<int:call_id>/record.json")
@object_policy(policy.can_read_call_data, queries.load_public_call, login=False)
def call_record(call):
    return _json(ocds.record_package(queries.call_data([call.id]), request.base_url))


@bp.route("/<any(calls, awards, contracts, payments):table>.csv")
@public
def table_csv(table):
    return Response(exports.as_csv(table), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{table}.csv"'})


@bp.route("/<any(calls, awards, contracts, payments):table>.xlsx")
@public
def table_xlsx(table):
    return Response(exports.as_xlsx(table),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{table}.xlsx"'})

