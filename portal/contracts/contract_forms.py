"""Forms of the contract pages: signing from an award (a fixed number of milestone rows, blank rows skipped),
an amendment, a scope request. Ranges, sums and required rationales are the services' clear messages."""
from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.contracts import amendments, scope
from portal.contracts.service import MilestoneInput
from portal.core.forms import BaseForm

MILESTONE_ROWS = 6
REQUIRED = DataRequired(message=_l("This field is required."))


class SignForm(BaseForm):
    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()])


for _n in range(1, MILESTONE_ROWS + 1):
    setattr(SignForm, f"m{_n}_title", StringField(_l("Milestone %(n)d: title", n=_n), validators=[Length(max=160)]))
    setattr(SignForm, f"m{_n}_due_on", DateField(_l("Milestone %(n)d: due on", n=_n), validators=[Optional()]))
    setattr(SignForm, f"m{_n}_share", StringField(_l("Milestone %(n)d: payment share (%%)", n=_n),
                                                  validators=[Length(max=8)]))


def sign_form(starts_on, ends_on):
    """The form with three suggested milestones (30%, 30%, 40%) the buyer edits (as sent, once submitted)."""
    if request.method == "POST":
        return SignForm()
    data = {"starts_on": starts_on, "ends_on": ends_on}
    for n, share in ((1, "30"), (2, "30"), (3, "40")):
        data[f"m{n}_share"] = share
    return SignForm(data=data)


def milestone_rows(form) -> list[MilestoneInput]:
    return [MilestoneInput(form[f"m{n}_title"].data or "", form[f"m{n}_due_on"].data, form[f"m{n}_share"].data or "")
            for n in range(1, MILESTONE_ROWS + 1)]


def milestone_fields(form) -> list[tuple]:
    return [(form[f"m{n}_title"], form[f"m{n}_due_on"], form[f"m{n}_share"]) for n in range(1, MILESTONE_ROWS + 1)]


class AmendmentForm(BaseForm):
    rationale = TextAreaField(_l("Rationale"), validators=[Length(max=amendments.RATIONALE_MAX)],
                              description=_l("Required: why the contract changes. It is published with the change."))
    value_change = StringField(_l("Change of value (yuan, + or -)"), validators=[Length(max=20)],
                               description=_l("e.g. +20000 or -5000.50; empty for no change of value."))
    ends_on = DateField(_l("New last day"), validators=[Optional()])


def amendment_form(contract):
    """One optional quantity field per contract line."""

    class Form(AmendmentForm):
        pass

    for line in contract.lines:
        setattr(Form, f"quantity_{line.id}", IntegerField(
            _l("New quantity: %(name)s", name=line.name), validators=[Optional(), NumberRange(min=1)]))
    return Form()


def quantities_of(form, contract) -> dict:
    return {line.id: form[f"quantity_{line.id}"].data for line in contract.lines}


class TerminateForm(BaseForm):
    reason = TextAreaField(_l("Why the contract ends early"), validators=[Length(max=2000)],
                           description=_l("Published on the contract's page."))


class ScopeRequestForm(BaseForm):
    requested_on = DateField(_l("Day of the request"), validators=[REQUIRED])
    line = SelectField(_l("Contract line it falls under"), validate_choice=False)
    description = TextAreaField(_l("What was requested"), validators=[REQUIRED, Length(max=scope.DESCRIPTION_MAX)])


def scope_request_form(contract, department_side: bool):
    form = ScopeRequestForm()
    choices = [SelectChoice("", _l("None: outside the contract"))]
    if department_side:
        choices += [SelectChoice(str(line.id), line.name) for line in contract.lines]
    form.line.choices = choices
    return form


def line_id_of(form) -> int | None:
    raw = (form.line.data or "").strip()
    return int(raw) if raw.isdigit() else None
