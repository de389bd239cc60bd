"""Volunteering forms: an opportunity with its first shift, more shifts, check-out minutes, reasons."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.accounts.forms import EmptyForm  # noqa: F401  (buttons that post: CSRF only)
from portal.core.forms import BaseForm

LOCAL_TIME = ZoneInfo("Asia/Shanghai")
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def local_to_utc(value: datetime | None) -> datetime | None:
    """A time typed in the browser (Asia/Shanghai wall clock, no offset) as an aware UTC datetime."""
    if value is None:
        return None
    return value.replace(tzinfo=LOCAL_TIME).astimezone(UTC)


class ShiftForm(BaseForm):
    starts_at = DateTimeLocalField(_l("Starts"), format=DATETIME_LOCAL,
                                   validators=[InputRequired(message=_l("Enter when the shift starts."))],
                                   description=_l("Beijing time."))
    ends_at = DateTimeLocalField(_l("Ends"), format=DATETIME_LOCAL,
                                 validators=[InputRequired(message=_l("Enter when the shift ends."))])
    slots = IntegerField(_l("Volunteers needed"),
                         validators=[InputRequired(message=_l("Enter how many volunteers are needed."))])
    place = SelectField(_l("Place"), choices=[], validate_choice=True)
    location = StringField(_l("Meeting point"), validators=[Optional(), Length(max=200)],
                           description=_l("For example: the community service centre, 2nd floor. "
                                          "Choose a place, describe the meeting point, or both."))
    skills = StringField(_l("Skills wanted for this shift"), validators=[Optional(), Length(max=200)],
                         description=_l("Separate skills with commas. Leave empty to use the opportunity's."))

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.place.choices = [SelectChoice("", _l("No particular place"))] + [
            SelectChoice(str(place.id), ("\u2003" if place.kind == "grid" else "") + place.name) for place in places]

    def shift_values(self, places_by_id: dict, with_skills: bool = True) -> dict:
        """The shift as the service takes it: aware UTC times, the chosen Place."""
        place_id = self.place.data
        values = {"starts_at": local_to_utc(self.starts_at.data), "ends_at": local_to_utc(self.ends_at.data),
                  "slots": self.slots.data, "place": places_by_id.get(int(place_id)) if place_id else None,
                  "location": self.location.data or ""}
        if with_skills:
            values["skills"] = self.skills.data or ""
        return values


class OpportunityForm(ShiftForm):
    title = StringField(_l("Title"), validators=[InputRequired(message=_l("Give the opportunity a title.")),
                                                 Length(max=120)],
                        description=_l("What volunteers will do, e.g. “Accompany elderly residents to the clinic”."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)],
                                description=_l("What to expect, who to ask, what to bring. Markdown is allowed."))
    skills = StringField(_l("Skills wanted"), validators=[Optional(), Length(max=200)],
                         description=_l("Separate skills with commas, e.g. first aid, patience, photography."))


class CheckOutForm(BaseForm):
    """Hours and minutes in two labelled boxes: one box of minutes read as hours ("2") recorded 2 minutes."""

    hours = IntegerField(_l("Hours"), validators=[Optional()])
    minutes = IntegerField(_l("Minutes"), validators=[Optional()],
                           description=_l("Leave both empty to count the time since check-in."))

    def served_minutes(self) -> int | None:
        """The time typed, in minutes; None when both boxes are empty (the service counts since check-in)."""
        if self.hours.data is None and self.minutes.data is None:
            return None
        return (self.hours.data or 0) * 60 + (self.minutes.data or 0)


class ReasonForm(BaseForm):
    note = StringField(_l("Reason"), validators=[Optional(), Length(max=300)])
