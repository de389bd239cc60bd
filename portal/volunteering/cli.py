"""`portal volunteering ...` commands: the day-before reminder emails (the background worker runs them hourly)."""
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
    shifts, mails, failed = send_due_reminders()
    for shift_id in failed:
        click.echo(f"shift {shift_id}: reminder failed", err=True)
    click.echo(f"reminders: {mails} emails for {shifts} shifts")


def send_due_reminders() -> tuple[int, int, list[int]]:
    """The work of `portal volunteering send-reminders`, also run hourly by the background worker
    (portal/worker.py): (shifts reminded, mails sent, ids of shifts whose reminder failed). Each shift commits
    on its own."""
    from portal.volunteering.service import send_shift_reminder, shifts_due_for_reminder

    shifts = mails = 0
    failed = []
    for shift_id in shifts_due_for_reminder():
        try:
            sent = send_shift_reminder(shift_id)
        except Exception:
            db.session.rollback()  # this shift is tried again on the next run; the others go on
            current_app.logger.exception("reminder for shift %s failed", shift_id)
            failed.append(shift_id)
            continue
        db.session.commit()  # each shift's claim is kept as soon as its mails are out
        shifts += 1
        mails += sent
    return shifts, mails, failed
