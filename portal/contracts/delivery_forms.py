"""Forms of delivery reports and resident sampling. The units fields are made per contract line
(`report_form_for`); the typed record rows are plain inputs the service checks like CSV rows."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import DateField, HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from portal.contracts.delivery import RECORD_COLUMNS
from portal.core.forms import BaseForm

RECORD_ROWS = 5  # empty rows offered on the form; a CSV takes any number


class ReportForm(BaseForm):
    milestone = SelectField(_l("Milestone"), coerce=int, validate_choice=False)
    period_start = DateField(_l("Period from"), validators=[Optional()])
    period_end = DateField(_l("Period to"), validators=[Optional()])
    narrative = TextAreaField(_l("What was delivered"), validators=[Optional(), Length(max=5000)],
                              description=_l("What was done in the period, where, for whom; what did not go to plan."))
    evidence = MultipleFileField(_l("Evidence (optional)"),
                                 description=_l("Up to 10 files: PDF, JPG or PNG (sign-in sheets, photos, "
                                                "service logs). Checked by content, not by name."))
    records_csv = FileField(_l("Service records as CSV (optional)"),
                            description=_l("One line per person served or session held; the whole file is "
                                           "refused if one line is wrong."))


def report_form_for(contract, data=None, **kwargs) -> ReportForm:
    """The report form with one units field per contract line, named units_<line id>."""
    fields = {f"units_{line.id}": StringField(f"{line.name} ({line.unit})", validators=[Length(max=12)])
              for line in contract.lines}
    form_class = type("ContractReportForm", (ReportForm,), fields)
    form = form_class(data=data, **kwargs)
    form.milestone.choices = [SelectChoice(m.id, f"{m.number}. {m.title}") for m in contract.milestones]
    return form


def units_fields(form, contract) -> list:
    return [(line, form[f"units_{line.id}"]) for line in contract.lines]


def typed_rows(values, count: int = RECORD_ROWS) -> list[dict]:
    """The record rows typed on the form (inputs rec-<n>-<column>), as many as were posted (at least `count`)."""
    numbers = {int(key.split("-")[1]) for key in values if key.startswith("rec-") and key.split("-")[1].isdigit()}
    total = max([count, *(n + 1 for n in numbers)])
    return [{column: values.get(f"rec-{n}-{column}", "") for column in RECORD_COLUMNS} for n in range(min(total, 200))]


class DecisionForm(BaseForm):
    reason = TextAreaField(_l("Reason for returning"), validators=[Optional(), Length(max=2000)],
                           description=_l("Required when you return the report: what is missing or wrong."))


class AnswerForm(BaseForm):
    happened = RadioField(_l("Did this service happen?"),
                          choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))], validate_choice=False)
    quality = RadioField(_l("How good was it?"), choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
                         validate_choice=False, description=_l("1 = very poor, 5 = very good."))
    comment = TextAreaField(_l("Anything to add (optional)"), validators=[Optional(), Length(max=1000)])
    item = HiddenField()
