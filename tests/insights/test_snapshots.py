"""Stored aggregates: computed once, read while fresh, recomputed when old, refreshed by the worker's job."""
from datetime import timedelta

import pytest

from portal import worker
from portal.extensions import db
from portal.insights import snapshots
from portal.insights.models import InsightSnapshot


@pytest.fixture
def counted():
    calls = []

    def compute(params):
        calls.append(params)
        return {"n": len(calls), "params": params}

    snapshots.snapshot("test.counted", max_age=timedelta(minutes=10), defaults=[{}, {"year": 2026}])(compute)
    yield calls
    snapshots.REGISTRY.pop("test.counted")


def test_a_fresh_snapshot_is_read_not_recomputed(counted, clock):
    first, computed_at = snapshots.read("test.counted", {"year": 2026})
    again, again_at = snapshots.read("test.counted", {"year": 2026})
    assert first == again == {"n": 1, "params": {"year": 2026}} and computed_at == again_at
    assert len(counted) == 1


def test_an_old_snapshot_is_recomputed_in_place(counted, clock):
    snapshots.read("test.counted")
    clock.move(minutes=11)
    payload, _at = snapshots.read("test.counted")
    assert payload["n"] == 2
    assert db.session.query(InsightSnapshot).filter_by(name="test.counted").count() == 1


def test_the_worker_refreshes_the_registered_defaults_getting_old(counted, clock):
    assert worker.refresh_insights()["refreshed"].count("test.counted") == 2
    assert worker.refresh_insights()["refreshed"].count("test.counted") == 0
    clock.move(minutes=6)  # past half the max age
    assert worker.refresh_insights()["refreshed"].count("test.counted") == 2


def test_params_are_canonical_whatever_their_order():
    assert snapshots.canonical({"b": 1, "a": "区"}) == snapshots.canonical({"a": "区", "b": 1}) == '{"a":"区","b":1}'
