"""Funds forms. Amounts are typed in yuan as text and parsed to fen by portal.core.money (never floats);
the services check every rule again, the forms only give early, field-level messages."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from portal.accounts import roles
from portal.core.forms import BaseForm
from portal.funds.models import FUND_KINDS, IN_KIND_CATEGORIES, PURPOSE_KINDS
from portal.payments.models import DISPLAY_MODES, OFFLINE_METHODS

REQUIRED = DataRequired(message=_l("This field is required."))
AMOUNT_HINT = _l("In yuan, e.g. 5000 or 12.50.")
ID_NUMBER = Regexp(r"^\d{1,10}$", message=_l("Enter a number."))
MARKDOWN_HINT = _l("Markdown: **bold**, *italic*, [link](https://…), lists with “- ”. HTML is not allowed.")


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in labels.items()]


def _amount(label, required: bool = True, description=AMOUNT_HINT) -> StringField:
    return StringField(label, validators=[REQUIRED if required else Optional(), Length(max=20)],
                       description=description, render_kw={"inputmode": "decimal", "autocomplete": "off"})


def place_choices(places) -> list[SelectChoice]:
    """Communities grouped under their street (places come in tree order); a street is its group's first option."""
    from flask_babel import gettext as _

    choices = [SelectChoice("", _("Choose a community or street"))]
    street_names = {place.id: place.name for place in places if place.kind == "street"}
    for place in places:
        if place.kind == "street":
            choices.append(SelectChoice(str(place.id), _("%(street)s (whole street)", street=place.name),
                                        optgroup=place.name))
        else:
            choices.append(SelectChoice(str(place.id), place.name,
                                        optgroup=street_names.get(place.parent_id, _("Other"))))
    return choices


class FundForm(BaseForm):
    name = StringField(_l("Name"), validators=[REQUIRED, Length(max=120)],
                       description=_l("For example “Tielu Ba Community Public-Welfare Fund”."))
    kind = SelectField(_l("Kind"), choices=_choices(FUND_KINDS))
    place = SelectField(_l("Belongs to"), validators=[REQUIRED],
                        description=_l("The community (or street) whose residents the fund serves."))
    description = TextAreaField(_l("What the fund is for"), validators=[Optional(), Length(max=5000)])
    is_active = BooleanField(_l("Open: takes gifts and starts campaigns"), default=True)

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.place.choices = place_choices(places)


class CampaignForm(BaseForm):
    title = StringField(_l("Title"), validators=[REQUIRED, Length(max=120)])
    summary = StringField(_l("Summary"), validators=[Optional(), Length(max=300)],
                          description=_l("One sentence shown in lists."))
    story_md = TextAreaField(_l("Story"), validators=[Optional(), Length(max=20000)], description=MARKDOWN_HINT)
    goal = _amount(_l("Goal (yuan)"))
    starts_at = DateField(_l("First day"), validators=[REQUIRED])
    ends_at = DateField(_l("Last day"), validators=[REQUIRED],
                        description=_l("Gifts are taken until the end of this day (Beijing time)."))
    funding_model = RadioField(_l("If the goal is not reached"), choices=[
        SelectChoice("keep_it_all", _l("Keep it all: the fund keeps what was given")),
        SelectChoice("all_or_nothing", _l("All or nothing: every gift is refunded automatically"))],
        default="keep_it_all")
    purpose_kind = SelectField(_l("The money is for"), choices=_choices(PURPOSE_KINDS))
    purpose_text = StringField(_l("Purpose"), validators=[Optional(), Length(max=300)],
                               description=_l("Which project or need, in a few words."))
    purpose_object_id = StringField(_l("Project or need number (optional)"), validators=[Optional(), ID_NUMBER])


class ImageForm(BaseForm):
    image = FileField(_l("Picture"), validators=[FileRequired(message=_l("Choose a picture to upload."))],
                      description=_l("JPG or PNG. The type is checked by the file's content."))
    caption = StringField(_l("Caption"), validators=[Optional(), Length(max=200)])


class UpdateForm(BaseForm):
    title = StringField(_l("Title"), validators=[REQUIRED, Length(max=120)])
    body_md = TextAreaField(_l("Update"), validators=[REQUIRED, Length(max=20000)], description=MARKDOWN_HINT)


class TeamForm(BaseForm):
    name = StringField(_l("Team name"), validators=[REQUIRED, Length(max=80)])
    goal = _amount(_l("Team goal (yuan)"))
    story = TextAreaField(_l("Why we raise money"), validators=[Optional(), Length(max=5000)])


class MatchingPoolForm(BaseForm):
    sponsor_name = StringField(_l("Sponsor"), validators=[REQUIRED, Length(max=120)],
                               description=_l("The company, unit or person who matches gifts."))
    ratio_numerator = IntegerField(_l("Sponsor gives"), default=1,
                                   validators=[REQUIRED, NumberRange(min=1, max=100)])
    ratio_denominator = IntegerField(_l("for every (yuan given)"), default=1,
                                     validators=[REQUIRED, NumberRange(min=1, max=100)],
                                     description=_l("1 for 1 doubles each gift; 1 for 2 adds half."))
    cap = _amount(_l("Cap (yuan)"), description=_l("The most the sponsor pays in total."))
    per_donor_cap = _amount(_l("Limit per donor (yuan, optional)"), required=False,
                            description=_l("The most matched for one donor's gifts."))
    starts_at = DateField(_l("First day"), validators=[REQUIRED])
    ends_at = DateField(_l("Last day"), validators=[REQUIRED])


class DisbursementForm(BaseForm):
    purpose = StringField(_l("Purpose"), validators=[REQUIRED, Length(max=300)],
                          description=_l("Shown on the public ledger, e.g. “Meals for 30 elderly residents, May”."))
    payee = StringField(_l("Paid to"), validators=[REQUIRED, Length(max=120)])
    amount = _amount(_l("Amount (yuan)"))
    campaign = SelectField(_l("Campaign (optional)"))
    organisation = SelectField(_l("Organisation (optional)"))
    project_id = SelectField(_l("Service project (optional)"), validate_choice=False,
                             description=_l("Projects serving this fund's community or street; the service "
                                            "checks the choice again."))

    def __init__(self, *args, campaigns=(), organisations=(), projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.project_id.choices = [SelectChoice("", "—")] + [SelectChoice(str(project_id), label)
                                                            for project_id, label in projects]
        self.campaign.choices = [SelectChoice("", "—")] + [SelectChoice(str(c.id), c.title) for c in campaigns]
        self.organisation.choices = [SelectChoice("", "—")] + [SelectChoice(str(o.id), o.name)
                                                              for o in organisations]


class DecisionForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)],
                           description=_l("Required when rejecting; shown to the requester."))


class PaymentForm(BaseForm):
    reference = StringField(_l("Payment reference"), validators=[REQUIRED, Length(max=64)],
                            description=_l("The bank transfer or voucher number."))


class PledgeForm(BaseForm):
    category = SelectField(_l("What is given"), choices=_choices(IN_KIND_CATEGORIES))
    description = StringField(_l("Description"), validators=[REQUIRED, Length(max=300)],
                              description=_l("E.g. “20 hand-made pastries”, “free haircuts on Saturdays”."))
    estimated_value = _amount(_l("Estimated value (yuan)"), required=False,
                              description=_l("Counted apart from money; leave empty if unknown."))
    campaign = SelectField(_l("For the campaign (optional)"))
    donor_name = StringField(_l("Giver's name"), validators=[Optional(), Length(max=80)],
                             description=_l("When recording for someone else."))
    display_mode = SelectField(_l("Shown publicly as"), choices=_choices(DISPLAY_MODES))

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign.choices = [SelectChoice("", "—")] + [SelectChoice(str(c.id), c.title) for c in campaigns]


class SaleForm(BaseForm):
    amount = _amount(_l("Sold for (yuan)"))
    method = SelectField(_l("Paid by"), choices=_choices(OFFLINE_METHODS))
    receipt_ref = StringField(_l("Receipt number"), validators=[REQUIRED, Length(max=64)])


class FundRoleForm(BaseForm):
    email = EmailField(_l("Email of the person"), validators=[REQUIRED, Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice(roles.TREASURER, roles.ROLE_LABELS[roles.TREASURER]),
                                           SelectChoice(roles.FUND_COMMITTEE,
                                                        roles.ROLE_LABELS[roles.FUND_COMMITTEE])])


class EmptyForm(BaseForm):
    """For buttons that post (publish, finish, join, receive): CSRF only."""

    origin = HiddenField()
