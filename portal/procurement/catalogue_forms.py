"""Forms of the catalogue, the qualified-organisation list and the minimum wage. Prices are typed in yuan as text
and parsed to fen by portal.core.money; the service checks every rule again (portal/procurement/catalogue.py)."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.core.forms import BaseForm
from portal.orgs.models import SERVICE_AREAS
from portal.procurement import catalogue
from portal.procurement.models import SERVICE_UNITS

REQUIRED = DataRequired(message=_l("This field is required."))


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in labels.items()]


def place_choices(places) -> list[SelectChoice]:
    return [SelectChoice(str(place.id), f"{place.name} ({place.code})") for place in places]


class DepartmentForm(BaseForm):
    place = SelectField(_l("Place"), choices=[], description=_l("The district or street the department buys for."))
    name = StringField(_l("Department"), validators=[REQUIRED, Length(max=catalogue.DEPARTMENT_NAME_MAX)],
                       description=_l("E.g. 西陵区民政局 or 夜明珠街道办事处."))


class CatalogueItemForm(BaseForm):
    year = IntegerField(_l("Year"), validators=[REQUIRED, NumberRange(min=catalogue.YEAR_MIN, max=catalogue.YEAR_MAX)])
    code = StringField(_l("Code"), validators=[REQUIRED, Length(max=32)],
                       description=_l("Unique in the department's catalogue for the year, e.g. YL-01."))
    name = StringField(_l("Service"), validators=[REQUIRED, Length(max=catalogue.ITEM_NAME_MAX)])
    category = SelectField(_l("Category"), choices=_choices(SERVICE_AREAS))
    unit = SelectField(_l("Unit of service"), choices=_choices(SERVICE_UNITS))
    ceiling = StringField(_l("Unit-price ceiling (yuan)"), validators=[REQUIRED, Length(max=20)],
                          description=_l("The most the department pays for one unit, e.g. 45 or 45.50."),
                          render_kw={"inputmode": "decimal", "autocomplete": "off"})
    quality_standard = TextAreaField(_l("Quality standard"),
                                     validators=[REQUIRED, Length(max=catalogue.QUALITY_STANDARD_MAX)],
                                     description=_l("What a delivered unit must meet to be accepted and paid."))


class ImportCatalogueForm(BaseForm):
    file = FileField(_l("CSV file"), description=_l("UTF-8 (with or without BOM) or GB18030, at most 1 MB."))
    text = TextAreaField(_l("Or paste the CSV text"), validators=[Optional(), Length(max=1024 * 1024)])


class QualificationForm(BaseForm):
    organisation = SelectField(_l("Organisation"), choices=[],
                               description=_l("Only verified organisations can be qualified."))
    place = SelectField(_l("Place"), choices=[],
                        description=_l("The organisation may bid for calls on this place and the places under it."))
    category = SelectField(_l("Category"), choices=_choices(SERVICE_AREAS))
    years_registered = IntegerField(_l("Years since registration"), default=0,
                                    validators=[Optional(), NumberRange(min=0, max=catalogue.YEARS_REGISTERED_MAX)])
    past_delivery = TextAreaField(_l("Past delivery"), validators=[REQUIRED, Length(max=catalogue.TEXT_MAX)],
                                  description=_l("Services of this kind it has delivered before, for whom and when."))
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=catalogue.TEXT_MAX)])


class RevokeQualificationForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[REQUIRED, Length(max=catalogue.TEXT_MAX)],
                           description=_l("Shown to the organisation and kept in the audit log."))


class MinimumWageForm(BaseForm):
    place = SelectField(_l("Place"), choices=[])
    hourly = StringField(_l("Hourly minimum wage (yuan)"), validators=[REQUIRED, Length(max=20)],
                         description=_l("E.g. 18.5. Places under it follow unless they have their own."),
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
