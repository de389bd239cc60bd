"""The grid case pages: my work and the public list, the report form, a case's page with its timeline, clocks
and the steps the signed-in person may take (each step a POST route of its own), a case's photos, and the
categories of the places an official runs."""
from flask import abort, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user

from portal.cases import categories as category_service
from portal.cases import photos, policy, queries, service
from portal.cases.forms import (
    CategoryForm,
    ContractLogForm,
    DispatchForm,
    EvaluateForm,
    HandleForm,
    NoteForm,
    ReasonForm,
    ReportForm,
    RequiredNoteForm,
    VerifyForm,
    optional_id,
)
from portal.cases.loaders import load_case, load_category, load_photo
from portal.cases.models import (
    CASE_STATUSES,
    DISPATCHED,
    FILED,
    FOLLOW_UP_PHOTO,
    HANDLED,
    HANDLING_PHOTO,
    LOOPS,
    OPEN_STATUSES,
    REPORT_PHOTO,
    REPORTED,
    STREET_LOOP,
)
from portal.cases.steps import CASE_STEPS
from portal.cases.views import bp
from portal.core.errors import ValidationFailed
from portal.core.pagination import paginate
from portal.core.policy import allowed_if, object_policy, public, signed_in
from portal.core.web import ButtonForm, done, submit_form
from portal.extensions import db
from portal.places.models import Place
from portal.places.service import ancestors_of

PHOTO_STAGES = ((REPORT_PHOTO, _l("As reported")), (HANDLING_PHOTO, _l("After handling")),
                (FOLLOW_UP_PHOTO, _l("On the follow-up visit")))

EVENT_LABELS = {"report": lazy_pgettext("case event", "Reported"), "file": _l("Filed"), "reject": _l("Not a case"),
                "dispatch": _l("Dispatched"),
                "accept": _l("Taken up"), "handle": _l("Handled"), "feedback": _l("Reporter told"),
                "verify": _l("Verified on site"), "handle_again": _l("Sent back: not fixed"), "close": _l("Closed"),
                "evaluate": _l("Evaluated"), "reopen": _l("Reopened: the reporter was not satisfied"),
                "escalate": _l("Escalated to the district"), "to_need": _l("Made a resident need")}


def _labels() -> dict:
    return {"case_statuses": CASE_STATUSES, "loops": LOOPS, "event_labels": EVENT_LABELS, "policy": policy,
            "is_overdue": service.is_overdue}


def _place(value) -> Place | None:
    return db.session.get(Place, int(value)) if value and str(value).isdigit() else None


# --- my work and the public list -------------------------------------------------------------------

@bp.route("/")
@public
def index():
    status = request.args.get("status", "")
    if status not in CASE_STATUSES and status != "open":
        status = ""
    page = paginate(queries.public_cases_query(status), per_page=20)
    mine = {}
    if current_user.is_authenticated:
        mine = {"worklist": queries.worklist(current_user), "my_reports": queries.my_reports(current_user),
                "grid_open": queries.grid_open_cases(current_user),
                "follow_ups": queries.follow_ups_today(current_user),
                "grid_worker": policy.is_grid_worker(current_user)}
    return render_template("cases/index.html", page=page, status=status, mine=mine, **_labels())


# --- reporting ------------------------------------------------------------------------------------

@bp.route("/report", methods=["GET", "POST"])
@signed_in
def report():
    form = ReportForm(places=queries.report_places(current_user), categories=queries.report_categories(None))
    if not form.is_submitted():
        default = _place(request.args.get("place")) or queries.default_report_place(current_user)
        form.place_id.data = str(default.id) if default is not None else ""
        form.category_id.data = request.args.get("category", "")

    def reported(result):
        case, created = result
        if not created:
            return done(_("This report had already arrived: here is the case it made."),
                        url_for("cases.detail", case_id=case.id), "info")
        return done(_("Thank you: case %(reference)s is reported. The community worker files it and sends it to "
                      "who handles it; you can follow every step here.", reference=case.reference),
                    url_for("cases.detail", case_id=case.id))

    return submit_form(
        form,
        lambda: service.report_case(current_user, category_id=optional_id(form.category_id.data),
                                    title=(form.title.data or "").strip(), description=form.description.data or "",
                                    place_id=optional_id(form.place_id.data), latitude=form.latitude.data,
                                    longitude=form.longitude.data, photos=form.photos.data or (),
                                    idempotency_key=form.idempotency_key.data or None, via="web"),
        reported,
        lambda status: (render_template("cases/report.html", form=form, **_labels()), status))


# --- the case page ---------------------------------------------------------------------------------

def _may(step: str, case) -> bool:
    """Whether the case's status allows `step` now (the policy says who; this only hides forms that would
    be refused)."""
    return case.status in CASE_STEPS[step][0]


def _action_forms(case, given: dict) -> dict:
    """The forms of the steps the current user may take on `case` now, `given` ones (with errors) kept."""
    user, forms = current_user, {}

    def add(name, allowed, make):
        if allowed:
            forms[name] = given.get(name) or make()

    triage = policy.can_triage_case(user, case)
    handler = policy.can_handle_case(user, case)
    add("file", triage and _may("file", case), NoteForm)
    add("reject", triage and _may("reject", case), ReasonForm)
    add("dispatch", triage and _may("dispatch", case),
        lambda: DispatchForm(departments=queries.dispatch_departments(case),
                             contracts=queries.dispatch_contracts(case)))
    add("accept", handler and _may("accept", case), ButtonForm)
    add("handle", handler and _may("handle", case), HandleForm)
    told = case.feedback_at is not None and case.handled_at is not None and case.feedback_at >= case.handled_at
    add("feedback", policy.can_give_feedback(user, case) and case.status == HANDLED and not told, RequiredNoteForm)
    verify = policy.can_verify_case(user, case)
    add("verify", verify and _may("verify", case), VerifyForm)
    add("send_back", verify and _may("handle_again", case), RequiredNoteForm)
    add("close", triage and _may("close", case), NoteForm)
    add("evaluate", policy.can_evaluate_case(user, case) and _may("evaluate", case), EvaluateForm)
    add("escalate", policy.can_escalate_case(user, case) and case.loop == STREET_LOOP
        and case.status in OPEN_STATUSES, ReasonForm)
    add("make_need", triage and case.need_id is None and case.status in (REPORTED, FILED), ButtonForm)
    add("log_contract", policy.can_log_against_contract(user, case) and case.contract_id is not None
        and case.scope_request_id is None, lambda: ContractLogForm(lines=queries.contract_lines(case)))
    return forms


def _render_detail(case, given: dict | None = None, status: int = 200):
    user = current_user
    staff = policy.can_triage_case(user, case) or policy.can_handle_case(user, case) or policy.can_verify_case(
        user, case)
    duplicates = []
    if case.status in OPEN_STATUSES and (staff or policy.is_reporter(user, case)):
        duplicates = [other for other in service.likely_duplicates(
            case.category_id, latitude=case.latitude, longitude=case.longitude, place_id=case.place_id,
            exclude_id=case.id) if policy.can_view_case(user, other)]
    photos_by_stage = [(stage, label, [p for p in case.photos if p.stage == stage]) for stage, label in PHOTO_STAGES]
    context = {"case": case, "ancestors": ancestors_of(case.place), "forms": _action_forms(case, given or {}),
               "photos_by_stage": [row for row in photos_by_stage if row[2]], "duplicates": duplicates,
               "clocks": service.clock_rows(case), "events": queries.timeline(case),
               "show_reporter": staff or policy.is_reporter(user, case) or policy.is_district_official(user, case)}
    return render_template("cases/detail.html", **context, **_labels()), status


@bp.route("/<int:case_id>")
@object_policy(policy.can_view_case, load_case, login=False)
def detail(case):
    return _render_detail(case)


@bp.route("/<int:case_id>/photos/<int:photo_id>")
@object_policy(policy.can_view_photo, load_photo, login=False)
def photo(case_photo):
    path = photos.photo_path(case_photo)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=case_photo.content_type, max_age=3600)
    if not case_photo.case.category.is_public:
        response.cache_control.public = False
        response.cache_control.private = True
    return response


# --- the steps: one POST route each, guarded by its policy, through the one form flow ----------------

def _step(name, check, make_form, action, message, url=None):
    """Register POST /cases/<id>/<url> as the step `name`: `check` through object_policy, then `make_form`
    validated and `action(case, form)` called; the case page comes back with the form's errors (400), or the
    message of a step the case's status refuses (409)."""

    def view(case):
        form = make_form(case)
        return submit_form(form, lambda: action(case, form),
                           lambda result: done(message(result) if callable(message) else message,
                                               url_for("cases.detail", case_id=case.id)),
                           lambda status: _render_detail(load_case(case.id), {name: form}, status))

    view.__name__ = view.__qualname__ = name
    view.__doc__ = f"POST: the case's step “{name}”."
    bp.add_url_rule(f"/<int:case_id>/{url or name.replace('_', '-')}", endpoint=name,
                    view_func=object_policy(check, load_case)(view), methods=["POST"])


def _dispatch_form(case):
    return DispatchForm(departments=queries.dispatch_departments(case), contracts=queries.dispatch_contracts(case))


def _evaluate(case, form):
    if form.satisfied.data not in ("yes", "no"):
        raise ValidationFailed(_("Choose “Satisfied” or “Not satisfied”."), field="satisfied")
    service.evaluate_case(case, current_user, form.satisfied.data == "yes", form.comment.data or "")
    return case


def _evaluated(case):
    if case.status == DISPATCHED:  # not satisfied, the first time: reopened
        return _("Sorry it was not right: the case is open again and goes back to who handles it.")
    return _("Thank you for your verdict.")


_step("file", policy.can_triage_case, lambda case: NoteForm(),
      lambda case, form: service.file_case(case, current_user, form.note.data or ""),
      _("Filed: the case is a case. Dispatch it to who handles it."))
_step("reject", policy.can_triage_case, lambda case: ReasonForm(),
      lambda case, form: service.reject_case(case, current_user, (form.reason.data or "").strip()),
      _("Marked as not a case; the reporter reads your reason."))
_step("dispatch", policy.can_triage_case, _dispatch_form,
      lambda case, form: service.dispatch_case(case, current_user, department_id=optional_id(form.department_id.data),
                                               contract_id=optional_id(form.contract_id.data),
                                               note=form.note.data or ""),
      _("Dispatched: the handler's clock to take it up is running."))
_step("accept", policy.can_handle_case, lambda case: ButtonForm(),
      lambda case, form: service.accept_case(case, current_user),
      _("Taken up: the clock to handle it is running."))
_step("handle", policy.can_handle_case, lambda case: HandleForm(),
      lambda case, form: service.handle_case(case, current_user, (form.note.data or "").strip(),
                                             photos=form.photos.data or ()),
      _("Handled: tell the reporter what was done; the grid worker checks it on site."))
_step("feedback", policy.can_give_feedback, lambda case: RequiredNoteForm(),
      lambda case, form: service.give_feedback(case, current_user, (form.note.data or "").strip()),
      _("The reporter is told."))
_step("verify", policy.can_verify_case, lambda case: VerifyForm(),
      lambda case, form: service.verify_case(case, current_user, form.note.data or "", photos=form.photos.data or ()),
      _("Verified on site: the community worker can close it."))
_step("send_back", policy.can_verify_case, lambda case: RequiredNoteForm(),
      lambda case, form: service.send_back(case, current_user, (form.note.data or "").strip()),
      _("Sent back to the handler: it is not fixed yet."))
_step("close", policy.can_triage_case, lambda case: NoteForm(),
      lambda case, form: service.close_case(case, current_user, form.note.data or ""),
      _("Closed: the reporter is asked for their verdict."))
_step("evaluate", policy.can_evaluate_case, lambda case: EvaluateForm(), _evaluate,
      _evaluated)
_step("escalate", policy.can_escalate_case, lambda case: ReasonForm(),
      lambda case, form: service.escalate_case(case, current_user, (form.reason.data or "").strip()),
      lambda escalated: _("Escalated to the district's big loop.") if escalated
      else _("The case was already in the district's big loop."))
_step("make_need", policy.can_triage_case, lambda case: ButtonForm(),
      lambda case, form: service.case_to_need(case, current_user),
      _("A resident need is made from the case: neighbours can back it on the needs board."), url="need")
_step("log_contract", policy.can_log_against_contract,
      lambda case: ContractLogForm(lines=queries.contract_lines(case)),
      lambda case, form: service.log_against_contract(case, current_user, line_id=optional_id(form.line_id.data)),
      _("Logged in the contract's scope ledger."), url="contract-log")


# --- categories ------------------------------------------------------------------------------------

def _category_form(category=None):
    places = queries.managed_places(current_user)
    return CategoryForm(obj=category, places=places, departments=queries.category_departments(places),
                        contracts=queries.category_contracts(places))


def _category_fields(form) -> dict:
    return {"place_id": optional_id(form.place_id.data), "code": (form.code.data or "").strip(),
            "name": (form.name.data or "").strip(), "description": form.description.data or "",
            "department_id": optional_id(form.department_id.data), "contract_id": optional_id(form.contract_id.data),
            "accept_hours": form.accept_hours.data, "handle_hours": form.handle_hours.data,
            "feedback_hours": form.feedback_hours.data, "is_public": bool(form.is_public.data),
            "is_active": bool(form.is_active.data)}


@bp.route("/categories")
@allowed_if(policy.can_manage_some_categories)
def categories():
    places = queries.managed_places(current_user)
    return render_template("cases/categories.html", categories=queries.categories_of(places), **_labels())


@bp.route("/categories/new", methods=["GET", "POST"])
@allowed_if(policy.can_manage_some_categories)
def category_new():
    form = _category_form()
    if not form.is_submitted() and request.args.get("place"):
        form.place_id.data = request.args["place"]
    return submit_form(form, lambda: category_service.create_category(current_user, **_category_fields(form)),
                       lambda category: done(_("Category “%(name)s” is added.", name=category.name),
                                             url_for("cases.categories")),
                       lambda status: (render_template("cases/category_form.html", form=form, category=None),
                                       status))


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
@object_policy(policy.can_manage_category, load_category)
def category_edit(category):
    form = _category_form(category)
    if not form.is_submitted():
        form.place_id.data, form.department_id.data = str(category.place_id), str(category.department_id or "")
        form.contract_id.data = str(category.contract_id or "")
    return submit_form(form, lambda: category_service.update_category(category, current_user,
                                                                      **_category_fields(form)),
                       lambda result: done(_("Category “%(name)s” is saved.", name=category.name),
                                           url_for("cases.categories")),
                       lambda status: (render_template("cases/category_form.html", form=form, category=category),
                                       status))
