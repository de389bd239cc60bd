"""Volunteering pages: upcoming shifts, a project's opportunities, sign-up, the volunteer's page with QR
codes and certificate, and the organiser's roster, QR check-in and hour verification (phone first)."""
from datetime import timedelta

import segno
from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.core.errors import ValidationFailed
from portal.core.pagination import paginate
from portal.core.policy import object_policy, public, signed_in
from portal.core.time import utcnow
from portal.core.web import button_action, done, is_safe_next, submit_form
from portal.places.models import KIND_LABELS
from portal.projects.models import PROJECT_STATUSES
from portal.volunteering import hours as hours_service
from portal.volunteering import policy, queries, service
from portal.volunteering.certificate import certificate_pdf, hours_text
from portal.volunteering.formatting import clock, timespan, where
from portal.volunteering.forms import CheckOutForm, EmptyForm, OpportunityForm, ReasonForm, ShiftForm
from portal.volunteering.models import (
    CHECKED_IN,
    CHECKED_OUT,
    CONFIRMED,
    HOUR_STATUSES,
    NO_SHOW,
    RECORDED,
    SIGNUP_STATUSES,
    VERIFIED,
    WAITLISTED,
)

bp = Blueprint("volunteering", __name__)


# --- helpers for templates ------------------------------------------------------------------------

def skill_list(shift, own: bool = False) -> list[str]:
    """The shift's skills, or (unless `own`) the opportunity's when the shift names none."""
    skills = shift.skills if own else (shift.skills or shift.opportunity.skills)
    return [skill.strip() for skill in skills.split(",") if skill.strip()]


@bp.context_processor
def _template_helpers():
    return {"timespan": timespan, "where": where, "clock": clock, "skill_list": skill_list, "hours": hours_text,
            "signup_statuses": SIGNUP_STATUSES, "hour_statuses": HOUR_STATUSES, "project_statuses": PROJECT_STATUSES,
            "volunteering_policy": policy, "project_url": project_url, "hours_grace": hours_service.HOURS_GRACE_MINUTES,
            "short_record_minutes": hours_service.SHORT_RECORD_MINUTES}


def project_url(project) -> str | None:
    """The project's own page, once the projects blueprint is there."""
    if "projects.detail" in current_app.view_functions:
        return url_for("projects.detail", project_id=project.id)
    return None


def _back(default: str) -> str:
    """The page the button was on (a local path), else `default`: where a button press goes either way."""
    target = request.form.get("next")
    return target if is_safe_next(target) else default


# --- public: upcoming shifts and a project's opportunities ----------------------------------------

@bp.route("/volunteer/")
@public
def index():
    places = queries.browse_places()
    place_id = request.args.get("place", "")
    place = next((p for p in places if str(p.id) == place_id), None)
    skill = request.args.get("skill", "").strip()[:50]
    page = paginate(service.upcoming_shifts_query(place, skill), per_page=20)
    shift_ids = [shift.id for shift in page.items]
    return render_template("volunteering/index.html", page=page, places=places, place=place, skill=skill,
                           waitlists=service.waitlist_lengths(shift_ids),
                           mine=service.signups_of(current_user, shift_ids), kind_labels=KIND_LABELS,
                           filtered=bool(place or skill), button_form=EmptyForm())


@bp.route("/projects/<int:project_id>/volunteer")
@object_policy(policy.can_view_opportunities, queries.load_project, login=False)
def project_opportunities(project):
    organiser = policy.is_project_org_member(current_user, project)
    opportunities = queries.project_opportunities(project)
    now = utcnow()
    upcoming = {o.id: [s for s in o.shifts if s.starts_at > now] for o in opportunities}
    shift_ids = [s.id for o in opportunities for s in o.shifts]
    return render_template("volunteering/project.html", project=project, opportunities=opportunities,
                           upcoming=upcoming, recent=queries.recent_shifts(opportunities, now) if organiser else {},
                           organiser=organiser,
                           can_publish=organiser and project.status in policy.OPEN_FOR_VOLUNTEERS,
                           waitlists=service.waitlist_lengths(shift_ids),
                           mine=service.signups_of(current_user, shift_ids),
                           pending_hours=queries.hours_awaiting_verification(project) if organiser else 0,
                           button_form=EmptyForm())


# --- organisers: opportunities and shifts ---------------------------------------------------------

@bp.route("/projects/<int:project_id>/volunteer/new", methods=["GET", "POST"])
@object_policy(policy.can_publish_opportunity, queries.load_project)
def new_opportunity(project):
    places = queries.shift_places(project)
    form = OpportunityForm(places=places)
    return submit_form(
        form, lambda: service.publish_opportunity(
            project, current_user, title=form.title.data, description=form.description.data, skills=form.skills.data,
            first_shift=form.shift_values({p.id: p for p in places}, with_skills=False)),
        lambda opportunity: done(_("The opportunity is published; residents can sign up now."),
                                 url_for("volunteering.project_opportunities", project_id=project.id)),
        lambda status: (render_template("volunteering/opportunity_form.html", form=form, project=project), status))


@bp.route("/opportunities/<int:opportunity_id>/shifts/new", methods=["GET", "POST"])
@object_policy(policy.can_manage_opportunity, queries.load_opportunity)
def new_shift(opportunity):
    places = queries.shift_places(opportunity.project)
    form = ShiftForm(places=places)
    return submit_form(
        form, lambda: service.add_shift(opportunity, current_user, **form.shift_values({p.id: p for p in places})),
        lambda shift: done(_("The shift is added."),
                           url_for("volunteering.project_opportunities", project_id=opportunity.project_id)),
        lambda status: (render_template("volunteering/shift_form.html", form=form, opportunity=opportunity,
                                        project=opportunity.project), status))


@bp.route("/opportunities/<int:opportunity_id>/close", methods=["GET", "POST"])
@object_policy(policy.can_close_opportunity, queries.load_opportunity)
def close_opportunity(opportunity):
    form = EmptyForm()
    return submit_form(
        form, lambda: service.close_opportunity(opportunity, current_user),
        lambda result: done(_("“%(title)s” is closed: no new shifts or sign-ups.", title=opportunity.title),
                            url_for("volunteering.project_opportunities", project_id=opportunity.project_id)),
        lambda status: (render_template("volunteering/close_opportunity.html", opportunity=opportunity,
                                        project=opportunity.project, form=form), status))


# --- volunteers: sign up and cancel ----------------------------------------------------------------

@bp.route("/shifts/<int:shift_id>/signup", methods=["POST"])
@object_policy(policy.can_sign_up, queries.load_shift)
def sign_up(shift):
    back = _back(url_for("volunteering.project_opportunities", project_id=shift.opportunity.project_id))

    def signed_up(signup):
        if signup.status == CONFIRMED:
            return done(_("You are confirmed for %(when)s. Your QR code for check-in is on your volunteering page.",
                          when=timespan(shift)), back)
        return done(_("The shift is full, so you are on the waitlist. If someone cancels, you move up "
                      "automatically and we tell you."), back, "info")

    return button_action(lambda: service.sign_up(shift, current_user), signed_up, back)


@bp.route("/signups/<int:signup_id>/cancel", methods=["POST"])
@object_policy(policy.can_cancel_signup, queries.load_signup)
def cancel_signup(signup):
    back = _back(url_for("volunteering.me"))
    return button_action(lambda: service.cancel_signup(signup, current_user),
                         lambda result: done(_("Your sign-up is cancelled. Thank you for letting us know in time."),
                                             back), back)


# --- the volunteer's page and certificate ---------------------------------------------------------

def qr_svg(url: str) -> Markup:
    """The check-in link as an inline SVG QR code (made on the server: no script, no image request)."""
    code = segno.make(url, error="m")
    return Markup(code.svg_inline(scale=5, border=2, omitsize=True, svgclass="qr-code",
                                  title=_("Check-in code")))


@bp.route("/volunteer/me")
@signed_in
def me():
    now = utcnow()
    signups = queries.signups_of_volunteer(current_user)
    upcoming = sorted((s for s in signups if s.shift.ends_at > now and s.status in (CONFIRMED, WAITLISTED, CHECKED_IN)),
                      key=lambda s: s.shift.starts_at)
    history = [s for s in signups if s not in upcoming]
    codes = {s.id: qr_svg(service.check_in_url(s)) for s in upcoming if s.status == CONFIRMED}
    # the code of a shift within a day is shown at once; later ones open on a tap (a shorter page)
    soon = {s.id for s in upcoming if s.shift.starts_at - now < timedelta(hours=24)}
    return render_template("volunteering/me.html", upcoming=upcoming, history=history,
                           records=queries.hour_records_of_volunteer(current_user),
                           codes=codes, soon=soon, positions=service.waitlist_positions(upcoming),
                           balance=hours_service.time_bank_minutes(current_user.id),
                           pending=hours_service.pending_minutes(current_user.id),
                           served=sum(1 for s in signups if s.status == CHECKED_OUT), button_form=EmptyForm(),
                           can_cancel=lambda signup: signup.status in service.ACTIVE and signup.shift.starts_at > now)


@bp.route("/volunteer/me/certificate.pdf")
@signed_in
def certificate():
    lines = hours_service.verified_service(current_user.id)
    if not lines:
        flash(_("The certificate lists verified hours; you have none yet. Hours count once the organisation "
                "verifies them after your shift."), "info")
        return redirect(url_for("volunteering.me"))
    issued = utcnow()
    reference = f"VS-{current_user.id:06d}-{issued:%Y%m%d}-{sum(line.minutes for line in lines)}"
    pdf = certificate_pdf(current_user.display_name, lines, issued, reference)
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = "inline; filename=volunteer-certificate.pdf"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- organisers on the day: QR check-in and the roster -------------------------------------------

@bp.route("/volunteer/check-in/<token>", methods=["GET", "POST"])
@object_policy(policy.can_check_in, queries.load_signup_by_token)
def check_in_by_token(signup):
    if request.method == "POST":
        return button_action(lambda: service.check_in(signup, current_user),
                             lambda result: done(_("%(name)s is checked in.", name=signup.user.display_name),
                                                 request.path),
                             _back(request.path))
    return render_template("volunteering/check_in.html", signup=signup, shift=signup.shift,
                           button_form=EmptyForm(), checkout_form=CheckOutForm(),
                           full_minutes=hours_service.shift_minutes(signup.shift))


@bp.route("/shifts/<int:shift_id>/roster")
@object_policy(policy.can_run_shift, queries.load_shift)
def roster(shift):
    signups, records = queries.roster_of(shift)
    taken = [s for s in signups if s.status in service.HOLDS_SLOT]
    waiting = [s for s in signups if s.status == WAITLISTED]
    return render_template("volunteering/roster.html", shift=shift, project=shift.opportunity.project,
                           taken=taken, waiting=waiting, records=records,
                           checked_in=sum(1 for s in taken if s.status in (CHECKED_IN, CHECKED_OUT)),
                           button_form=EmptyForm(), checkout_form=CheckOutForm(), reason_form=ReasonForm(),
                           full_minutes=hours_service.shift_minutes(shift),
                           check_in_opens=service.check_in_opens_at(shift),
                           roster_closes=service.roster_closes_at(shift), now=utcnow(),
                           statuses=(CONFIRMED, CHECKED_IN, CHECKED_OUT, NO_SHOW))


def _roster_url(signup) -> str:
    return url_for("volunteering.roster", shift_id=signup.shift_id)


@bp.route("/signups/<int:signup_id>/check-in", methods=["POST"])
@object_policy(policy.can_check_in, queries.load_signup)
def check_in(signup):
    back = _back(_roster_url(signup))
    return button_action(lambda: service.check_in(signup, current_user),
                         lambda result: done(_("%(name)s is checked in.", name=signup.user.display_name), back),
                         back)


@bp.route("/signups/<int:signup_id>/check-out", methods=["POST"])
@object_policy(policy.can_check_out, queries.load_signup)
def check_out(signup):
    back = _back(_roster_url(signup))
    form = CheckOutForm()

    def record_minutes():
        if not form.validate():  # said on the roster, like the service's own refusals
            raise ValidationFailed(_("Enter the hours and the minutes as whole numbers."), field="minutes")
        return hours_service.check_out(signup, current_user, form.served_minutes())

    return button_action(
        record_minutes, lambda record: done(_("%(name)s is checked out: %(hours)s hours recorded, to be verified.",
                                         name=signup.user.display_name, hours=hours_text(record.minutes)), back),
        back)


@bp.route("/signups/<int:signup_id>/no-show", methods=["POST"])
@object_policy(policy.can_mark_no_show, queries.load_signup)
def mark_no_show(signup):
    back = _back(_roster_url(signup))
    return button_action(lambda: service.mark_no_show(signup, current_user),
                         lambda result: done(_("%(name)s is marked absent.", name=signup.user.display_name), back),
                         back)


# --- organisers: verifying hours ------------------------------------------------------------------

@bp.route("/projects/<int:project_id>/volunteer/hours")
@object_policy(policy.can_review_hours, queries.load_project)
def hours(project):
    show = request.args.get("show", RECORDED)
    show = show if show in HOUR_STATUSES else RECORDED
    page = paginate(queries.hour_records_query(project, show), per_page=30)
    return render_template("volunteering/hours.html", project=project, page=page, show=show,
                           button_form=EmptyForm(), reason_form=ReasonForm())


def _hours_url(record, **values) -> str:
    return url_for("volunteering.hours", project_id=record.project_id, **values)


@bp.route("/hours/<int:record_id>/verify", methods=["POST"])
@object_policy(policy.can_verify_hours, queries.load_hour_record)
def verify_hours(record):
    back = _back(_hours_url(record))
    return button_action(lambda: hours_service.verify_hours(record, current_user),
                         lambda entry: done(_("Verified: %(hours)s hours count for %(name)s.",
                                              hours=hours_text(record.minutes), name=record.user.display_name), back),
                         back)


def _with_reason(record, action, message: str, back: str):
    """Reject or reverse: the organiser says why (a missing reason is said on the list, like a refusal)."""
    form = ReasonForm()

    def decide():
        if not form.validate():
            raise ValidationFailed(form.note.errors[0] if form.note.errors
                                   else _("Say why, so the volunteer understands."), field="note")
        return action(record, current_user, form.note.data)

    return button_action(decide, lambda result: done(message, back), _back(_hours_url(record)))


@bp.route("/hours/<int:record_id>/reject", methods=["POST"])
@object_policy(policy.can_reject_hours, queries.load_hour_record)
def reject_hours(record):
    return _with_reason(record, hours_service.reject_hours,
                        _("The hours are rejected; the volunteer sees your reason."), _back(_hours_url(record)))


@bp.route("/hours/<int:record_id>/reverse", methods=["POST"])
@object_policy(policy.can_reverse_hours, queries.load_hour_record)
def reverse_hours(record):
    return _with_reason(record, hours_service.reverse_hours,
                        _("The hours are reversed: a reversal entry takes them out of the volunteer's balance."),
                        _back(_hours_url(record, show=VERIFIED)))
