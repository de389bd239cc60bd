"""Organisation forms. The service checks every rule again; the forms give early, field-level messages."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    EmailField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.accounts import roles
from portal.core.errors import ValidationFailed
from portal.core.forms import BaseForm
from portal.orgs.credit_code import validate_credit_code
from portal.orgs.models import LEGAL_FORMS, SERVICE_AREAS
from portal.places.models import STREET

PHONE = Regexp(r"^\+?[0-9][0-9 \-]{5,19}$", message=_l("Enter a phone number of digits (6 to 20)."))
REQUIRED = DataRequired(message=_l("This field is required."))


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (the `field` macro renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def legal_form_choices() -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in LEGAL_FORMS.items()]


def service_area_choices() -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in SERVICE_AREAS.items()]


def home_place_choices(places) -> list[SelectChoice]:
    """Communities grouped under their street; the street itself is the first option of its group."""
    from flask_babel import gettext as _

    choices = [SelectChoice("", _("Choose a street or community"))]
    street_name = None
    for place in places:
        if place.kind == STREET:
            street_name = place.name
            choices.append(SelectChoice(str(place.id), _("%(street)s (whole street)", street=place.name),
                                        optgroup=street_name))
        else:
            choices.append(SelectChoice(str(place.id), place.name, optgroup=street_name or _("Other")))
    return choices


class OrganisationForm(BaseForm):
    name = StringField(_l("Registered name"), validators=[REQUIRED, Length(max=120)],
                       description=_l("Exactly as on the registration certificate."))
    legal_form = SelectField(_l("Legal form"), choices=legal_form_choices())
    credit_code = StringField(
        _l("Unified social credit code"), validators=[REQUIRED, Length(max=40)],
        description=_l("The 18 characters on the registration certificate, e.g. 52420500MJ0000001X."))
    home_place = SelectField(_l("Based in"), validators=[REQUIRED],
                             description=_l("The street or community where the organisation is based."))
    service_areas = MultiCheckboxField(_l("Service areas"), choices=service_area_choices(),
                                       validators=[DataRequired(message=_l("Choose at least one service area."))])
    description = TextAreaField(_l("What the organisation does"), validators=[Optional(), Length(max=5000)],
                                description=_l("Who you serve, what services you offer, your experience."))
    contact_name = StringField(_l("Contact person"), validators=[REQUIRED, Length(max=80)])
    contact_phone = TelField(_l("Contact phone"), validators=[REQUIRED, PHONE])
    contact_email = EmailField(_l("Contact email"), validators=[REQUIRED, Email(), Length(max=254)])

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.home_place.choices = home_place_choices(places)

    def validate_credit_code(self, field):
        """Early, so the code's message shows with the other fields' (the service checks it again)."""
        if not field.data or not field.data.strip():
            return
        try:
            validate_credit_code(field.data, self.legal_form.data if self.legal_form.data in LEGAL_FORMS else None)
        except ValidationFailed as error:
            raise ValidationError(error.message) from None


class RegisterOrganisationForm(OrganisationForm):
    document_title = StringField(_l("Document title (optional)"), validators=[Optional(), Length(max=120)],
                                 description=_l("For example “Registration certificate”."))
    document = FileField(_l("First document (optional)"),
                         description=_l("PDF, JPG or PNG: the registration certificate helps officials verify "
                                        "you quickly."))


class EditOrganisationForm(OrganisationForm):
    save = SubmitField(_l("Save"))
    resubmit = SubmitField(_l("Save and resubmit for verification"))


class DocumentForm(BaseForm):
    title = StringField(_l("Title"), validators=[REQUIRED, Length(max=120)],
                        description=_l("For example “Registration certificate” or “Charter”."))
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file to upload."))],
                     description=_l("PDF, JPG or PNG. The type is checked by the file's content."))


class InviteForm(BaseForm):
    email = EmailField(_l("Email"), validators=[REQUIRED, Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice(roles.ORG_MEMBER, roles.ROLE_LABELS[roles.ORG_MEMBER]),
                                            SelectChoice(roles.ORG_ADMIN, roles.ROLE_LABELS[roles.ORG_ADMIN])])


class ReasonForm(BaseForm):
    """Reject or suspend: the reason is required (checked by the service, shown next to the field)."""

    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])  # required: the service says so
    origin = HiddenField()


class EmptyForm(BaseForm):
    """For buttons that post (verify, reinstate, resubmit, remove, accept): CSRF only."""

    origin = HiddenField()
