"""Precomputed aggregates: a dashboard's heavy dataset is computed once, stored as JSON with the time it was
computed, and read from there until it is older than its `max_age`; the background worker's `insights_refresh`
job recomputes the registered default views before anyone asks, so a page view never pays for the aggregate.

    @snapshot("outcomes.attainment", max_age=timedelta(minutes=30))
    def attainment(params: dict) -> dict: ...          # JSON-able; params are the page's filters

    payload, computed_at = read("outcomes.attainment", {"year": 2026})

A refresh that races another (two workers, or a worker and a page) stores one row: the unique (name, params)
decides, and the loser reads the winner's row.
"""
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core.time import utcnow
from portal.extensions import db
from portal.insights.models import InsightSnapshot


@dataclass
class Registered:
    compute: Callable[[dict], dict]
    max_age: timedelta
    defaults: list[dict] = field(default_factory=lambda: [{}])  # the params the worker keeps fresh


REGISTRY: dict[str, Registered] = {}


def snapshot(name: str, max_age: timedelta = timedelta(minutes=30), defaults: list[dict] | None = None):
    """Register `compute(params) -> JSON-able dict` under `name`."""
    def register(compute):
        REGISTRY[name] = Registered(compute, max_age, defaults if defaults is not None else [{}])
        return compute
    return register


def canonical(params: dict | None) -> str:
    return json.dumps(params or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)[:255]


def _stored(name: str, key: str) -> InsightSnapshot | None:
    return db.session.scalar(select(InsightSnapshot).where(InsightSnapshot.name == name,
                                                           InsightSnapshot.params == key))


def compute_and_store(name: str, params: dict | None = None) -> InsightSnapshot:
    registered = REGISTRY[name]
    key = canonical(params)
    started = time.perf_counter()
    payload = registered.compute(dict(params or {}))
    seconds = round(time.perf_counter() - started, 3)
    row = _stored(name, key)
    if row is not None:
        row.payload, row.computed_at, row.seconds = payload, utcnow(), seconds
        db.session.flush()
        return row
    row = InsightSnapshot(name=name, params=key, payload=payload, computed_at=utcnow(), seconds=seconds)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # another worker or page stored it first: theirs is as fresh
        return _stored(name, key)
    return row


def read(name: str, params: dict | None = None) -> tuple[dict, object]:
    """(payload, computed_at): the stored result while fresh, else computed now and stored."""
    registered = REGISTRY[name]
    row = _stored(name, canonical(params))
    if row is None or row.computed_at < utcnow() - registered.max_age:
        row = compute_and_store(name, params)
    return row.payload, row.computed_at


def refresh_due() -> dict:
    """The worker's job: recompute every registered default view older than half its max_age."""
    refreshed = []
    now = utcnow()
    for name, registered in sorted(REGISTRY.items()):
        for params in registered.defaults:
            row = _stored(name, canonical(params))
            if row is None or row.computed_at < now - registered.max_age / 2:
                compute_and_store(name, params)
                refreshed.append(name)
    return {"refreshed": refreshed}
