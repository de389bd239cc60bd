"""`portal volunteering ...` commands: the day-before reminder emails (run it hourly from cron)."""
import click
from flask import current_app
from flask.cli import with_appcontext

from portal.extensions import db


@click.group("volunteering")
def volunteering_group():
    """Volunteering: shift reminders."""


@volunteering_group.command("send-reminders")
@with_appcontext
def send_reminders_command():
    """Email the confirmed volunteers of shifts starting in 24 to 48 hours, once per shift."""
    from portal.volunteering.service import send_shift_reminder, shifts_due_for_reminder

    shifts = mails = 0
    for shift_id in shifts_due_for_reminder():
        try:
            sent = send_shift_reminder(shift_id)
        except Exception:
            db.session.rollback()  # this shift is tried again on the next run; the others go on
            current_app.logger.exception("reminder for shift %s failed", shift_id)
            click.echo(f"shift {shift_id}: reminder failed", err=True)
            continue
        db.session.commit()  # each shift's claim is kept as soon as its mails are out
        shifts += 1
        mails += sent
    click.echo(f"reminders: {mails} emails for {shifts} shifts")
