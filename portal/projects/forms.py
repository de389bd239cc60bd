"""Service project forms. The service checks every rule again; the forms give early, field-level messages."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import DateField, HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from portal.core.forms import BaseForm
from portal.orgs.forms import MultiCheckboxField
from portal.places.models import STREET
from portal.projects.models import CATEGORIES, DELIVERY_MODELS, DIRECTIONS, SERVICE_TYPES

NUMBER_HINT = _l("A number; decimals with a point, e.g. 12.5.")


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in labels.items()]


def place_choices(places) -> list[SelectChoice]:
    """Streets and their communities as checkboxes; a street's label says it means the whole street."""
    choices = []
    for place in places:
        label = _("%(street)s (whole street)", street=place.name) if place.kind == STREET else place.name
        choices.append(SelectChoice(str(place.id), label))
    return choices


class ProjectForm(BaseForm):
    organisation = SelectField(_l("Organisation"), description=_l("The organisation that runs the project."))
    title = StringField(_l("Title"), validators=[Length(max=120)],
                        description=_l("Short and concrete, e.g. “独居老人助餐服务”."))
    summary = TextAreaField(_l("Summary"), validators=[Length(max=300)],
                            description=_l("One or two sentences: who is served and how (at most 300 characters)."))
    description_md = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=20000)],
        description=_l("Markdown: **bold**, lists with “-”, links. Needs found, activities, schedule, team."))
    category = SelectField(_l("Category"), choices=_choices(CATEGORIES))
    service_type = SelectField(_l("Service type"), choices=_choices(SERVICE_TYPES))
    delivery_model = SelectField(_l("Delivery model"), choices=_choices(DELIVERY_MODELS),
                                 description=_l("Resident self-help projects are run by residents themselves; "
                                                "embedded social work places professional social workers in "
                                                "the community."))
    target_groups = StringField(_l("Target groups"), validators=[Optional(), Length(max=200)],
                                description=_l("e.g. elderly people living alone, left-behind children."))
    places = MultiCheckboxField(_l("Places served"))
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    budget = StringField(_l("Budget (yuan)"), validators=[Length(max=20)],
                         description=_l("In yuan, e.g. 28000 or 198000.50."))
    funding_sources = StringField(_l("Funding sources"), validators=[Optional(), Length(max=300)],
                                  description=_l("e.g. government purchase of services, community fund, "
                                                 "crowdfunding."))
    beneficiaries_target = StringField(_l("People to reach"), validators=[Optional(), Length(max=12)],
                                       description=_l("How many people the project aims to serve."))

    def __init__(self, *args, organisations=(), places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation.choices = [SelectChoice(str(o.id), o.name) for o in organisations]
        self.places.choices = place_choices(places)


class PhotoForm(BaseForm):
    photo = FileField(_l("Photo"), description=_l("JPG or PNG, at most 5 MB. The type is checked by the file's "
                                                  "content."))
    caption = StringField(_l("Caption (optional)"), validators=[Optional(), Length(max=200)])


class IndicatorForm(BaseForm):
    name = StringField(_l("What is measured"), validators=[Length(max=160)],
                       description=_l("e.g. “Elderly people receiving meals every week”."))
    unit = StringField(_l("Unit"), validators=[Length(max=32)], description=_l("e.g. people, meals, %, days."))
    baseline = StringField(_l("Baseline"), validators=[Length(max=20)],
                           description=_l("The value before the project started (0 if nothing)."))
    target = StringField(_l("Target"), validators=[Length(max=20)], description=NUMBER_HINT)
    direction = RadioField(_l("Direction"), choices=_choices(DIRECTIONS), default="increase")


class ReportForm(BaseForm):
    period_start = DateField(_l("Period from"), validators=[Optional()])
    period_end = DateField(_l("Period to"), validators=[Optional()])
    actual = StringField(_l("Value reached"), validators=[Length(max=20)],
                         description=_l("The value at the end of the period, in the indicator's unit."))
    narrative = TextAreaField(_l("What happened"), validators=[Optional(), Length(max=5000)],
                              description=_l("How the value was measured, what went well, what did not."))
    evidence = MultipleFileField(_l("Evidence (optional)"),
                                 description=_l("Up to 5 files: PDF, JPG or PNG (sign-in sheets, photos, records)."))


class ReviewForm(BaseForm):
    decision = HiddenField()
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class StatusForm(BaseForm):
    status = HiddenField()


class UpdateForm(BaseForm):
    title = StringField(_l("Title"), validators=[Length(max=120)])
    body_md = TextAreaField(_l("What happened"), validators=[Optional(), Length(max=10000)],
                            description=_l("Markdown. Followers are notified."))


class RatingForm(BaseForm):
    score = RadioField(_l("Your rating"), choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
                       validate_choice=False)
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=2000)],
                            description=_l("What worked, what could be better."))


class ReplyForm(BaseForm):
    reply = TextAreaField(_l("Reply"), validators=[Length(max=2000)])


class EmptyForm(BaseForm):
    """Buttons that post (follow, unfollow, remove a photo): CSRF only."""
