"""Resident need forms. The service checks every rule again; the forms give early, field-level messages."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from portal.core.forms import BaseForm
from portal.needs.models import LINK_TARGETS
from portal.places.models import COMMUNITY
from portal.projects.models import CATEGORIES


def need_place_choices(places) -> list[SelectChoice]:
    """Each community, then its grids, grouped under the community's name."""
    choices = [SelectChoice("", _("Choose a community or grid"))]
    community_name = None
    for place in places:
        if place.kind == COMMUNITY:
            community_name = place.name
            choices.append(SelectChoice(str(place.id), _("%(community)s (whole community)", community=place.name),
                                        optgroup=community_name))
        else:
            choices.append(SelectChoice(str(place.id), place.name, optgroup=community_name or _("Other")))
    return choices


class NeedForm(BaseForm):
    # the service checks the place and the category (with clearer messages than "Not a valid choice")
    place = SelectField(_l("Where"), validate_choice=False,
                        description=_l("The community, or the grid if the need is in one part of it."))
    title = StringField(_l("What is needed"), validators=[Length(max=120)],
                        description=_l("A few words, e.g. “楼道灯坏了，晚上看不见” or “老人吃饭难”."))
    description = TextAreaField(_l("More about it (optional)"), validators=[Optional(), Length(max=5000)],
                                description=_l("Since when, where exactly, what has been tried."))
    affected_group = StringField(_l("Who is affected (optional)"), validators=[Optional(), Length(max=120)],
                                 description=_l("e.g. elderly people living alone in building 3."))
    affected_count = StringField(_l("How many people (optional)"), validators=[Optional(), Length(max=9)])
    category = SelectField(_l("Category (optional)"), validate_choice=False)
    on_behalf_of = StringField(_l("Posted for (grid workers)"), validators=[Optional(), Length(max=80)],
                               description=_l("The name of the resident you post this for, if they do not use "
                                              "the portal. Only workers see it."))

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.place.choices = need_place_choices(places)
        self.category.choices = [SelectChoice("", _("Not sure")),
                                 *(SelectChoice(key, label) for key, label in CATEGORIES.items())]


class DeclineForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)],
                           description=_l("The residents who back the need read it."))


class MergeForm(BaseForm):
    merge_into = SelectField(_l("Merge into"), validate_choice=False)


class LinkForm(BaseForm):
    target_type = HiddenField()
    target_id = SelectField(_l("What answers it"), validate_choice=False)
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=300)])


def link_target_label(target_type: str) -> str:
    return str(LINK_TARGETS.get(target_type, target_type))


class EmptyForm(BaseForm):
    """Buttons that post (back, accept): CSRF only."""
