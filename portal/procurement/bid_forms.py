"""Forms of sealed bids and abnormally-low-price reviews. Amounts are typed in yuan and parsed to fen by the
service (portal/procurement/bids.py), which checks every rule; the forms only carry what was typed.

Indicator and staff rows are fixed-size lists of plain sub-forms (no JavaScript needed): an empty row is
skipped by the service."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from portal.core.forms import BaseForm
from portal.procurement.bids import BidDraft, StaffLine

REQUIRED = DataRequired(message=_l("This field is required."))
INDICATOR_ROWS, STAFF_ROWS = 3, 4


class IndicatorRow(Form):
    name = StringField(_l("Indicator"), validators=[Length(max=160)])
    unit = StringField(_l("Unit"), validators=[Length(max=32)])
    baseline = StringField(_l("Baseline"), validators=[Length(max=20)], render_kw={"inputmode": "decimal"})
    target = StringField(_l("Target"), validators=[Length(max=20)], render_kw={"inputmode": "decimal"})


class StaffRow(Form):
    role = StringField(_l("Role"), validators=[Length(max=120)])
    people = StringField(_l("People"), validators=[Length(max=6)], render_kw={"inputmode": "numeric"})
    hours = StringField(_l("Hours each"), validators=[Length(max=7)], render_kw={"inputmode": "numeric"})
    rate = StringField(_l("Hourly rate (yuan)"), validators=[Length(max=20)], render_kw={"inputmode": "decimal"})


class BidForm(BaseForm):
    organisation = SelectField(_l("Bidding organisation"), validators=[REQUIRED])
    lot = SelectField(_l("Lot"), validators=[REQUIRED])
    approach = TextAreaField(_l("Approach"), validators=[REQUIRED, Length(max=20000)],
                             description=_l("How you will deliver the service: methods, schedule, how residents "
                                            "take part."))
    team = TextAreaField(_l("Team"), validators=[REQUIRED, Length(max=5000)],
                         description=_l("Who delivers it: roles, qualifications (e.g. licensed social workers)."))
    indicators = FieldList(FormField(IndicatorRow), min_entries=INDICATOR_ROWS, max_entries=INDICATOR_ROWS)
    staff = FieldList(FormField(StaffRow), min_entries=STAFF_ROWS, max_entries=STAFF_ROWS)
    materials = StringField(_l("Materials (yuan)"), validators=[Length(max=20)],
                            render_kw={"inputmode": "decimal", "autocomplete": "off"})
    overheads = StringField(_l("Overheads (yuan)"), validators=[Length(max=20)],
                            render_kw={"inputmode": "decimal", "autocomplete": "off"})
    files = MultipleFileField(_l("Files (PDF, JPG or PNG)"),
                              description=_l("At most 5 files. They are sealed with the bid; their SHA-256 is part "
                                             "of your receipt."))

    def __init__(self, *args, organisations=(), lots=(), **kwargs):
        super().__init__(*args, **kwargs)
        if self.organisation is not None:
            self.organisation.choices = [SelectChoice(str(o.id), o.name) for o in organisations]
            self.lot.choices = [SelectChoice(str(lot.id), f"{lot.number}. {lot.title}") for lot in lots]

    def draft(self) -> BidDraft:
        return BidDraft(
            approach=self.approach.data or "", team=self.team.data or "",
            indicators=[dict(row.data) for row in self.indicators],
            staff=[StaffLine(row.role.data, row.people.data, row.hours.data, row.rate.data) for row in self.staff],
            materials=self.materials.data or "", overheads=self.overheads.data or "",
            files=list(self.files.data or []))


class ReplaceBidForm(BidForm):
    """The same form for a new version: organisation and lot are the bid's own."""

    organisation = None
    lot = None


class WithdrawForm(BaseForm):
    confirm = BooleanField(_l("I understand the bid will not be opened (I may bid again before the deadline)."),
                           validators=[InputRequired(message=_l("Tick the box to confirm."))])


class ExplanationForm(BaseForm):
    explanation = TextAreaField(_l("Your explanation"), validators=[REQUIRED, Length(max=10000)],
                                description=_l("How you can deliver the service at this price: savings, volunteers, "
                                               "materials already held, other funding. Evidence helps."))


class DecisionForm(BaseForm):
    decision = RadioField(_l("Decision"), choices=[SelectChoice("accept", _l("Accept the price: the bid stays in the "
                                                                             "evaluation")),
                                                   SelectChoice("reject", _l("Reject the bid as abnormally low"))],
                          validators=[REQUIRED])
    reason = TextAreaField(_l("Reason"), validators=[REQUIRED, Length(max=5000)],
                           description=_l("Shown to the bidder and kept in the audit log."))
