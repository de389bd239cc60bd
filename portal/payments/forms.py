"""Payment forms. The service checks every rule again; the forms give early, field-level messages."""
import secrets

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import EmailField, HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.core.errors import ValidationFailed
from portal.core.forms import BaseForm
from portal.core.money import parse_amount
from portal.payments.models import DISPLAY_MODES, MONTHLY, NAMED, OFFLINE_METHODS, ONE_OFF, PROVIDERS

REQUIRED = DataRequired(message=_l("This field is required."))
AMOUNT_PRESETS_MINOR = (2000, 5000, 10000, 20000)
OTHER = "other"
NONCE_MAX_AGE = 8 * 60 * 60


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in labels.items()]


# --- the one-time nonce of the give form -----------------------------------------------------------------

def _nonce_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="gift-form-nonce")


def new_nonce() -> str:
    return _nonce_serializer().dumps(secrets.token_urlsafe(12))


def read_nonce(value: str | None) -> str | None:
    """The random part of a nonce this portal issued in the last hours, or None."""
    if not value:
        return None
    try:
        return _nonce_serializer().loads(value, max_age=NONCE_MAX_AGE)
    except BadSignature:
        return None


class GiveForm(BaseForm):
    amount_choice = RadioField(_l("Amount"), default="5000",
                               choices=[SelectChoice(str(minor), f"¥{minor // 100}") for minor in AMOUNT_PRESETS_MINOR]
                               + [SelectChoice(OTHER, _l("Other amount"))])
    custom_amount = StringField(_l("Other amount, in yuan"), validators=[Optional(), Length(max=24)],
                                description=_l("For example 88 or 12.50"))
    frequency = RadioField(_l("How often"), default=ONE_OFF,
                           choices=[SelectChoice(ONE_OFF, _l("Once")), SelectChoice(MONTHLY, _l("Every month"))])
    team = SelectField(_l("Credit my gift to a team (optional)"), default="")
    display_mode = RadioField(_l("On the public list of donors"), default=NAMED, choices=_choices(DISPLAY_MODES))
    donor_name = StringField(_l("Your name"), validators=[REQUIRED, Length(max=80)],
                             description=_l("Printed on your receipt. The public list shows it as you choose above."))
    message = TextAreaField(_l("A message to the community (optional)"), validators=[Optional(), Length(max=200)])
    provider = RadioField(_l("Pay with"))
    currency = HiddenField(default="CNY")
    nonce = HiddenField()

    def __init__(self, *args, teams=(), providers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.team.choices = [SelectChoice("", _l("No team"))] + [SelectChoice(str(team.id), team.name)
                                                                 for team in teams]
        self.provider.choices = [SelectChoice(name, PROVIDERS[name]) for name in providers]
        if not self.provider.data and providers:
            self.provider.data = providers[0]
        if not self.nonce.data:
            self.nonce.data = new_nonce()

    def amount_minor(self) -> int:
        if self.amount_choice.data == OTHER:
            return parse_amount(self.custom_amount.data, field="custom_amount")
        if self.amount_choice.data and self.amount_choice.data.isdigit():
            minor = int(self.amount_choice.data)
            if minor in AMOUNT_PRESETS_MINOR:
                return minor
        raise ValidationFailed(_("Choose an amount."), field="amount_choice")

    def team_id(self) -> int | None:
        return int(self.team.data) if self.team.data and self.team.data.isdigit() else None


class OfflineGiftForm(BaseForm):
    campaign = SelectField(_l("Campaign"))
    team = SelectField(_l("Team (optional)"), default="")
    donor_name = StringField(_l("Donor's name"), validators=[REQUIRED, Length(max=80)])
    display_mode = SelectField(_l("On the public list of donors"), default=NAMED, choices=_choices(DISPLAY_MODES))
    donor_email = EmailField(_l("Donor's email (optional)"), validators=[Optional(), Email(), Length(max=254)],
                             description=_l("When the donor has an account, the gift and its receipt appear in "
                                            "their \"My giving\"."))
    amount = StringField(_l("Amount, in yuan"), validators=[REQUIRED, Length(max=24)])
    method = SelectField(_l("Received as"), choices=_choices(OFFLINE_METHODS))
    receipt_ref = StringField(_l("Paper receipt or bank transfer number"), validators=[REQUIRED, Length(max=64)])

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign.choices = [SelectChoice("", _l("The fund's general purpose"))] + [
            SelectChoice(str(campaign.id), campaign.title) for campaign in campaigns]
        self.team.choices = [SelectChoice("", _l("No team"))] + [
            SelectChoice(str(team.id), team.name, optgroup=campaign.title)
            for campaign in campaigns for team in campaign.teams]


class RefundForm(BaseForm):
    amount = StringField(_l("Amount to refund, in yuan"), validators=[REQUIRED, Length(max=24)])
    reason = StringField(_l("Reason"), validators=[REQUIRED, Length(max=300)])


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[REQUIRED, Length(max=300)])


class EmptyForm(BaseForm):
    """A form with only the CSRF token, for buttons."""
