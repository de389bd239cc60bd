"""Forms of the evaluation, award, objection and roadshow pages. The forms whose fields depend on the call (one
pair of fields per bidder, per criterion, per lot) are built for it; ranges and required comments are the
services' clear messages, so a tampered value is refused the same way as a mistyped one."""
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.core.forms import BaseForm
from portal.orgs.forms import MultiCheckboxField
from portal.procurement import awards, evaluation
from portal.procurement.models import DISMISSED, UPHELD

REQUIRED = DataRequired(message=_l("This field is required."))
POINTS = [SelectChoice(str(n), str(n)) for n in range(0, 6)]


class PanelForm(BaseForm):
    members = MultiCheckboxField(_l("Evaluators on the panel"), coerce=int, validate_choice=False)


def conflict_form(organisations, formdata=None):
    """One yes/no and one note per bidding organisation."""

    class ConflictForm(BaseForm):
        pass

    for organisation in organisations:
        setattr(ConflictForm, f"conflicted_{organisation.id}", RadioField(
            _l("Do you have a conflict of interest with this organisation?"), validators=[REQUIRED],
            choices=[SelectChoice("no", _l("No conflict")), SelectChoice("yes", _l("Conflict: recuse me"))]))
        setattr(ConflictForm, f"note_{organisation.id}", TextAreaField(
            _l("Note (required when conflicted: the relationship)"),
            validators=[Optional(), Length(max=evaluation.NOTE_MAX)]))
    return ConflictForm(formdata=formdata) if formdata is not None else ConflictForm()


def answers_of(form, organisations) -> dict:
    return {o.id: (form[f"conflicted_{o.id}"].data == "yes", form[f"note_{o.id}"].data or "")
            for o in organisations}


def score_form(criteria, existing: dict):
    """One 0-5 choice and one comment per quality sub-criterion, filled with the evaluator's own scores."""

    class ScoreForm(BaseForm):
        pass

    for criterion in criteria:
        setattr(ScoreForm, f"points_{criterion.id}", RadioField(criterion.name, choices=POINTS,
                                                                validate_choice=False))
        setattr(ScoreForm, f"comment_{criterion.id}", TextAreaField(_l("Comment"), validators=[
            Length(max=evaluation.COMMENT_MAX)]))
    data = {}
    for criterion in criteria:
        score = existing.get(criterion.id)
        if score is not None:
            data[f"points_{criterion.id}"] = str(score.points)
            data[f"comment_{criterion.id}"] = score.comment
    return ScoreForm(data=data)


def score_entries(form, criteria) -> dict:
    entries = {}
    for criterion in criteria:
        raw = (form[f"points_{criterion.id}"].data or "").strip()
        points = int(raw) if raw.lstrip("-").isdigit() else None
        entries[criterion.id] = (points, form[f"comment_{criterion.id}"].data or "")
    return entries


def award_form(rankings):
    """Per lot: the bids chosen (checkboxes in ranking order) and the written reasons."""

    class AwardForm(BaseForm):
        pass

    for lot_ranking in rankings:
        lot = lot_ranking.lot
        setattr(AwardForm, f"lot_{lot.id}", MultiCheckboxField(
            _l("Bids awarded"), coerce=str, validate_choice=False,
            choices=[SelectChoice(str(row.bid.id), row.bid.organisation.name) for row in lot_ranking.ranked]))
        setattr(AwardForm, f"reasons_{lot.id}", TextAreaField(
            _l("Reasons for the award"), validators=[Length(max=awards.REASONS_MAX)],
            description=_l("Public on the award notice. Say why these bids, and why not a higher-ranked one "
                           "if you pass one over.")))
    return AwardForm()


def award_choices(form, rankings) -> tuple[dict, dict]:
    choices, reasons = {}, {}
    for lot_ranking in rankings:
        lot_id = lot_ranking.lot.id
        picked = form[f"lot_{lot_id}"].data or []
        ids = []
        for value in picked:
            if not str(value).isdigit():
                ids.append(-1)  # a tampered value: the service names it as not a bid of this lot
            else:
                ids.append(int(value))
        if ids:
            choices[lot_id] = ids
        reasons[lot_id] = form[f"reasons_{lot_id}"].data or ""
    return choices, reasons


class ObjectionForm(BaseForm):
    organisation = SelectField(_l("Objecting organisation"), coerce=int, validate_choice=False)
    grounds = TextAreaField(_l("Grounds of the objection"), validators=[REQUIRED, Length(max=awards.GROUNDS_MAX)],
                            description=_l("What in the award or the evaluation you object to, and why."))


class ObjectionAnswerForm(BaseForm):
    outcome = RadioField(_l("Outcome"), validators=[REQUIRED], choices=[
        SelectChoice(DISMISSED, _l("Dismissed: the award stands")),
        SelectChoice(UPHELD, _l("Upheld: cancel the award and evaluate again"))])
    answer = TextAreaField(_l("Answer to the objector"), validators=[REQUIRED, Length(max=awards.ANSWER_MAX)])


class VoteForm(BaseForm):
    bid = RadioField(_l("Your vote"), validators=[REQUIRED], validate_choice=False)
