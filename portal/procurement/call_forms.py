"""The forms of the calls pages: the call (with repeated rows for lots, their lines and the award criteria, so it
works without JavaScript and on a phone), an amendment, a cancellation, a question and its answer."""
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.core.forms import BaseForm
from portal.core.money import format_yuan, parse_amount
from portal.orgs.forms import MultiCheckboxField
from portal.orgs.models import SERVICE_AREAS
from portal.procurement.call_rules import LOCAL_TIME, CallDetails, CriterionDraft, LineDraft, LotDraft
from portal.procurement.models import CALL_MODES, CRITERION_KINDS, PRICE, QUALITY

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
BLANK_LINES, BLANK_CRITERIA = 2, 1  # empty rows offered for adding, beside the filled ones
DEFAULT_RUBRIC = "0 未涉及 · 1 很弱 · 2 较弱 · 3 合格 · 4 良好 · 5 优秀"


def local_to_utc(value: datetime | None) -> datetime | None:
    """A time typed in the browser (Beijing wall clock, no offset) as an aware UTC datetime."""
    return None if value is None else value.replace(tzinfo=LOCAL_TIME).astimezone(UTC)


def utc_to_local(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(LOCAL_TIME).replace(tzinfo=None)


def yuan_text(amount_minor: int | None) -> str:
    return "" if amount_minor is None else format_yuan(amount_minor).replace(",", "")


def _choices(labels: dict, blank=None) -> list[SelectChoice]:
    rows = [SelectChoice("", blank)] if blank is not None else []
    return rows + [SelectChoice(key, label) for key, label in labels.items()]


def _int(value) -> int | None:
    return int(value) if value not in (None, "") and str(value).strip().isdigit() else None


class LineForm(Form):
    item = SelectField(_l("Catalogue item"), choices=[], validate_choice=False)
    quantity = IntegerField(_l("Quantity"), validators=[Optional(), NumberRange(min=1, max=1_000_000)])


class LotForm(Form):
    title = StringField(_l("Lot title"), validators=[Optional(), Length(max=160)])
    budget_cap = StringField(_l("Lot budget cap (yuan)"), validators=[Optional(), Length(max=20)])
    max_awards = IntegerField(_l("Awarded to at most"), default=1, validators=[Optional(), NumberRange(min=1, max=50)],
                              description=_l("How many bidders the lot may be awarded to (application calls and "
                                             "contests may fund several)."))
    lines = FieldList(FormField(LineForm), min_entries=1)


class CriterionForm(Form):
    kind = SelectField(_l("Kind"), choices=_choices(CRITERION_KINDS, blank=_l("(unused row)")))
    title = StringField(_l("Criterion"), validators=[Optional(), Length(max=120)])
    weight = IntegerField(_l("Weight (%)"), validators=[Optional(), NumberRange(min=1, max=100)])
    rubric = TextAreaField(_l("Rubric"), validators=[Optional(), Length(max=2000)],
                           description=_l("For quality sub-criteria: what earns 0, 1, 2, 3, 4 or 5 points."))


class CallForm(BaseForm):
    mode = SelectField(_l("Mode"), choices=_choices(CALL_MODES))
    category = SelectField(_l("Category of service"), choices=_choices(SERVICE_AREAS))
    title = StringField(_l("Title"), validators=[InputRequired(message=_l("Give the call a title.")),
                                                 Length(max=160)])
    description = TextAreaField(_l("What is bought"), validators=[Optional(), Length(max=10_000)],
                                description=_l("The service, who it is for, the expected results."))
    eligibility = TextAreaField(_l("Who may bid"), validators=[Optional(), Length(max=5000)],
                                description=_l("Beyond being a verified organisation qualified for the category."))
    place = SelectField(_l("Where the service is delivered"), choices=[], validate_choice=False)
    budget_cap = StringField(_l("Budget cap (yuan)"), validators=[InputRequired(message=_l("Enter the budget cap.")),
                                                                  Length(max=20)])
    price_floor = StringField(_l("Price floor (yuan)"), default="0", validators=[Optional(), Length(max=20)],
                              description=_l("Prices are scored on a line from full marks at the floor to none at the "
                                             "cap, so the lowest price does not simply win."))
    min_bids = IntegerField(_l("Minimum number of bids"), default=1,
                            validators=[InputRequired(message=_l("Enter the minimum number of bids.")),
                                        NumberRange(min=1, max=20)],
                            description=_l("Fewer bids at the opening make the call unsuccessful."))
    questions_until = DateTimeLocalField(_l("Questions until"), format=DATETIME_LOCAL, validators=[Optional()],
                                         description=_l("Beijing time."))
    bids_until = DateTimeLocalField(_l("Bid deadline and opening"), format=DATETIME_LOCAL, validators=[Optional()],
                                    description=_l("Beijing time. Bids open at this moment."))
    publicity_days = IntegerField(_l("Publicity period (days)"), default=5,
                                  validators=[InputRequired(message=_l("Enter the publicity period.")),
                                              NumberRange(min=1, max=30)])
    invited_organisation = SelectField(_l("Invited organisation (direct grant)"), choices=[], validate_choice=False)
    roadshow_starts_at = DateTimeLocalField(_l("Roadshow starts (contest)"), format=DATETIME_LOCAL,
                                            validators=[Optional()])
    roadshow_ends_at = DateTimeLocalField(_l("Roadshow ends (contest)"), format=DATETIME_LOCAL,
                                          validators=[Optional()])
    roadshow_place = StringField(_l("Roadshow venue (contest)"), validators=[Optional(), Length(max=160)])
    needs = MultiCheckboxField(_l("Residents' needs it answers"), choices=[], coerce=int, validate_choice=False)
    consultation = TextAreaField(_l("Consultation it answers"), validators=[Optional(), Length(max=2000)],
                                 description=_l("A residents' meeting or survey that asked for this service."))
    no_need_reason = TextAreaField(_l("Why it answers no need or consultation"),
                                   validators=[Optional(), Length(max=2000)],
                                   description=_l("Required when no need and no consultation is named; shown "
                                                  "publicly."))
    lots = FieldList(FormField(LotForm), min_entries=1)
    criteria = FieldList(FormField(CriterionForm), min_entries=1)

    def setup(self, places, items, organisations, needs, fresh: bool) -> None:
        """Choices for the selects, and empty rows to add lines and criteria (also on a new form's defaults)."""
        self.place.choices = [SelectChoice(str(p.id), "\u2003" * max(p.depth - 1, 0) + p.name) for p in places]
        self.invited_organisation.choices = [SelectChoice("", _l("None"))] + [
            SelectChoice(str(o.id), o.name) for o in organisations]
        self.needs.choices = [(need.id, f"{need.title} · {need.place.name}") for need in needs]
        if fresh:
            if all(lot.title.data for lot in self.lots):
                self.lots.append_entry()  # room for one more lot
            for lot in self.lots:
                while sum(1 for line in lot.lines if not line.item.data) < BLANK_LINES:
                    lot.lines.append_entry()
            while sum(1 for row in self.criteria if not row.kind.data) < BLANK_CRITERIA:
                self.criteria.append_entry()
        item_choices = [SelectChoice("", _l("(unused row)"))] + [
            SelectChoice(str(item.id), f"{item.year} · {item.code} {item.name} · "
                                       f"≤ ¥{yuan_text(item.unit_price_ceiling_minor)}") for item in items]
        for lot in self.lots:
            for line in lot.lines:
                line.item.choices = item_choices

    def flat_errors(self) -> list[tuple[str, str, str]]:
        """(element id, label, message) of every error, the repeated rows' included, for the page summary."""
        rows = []

        def walk(item):
            if isinstance(item, FieldList):
                rows.extend((f"{item.id}-error", item.label.text, e) for e in item.errors if isinstance(e, str))
                for entry in item.entries:
                    walk(entry)
            elif isinstance(item, FormField):
                for sub in item.form:
                    walk(sub)
            else:
                rows.extend((item.id, item.label.text, e) for e in item.errors if isinstance(e, str))

        for item in self:
            walk(item)
        return rows

    def details(self) -> CallDetails:
        """The form as the service takes it; amounts are parsed here (a ValidationFailed names the field)."""
        lots = []
        for row in self.lots:
            lines = [LineDraft(item_id=_int(line.item.data) or 0, quantity=line.quantity.data or 0)
                     for line in row.lines if line.item.data or line.quantity.data]
            if not (row.title.data or row.budget_cap.data or lines):
                continue  # an unused lot row
            cap = parse_amount(row.budget_cap.data, field="lots") if row.budget_cap.data else 0
            lots.append(LotDraft(title=row.title.data or "", cap_minor=cap, max_awards=row.max_awards.data or 1,
                                 lines=lines))
        criteria = [CriterionDraft(kind=row.kind.data or "", name=row.title.data or "", weight=row.weight.data or 0,
                                   rubric=row.rubric.data or "")
                    for row in self.criteria if row.kind.data or row.title.data or row.weight.data]
        floor = self.price_floor.data
        return CallDetails(
            mode=self.mode.data, category=self.category.data, title=self.title.data, place_id=_int(self.place.data),
            budget_cap_minor=parse_amount(self.budget_cap.data, field="budget_cap"),
            price_floor_minor=parse_amount(floor, field="price_floor", minimum_minor=0) if floor else 0,
            description=self.description.data or "", eligibility=self.eligibility.data or "",
            min_bids=self.min_bids.data, questions_until=local_to_utc(self.questions_until.data),
            bids_until=local_to_utc(self.bids_until.data), publicity_days=self.publicity_days.data,
            invited_organisation_id=_int(self.invited_organisation.data),
            roadshow_starts_at=local_to_utc(self.roadshow_starts_at.data),
            roadshow_ends_at=local_to_utc(self.roadshow_ends_at.data), roadshow_place=self.roadshow_place.data or "",
            consultation=self.consultation.data or "", no_need_reason=self.no_need_reason.data or "",
            need_ids=list(self.needs.data or []), lots=lots, criteria=criteria)


def initial_data(details: CallDetails | None, default_place_id: int | None = None) -> dict:
    """A form's first values: the call's details, or sensible defaults for a new call."""
    if details is None:
        return {"place": str(default_place_id or ""), "price_floor": "0", "min_bids": 1, "publicity_days": 5,
                "lots": [{"max_awards": 1, "lines": []}],
                "criteria": [{"kind": PRICE, "title": "价格", "weight": 30},
                             {"kind": QUALITY, "title": "服务方案", "weight": 40, "rubric": DEFAULT_RUBRIC},
                             {"kind": QUALITY, "title": "团队与经验", "weight": 30, "rubric": DEFAULT_RUBRIC}]}
    return {
        "mode": details.mode, "category": details.category, "title": details.title,
        "description": details.description, "eligibility": details.eligibility, "place": str(details.place_id or ""),
        "budget_cap": yuan_text(details.budget_cap_minor), "price_floor": yuan_text(details.price_floor_minor),
        "min_bids": details.min_bids, "questions_until": utc_to_local(details.questions_until),
        "bids_until": utc_to_local(details.bids_until), "publicity_days": details.publicity_days,
        "invited_organisation": str(details.invited_organisation_id or ""),
        "roadshow_starts_at": utc_to_local(details.roadshow_starts_at),
        "roadshow_ends_at": utc_to_local(details.roadshow_ends_at), "roadshow_place": details.roadshow_place,
        "needs": details.need_ids, "consultation": details.consultation, "no_need_reason": details.no_need_reason,
        "lots": [{"title": lot.title, "budget_cap": yuan_text(lot.cap_minor), "max_awards": lot.max_awards,
                  "lines": [{"item": str(line.item_id), "quantity": line.quantity} for line in lot.lines]}
                 for lot in details.lots] or [{"max_awards": 1, "lines": []}],
        "criteria": [{"kind": c.kind, "title": c.name, "weight": c.weight, "rubric": c.rubric}
                     for c in details.criteria]}


class AmendForm(CallForm):
    summary = TextAreaField(_l("What changed and why"),
                            validators=[InputRequired(message=_l("Say what changed and why: bidders read it.")),
                                        Length(max=2000)],
                            description=_l("Shown publicly with the revision."))


class CancelForm(BaseForm):
    reason = TextAreaField(_l("Reason for cancelling"),
                           validators=[InputRequired(message=_l("Give the reason for cancelling: it is shown "
                                                                "publicly.")), Length(max=2000)])


class QuestionForm(BaseForm):
    question = TextAreaField(_l("Your question"), validators=[InputRequired(message=_l("Write your question.")),
                                                              Length(max=2000)],
                             description=_l("Questions and answers are public; your name is not shown."))


class AnswerForm(BaseForm):
    answer = TextAreaField(_l("Answer"), validators=[InputRequired(message=_l("Write the answer.")),
                                                     Length(max=5000)])
