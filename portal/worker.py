"""The background worker: the portal's timed jobs happen on time whether or not anyone visits a page.

Jobs (periodic, on the worker's clock):
- every minute, `procurement_due_steps`: the timed steps of purchase of services (opening bids at the deadline,
  ending publicity periods; portal/procurement/timed.py), each taken exactly once (steps.claim_step);
- every minute, `contracts_due_steps`: the timed steps of contracts (a final evaluation whose rebuttal window
  ended becomes final, and a contract whose evaluations are all final closes; portal/contracts/evaluation.py),
  each taken exactly once (a conditional UPDATE, as steps.claim_step);
- every minute, `cases_due_steps`: grid cases whose SLA clock ran out go from the street's small loop to the
  district's big loop (portal/cases/service.py, escalate_overdue_cases), each exactly once (steps.claim_escalation);
- every five minutes, `insights_refresh`: the dashboards' heavy aggregates recomputed before they are stale
  (portal/insights/snapshots.py), so a page view reads a stored result;
- every minute, `campaigns_due`: what `portal campaigns finish-due` does (finish campaigns past their end, refund
  what failed ones owe);
- every minute, `payments_query_late`: what `portal payments query-late` does (pending gifts whose notification is
  late are queried at their provider, on every rail with an order query: WeChat Pay and Alipay; a paid one is
  credited exactly once on the same idempotent event path, one unpaid past its order's lifetime is closed at the
  provider and expires; portal/payments/late_orders.py);
- daily at 10:30 China time (02:30 UTC), `payments_bills`: yesterday's trade bills downloaded from every enabled
  rail that publishes one (WeChat Pay, Alipay) and compared with the ledger, as `portal reconcile --bill-date`
  does; every difference, and a bill that could not be downloaded or verified, is logged at WARNING and recorded
  in the audit log (portal/payments/bills.py, check_bills);
- every hour, `volunteering_reminders`: what `portal volunteering send-reminders` does (the day-before mails).
Each job runs in an app context (the app is created once per worker process), commits its own transaction and
logs what it did. `portal worker` runs the consumer; `portal procurement due` takes the due steps once, by hand
or from cron.

Why Huey (https://huey.readthedocs.io): it is kept (releases since 2011, one careful maintainer), small (one
pure-Python package, no broker process of its own), stores its queue in SQLite when there is no Redis (a file
in the instance folder, beside the development database) and in Redis when `REDIS_URL` is set, has periodic
tasks with crontab schedules built in, and runs as one consumer process with one worker thread, which is all a
machine with two cores shared with the web server needs. Celery needs a broker and a separate beat process;
RQ needs Redis; APScheduler inside the web processes would run each job once per gunicorn worker.
"""
import logging
import os
from collections.abc import Callable

import click
from flask import current_app, has_app_context
from flask.cli import with_appcontext
from huey import Huey, RedisHuey, SqliteHuey, crontab

from portal.config import CONFIGS, INSTANCE_DIR
from portal.extensions import db

log = logging.getLogger("portal.worker")
QUEUE_NAME = "portal"
SQLITE_FILE = "huey.sqlite3"


def huey_from_config(config) -> Huey:
    """The queue for `config` (a Flask config or any mapping): Redis when REDIS_URL is set, else a SQLite file in
    the instance folder; immediate (tasks run on the spot, in memory) when TESTING."""
    immediate = bool(config.get("TESTING"))
    if config.get("REDIS_URL"):
        return RedisHuey(QUEUE_NAME, url=config["REDIS_URL"], immediate=immediate)
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(INSTANCE_DIR / SQLITE_FILE), immediate=immediate)


def _environment_settings() -> dict:
    """What the queue needs from the configuration, read without building the whole app (no keys needed)."""
    settings = CONFIGS[os.environ.get("PORTAL_ENV", "development")]
    return {"REDIS_URL": os.environ.get("REDIS_URL") or settings.REDIS_URL,
            "TESTING": getattr(settings, "TESTING", False)}


huey = huey_from_config(_environment_settings())

# --- the app the jobs run in ---------------------------------------------------------------------------
_app = None


def use_app(app) -> None:
    """Run the jobs in `app` (the `portal worker` command hands over the app it built)."""
    global _app
    _app = app


def flask_app():
    """The app the jobs run in: the one handed over, the current one, or one created once for this process."""
    global _app
    if _app is None:
        if has_app_context():
            _app = current_app._get_current_object()
        else:
            from portal import create_app

            _app = create_app()
    return _app


def run_job(name: str, job: Callable):
    """Run `job()` in a fresh app context, commit, log its result and return it; roll back and re-raise on error
    (huey logs the failure and the next run tries again).

    The context is a request context for "/" so the services can build the links they store in notifications
    (`url_for` needs a request, or SERVER_NAME, to build even a relative link)."""
    with flask_app().test_request_context("/"):
        try:
            result = job()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("%s failed", name)
            raise
        log.info("%s: %s", name, result)
        return result


# --- the jobs ------------------------------------------------------------------------------------------
def take_due_procurement_steps() -> dict:
    from portal.procurement.timed import run_due_steps

    return run_due_steps()


def take_due_contract_steps() -> dict:
    from portal.contracts.evaluation import finalise_due_evaluations

    return finalise_due_evaluations()


def take_due_case_steps() -> dict:
    from portal.cases.service import escalate_overdue_cases

    return {"escalated": escalate_overdue_cases()}


def refresh_insights() -> dict:
    from portal.insights.snapshots import refresh_due

    return refresh_due()


def finish_due_campaigns() -> dict:
    from portal.payments.cli import finish_due_campaigns as finish

    report = finish()
    for line in report.problems:
        log.warning("campaigns_due: %s", line)
    return {"finished": report.finished, "problems": report.problems}


def query_late_payments() -> dict:
    from portal.payments.late_orders import query_late_orders

    return query_late_orders()


def check_payment_bills() -> dict:
    from portal.payments.bills import check_bills

    return check_bills()


def send_volunteering_reminders() -> dict:
    from portal.volunteering.cli import send_due_reminders

    shifts, mails, failed = send_due_reminders()
    return {"shifts": shifts, "mails": mails, "failed_shifts": failed}


@huey.periodic_task(crontab(), name="procurement_due_steps")
def procurement_due_steps():
    """Every minute: open the calls whose bid deadline passed, end the publicity periods that are over."""
    return run_job("procurement_due_steps", take_due_procurement_steps)


@huey.periodic_task(crontab(), name="contracts_due_steps")
def contracts_due_steps():
    """Every minute: make final the evaluations whose rebuttal window ended, close the contracts they finish."""
    return run_job("contracts_due_steps", take_due_contract_steps)


@huey.periodic_task(crontab(), name="cases_due_steps")
def cases_due_steps():
    """Every minute: escalate to the district the street-loop cases whose SLA clock ran out."""
    return run_job("cases_due_steps", take_due_case_steps)


@huey.periodic_task(crontab(minute="*/5"), name="insights_refresh")
def insights_refresh():
    """Every five minutes: recompute the dashboards' stored aggregates that are getting old."""
    return run_job("insights_refresh", refresh_insights)


@huey.periodic_task(crontab(), name="campaigns_due")
def campaigns_due():
    """Every minute: `portal campaigns finish-due`."""
    return run_job("campaigns_due", finish_due_campaigns)


@huey.periodic_task(crontab(), name="payments_query_late")
def payments_query_late():
    """Every minute: `portal payments query-late` (WeChat Pay and Alipay gifts pending for more than three minutes;
    nothing when no rail with an order query is enabled)."""
    return run_job("payments_query_late", query_late_payments)


# Huey's clock is UTC: 02:30 UTC is 10:30 in China, after WeChat Pay (from 10:00) and Alipay (from 09:00)
# publish the day before's bills.
@huey.periodic_task(crontab(minute="30", hour="2"), name="payments_bills")
def payments_bills():
    """Daily at 10:30 China time: `portal reconcile --bill-date <yesterday>` for the providers' bills alone; every
    difference logged at WARNING and recorded in the audit log."""
    return run_job("payments_bills", check_payment_bills)


@huey.periodic_task(crontab(minute="0"), name="volunteering_reminders")
def volunteering_reminders():
    """Every hour on the hour: `portal volunteering send-reminders` (shifts starting in 24 to 48 hours)."""
    return run_job("volunteering_reminders", send_volunteering_reminders)


def describe(queue: Huey) -> str:
    if isinstance(queue, RedisHuey):
        return "Redis"
    return f"SQLite ({queue.storage.filename})"


# --- the command ---------------------------------------------------------------------------------------
@click.command("worker")
@with_appcontext
def worker_command():
    """Run the background worker: the timed jobs (due procurement and contract steps, campaigns and late payment
    orders every minute, volunteering reminders hourly, the providers' bills daily) until stopped (Ctrl-C or
    SIGTERM)."""
    from huey.consumer import Consumer

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    use_app(current_app._get_current_object())
    click.echo(f"worker: queue in {describe(huey)}; jobs: procurement_due_steps, contracts_due_steps, "
               "cases_due_steps, campaigns_due and payments_query_late every minute, insights_refresh every five "
               "minutes, volunteering_reminders hourly, payments_bills daily at 10:30 China time")
    Consumer(huey, workers=1, periodic=True).run()
