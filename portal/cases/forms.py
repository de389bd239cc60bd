"""Grid case forms: the report, the step forms of the case page, the categories. The service checks every rule
again (place under the category's place, a point inside the city, a reason or note where a step needs one); the
forms give early, field-level messages."""
import secrets

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from portal.core.forms import BaseForm
from portal.places.models import COMMUNITY, GRID

PHOTO_ACCEPT = {"accept": "image/*", "capture": "environment"}


class PhotoForm(BaseForm):
    """A form with a case's photos: their own size limit (portal/cases/photos.py checks it again)."""
    upload_limit_setting = "CASE_PHOTO_MAX_BYTES"


def place_choices(places) -> list[SelectChoice]:
    """Each community, then its grids, grouped under the community's name; each option carries its ancestors'
    ids so the report page's script can narrow the categories to those that cover it."""
    choices = [SelectChoice("", _("Choose a community or grid"))]
    community_name = None
    for place in places:
        ancestors = {"data-ancestors": " ".join(str(i) for i in place.ancestor_ids)}
        if place.kind == COMMUNITY:
            community_name = place.name
            choices.append(SelectChoice(str(place.id), _("%(community)s (whole community)", community=place.name),
                                        render_kw=ancestors, optgroup=community_name))
        elif place.kind == GRID:
            choices.append(SelectChoice(str(place.id), place.name, render_kw=ancestors,
                                        optgroup=community_name or _("Other")))
    return choices


def category_choices(categories) -> list[SelectChoice]:
    return [SelectChoice("", _("Choose what it is"))] + [
        SelectChoice(str(category.id), category.name, render_kw={"data-place": str(category.place_id)},
                     optgroup=category.place.name) for category in categories]


class ReportForm(PhotoForm):
    # the service checks the category and the place (with clearer messages than "Not a valid choice")
    place_id = SelectField(_l("Where"), validate_choice=False,
                           description=_l("The grid (or the whole community) where you saw it."))
    category_id = SelectField(_l("What it is"), validate_choice=False,
                              description=_l("The category decides who handles it and how fast."))
    title = StringField(_l("In a few words"), validators=[Length(max=120)],
                        description=_l("e.g. “3栋楼道堆满杂物” or “路灯不亮”."))
    description = TextAreaField(_l("More about it (optional)"), validators=[Optional(), Length(max=5000)],
                                description=_l("Where exactly, since when, who is affected."))
    latitude = FloatField(_l("Latitude (optional)"), validators=[Optional(), NumberRange(min=-90, max=90)])
    longitude = FloatField(_l("Longitude (optional)"), validators=[Optional(), NumberRange(min=-180, max=180)])
    photos = MultipleFileField(_l("Photos (optional, up to 4)"), render_kw=PHOTO_ACCEPT,
                               description=_l("Take them on the spot: the time and place they were taken are "
                                              "read, everything else in the file is removed."))
    idempotency_key = HiddenField(validators=[Length(max=64)])

    def __init__(self, *args, places=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.place_id.choices = place_choices(places)
        self.category_id.choices = category_choices(categories)
        if not self.idempotency_key.data:
            # one key per rendered form: a double tap or a resent POST finds the case the first one made
            self.idempotency_key.data = secrets.token_urlsafe(24)


class NoteForm(BaseForm):
    """File, close: an optional note for the timeline."""
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class RequiredNoteForm(BaseForm):
    """Feedback and sending back: the note is the point of the step (the service says so when it is empty)."""
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])


class ReasonForm(BaseForm):
    """Reject, escalate: the reason is required (the service says so when it is empty)."""
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class DispatchForm(BaseForm):
    department_id = SelectField(_l("Handling department"), validate_choice=False)
    contract_id = SelectField(_l("Or a contracted organisation"), validate_choice=False)
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, departments=(), contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.department_id.choices = [SelectChoice("", _("The category's department"))] + [
            SelectChoice(str(d.id), d.name) for d in departments]
        self.contract_id.choices = [SelectChoice("", _("None"))] + [
            SelectChoice(str(c.id), f"{c.reference} {c.title}") for c in contracts]


class HandleForm(PhotoForm):
    note = TextAreaField(_l("What was done"), validators=[Length(max=2000)])
    photos = MultipleFileField(_l("Photos of the result (optional, up to 4)"), render_kw=PHOTO_ACCEPT)


class VerifyForm(PhotoForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])
    photos = MultipleFileField(_l("Follow-up photo, taken on site"), render_kw=PHOTO_ACCEPT,
                               description=_l("At least one photo showing the result."))


class EvaluateForm(BaseForm):
    satisfied = RadioField(_l("Are you satisfied with how it was handled?"), validate_choice=False,
                           choices=[SelectChoice("yes", _l("Satisfied")), SelectChoice("no", _l("Not satisfied"))])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)],
                            description=_l("Needed when you are not satisfied: say what is still wrong."))


class ContractLogForm(BaseForm):
    line_id = SelectField(_l("Contract line"), validate_choice=False)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.line_id.choices = [SelectChoice("", _("No line: outside the contract's scope"))] + [
            SelectChoice(str(line.id), line.name) for line in lines]


class CategoryForm(BaseForm):
    place_id = SelectField(_l("Place"), validate_choice=False,
                           description=_l("Its cases come from this place and every place under it."))
    code = StringField(_l("Code"), validators=[Length(max=32)],
                       description=_l("Short and stable: the Open311 service code, e.g. “CLUTTER”."))
    name = StringField(_l("Name"), validators=[Length(max=80)])
    description = TextAreaField(_l("Description (optional)"), validators=[Optional(), Length(max=2000)])
    department_id = SelectField(_l("Handling department"), validate_choice=False)
    contract_id = SelectField(_l("Or a contracted organisation"), validate_choice=False)
    accept_hours = IntegerField(_l("Hours to take it up"), validators=[Optional()], default=2)
    handle_hours = IntegerField(_l("Hours to handle it"), validators=[Optional()], default=72)
    feedback_hours = IntegerField(_l("Hours to tell the reporter"), validators=[Optional()], default=24)
    is_public = BooleanField(_l("Its cases are public (without the reporter's name)"), default=True)
    is_active = BooleanField(_l("Open for new reports"), default=True)

    def __init__(self, *args, places=(), departments=(), contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.place_id.choices = [SelectChoice("", _("Choose a district or street"))] + [
            SelectChoice(str(p.id), p.name) for p in places]
        self.department_id.choices = [SelectChoice("", _("None"))] + [
            SelectChoice(str(d.id), d.name) for d in departments]
        self.contract_id.choices = [SelectChoice("", _("None"))] + [
            SelectChoice(str(c.id), f"{c.reference} {c.title}") for c in contracts]


def optional_id(value) -> int | None:
    """A select's value as an id, or None when nothing (or nonsense) was chosen: the service then names it."""
    return int(value) if value and str(value).isdigit() else None
