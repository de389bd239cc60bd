"""Insights views: procurement red flags (GET /insights/red-flags), public; officials and platform
administrators also see the flags resting on non-public data (portal/insights/redflags.py says which)."""
from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from analytics import redflags as rules
from portal.contracts.views.payments import contract_url
from portal.core.errors import ValidationFailed
from portal.core.formatting import translated
from portal.core.pagination import Page
from portal.core.policy import public
from portal.insights import redflags as service
from portal.insights.views import bp

PER_PAGE = 50
FIRST_YEAR = 2000


def _year() -> int | None:
    text = request.args.get("year", "").strip()
    if not text:
        return None
    if not text.isdigit() or not FIRST_YEAR <= int(text) <= service.current_year() + 1:
        raise ValidationFailed(_("The year (year) is a year from %(first)d to %(last)d.", first=FIRST_YEAR,
                                 last=service.current_year() + 1), field="year")
    return int(text)


def _kind() -> str | None:
    text = request.args.get("kind", "").strip()
    if not text:
        return None
    if text not in rules.FLAG_KINDS:
        raise ValidationFailed(_("There is no flag kind (kind) “%(value)s”: choose one from the list.",
                                 value=text[:40]), field="kind")
    return text


def _department() -> int | None:
    text = request.args.get("department", "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise ValidationFailed(_("Choose the buyer (department) from the list."), field="department")
    return int(text)


def _page(total: int) -> int:
    text = request.args.get("page", "1").strip()
    pages = max(1, -(-total // PER_PAGE))
    if not text.isdigit() or not 1 <= int(text) <= pages:
        raise ValidationFailed(_("The page (page) is a whole number from 1 to %(pages)d.", pages=pages),
                               field="page")
    return int(text)


def target_url(flag: dict) -> str:
    """Where a flag points: its call, else its contract."""
    if flag.get("call_id") is not None and flag["kind"] not in (rules.AMENDMENT_INFLATION, rules.PAID_BEFORE_VERIFIED):
        return url_for("procurement.call_detail", call_id=flag["call_id"])
    if flag.get("contract_id") is not None:
        return contract_url(flag["contract_id"])
    return url_for("procurement.call_detail", call_id=flag["call_id"])


@bp.route("/red-flags")
@public
def red_flags():
    year, kind, department_id = _year(), _kind(), _department()
    data, computed_at = service.flags_for(current_user, year=year, department_id=department_id, kind=kind)
    if department_id is not None and department_id not in {d[0] for d in data["departments"]}:
        raise ValidationFailed(_("Choose the buyer (department) from the list."), field="department")
    page = _page(len(data["flags"]))
    shown = data["flags"][(page - 1) * PER_PAGE:page * PER_PAGE]
    rows = [{**flag, "url": target_url(flag), "explanation": service.explain(flag)} for flag in shown]
    labels = translated(service.KIND_LABELS)
    return render_template(
        "insights/red_flags.html", rows=rows, total=len(data["flags"]),
        page_info=Page(items=rows, page=page, per_page=PER_PAGE, total=len(data["flags"])), counts=data["counts"],
        departments=data["departments"],
        years=data["years"], restricted=data["restricted"], kind=kind, year=year, department_id=department_id,
        kind_labels=labels, kind_rules=translated(service.KIND_RULES), non_public=rules.NON_PUBLIC_KINDS,
        computed_at=computed_at, restricted_asked=kind in data["restricted"])
