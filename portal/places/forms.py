"""Place forms: create, edit, move and CSV import."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from portal.core.forms import BaseForm
from portal.places.models import KIND_LABELS, KINDS

CODE = Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$",
              message=_l("A code has 1 to 32 letters, digits, dots, dashes or underscores."))
COUNT = [Optional(), NumberRange(min=0, max=100_000_000, message=_l("Enter a whole number of 0 or more."))]
NO_PARENT = ""


def parent_choices(places, none_label=None) -> list[SelectChoice]:
    """Options grouped by kind ("Street" optgroup...), labelled "name (code)"."""
    choices = [SelectChoice(NO_PARENT, none_label)] if none_label else []
    choices += [SelectChoice(str(place.id), f"{place.name} ({place.code})", optgroup=str(KIND_LABELS[place.kind]))
                for place in places]
    return choices


class PlaceForm(BaseForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(kind, KIND_LABELS[kind]) for kind in KINDS])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    code = StringField(_l("Code"), validators=[DataRequired(), CODE],
                       description=_l("Unique, e.g. the administrative division code 420502001001."))
    parent = SelectField(_l("Parent place"), choices=[],
                         description=_l("A street lies in a district, a community in a street, a grid in a "
                                        "community. Districts have no parent."))
    population = IntegerField(_l("Population (optional)"), validators=COUNT)
    households = IntegerField(_l("Households (optional)"), validators=COUNT)


class EditPlaceForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    code = StringField(_l("Code"), validators=[DataRequired(), CODE])
    population = IntegerField(_l("Population (optional)"), validators=COUNT)
    households = IntegerField(_l("Households (optional)"), validators=COUNT)


class MovePlaceForm(BaseForm):
    parent = SelectField(_l("New parent place"), choices=[])


class ImportPlacesForm(BaseForm):
    file = FileField(_l("CSV file"), description=_l("UTF-8 (with or without BOM) or GB18030, at most 1 MB."))
    text = TextAreaField(_l("Or paste the CSV text"), validators=[Optional(), Length(max=1024 * 1024)])
