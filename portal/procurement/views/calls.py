"""Calls: the public list, a call's page (timeline, questions, revisions and the sections the bids, evaluation
and award work contribute), drafting and publishing, amending, cancelling, reissuing, questions and answers,
and the official's workbench."""
from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.core.formatting import local_datetime, money
from portal.core.pagination import paginate
from portal.core.policy import allowed_if, object_policy, public
from portal.core.web import ButtonForm, button_action, done, submit_form
from portal.extensions import db
from portal.orgs.models import SERVICE_AREAS, Organisation
from portal.places.models import Place
from portal.procurement import call_queries as queries
from portal.procurement import calls as service
from portal.procurement import loaders, policy, questions, timed
from portal.procurement.call_forms import AmendForm, AnswerForm, CallForm, CancelForm, QuestionForm, initial_data
from portal.procurement.call_rules import CallDetails
from portal.procurement.calls import LATE_AMENDMENT_NOTICE_DAYS
from portal.procurement.models import (
    CALL_MODES,
    CALL_STATUSES,
    CRITERION_KINDS,
    DRAFT,
    PUBLIC_STATUSES,
    PUBLISHED,
    SERVICE_UNITS,
    Call,
)
from portal.procurement.sections import sections_for
from portal.procurement.timeline import countdown_text, next_moment, timeline_of
from portal.procurement.views import bp

PER_PAGE = 20


def field_labels() -> dict:
    return {"title": _("Title"), "category": _("Category of service"), "place_id": _("Place"),
            "description": _("What is bought"), "eligibility": _("Who may bid"), "budget_cap_minor": _("Budget cap"),
            "price_floor_minor": _("Price floor"), "min_bids": _("Minimum number of bids"),
            "questions_until": _("Questions until"), "bids_until": _("Bid deadline and opening"),
            "publicity_days": _("Publicity period (days)"), "invited_organisation_id": _("Invited organisation"),
            "roadshow_starts_at": _("Roadshow starts"), "roadshow_ends_at": _("Roadshow voting ends"),
            "roadshow_place": _("Roadshow venue"), "consultation": _("Consultation it answers"),
            "no_need_reason": _("Why it answers no need or consultation"), "lots": _("Lots"),
            "criteria": _("Award criteria"), "need_ids": _("Residents' needs it answers")}


def _labels() -> dict:
    return {"call_modes": CALL_MODES, "call_statuses": CALL_STATUSES, "categories": SERVICE_AREAS,
            "criterion_kinds": CRITERION_KINDS, "service_units": SERVICE_UNITS, "policy": policy}


def change_text(name: str, value) -> str:
    """A revision's before or after value as a person reads it."""
    from datetime import datetime

    if value in (None, "", []):
        return "—"
    if name.endswith("_minor"):
        return money(value)
    if name in service.TIME_FIELDS:
        return local_datetime(datetime.fromisoformat(value))
    if name == "category":
        return str(SERVICE_AREAS.get(value, value))
    if name == "place_id":
        place = db.session.get(Place, value)
        return place.name if place else str(value)
    if name == "invited_organisation_id":
        organisation = db.session.get(Organisation, value)
        return organisation.name if organisation else str(value)
    if name == "lots":
        return "; ".join(f"{lot['number']}. {lot['title']} · {money(lot['budget_cap_minor'])} · "
                         + ", ".join(f"{code} {item} × {quantity}" for code, item, quantity in lot["lines"])
                         for lot in value)
    if name == "criteria":
        return "; ".join(f"{criterion_name} {weight}%" for _kind, criterion_name, weight, _rubric in value)
    if name == "need_ids":
        return ", ".join(f"#{need_id}" for need_id in value)
    return str(value)


# --- the public list ---------------------------------------------------------------------------------------
@bp.route("/")
@public
def calls():
    places = queries.place_choices()
    place_id = request.args.get("place", "")
    place = next((p for p in places if str(p.id) == place_id), None)
    mode, status, category = (request.args.get(name, "") for name in ("mode", "status", "category"))
    mode = mode if mode in CALL_MODES else ""
    status = status if status in PUBLIC_STATUSES else ""
    category = category if category in SERVICE_AREAS else ""
    page = paginate(queries.list_query(mode, status, place, category), per_page=PER_PAGE)
    return render_template("procurement/calls_list.html", page=page, places=places, place=place, mode=mode,
                           status=status, category=category, public_statuses=PUBLIC_STATUSES, **_labels())


# --- a call's page -----------------------------------------------------------------------------------------
def _render_detail(call: Call, forms: dict | None = None, status: int = 200):
    forms = forms or {}
    timed.apply_due_steps(call)
    moments = timeline_of(call)
    upcoming = next_moment(call, moments)
    manage = policy.can_manage_call(current_user, call)
    asked = questions.questions_of(call)
    answer_forms = {question.id: AnswerForm(prefix=f"q{question.id}") for question in asked
                    if manage and question.answer is None}
    answer_forms.update(forms.get("answers") or {})
    context = {
        "call": call, "moments": moments, "upcoming": upcoming,
        "countdown": countdown_text(upcoming.at) if upcoming else None,
        "needs": queries.needs_of(call), "questions": asked,
        "revisions": queries.revisions_of(call), "reissues": service.reissues_of(call),
        "reissue_of": db.session.get(Call, call.reissue_of_id) if call.reissue_of_id else None,
        "sections": _rendered_sections(call, manage), "is_buyer": manage, "button_form": ButtonForm(),
        "question_form": forms.get("question") or QuestionForm(),
        "answer_forms": answer_forms,
        "field_labels": field_labels(), "change_text": change_text,
        "late_notice_days": LATE_AMENDMENT_NOTICE_DAYS}
    return render_template("procurement/call_detail.html", **context, **_labels()), status


def _rendered_sections(call, manage: bool) -> list[Markup]:
    """Each registered section rendered with its own context (beside the call, the policy and the buyer flag),
    so a section template names its values directly, as it would in a page of its own."""
    return [Markup(render_template(template, **{"call": call, "policy": policy, "is_buyer": manage, **context}))
            for template, context in sections_for(call, current_user)]


@bp.route("/calls/<int:call_id>")
@object_policy(policy.can_view_call, queries.call_for_page, login=False)
def call_detail(call):
    return _render_detail(call)


# --- drafting ----------------------------------------------------------------------------------------------
def _setup(form, department, details: CallDetails | None, fresh: bool) -> None:
    keep = details.need_ids if details else ()
    form.setup(queries.department_places(department), queries.catalogue_choices(department),
               queries.organisation_choices(), queries.need_choices(department, keep), fresh)


def _render_form(template: str, form, department, call=None, status: int = 200):
    return render_template(template, form=form, department=department, call=call,
                           late_notice_days=LATE_AMENDMENT_NOTICE_DAYS, **_labels()), status


@bp.route("/departments/<int:department_id>/calls/new", methods=["GET", "POST"])
@object_policy(policy.can_manage_department, loaders.load_department)
def call_new(department):
    form = CallForm(data=initial_data(None, department.place_id))
    _setup(form, department, None, fresh=not form.is_submitted())
    return submit_form(form, lambda: service.create_draft(department, current_user, form.details()),
                       lambda call: done(_("The call is saved as a draft. Check it, then publish it."),
                                         url_for("procurement.call_detail", call_id=call.id)),
                       lambda status: _render_form("procurement/call_form.html", form, department, None, status))


@bp.route("/calls/<int:call_id>/edit", methods=["GET", "POST"])
@object_policy(policy.can_manage_call, queries.call_for_page)
def call_edit(call):
    details = service.details_of(call)
    form = CallForm(data=initial_data(details))
    _setup(form, call.department, details, fresh=not form.is_submitted())
    if call.status != DRAFT and not form.is_submitted():
        return _render_detail(call, status=409) if call.status != PUBLISHED else done(
            _("A published call is amended, with a summary of what changed."),
            url_for("procurement.call_amend", call_id=call.id), "info")
    return submit_form(form, lambda: service.update_draft(call, current_user, form.details()),
                       lambda result: done(_("The draft is saved."),
                                           url_for("procurement.call_detail", call_id=call.id)),
                       lambda status: _render_form("procurement/call_form.html", form, call.department, call, status))


@bp.route("/calls/<int:call_id>/publish", methods=["POST"])
@object_policy(policy.can_manage_call, queries.call_for_page)
def call_publish(call):
    return button_action(lambda: service.publish_call(call, current_user),
                         lambda result: done(_("The call is published: organisations may ask questions and bid."),
                                             url_for("procurement.call_detail", call_id=call.id)),
                         url_for("procurement.call_detail", call_id=call.id), flash_statuses=(400,))


@bp.route("/calls/<int:call_id>/amend", methods=["GET", "POST"])
@object_policy(policy.can_manage_call, queries.call_for_page)
def call_amend(call):
    details = service.details_of(call)
    form = AmendForm(data=initial_data(details))
    _setup(form, call.department, details, fresh=not form.is_submitted())

    def amended(revision):
        message = _("Revision %(n)d is published.", n=revision.number)
        if revision.deadline_extended:
            message += " " + _("The bid deadline moved to %(when)s so bidders have %(days)d days to respond.",
                               when=local_datetime(call.bids_until), days=LATE_AMENDMENT_NOTICE_DAYS)
        return done(message, url_for("procurement.call_detail", call_id=call.id))

    if not form.is_submitted() and call.status != PUBLISHED:
        return _render_detail(call, status=409)
    return submit_form(form, lambda: service.amend_call(call, current_user, form.details(), form.summary.data),
                       amended,
                       lambda status: _render_form("procurement/call_amend.html", form, call.department, call, status))


@bp.route("/calls/<int:call_id>/cancel", methods=["GET", "POST"])
@object_policy(policy.can_manage_call, queries.call_for_page)
def call_cancel(call):
    form = CancelForm()
    return submit_form(form, lambda: service.cancel_call(call, current_user, form.reason.data),
                       lambda result: done(_("The call is cancelled; the reason is shown on its page."),
                                           url_for("procurement.call_detail", call_id=call.id)),
                       lambda status: (render_template("procurement/call_cancel.html", form=form, call=call,
                                                       **_labels()), status))


@bp.route("/calls/<int:call_id>/reissue", methods=["POST"])
@object_policy(policy.can_manage_call, queries.call_for_page)
def call_reissue(call):
    return button_action(lambda: service.reissue_call(call, current_user),
                         lambda new: done(_("A new draft copies the call. Set its dates, check it and publish it."),
                                          url_for("procurement.call_edit", call_id=new.id)),
                         url_for("procurement.call_detail", call_id=call.id), flash_statuses=())


# --- questions ---------------------------------------------------------------------------------------------
@bp.route("/calls/<int:call_id>/questions", methods=["POST"])
@object_policy(policy.can_ask_question, queries.call_for_page)
def ask_question(call):
    form = QuestionForm()
    return submit_form(form, lambda: questions.ask_question(call, current_user, form.question.data),
                       lambda question: done(_("Your question is sent. The answer will be public on this page."),
                                             url_for("procurement.call_detail", call_id=call.id) + "#questions"),
                       lambda status: _render_detail(queries.call_for_page(call.id), {"question": form}, status))


@bp.route("/calls/<int:call_id>/questions/<int:question_id>/answer", methods=["POST"])
@object_policy(policy.can_answer_question, loaders.load_question)
def answer_question(question):
    form, call_id = AnswerForm(prefix=f"q{question.id}"), question.call_id
    return submit_form(form, lambda: questions.answer_question(question, current_user, form.answer.data),
                       lambda result: done(_("The answer is public."),
                                           url_for("procurement.call_detail", call_id=call_id) + "#questions"),
                       lambda status: _render_detail(queries.call_for_page(call_id),
                                                     {"answers": {question.id: form}}, status))


# --- the official's workbench ------------------------------------------------------------------------------
@bp.route("/workbench")
@allowed_if(policy.is_buyer_official)
def workbench():
    return render_template("procurement/workbench.html", bench=queries.workbench(current_user), **_labels())
