"""A call's timeline for its page: each date (passed, or ahead), and the countdown to the next one."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext

from portal.core.time import utcnow
from portal.procurement.models import CANCELLED, CONTEST, UNSUCCESSFUL, Call


@dataclass
class Moment:
    key: str
    label: str
    at: datetime | None
    expected: bool = False  # a date foreseen from the rules (the publicity's end), not yet fixed

    @property
    def passed(self) -> bool:
        return self.at is not None and self.at <= utcnow()


def timeline_of(call: Call) -> list[Moment]:
    publicity_end = call.publicity_ends_at
    expected_end = publicity_end is None and call.awarded_at is not None
    if expected_end:
        publicity_end = call.awarded_at + timedelta(days=call.publicity_days)
    moments = [Moment("published", _("Published"), call.published_at),
               Moment("questions", _("Questions close"), call.questions_until),
               Moment("bids", _("Bid deadline and opening"), call.opened_at or call.bids_until)]
    if call.mode == CONTEST:
        moments += [Moment("roadshow_start", _("Roadshow starts"), call.roadshow_starts_at),
                    Moment("roadshow_end", _("Roadshow voting ends"), call.roadshow_ends_at)]
    moments += [Moment("evaluation", _("Evaluation"), call.evaluation_started_at),
                Moment("award", _("Award decided"), call.awarded_at),
                Moment("publicity", _("Publicity period ends"), publicity_end, expected=expected_end)]
    return moments


def next_moment(call: Call, moments: list[Moment]) -> Moment | None:
    """The next date ahead on an active call (none on a cancelled or unsuccessful one)."""
    if call.status in (CANCELLED, UNSUCCESSFUL):
        return None
    ahead = [m for m in moments if m.at is not None and not m.passed]
    return min(ahead, key=lambda m: m.at) if ahead else None


def countdown_text(until: datetime, now: datetime | None = None) -> str:
    """'3 days 4 hours left' (or hours and minutes under a day); 'passed' when the moment has come."""
    seconds = int((until - (now or utcnow())).total_seconds())
    if seconds <= 0:
        return _("the moment has passed")
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        time = ngettext("%(num)d day", "%(num)d days", days) + " " + ngettext("%(num)d hour", "%(num)d hours", hours)
    else:
        time = (ngettext("%(num)d hour", "%(num)d hours", hours) + " "
                + ngettext("%(num)d minute", "%(num)d minutes", minutes))
    return _("%(time)s left", time=time)
