"""Account forms."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from portal.accounts import roles
from portal.core.forms import BaseForm

LANGUAGE_CHOICES = [SelectChoice("zh_CN", "中文"), SelectChoice("en", "English")]
PHONE = Regexp(r"^\+?[0-9 \-]{6,20}$", message=_l("Enter a phone number of digits (6 to 20)."))


class RegisterForm(BaseForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=80)])
    phone = TelField(_l("Phone (optional)"), validators=[Optional(), PHONE])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             description=_l("At least 10 characters; not a common password."))
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), Length(max=256),
                                        EqualTo("password", message=_l("The passwords differ."))])
    consent = BooleanField(_l("I have read the privacy notice and agree that the portal keeps the data I enter."),
                           validators=[DataRequired(message=_l("Please agree to the privacy notice."))])


class LoginForm(BaseForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Remember me on this device"))
    next = HiddenField()


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class ResetPasswordForm(BaseForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), Length(max=256),
                                        EqualTo("password", message=_l("The passwords differ."))])


class ProfileForm(BaseForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=80)])
    phone = TelField(_l("Phone (optional)"), validators=[Optional(), PHONE])
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), Length(max=256),
                                        EqualTo("password", message=_l("The passwords differ."))])


class GrantRoleForm(BaseForm):
    email = EmailField(_l("User's email"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice(key, label) for key, label in roles.ROLE_LABELS.items()])
    scope_type = SelectField(_l("Scope"),
                             choices=[SelectChoice(key, label) for key, label in roles.SCOPE_LABELS.items()])
    scope_id = StringField(_l("Scope id (place, organisation or fund number; empty for the platform)"),
                           validators=[Optional(), Regexp(r"^\d{1,10}$", message=_l("Enter a number."))])


class EmptyForm(BaseForm):
    """For buttons that post (sign out, revoke): CSRF only."""


class EraseAccountForm(BaseForm):
    password = PasswordField(_l("Your password, to confirm"), validators=[DataRequired(), Length(max=256)])
    confirm = BooleanField(_l("I understand that this cannot be undone."),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])
