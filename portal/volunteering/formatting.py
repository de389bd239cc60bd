"""How shift times read, in the reader's language and Beijing time: pages, mail and notifications."""
from babel.dates import format_skeleton
from flask_babel import get_locale, get_timezone

from portal.core.time import utcnow


def timespan(shift) -> str:
    """'5月3日周日 09:00–11:00' / 'Sun, May 3 09:00–11:00'; the year only when it is not this one."""
    zone, locale = get_timezone(), get_locale()
    start, end = shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone)
    day_skeleton = "MMMEd" if start.year == utcnow().astimezone(zone).year else "yMMMEd"

    def day(value):
        return format_skeleton(day_skeleton, value, tzinfo=zone, locale=locale)

    def clock(value):
        return format_skeleton("Hm", value, tzinfo=zone, locale=locale)

    if start.date() == end.date():
        return f"{day(start)} {clock(start)}–{clock(end)}"
    return f"{day(start)} {clock(start)} – {day(end)} {clock(end)}"


def where(shift) -> str:
    """The shift's place and meeting point, as one line."""
    parts = [shift.place.name] if shift.place is not None else []
    if shift.location:
        parts.append(shift.location)
    return " · ".join(parts)


def clock(value) -> str:
    """A time of day in Beijing time: '09:05'."""
    if value is None:
        return ""
    zone = get_timezone()
    return format_skeleton("Hm", value.astimezone(zone), tzinfo=zone, locale=get_locale())
