"""Sign-up, sign-in, password reset, profile, language, and the admin's role assignments."""
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.accounts import policy, roles, service
from portal.accounts.forms import (
    ChangePasswordForm,
    EmptyForm,
    EraseAccountForm,
    ForgotPasswordForm,
    GrantRoleForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from portal.accounts.models import RoleAssignment, User
from portal.core.errors import DomainError, ValidationFailed
from portal.core.i18n import current_locale_code
from portal.core.pagination import paginate
from portal.core.policy import allowed_if, public, signed_in
from portal.core.web import button_action, done, is_safe_next, redirect_next, submit_form
from portal.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _login_account_key() -> str:
    return "login-account:" + service.normalise_email(request.form.get("email", ""))


def _login_failed(response) -> bool:
    return response.status_code != 302


def _start_session(user: User, remember: bool) -> None:
    # A fresh session at sign-in: nothing from before sign-in carries over (session fixation).
    session.clear()
    # A language picked before signing in is the latest choice: the account remembers it.
    chosen = request.cookies.get("lang")
    if chosen in service.SUPPORTED_LOCALES and chosen != user.locale:
        service.set_locale(user, chosen)
    # No commit is needed before login_user: it only writes the account's session token into the signed cookie;
    # the request boundary commits the account's changes with the same response.
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()

    def welcome(user):
        _start_session(user, remember=False)
        return done(_("Welcome, %(name)s. Your account is ready.", name=user.display_name), url_for("main.index"))

    return submit_form(form, lambda: service.register_user(form.email.data, form.password.data,
                                                           form.display_name.data, form.phone.data,
                                                           locale=current_locale_code(), consent=form.consent.data),
                       welcome, lambda status: (render_template("accounts/register.html", form=form), status))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_login_account_key,
               methods=["POST"], deduct_when=_login_failed,
               error_message="too many sign-in attempts for this account")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_login_failed,
               error_message="too many sign-in attempts from this address")
def login():
    if current_user.is_authenticated:
        return redirect_next()
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("main.index"))
        # the failed attempt is audited and committed; the page says nothing about which part was wrong
        form.password.errors = [_("The email or the password is not right.")]
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
        session.clear()
        flash(_("You have signed out."), "success")
    return redirect(url_for("main.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit("5 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        service.request_password_reset(form.email.data)
        flash(_("If an account uses that email, a reset link is on its way. It works once, within an hour."),
              "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token):
    try:
        service.check_reset_token(token)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    return submit_form(form, lambda: service.reset_password(token, form.password.data),
                       lambda user: done(_("Your password is changed. Sign in with the new one."),
                                         url_for("accounts.login")),
                       lambda status: (render_template("accounts/reset_password.html", form=form), status))


@bp.route("/profile", methods=["GET", "POST"])
@signed_in
def profile():
    form = ProfileForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")

    def saved(result):
        g.set_lang_cookie = current_user.locale
        return done(_("Your profile is saved."), url_for("accounts.profile"))

    return submit_form(form, lambda: service.update_profile(current_user, form.display_name.data, form.phone.data,
                                                            form.locale.data),
                       saved, lambda status: (render_template("accounts/profile.html", form=form,
                                                              password_form=password_form), status))


@bp.route("/profile/password", methods=["POST"])
@signed_in
def change_password():
    form = ProfileForm(obj=current_user, formdata=None)
    password_form = ChangePasswordForm(prefix="pw")

    def changed(user):
        _start_session(user, remember=False)  # the new session token: other devices are signed out
        return done(_("Your password is changed. Other devices are signed out."), url_for("accounts.profile"))

    # the page is only ever shown again after a refused change, so always as a 400
    return submit_form(password_form, lambda: service.change_password(current_user,
                                                                      password_form.current_password.data,
                                                                      password_form.password.data),
                       changed, lambda status: (render_template("accounts/profile.html", form=form,
                                                                password_form=password_form), 400))


@bp.route("/lang/<code>")
@public
def set_language(code):
    code = code.replace("-", "_")
    if code == "zh":
        code = "zh_CN"
    if code in service.SUPPORTED_LOCALES:
        g.set_lang_cookie = code  # remembered for a year, also before signing in
        if current_user.is_authenticated:
            service.set_locale(current_user, code)
    return redirect_next()


# --- administration of roles ---------------------------------------------------------------------

@bp.route("/admin/roles", methods=["GET", "POST"])
@allowed_if(policy.can_manage_roles)
def manage_roles():
    form = GrantRoleForm()

    def grant():
        user = service.find_user_by_email(form.email.data)
        if user is None:
            raise ValidationFailed(_("No account uses this email."), field="email")
        scope_id = int(form.scope_id.data) if form.scope_id.data else None
        return service.grant_role(user, form.role.data, form.scope_type.data, scope_id, granted_by=current_user)

    return submit_form(form, grant, lambda result: done(_("Role granted."), url_for("accounts.manage_roles")),
                       lambda status: _render_roles(form, status))


def _render_roles(form, status: int):
    statement = (select(RoleAssignment).options(joinedload(RoleAssignment.user), joinedload(RoleAssignment.granted_by))
                 .order_by(RoleAssignment.granted_at.desc(), RoleAssignment.id.desc()))
    if role := request.args.get("role"):
        statement = statement.where(RoleAssignment.role == role)
    if q := request.args.get("q", "").strip():
        statement = statement.join(RoleAssignment.user).where(User.email.contains(q.lower()))
    page = paginate(statement, per_page=30)
    return render_template("accounts/roles.html", form=form, page=page, revoke_form=EmptyForm(),
                           role_labels=roles.ROLE_LABELS, scope_labels=roles.SCOPE_LABELS,
                           scope_names=service.scope_names((a.scope_type, a.scope_id) for a in page.items)), status


@bp.route("/admin/roles/<int:assignment_id>/revoke", methods=["POST"])
@allowed_if(policy.can_manage_roles)
def revoke_role(assignment_id):
    # role administration is platform-wide (allowed_if, a 403); the assignment only has to exist
    assignment = db.get_or_404(RoleAssignment, assignment_id)
    back = url_for("accounts.manage_roles")
    return button_action(lambda: service.revoke_role(assignment, revoked_by=current_user),
                         lambda result: done(_("Role revoked."), back), back, form=EmptyForm())


# --- personal data -------------------------------------------------------------------------------

@bp.route("/profile/export.json")
@signed_in
def export_data():
    from flask import jsonify

    response = jsonify(service.export_personal_data(current_user))
    response.headers["Content-Disposition"] = "attachment; filename=my-portal-data.json"
    return response


@bp.route("/profile/erase", methods=["GET", "POST"])
@signed_in
def erase_account():
    form = EraseAccountForm()

    def erased(result):
        logout_user()
        session.clear()
        return done(_("Your account is erased. Records of money and actions stay, without your name."),
                    url_for("main.index"))

    return submit_form(form, lambda: service.erase_account(current_user, form.password.data), erased,
                       lambda status: (render_template("accounts/erase.html", form=form), status))
