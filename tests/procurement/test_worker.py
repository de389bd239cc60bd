"""The background worker (portal/worker.py): its jobs run the same functions as the commands, each commits and
logs what it did; its queue is SQLite without REDIS_URL and Redis with it; `portal procurement due` and
`portal worker` exit 0 and say what they did."""
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import select

from portal import worker
from portal.accounts import roles
from portal.config import INSTANCE_DIR
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds.models import ENDED, LIVE, Campaign
from portal.volunteering.models import CONFIRMED, Shift
from tests.conftest import IS_CI
from tests.factories.accounts import UserFactory, grant
from tests.factories.funds import make_campaign, make_fund
from tests.factories.places import make_tree
from tests.factories.volunteering import make_opportunity, make_organiser_and_project, make_shift, make_signup

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def immediate(app):
    """The worker's queue in immediate mode (tasks run on the spot, in memory), in the test app."""
    worker.use_app(app)
    was = worker.huey.immediate
    worker.huey.immediate = True
    yield worker.huey
    worker.huey.immediate = was


def _due_campaign():
    tree = make_tree()
    creator = UserFactory()
    grant(creator, roles.COMMUNITY_WORKER, tree["community"])
    past = utcnow() - timedelta(minutes=5)
    return make_campaign(make_fund(tree["community"]), creator, goal_minor=10_000,
                         starts_at=past - timedelta(days=10), ends_at=past)


# --- the jobs ------------------------------------------------------------------------------------------

def test_the_periodic_procurement_task_runs_the_due_steps_and_logs_them(immediate, caplog):
    with caplog.at_level(logging.INFO, logger="portal.worker"):
        worker.procurement_due_steps()  # enqueued and run at once in immediate mode
    logged = [r.getMessage() for r in caplog.records if r.name == "portal.worker"]
    assert logged == ["procurement_due_steps: {'opened': [], 'publicity_ended': []}"]


def test_the_procurement_task_reports_what_run_due_steps_did(immediate):
    assert worker.procurement_due_steps.call_local() == {"opened": [], "publicity_ended": []}


def test_the_procurement_task_opens_a_call_past_its_deadline_and_tells_the_bidder(immediate, clock):
    from portal.notifications.models import Notification
    from portal.orgs.models import VERIFIED
    from portal.procurement.models import CLOSED, Call
    from tests.factories.orgs import make_organisation
    from tests.factories.procurement import make_bid, make_call, make_department

    tree = make_tree()
    official, bidder_admin = UserFactory(), UserFactory()
    grant(official, roles.OFFICIAL, tree["district"])
    organisation = make_organisation(bidder_admin, tree["community"], status=VERIFIED)
    grant(bidder_admin, roles.ORG_ADMIN, organisation)
    call = make_call(make_department(tree["district"]), official, bids_until=utcnow() + timedelta(hours=1))
    make_bid(call, organisation, bidder_admin, price_minor=20_000_000)
    clock.move(hours=2)

    assert worker.procurement_due_steps.call_local() == {"opened": [call.id], "publicity_ended": []}

    db.session.expire_all()
    assert db.session.get(Call, call.id).status == CLOSED
    told = db.session.scalars(select(Notification).where(Notification.user_id == bidder_admin.id)).all()
    assert [n.url for n in told] == [f"/procurement/calls/{call.id}/opening"]
    assert worker.procurement_due_steps.call_local() == {"opened": [], "publicity_ended": []}  # once only


def test_the_campaigns_task_finishes_a_campaign_past_its_end_and_commits(immediate):
    campaign = _due_campaign()
    assert campaign.status == LIVE

    worker.campaigns_due()

    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == ENDED


def test_the_campaigns_task_reports_the_campaigns_it_finished(immediate):
    campaign = _due_campaign()
    result = worker.campaigns_due.call_local()
    assert result == {"finished": [f"campaign {campaign.id} ({campaign.title}): ended"], "problems": []}


def test_the_reminders_task_mails_tomorrows_volunteers_once(immediate, outbox):
    organiser, project = make_organiser_and_project(make_tree()["community"])
    shift = make_shift(make_opportunity(project, organiser), starts_in=timedelta(hours=30))
    make_signup(shift, UserFactory(), CONFIRMED)

    assert worker.volunteering_reminders.call_local() == {"shifts": 1, "mails": 1, "failed_shifts": []}
    assert worker.volunteering_reminders.call_local() == {"shifts": 0, "mails": 0, "failed_shifts": []}
    assert len(outbox()) == 1
    db.session.expire_all()
    assert db.session.get(Shift, shift.id).reminder_sent_at is not None


def test_the_jobs_run_on_their_schedules():
    minute = utcnow().replace(hour=10, minute=17, second=0, microsecond=0)
    on_the_hour = minute.replace(minute=0)
    every_minute = (worker.procurement_due_steps.task_class(), worker.campaigns_due.task_class())
    hourly = worker.volunteering_reminders.task_class()
    assert all(task.validate_datetime(minute) for task in every_minute)
    assert not hourly.validate_datetime(minute)
    assert hourly.validate_datetime(on_the_hour)


# --- the queue's storage -------------------------------------------------------------------------------

def test_without_redis_the_queue_is_a_sqlite_file_in_the_instance_folder():
    queue = worker.huey_from_config({"REDIS_URL": None})
    assert isinstance(queue, SqliteHuey) and isinstance(queue.storage, SqliteStorage)
    assert queue.storage.filename == str(INSTANCE_DIR / "huey.sqlite3")
    assert not queue.immediate


def test_with_redis_url_the_queue_is_in_redis():
    queue = worker.huey_from_config({"REDIS_URL": "redis://127.0.0.1:6379/15"})
    assert isinstance(queue, RedisHuey) and isinstance(queue.storage, RedisStorage)
    assert queue.storage.conn.connection_pool.connection_kwargs["db"] == 15
    queue.storage.conn.connection_pool.disconnect()


def test_the_redis_queue_holds_tasks_in_redis():
    import redis

    # databases 14 and 15 are the tests' own: one per pass, since scripts/test runs the two passes side by side
    database = 14 if os.environ.get("TEST_DATABASE_URL") else 15
    queue = worker.huey_from_config({"REDIS_URL": f"redis://127.0.0.1:6379/{database}"})
    try:
        queue.storage.conn.ping()
    except redis.ConnectionError:
        if IS_CI:  # CI has Redis: no test skips there
            pytest.fail("CI=true but no Redis at 127.0.0.1:6379")
        pytest.skip("no Redis at 127.0.0.1:6379")
    try:
        queue.storage.flush_queue()
        queue.storage.enqueue(b"portal-test")
        assert queue.storage.queue_size() == 1
        assert queue.storage.dequeue() == b"portal-test"
    finally:
        queue.storage.conn.connection_pool.disconnect()  # no socket left for the garbage collector to warn of


def test_under_testing_the_queue_runs_tasks_immediately_in_memory():
    queue = worker.huey_from_config({"TESTING": True, "REDIS_URL": None})
    assert queue.immediate and isinstance(queue.storage, MemoryStorage)


# --- the commands --------------------------------------------------------------------------------------

def test_procurement_due_runs_the_due_steps_once_and_says_what_it_did(runner):
    result = runner.invoke(args=["procurement", "due"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["opened: 0 call(s)", "publicity_ended: 0 call(s)"]


def _portal(*args, env, **kwargs):
    return [sys.executable, "-c", "from portal.cli import main; main()", *args], dict(env=env, cwd=PROJECT_ROOT,
                                                                                   **kwargs)


@pytest.mark.no_db_session
def test_portal_worker_runs_the_jobs_and_stops_cleanly_on_ctrl_c(tmp_path):
    env = {**os.environ, "PORTAL_ENV": "development", "PORTAL_INSTANCE_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}", "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("REDIS_URL", None)
    command, options = _portal("db", "upgrade", env=env, capture_output=True, timeout=120)
    assert subprocess.run(command, **options).returncode == 0
    command, options = _portal("worker", env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    process = subprocess.Popen(command, **options)
    try:
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "campaigns_due: {" in line:
                break
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(lines) + rest
    assert process.returncode == 0, output
    assert f"worker: queue in SQLite ({tmp_path / 'huey.sqlite3'})" in output
    assert "procurement_due_steps: {'opened': [], 'publicity_ended': []}" in output
    assert "campaigns_due: {'finished': [], 'problems': []}" in output
    assert "Consumer exiting." in output
