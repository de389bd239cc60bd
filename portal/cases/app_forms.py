"""The phone app's forms: a report (the same for grid workers and residents) and a follow-up on site. The page
renders them; the app's JavaScript queues what they hold and sends it to the JSON endpoints, which read the
same forms. The service checks every rule again; these give early, field-level messages."""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, MultipleFileField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from portal.core.forms import BaseForm
from portal.places.models import COMMUNITY

# crypto.randomUUID() on the phone; letters, digits and hyphens only (it is looked for in notes with LIKE)
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def _key_field():
    return HiddenField(validators=[DataRequired(message=_l("The report has no key to send it once; reload the app "
                                                            "and send it again.")),
                                   Regexp(IDEMPOTENCY_KEY, message=_l("The report's key is not valid."))])


def _coordinate(field) -> float | None:
    value = (field.data or "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ValidationError(_("The location is not a number; take it again or leave it out.")) from None


def place_choices(places) -> list[SelectChoice]:
    """The grid worker's grids, or every community and its grids (a resident's choice), in tree order. Each
    option carries the ids of the place and those above it, so the page offers only the categories that apply."""
    choices = [] if len(places) == 1 else [SelectChoice("", _("Choose where it is"))]
    community_name = None
    for place in places:
        attributes = {"data-places": " ".join(str(place_id) for place_id in place.ancestor_ids)}
        if place.kind == COMMUNITY:
            community_name = place.name
            label = _("%(community)s (whole community)", community=place.name)
        else:
            label = place.name
        choices.append(SelectChoice(str(place.id), label, optgroup=community_name, render_kw=attributes))
    return choices


def category_choices(categories) -> list[SelectChoice]:
    choices = [SelectChoice("", _("Choose what kind of problem it is"))]
    for category in categories:
        choices.append(SelectChoice(str(category.id), category.name, optgroup=category.place.name,
                                    render_kw={"data-place": str(category.place_id)}))
    return choices


class ReportForm(BaseForm):
    idempotency_key = _key_field()
    photos = MultipleFileField(_l("Photos"), render_kw={"accept": "image/*", "capture": "environment"},
                               description=_l("Take a photo with the camera; up to 4. Their time and place are "
                                              "read, every other detail is removed before they are kept."))
    # the service checks the place and the category (with clearer messages than "Not a valid choice")
    place_id = SelectField(_l("Where"), validate_choice=False)
    category_id = SelectField(_l("What kind of problem"), validate_choice=False)
    title = StringField(_l("In a few words"), validators=[Length(max=120)],
                        description=_l("e.g. “3栋楼道堆满杂物” or “路灯不亮”."))
    description = TextAreaField(_l("More about it (optional)"), validators=[Optional(), Length(max=5000)])
    latitude = HiddenField()
    longitude = HiddenField()

    def __init__(self, *args, places=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.place_id.choices = place_choices(places)
        self.category_id.choices = category_choices(categories)

    def validate_place_id(self, field):
        if not (field.data or "").isdigit():
            raise ValidationError(_("Choose where it is."))

    def validate_category_id(self, field):
        if not (field.data or "").isdigit():
            raise ValidationError(_("Choose what kind of problem it is."))

    def validate_latitude(self, field):
        _coordinate(field)

    def validate_longitude(self, field):
        _coordinate(field)

    def point(self) -> tuple[float | None, float | None]:
        return _coordinate(self.latitude), _coordinate(self.longitude)


class FollowUpForm(BaseForm):
    """The grid worker's verification on site: a follow-up photo (required by the service) and a note."""
    idempotency_key = _key_field()
    photos = MultipleFileField(_l("Follow-up photo"), render_kw={"accept": "image/*", "capture": "environment"})
    note = TextAreaField(_l("What you found (optional)"), validators=[Optional(), Length(max=2000)])
