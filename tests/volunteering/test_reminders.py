"""`portal volunteering send-reminders`: one email per confirmed volunteer of shifts 24 to 48 hours away, once."""
from datetime import timedelta
from email.header import decode_header, make_header

from portal.extensions import db
from portal.volunteering.models import CANCELLED, CONFIRMED, WAITLISTED, Shift
from tests.factories.accounts import UserFactory
from tests.factories.volunteering import make_shift, make_signup


def test_reminders_go_to_confirmed_volunteers_of_tomorrows_shifts_once(runner, outbox, opportunity):
    tomorrow = make_shift(opportunity, starts_in=timedelta(hours=30))
    today = make_shift(opportunity, starts_in=timedelta(hours=10))
    next_week = make_shift(opportunity, starts_in=timedelta(days=7))
    coming, also_coming = UserFactory(locale="en"), UserFactory()
    make_signup(tomorrow, coming, CONFIRMED)
    make_signup(tomorrow, also_coming, CONFIRMED)
    make_signup(tomorrow, UserFactory(), WAITLISTED)
    make_signup(tomorrow, UserFactory(), CANCELLED)
    make_signup(today, UserFactory(), CONFIRMED)
    make_signup(next_week, UserFactory(), CONFIRMED)

    result = runner.invoke(args=["volunteering", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert "2 emails for 1 shifts" in result.output
    mails = outbox()
    assert sorted(mail["To"] for mail in mails) == sorted([coming.email, also_coming.email])
    english = next(mail for mail in mails if mail["To"] == coming.email)
    subject = str(make_header(decode_header(english["Subject"])))
    assert subject.startswith("Reminder:") and opportunity.title in subject
    assert "/volunteer/me" in english.get_payload(decode=True).decode()
    db.session.expire_all()
    assert db.session.get(Shift, tomorrow.id).reminder_sent_at is not None
    assert db.session.get(Shift, today.id).reminder_sent_at is None

    again = runner.invoke(args=["volunteering", "send-reminders"])
    assert again.exit_code == 0 and "0 emails for 0 shifts" in again.output
    assert len(outbox()) == 2
