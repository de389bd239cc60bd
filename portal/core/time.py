"""Time: stored as timezone-aware UTC, shown in Asia/Shanghai by Flask-Babel."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

# Tests move the portal's clock to walk timed lifecycles (a bid deadline, a publicity period) without
# sleeping (tests/conftest.py's `clock` fixture), and the demo sets it back to date what it builds
# (portal/procurement/demo.py). Every "now" in the portal comes from here; a running server never moves it.
_offset = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset


def move_clock(by: timedelta) -> None:
    """Shift the portal's clock by `by` (tests and the demo's back-dating; reset with reset_clock)."""
    global _offset
    _offset += by


def reset_clock() -> None:
    global _offset
    _offset = timedelta(0)


class UTCDateTime(TypeDecorator):
    """A DateTime that always comes back timezone-aware in UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite drops the offset
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
