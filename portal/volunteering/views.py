"""Volunteering pages: upcoming shifts, a project's opportunities, sign-up, the volunteer's page with QR
codes and certificate, and the organiser's roster, QR check-in and hour verification (phone first)."""
from datetime import timedelta

import segno
from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.core.errors import DomainError
from portal.core.pagination import paginate
from portal.core.policy import authorize, object_policy, public, signed_in
from portal.core.time import utcnow
from portal.core.web import is_safe_next, show_error
from portal.extensions import db
from portal.places.models import COMMUNITY, DISTRICT, GRID, KIND_LABELS, STREET, Place
from portal.projects.models import PROJECT_STATUSES, ProjectPlace, ServiceProject
from portal.volunteering import policy, service
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
    HourRecord,
    Opportunity,
    Shift,
    ShiftSignup,
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
            "volunteering_policy": policy, "project_url": project_url,
            "hours_grace": service.HOURS_GRACE_MINUTES, "short_record_minutes": service.SHORT_RECORD_MINUTES}


def project_url(project) -> str | None:
    """The project's own page, once the projects blueprint is there."""
    if "projects.detail" in current_app.view_functions:
        return url_for("projects.detail", project_id=project.id)
    return None


def _back(default: str):
    """Redirect to the page the button was on (a local path), else `default`."""
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else default)


def _refused(error: DomainError, default: str):
    """A refused button press: nothing it wrote stays; the message shows on the page it came from."""
    db.session.rollback()
    flash(error.message, "error")
    return _back(default)


def _valid_post() -> None:
    if not EmptyForm().validate_on_submit():
        abort(400)


def _load_project(project_id: int) -> ServiceProject:
    project = db.session.scalar(select(ServiceProject).options(joinedload(ServiceProject.organisation))
                                .where(ServiceProject.id == project_id))
    if project is None:
        abort(404)
    return project


def _load_shift(shift_id: int) -> Shift:
    shift = db.session.scalar(select(Shift).options(
        joinedload(Shift.opportunity).joinedload(Opportunity.project).joinedload(ServiceProject.organisation),
        joinedload(Shift.place)).where(Shift.id == shift_id))
    if shift is None:
        abort(404)
    return shift


def _load_signup(signup_id: int) -> ShiftSignup:
    signup = db.session.scalar(select(ShiftSignup).options(
        joinedload(ShiftSignup.user),
        joinedload(ShiftSignup.shift).joinedload(Shift.opportunity).joinedload(Opportunity.project))
        .where(ShiftSignup.id == signup_id))
    if signup is None:
        abort(404)
    return signup


def _load_record(record_id: int) -> tuple[HourRecord, ServiceProject]:
    record = db.session.get(HourRecord, record_id)
    if record is None:
        abort(404)
    return record, _load_project(record.project_id)


def _shift_places(project: ServiceProject) -> list[Place]:
    """Places a shift of this project may be at: the project's places and everything under them
    (communities and grids), or every community and grid when the project names none."""
    served = list(db.session.scalars(select(Place).join(ProjectPlace, ProjectPlace.place_id == Place.id)
                                     .where(ProjectPlace.project_id == project.id)))
    statement = select(Place).where(Place.kind.in_((COMMUNITY, GRID))).order_by(Place.path)
    if served:
        from sqlalchemy import or_

        statement = statement.where(or_(*(Place.path.startswith(place.path, autoescape=True) for place in served)))
    return list(db.session.scalars(statement))


# --- public: upcoming shifts and a project's opportunities ----------------------------------------

@bp.route("/volunteer/")
@public
def index():
    places = list(db.session.scalars(select(Place).where(Place.kind.in_((DISTRICT, STREET, COMMUNITY)))
                                     .order_by(Place.path)))
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
@object_policy(policy.can_view_opportunities, login=False)
def project_opportunities(project_id):
    project = _load_project(project_id)
    authorize(policy.can_view_opportunities(current_user, project))
    organiser = policy.is_project_org_member(current_user, project)
    opportunities = list(db.session.scalars(
        select(Opportunity).where(Opportunity.project_id == project.id)
        .options(selectinload(Opportunity.shifts).joinedload(Shift.place))
        .order_by(Opportunity.created_at.desc(), Opportunity.id.desc())))
    now = utcnow()
    upcoming = {o.id: [s for s in o.shifts if s.starts_at > now] for o in opportunities}
    # organisers also see the last weeks' shifts, to finish their rosters
    recent = {o.id: [s for s in o.shifts if now - service.ROSTER_CLOSES_AFTER - timedelta(days=1) < s.starts_at <= now]
              for o in opportunities} if organiser else {}
    shift_ids = [s.id for o in opportunities for s in o.shifts]
    pending = 0
    if organiser:
        from sqlalchemy import func

        pending = db.session.scalar(select(func.count()).select_from(HourRecord).where(
            HourRecord.project_id == project.id, HourRecord.status == RECORDED)) or 0
    return render_template("volunteering/project.html", project=project, opportunities=opportunities,
                           upcoming=upcoming, recent=recent, organiser=organiser,
                           can_publish=organiser and project.status in policy.OPEN_FOR_VOLUNTEERS,
                           waitlists=service.waitlist_lengths(shift_ids),
                           mine=service.signups_of(current_user, shift_ids), pending_hours=pending,
                           button_form=EmptyForm())


# --- organisers: opportunities and shifts ---------------------------------------------------------

@bp.route("/projects/<int:project_id>/volunteer/new", methods=["GET", "POST"])
@object_policy(policy.can_publish_opportunity)
def new_opportunity(project_id):
    project = _load_project(project_id)
    authorize(policy.can_publish_opportunity(current_user, project))
    places = _shift_places(project)
    form = OpportunityForm(places=places)
    if form.validate_on_submit():
        try:
            service.publish_opportunity(project, current_user, title=form.title.data,
                                        description=form.description.data, skills=form.skills.data,
                                        first_shift=form.shift_values({p.id: p for p in places}, with_skills=False))
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("The opportunity is published; residents can sign up now."), "success")
            return redirect(url_for("volunteering.project_opportunities", project_id=project.id))
    status = 400 if form.is_submitted() else 200
    return render_template("volunteering/opportunity_form.html", form=form, project=project), status


@bp.route("/opportunities/<int:opportunity_id>/shifts/new", methods=["GET", "POST"])
@object_policy(policy.can_manage_opportunity)
def new_shift(opportunity_id):
    opportunity = db.session.scalar(select(Opportunity).options(joinedload(Opportunity.project))
                                    .where(Opportunity.id == opportunity_id))
    if opportunity is None:
        abort(404)
    authorize(policy.can_manage_opportunity(current_user, opportunity))
    places = _shift_places(opportunity.project)
    form = ShiftForm(places=places)
    if form.validate_on_submit():
        try:
            service.add_shift(opportunity, current_user, **form.shift_values({p.id: p for p in places}))
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("The shift is added."), "success")
            return redirect(url_for("volunteering.project_opportunities", project_id=opportunity.project_id))
    status = 400 if form.is_submitted() else 200
    return render_template("volunteering/shift_form.html", form=form, opportunity=opportunity,
                           project=opportunity.project), status


# --- volunteers: sign up and cancel ----------------------------------------------------------------

@bp.route("/shifts/<int:shift_id>/signup", methods=["POST"])
@object_policy(policy.can_sign_up)
def sign_up(shift_id):
    shift = _load_shift(shift_id)
    authorize(policy.can_view_opportunities(current_user, shift.opportunity.project))
    _valid_post()
    default = url_for("volunteering.project_opportunities", project_id=shift.opportunity.project_id)
    try:
        signup = service.sign_up(shift, current_user)
    except DomainError as error:
        return _refused(error, default)
    if signup.status == CONFIRMED:
        flash(_("You are confirmed for %(when)s. Your QR code for check-in is on your volunteering page.",
                when=timespan(shift)), "success")
    else:
        flash(_("The shift is full, so you are on the waitlist. If someone cancels, you move up automatically "
                "and we tell you."), "info")
    return _back(default)


@bp.route("/signups/<int:signup_id>/cancel", methods=["POST"])
@object_policy(policy.can_cancel_signup)
def cancel_signup(signup_id):
    signup = _load_signup(signup_id)
    authorize(policy.can_cancel_signup(current_user, signup))
    _valid_post()
    try:
        service.cancel_signup(signup, current_user)
    except DomainError as error:
        return _refused(error, url_for("volunteering.me"))
    flash(_("Your sign-up is cancelled. Thank you for letting us know in time."), "success")
    return _back(url_for("volunteering.me"))


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
    signups = list(db.session.scalars(
        select(ShiftSignup).where(ShiftSignup.user_id == current_user.id)
        .options(joinedload(ShiftSignup.shift).joinedload(Shift.opportunity).joinedload(Opportunity.project),
                 joinedload(ShiftSignup.shift).joinedload(Shift.place))
        .join(ShiftSignup.shift).order_by(Shift.starts_at.desc()).limit(200)))
    upcoming = sorted((s for s in signups if s.shift.ends_at > now and s.status in (CONFIRMED, WAITLISTED, CHECKED_IN)),
                      key=lambda s: s.shift.starts_at)
    history = [s for s in signups if s not in upcoming]
    records = {record.signup_id: record for record in db.session.scalars(
        select(HourRecord).where(HourRecord.user_id == current_user.id))}
    codes = {s.id: qr_svg(service.check_in_url(s)) for s in upcoming if s.status == CONFIRMED}
    # the code of a shift within a day is shown at once; later ones open on a tap (a shorter page)
    soon = {s.id for s in upcoming if s.shift.starts_at - now < timedelta(hours=24)}
    return render_template("volunteering/me.html", upcoming=upcoming, history=history, records=records,
                           codes=codes, soon=soon, positions=service.waitlist_positions(upcoming),
                           balance=service.time_bank_minutes(current_user.id),
                           pending=service.pending_minutes(current_user.id),
                           served=sum(1 for s in signups if s.status == CHECKED_OUT), button_form=EmptyForm(),
                           can_cancel=lambda signup: signup.status in service.ACTIVE and signup.shift.starts_at > now)


@bp.route("/volunteer/me/certificate.pdf")
@signed_in
def certificate():
    lines = service.verified_service(current_user.id)
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
@object_policy(policy.can_check_in)
def check_in_by_token(token):
    signup = service.signup_from_token(token)
    if signup is None:
        abort(404)
    signup = _load_signup(signup.id)
    authorize(policy.can_check_in(current_user, signup))
    if request.method == "POST":
        _valid_post()
        try:
            service.check_in(signup, current_user)
        except DomainError as error:
            return _refused(error, request.path)
        flash(_("%(name)s is checked in.", name=signup.user.display_name), "success")
        return redirect(request.path)
    return render_template("volunteering/check_in.html", signup=signup, shift=signup.shift,
                           button_form=EmptyForm(), checkout_form=CheckOutForm(),
                           full_minutes=service.shift_minutes(signup.shift))


@bp.route("/shifts/<int:shift_id>/roster")
@object_policy(policy.can_run_shift)
def roster(shift_id):
    shift = _load_shift(shift_id)
    authorize(policy.can_run_shift(current_user, shift))
    signups = list(db.session.scalars(
        select(ShiftSignup).options(joinedload(ShiftSignup.user)).where(ShiftSignup.shift_id == shift.id)
        .order_by(ShiftSignup.created_at, ShiftSignup.id)))
    records = {record.signup_id: record for record in db.session.scalars(
        select(HourRecord).where(HourRecord.signup_id.in_([s.id for s in signups])))} if signups else {}
    taken = [s for s in signups if s.status in service.HOLDS_SLOT]
    waiting = [s for s in signups if s.status == WAITLISTED]
    return render_template("volunteering/roster.html", shift=shift, project=shift.opportunity.project,
                           taken=taken, waiting=waiting, records=records,
                           checked_in=sum(1 for s in taken if s.status in (CHECKED_IN, CHECKED_OUT)),
                           button_form=EmptyForm(), checkout_form=CheckOutForm(), reason_form=ReasonForm(),
                           full_minutes=service.shift_minutes(shift), check_in_opens=service.check_in_opens_at(shift),
                           roster_closes=service.roster_closes_at(shift), now=utcnow(),
                           statuses=(CONFIRMED, CHECKED_IN, CHECKED_OUT, NO_SHOW))


def _roster_url(signup) -> str:
    return url_for("volunteering.roster", shift_id=signup.shift_id)


@bp.route("/signups/<int:signup_id>/check-in", methods=["POST"])
@object_policy(policy.can_check_in)
def check_in(signup_id):
    signup = _load_signup(signup_id)
    authorize(policy.can_check_in(current_user, signup))
    _valid_post()
    try:
        service.check_in(signup, current_user)
    except DomainError as error:
        return _refused(error, _roster_url(signup))
    flash(_("%(name)s is checked in.", name=signup.user.display_name), "success")
    return _back(_roster_url(signup))


@bp.route("/signups/<int:signup_id>/check-out", methods=["POST"])
@object_policy(policy.can_check_in)
def check_out(signup_id):
    signup = _load_signup(signup_id)
    authorize(policy.can_check_in(current_user, signup))
    form = CheckOutForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Enter the hours and the minutes as whole numbers."), "error")
        return _back(_roster_url(signup))
    try:
        record = service.check_out(signup, current_user, form.served_minutes())
    except DomainError as error:
        return _refused(error, _roster_url(signup))
    flash(_("%(name)s is checked out: %(hours)s hours recorded, to be verified.", name=signup.user.display_name,
            hours=hours_text(record.minutes)), "success")
    return _back(_roster_url(signup))


@bp.route("/signups/<int:signup_id>/no-show", methods=["POST"])
@object_policy(policy.can_check_in)
def mark_no_show(signup_id):
    signup = _load_signup(signup_id)
    authorize(policy.can_check_in(current_user, signup))
    _valid_post()
    try:
        service.mark_no_show(signup, current_user)
    except DomainError as error:
        return _refused(error, _roster_url(signup))
    flash(_("%(name)s is marked absent.", name=signup.user.display_name), "success")
    return _back(_roster_url(signup))


# --- organisers: verifying hours ------------------------------------------------------------------

@bp.route("/projects/<int:project_id>/volunteer/hours")
@object_policy(policy.can_review_hours)
def hours(project_id):
    project = _load_project(project_id)
    authorize(policy.can_review_hours(current_user, project))
    show = request.args.get("show", RECORDED)
    show = show if show in HOUR_STATUSES else RECORDED
    statement = (select(HourRecord).where(HourRecord.project_id == project.id, HourRecord.status == show)
                 .options(joinedload(HourRecord.user), joinedload(HourRecord.signup).joinedload(ShiftSignup.shift)
                          .joinedload(Shift.opportunity))
                 .order_by(HourRecord.recorded_at.desc(), HourRecord.id.desc()))
    page = paginate(statement, per_page=30)
    return render_template("volunteering/hours.html", project=project, page=page, show=show,
                           button_form=EmptyForm(), reason_form=ReasonForm())


def _hours_url(record) -> str:
    return url_for("volunteering.hours", project_id=record.project_id)


@bp.route("/hours/<int:record_id>/verify", methods=["POST"])
@object_policy(policy.can_verify_hours)
def verify_hours(record_id):
    record, project = _load_record(record_id)
    authorize(policy.can_verify_hours(current_user, record, project))
    _valid_post()
    try:
        service.verify_hours(record, current_user)
    except DomainError as error:
        return _refused(error, _hours_url(record))
    flash(_("Verified: %(hours)s hours count for %(name)s.", hours=hours_text(record.minutes),
            name=record.user.display_name), "success")
    return _back(_hours_url(record))


def _with_reason(record_id: int, action):
    record, project = _load_record(record_id)
    authorize(policy.can_verify_hours(current_user, record, project))
    form = ReasonForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(form.note.errors[0] if form.note.errors else _("Say why, so the volunteer understands."), "error")
        return _back(_hours_url(record))
    try:
        action(record, current_user, form.note.data)
    except DomainError as error:
        return _refused(error, _hours_url(record))
    return None


@bp.route("/hours/<int:record_id>/reject", methods=["POST"])
@object_policy(policy.can_verify_hours)
def reject_hours(record_id):
    refused = _with_reason(record_id, service.reject_hours)
    if refused is not None:
        return refused
    flash(_("The hours are rejected; the volunteer sees your reason."), "success")
    return _back(url_for("volunteering.hours", project_id=db.session.get(HourRecord, record_id).project_id))


@bp.route("/hours/<int:record_id>/reverse", methods=["POST"])
@object_policy(policy.can_verify_hours)
def reverse_hours(record_id):
    refused = _with_reason(record_id, service.reverse_hours)
    if refused is not None:
        return refused
    flash(_("The hours are reversed: a reversal entry takes them out of the volunteer's balance."), "success")
    return _back(url_for("volunteering.hours", project_id=db.session.get(HourRecord, record_id).project_id,
                         show=VERIFIED))
