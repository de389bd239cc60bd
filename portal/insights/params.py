"""The dashboards' filters read from the query string: a value that is not one of the known ones answers 400 with
a message naming the filter (never a 500, never a silently ignored filter); and frames made JSON-safe for storing."""
import math
from decimal import Decimal

from flask_babel import gettext as _

from portal.core.errors import ValidationFailed
from portal.extensions import db
from portal.places.models import Place

FIRST_YEAR, LAST_YEAR = 2000, 2100


def choice(args, name: str, known) -> str | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if value not in known:
        raise ValidationFailed(_("The filter “%(field)s” has an unknown value: choose one of the list.", field=name),
                               field=name)
    return value


def year(args, name: str = "year") -> int | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or not FIRST_YEAR <= int(value) <= LAST_YEAR:
        raise ValidationFailed(_("The filter “%(field)s” must be a year from %(first)d to %(last)d.", field=name,
                                 first=FIRST_YEAR, last=LAST_YEAR), field=name)
    return int(value)


def place(args, name: str = "place") -> Place | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    found = db.session.get(Place, int(value)) if value.isdigit() and len(value) < 12 else None
    if found is None:
        raise ValidationFailed(_("The filter “%(field)s” names no place: choose one from the tree.", field=name),
                               field=name)
    return found


def plain(value):
    """A value JSON can store: numpy and pandas scalars as Python numbers, NaN and NA as None."""
    if value is None:
        return None
    try:
        import pandas as pd
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, Decimal):  # PostgreSQL's sums of bigint are numeric
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def records(frame) -> list[dict]:
    """A DataFrame's rows as JSON-safe dicts."""
    return [{key: plain(value) for key, value in row.items()} for row in frame.to_dict("records")]
