"""The audit log's filter form (a GET form: no CSRF token, nothing changes)."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from portal.core.forms import BaseForm


def _with_asked(known, asked) -> list[str]:
    """The known values, plus the one asked for when it is not among them (a link from an old event)."""
    values = sorted(known)
    if asked and len(asked) <= 64 and asked not in values:
        values.append(asked)
    return values


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), default="", validators=[Optional()])
    actor = StringField(_l("Actor email contains"), validators=[Optional(), Length(max=254)])
    object_type = SelectField(_l("Object type"), default="", validators=[Optional()])
    object_id = StringField(_l("Object id"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From (date)"), validators=[Optional()])
    date_to = DateField(_l("To (date)"), validators=[Optional()])

    def __init__(self, actions, object_types, **kwargs):
        super().__init__(**kwargs)
        self.action.choices = [SelectChoice("", _l("All actions")),
                               *(SelectChoice(action, action) for action in _with_asked(actions, self.action.data))]
        self.object_type.choices = [SelectChoice("", _l("All types")),
                                    *(SelectChoice(kind, kind) for kind in _with_asked(object_types,
                                                                                     self.object_type.data))]

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))
