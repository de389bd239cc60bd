"""Funds commands: `portal reconcile` and `portal campaigns finish-due`."""
import click
from flask.cli import with_appcontext

from portal.extensions import db

# Exit status of `portal reconcile`, so a cron alert means what it says (README, "Scheduled jobs").
EXIT_AGREE, EXIT_DIFFERENCES, EXIT_REVIEW = 0, 1, 3


@click.command("reconcile")
@click.option("--no-provider", is_flag=True, help="Skip the comparison with the payment provider's records.")
@with_appcontext
def reconcile_command(no_provider):
    """Recompute every fund, campaign, team and matching-pool total from the ledger and compare.

    Exit status: 0 when the books agree and nothing waits for review; 1 when anything differs (cached
    totals, unbalanced entries, gifts against the ledger, the provider's records), whatever else is
    listed; 3 when the books agree but gifts await review (paid amount or currency mismatch, a checkout
    that was not the gift's own): nothing of those was credited, a treasurer looks at them.
    """
    from portal.funds.reconcile import reconcile, review_items

    lines = reconcile(with_provider=not no_provider)
    review = review_items() if not no_provider else []
    db.session.rollback()  # read only
    for line in lines:
        click.echo(line)
    if review:
        click.echo("Awaiting review (nothing of these was credited):")
        for line in review:
            click.echo(f"  {line}")
        click.echo(f"{len(review)} item(s) awaiting review.", err=bool(lines))
    if lines:
        click.echo(f"{len(lines)} difference(s) found.", err=True)
        raise SystemExit(EXIT_DIFFERENCES)
    click.echo("reconcile: the ledger and every cached total agree (0 differences).")
    if review:
        raise SystemExit(EXIT_REVIEW)


@click.group("campaigns")
def campaigns_group():
    """Campaign lifecycle jobs."""


@campaigns_group.command("finish-due")
@with_appcontext
def finish_due_command():
    """Finish every live campaign whose end has passed; refund what failed campaigns still owe.

    A failed all-or-nothing campaign owes back refunds that failed (provider down) and money that
    arrived after it failed or closed (a late webhook): both are refunded here through the payment
    provider, as a treasurer's refund is. Safe to run again and again (e.g. hourly from cron), also
    two runs at once: each campaign is finished once and each gift refunded once. Each campaign
    commits on its own, so one failure does not undo the others; exit status 1 when any failed.
    """
    from portal.core.retry import run_with_retry
    from portal.funds import service
    from portal.funds.models import LIVE

    finished = problems = 0
    for campaign in service.due_campaigns():
        try:
            if not run_with_retry(_finish_if_still_live, service, campaign.id, LIVE):
                db.session.rollback()
                continue  # another run finished it meanwhile
            db.session.commit()
        except Exception as error:  # one bad campaign must not stop the others; it is retried next run
            db.session.rollback()
            problems += 1
            click.echo(f"campaign {campaign.id}: could not finish: {error}", err=True)
            continue
        finished += 1
        click.echo(f"campaign {campaign.id} ({campaign.title}): {campaign.status}")
    # failed campaigns still owing money back: refunds that failed, and money that arrived late (also
    # after the campaign closed), refunded through the provider like a treasurer's refund
    for campaign in service.failed_campaigns_owing_refunds():
        failures = run_with_retry(service.refund_campaign_gifts, campaign, actor=None)
        db.session.commit()
        for failure in failures:
            problems += 1
            click.echo(f"campaign {campaign.id}: {failure}", err=True)
    click.echo(f"{finished} campaign(s) finished.")
    if problems:
        raise SystemExit(1)


def _finish_if_still_live(service, campaign_id: int, live: str) -> bool:
    """Finish a due campaign unless a run beside this one already did (its row is locked, then read)."""
    campaign = service.lock_campaign_with_gifts(campaign_id)
    if campaign.status != live:
        return False
    service.finish_campaign(campaign, actor=None)
    return True


def register(app) -> None:
    app.cli.add_command(reconcile_command)
    app.cli.add_command(campaigns_group)
