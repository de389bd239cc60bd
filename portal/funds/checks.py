"""Small checks shared by funds' services: text lengths, unique names under concurrency, and row locks (in the
order portal/core/retry.py writes down). Lifecycle steps go through portal/core/lifecycle.py."""
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core.errors import ValidationFailed
from portal.extensions import db


def line_text(value, field: str, required_message: str | None, maximum: int) -> str:
    """One line of text: spaces collapsed; required when `required_message` is given."""
    value = " ".join(str(value or "").split())
    return checked_length(value, field, required_message, maximum)


def block_text(value, field: str, required_message: str | None, maximum: int) -> str:
    """Free text (Markdown, stories): kept as typed, only trimmed."""
    return checked_length(str(value or "").strip(), field, required_message, maximum)


def checked_length(value: str, field: str, required_message: str | None, maximum: int) -> str:
    if required_message and not value:
        raise ValidationFailed(required_message, field=field)
    if len(value) > maximum:
        raise ValidationFailed(_("This is too long (at most %(max)d characters).", max=maximum), field=field)
    return value


def flush_unique(message: str, field: str) -> None:
    """Flush; a unique name taken by a concurrent request since our check becomes a clear message."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise ValidationFailed(message, field=field) from None


def lock_row(model, object_id: int):
    """SELECT ... FOR UPDATE on PostgreSQL (SQLite serialises writers anyway); returns the fresh row."""
    return db.session.scalar(select(model).where(model.id == object_id).with_for_update()
                             .execution_options(populate_existing=True))
