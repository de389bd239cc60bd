"""Payments commands: `portal sandbox renew-monthly` and `portal payments expire-stale`."""
import click
from flask.cli import with_appcontext

from portal.extensions import db


@click.group("sandbox")
def sandbox_group():
    """The sandbox payment provider (demo and tests, never production)."""


@sandbox_group.command("renew-monthly")
@with_appcontext
def renew_monthly_command():
    """Simulate the next monthly cycle of every active sandbox monthly gift (one paid invoice each)."""
    from portal.core.errors import DomainError
    from portal.core.retry import run_with_retry
    from portal.payments.service import renew_sandbox_monthly_gifts

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


def register(app) -> None:
    app.cli.add_command(sandbox_group)
    app.cli.add_command(payments_group)
