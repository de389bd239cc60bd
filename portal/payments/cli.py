"""Payments commands: `portal sandbox renew-monthly`, `portal payments expire-stale`, `query-late` and
`alipay-bill`, and `portal campaigns finish-due` (on funds' campaigns group: finishing a campaign may move money
back)."""
from dataclasses import dataclass, field

import click
from flask.cli import with_appcontext

from portal.core.retry import run_with_retry
from portal.extensions import db
from portal.funds import service as funds_service
from portal.funds.cli import campaigns_group
from portal.funds.models import LIVE
from portal.payments import campaigns


@click.group("sandbox")
def sandbox_group():
    """The sandbox payment provider (demo and tests, never production)."""


@sandbox_group.command("renew-monthly")
@with_appcontext
def renew_monthly_command():
    """Simulate the next monthly cycle of every active sandbox monthly gift (one paid invoice each)."""
    from portal.core.errors import DomainError
    from portal.core.retry import run_with_retry
    from portal.payments.sandbox_checkout import renew_sandbox_monthly_gifts

    try:
        count = run_with_retry(renew_sandbox_monthly_gifts)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"sandbox: {count} monthly gift(s) renewed.")


@click.group("payments")
def payments_group():
    """Payment housekeeping."""


@payments_group.command("expire-stale")
@click.option("--days", default=2, show_default=True, help="Pending for longer than this many days.")
@with_appcontext
def expire_stale_command(days):
    """Mark online checkouts abandoned for days as expired (they never took money)."""
    from datetime import timedelta

    from portal.core.retry import run_with_retry
    from portal.payments.service import expire_stale_pending

    count = run_with_retry(expire_stale_pending, timedelta(days=days))
    db.session.commit()
    click.echo(f"payments: {count} abandoned checkout(s) expired.")


@payments_group.command("query-late")
@click.option("--minutes", default=3, show_default=True, type=click.IntRange(min=0),
              help="Ask about gifts pending for longer than this many minutes.")
@with_appcontext
def query_late_command(minutes):
    """Ask the provider about pending gifts whose notification is late (主动查单), on every enabled rail that has
    an order query (WeChat Pay, Alipay): a paid one is credited exactly once, as its notification would be; one
    unpaid past its order's lifetime is closed at the provider and expires. What the worker's payments_query_late
    does every minute. Exit status 1 when a provider could not be asked."""
    from datetime import timedelta

    from portal.payments.late_orders import query_late_orders

    counts = query_late_orders(timedelta(minutes=minutes))
    click.echo("payments: {queried} late order(s) queried, {applied} applied, {unpaid} not paid yet, "
               "{closed} closed unpaid, {errors} error(s).".format(**counts))
    if counts["errors"]:
        raise SystemExit(1)


@payments_group.command("alipay-bill")
@click.argument("bill", type=click.File("rb"))
@with_appcontext
def alipay_bill_command(bill):
    """Compare Alipay's daily trade bill (the CSV file BILL) with the ledger: every order whose amount or state
    differs. Exit status 0 when they agree, 1 when anything differs, 2 when the file cannot be read."""
    from portal.payments.alipay_bill import BillError, bill_differences

    try:
        lines = bill_differences(bill.read())
    except BillError as error:
        raise click.ClickException(f"not an Alipay trade bill: {error}") from error
    finally:
        db.session.rollback()  # read only
    for line in lines:
        click.echo(line)
    if lines:
        click.echo(f"{len(lines)} difference(s) with Alipay's bill.", err=True)
        raise SystemExit(1)
    click.echo("alipay bill: every order agrees with the ledger (0 differences).")


@campaigns_group.command("finish-due")
@with_appcontext
def finish_due_command():
    """Finish every live campaign whose end has passed; refund what failed campaigns still owe.

    A failed all-or-nothing campaign owes back refunds that failed (provider down) and money that
    arrived after it failed or closed (a late webhook): both are refunded here through the payment
    provider, as a treasurer's refund is. Safe to run again and again (the background worker runs it
    every minute, portal/worker.py), also two runs at once: each campaign is finished once and each gift
    refunded once. Each campaign commits on its own, so one failure does not undo the others; exit
    status 1 when any failed.
    """
    report = finish_due_campaigns()
    for line in report.finished:
        click.echo(line)
    for line in report.problems:
        click.echo(line, err=True)
    click.echo(f"{len(report.finished)} campaign(s) finished.")
    if report.problems:
        raise SystemExit(1)


@dataclass
class FinishDueReport:
    finished: list[str] = field(default_factory=list)  # "campaign 3 (title): ended"
    problems: list[str] = field(default_factory=list)


def finish_due_campaigns() -> FinishDueReport:
    """The work of `portal campaigns finish-due`, also run by the background worker: finish the due campaigns
    and refund what failed ones owe, each campaign in its own committed transaction."""
    report = FinishDueReport()
    for campaign in funds_service.due_campaigns():
        try:
            if not run_with_retry(_finish_if_still_live, campaign.id):
                db.session.rollback()
                continue  # another run finished it meanwhile
            db.session.commit()
        except Exception as error:  # one bad campaign must not stop the others; it is retried next run
            db.session.rollback()
            report.problems.append(f"campaign {campaign.id}: could not finish: {error}")
            continue
        report.finished.append(f"campaign {campaign.id} ({campaign.title}): {campaign.status}")
    # failed campaigns still owing money back: refunds that failed, and money that arrived late (also
    # after the campaign closed), refunded through the provider like a treasurer's refund
    for campaign in campaigns.failed_campaigns_owing_refunds():
        failures = run_with_retry(campaigns.refund_campaign_gifts, campaign, actor=None)
        db.session.commit()
        report.problems.extend(f"campaign {campaign.id}: {failure}" for failure in failures)
    return report


def _finish_if_still_live(campaign_id: int) -> bool:
    """Finish a due campaign unless a run beside this one already did (its row is locked, then read)."""
    campaign = funds_service.lock_campaign_with_gifts(campaign_id)
    if campaign.status != LIVE:
        return False
    funds_service.finish_campaign(campaign, actor=None)
    return True


def register(app) -> None:
    app.cli.add_command(sandbox_group)
    app.cli.add_command(payments_group)
