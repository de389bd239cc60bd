"""`portal procurement ...` commands: take the due timed steps once (the background worker does it every minute;
this is for cron or a manual kick)."""
import click
from flask.cli import with_appcontext

from portal.extensions import db


@click.group("procurement")
def procurement_group():
    """Purchase of services: timed steps."""


@procurement_group.command("due")
@with_appcontext
def due_command():
    """Open the calls whose bid deadline passed and end the publicity periods that are over, now."""
    from portal.procurement.timed import run_due_steps

    done = run_due_steps()
    db.session.commit()
    for kind, call_ids in done.items():
        click.echo(f"{kind}: {len(call_ids)} call(s)" + (f" ({', '.join(map(str, call_ids))})" if call_ids else ""))
