"""Resident need factories: a need with its backings (the poster backs it, as the service does)."""
import itertools
from datetime import timedelta

from portal.core.time import utcnow
from portal.extensions import db
from portal.needs.models import OPEN, Need, NeedBacking

_serial = itertools.count(1)


def make_need(place, poster, title: str | None = None, status: str = OPEN, backers=(), age_days: int = 0,
              **fields) -> Need:
    n = next(_serial)
    created = utcnow() - timedelta(days=age_days, seconds=n)
    people = [poster, *[user for user in backers if user.id != poster.id]]
    need = Need(place_id=place.id, title=title or f"测试需求{n}", status=status, posted_by_id=poster.id,
                created_at=created, backing_count=len(people), **fields)
    db.session.add(need)
    db.session.flush()
    for user in people:
        db.session.add(NeedBacking(need_id=need.id, user_id=user.id, created_at=created))
    db.session.flush()
    return need
