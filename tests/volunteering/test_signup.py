"""Sign-up, waitlist and cancellation: confirmed while slots last, waitlisted in order, promoted on cancel."""
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.extensions import db
from portal.volunteering import service
from portal.volunteering.models import CANCELLED, CONFIRMED, WAITLISTED, Shift, ShiftSignup
from tests.factories.accounts import UserFactory
from tests.factories.volunteering import make_shift, make_signup


def test_sign_up_with_a_free_slot_is_confirmed_and_takes_the_slot(opportunity, volunteer):
    shift = make_shift(opportunity, slots=2)
    signup = service.sign_up(shift, volunteer)
    assert signup.status == CONFIRMED
    assert shift.booked_count == 1


def test_sign_ups_beyond_the_slots_join_the_waitlist_in_order(opportunity):
    shift = make_shift(opportunity, slots=2)
    people = [UserFactory() for _ in range(4)]
    statuses = [service.sign_up(shift, person).status for person in people]
    assert statuses == [CONFIRMED, CONFIRMED, WAITLISTED, WAITLISTED]
    assert shift.booked_count == 2
    assert service.waitlist_lengths([shift.id]) == {shift.id: 2}


def test_cancelling_a_confirmed_sign_up_promotes_the_first_waitlisted_and_tells_them(opportunity, outbox):
    shift = make_shift(opportunity, slots=1)
    first, second, third = UserFactory(), UserFactory(locale="en"), UserFactory()
    confirmed = service.sign_up(shift, first)
    now = utcnow()
    # the waitlist is ordered by time of signing up, not by id
    waiting_later = make_signup(shift, third, WAITLISTED, created_at=now - timedelta(minutes=1))
    waiting_first = make_signup(shift, second, WAITLISTED, created_at=now - timedelta(minutes=5))

    promoted = service.cancel_signup(confirmed, first)

    assert promoted.id == waiting_first.id
    assert confirmed.status == CANCELLED and confirmed.cancelled_at is not None
    assert db.session.get(ShiftSignup, waiting_first.id).status == CONFIRMED
    assert db.session.get(ShiftSignup, waiting_later.id).status == WAITLISTED
    assert db.session.get(Shift, shift.id).booked_count == 1
    mails = outbox()
    assert [mail["To"] for mail in mails] == [second.email]
    assert "you are confirmed" in str(make_header(decode_header(mails[0]["Subject"])))
    try:
        from portal.notifications.models import Notification
    except ImportError:  # pragma: no cover
        return
    notes = db.session.scalars(select(Notification).where(Notification.user_id == second.id)).all()
    assert [note.kind for note in notes] == ["waitlist_promoted"]


def test_cancelling_with_nobody_waiting_frees_the_slot(opportunity, volunteer):
    shift = make_shift(opportunity, slots=1)
    signup = service.sign_up(shift, volunteer)
    assert service.cancel_signup(signup, volunteer) is None
    assert db.session.get(Shift, shift.id).booked_count == 0
    assert service.sign_up(shift, UserFactory()).status == CONFIRMED


def test_cancelling_a_waitlisted_sign_up_leaves_the_slots_alone(opportunity, volunteer):
    shift = make_shift(opportunity, slots=1)
    service.sign_up(shift, UserFactory())
    waiting = service.sign_up(shift, volunteer)
    assert service.cancel_signup(waiting, volunteer) is None
    assert db.session.get(Shift, shift.id).booked_count == 1
    assert service.waitlist_lengths([shift.id]) == {}


def test_signing_up_twice_is_refused(opportunity, volunteer):
    shift = make_shift(opportunity)
    service.sign_up(shift, volunteer)
    with pytest.raises(DomainError) as refused:
        service.sign_up(shift, volunteer)
    assert refused.value.code == "already_signed_up"
    assert db.session.get(Shift, shift.id).booked_count == 1


def test_the_database_refuses_a_second_row_for_the_same_person_and_shift(opportunity, volunteer):
    shift = make_shift(opportunity)
    make_signup(shift, volunteer, CONFIRMED)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(ShiftSignup(shift_id=shift.id, user_id=volunteer.id, status=WAITLISTED))


def test_signing_up_for_a_past_shift_is_refused(opportunity, volunteer):
    shift = make_shift(opportunity, starts_in=-timedelta(hours=1))
    with pytest.raises(DomainError) as refused:
        service.sign_up(shift, volunteer)
    assert refused.value.code == "shift_started"
    assert db.session.scalar(select(ShiftSignup).where(ShiftSignup.shift_id == shift.id)) is None


def test_signing_up_again_after_cancelling_goes_to_the_back_of_the_queue(opportunity, volunteer):
    shift = make_shift(opportunity, slots=1)
    mine = service.sign_up(shift, volunteer)
    service.cancel_signup(mine, volunteer)
    service.sign_up(shift, UserFactory())  # takes the freed slot
    waiting = service.sign_up(shift, UserFactory())
    again = service.sign_up(shift, volunteer)
    assert again.id == mine.id and again.status == WAITLISTED
    assert service.waitlist_positions([waiting, again]) == {waiting.id: 1, again.id: 2}


def test_a_full_shift_cannot_be_overbooked_by_the_guarded_update_or_by_hand(opportunity):
    shift = make_shift(opportunity, slots=2)
    for _ in range(5):
        service.sign_up(shift, UserFactory())
    assert db.session.get(Shift, shift.id).booked_count == 2
    assert service._take_slot(shift.id) is False
    # and the CHECK constraint stops anyone writing past the slots directly
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(text("UPDATE volunteer_shifts SET booked_count = 3 WHERE id = :id"), {"id": shift.id})


def test_a_started_shift_can_no_longer_be_cancelled(opportunity, volunteer):
    shift = make_shift(opportunity, starts_in=-timedelta(minutes=10))
    signup = make_signup(shift, volunteer, CONFIRMED)
    with pytest.raises(DomainError) as refused:
        service.cancel_signup(signup, volunteer)
    assert refused.value.code == "shift_started"


# --- through the web ------------------------------------------------------------------------------

def _project_page(project):
    return f"/projects/{project.id}/volunteer"


def test_a_resident_signs_up_on_the_project_page_and_sees_it(client, login_as, project, opportunity, volunteer):
    shift = make_shift(opportunity, slots=1)
    login_as(volunteer)
    response = client.post_form(f"/shifts/{shift.id}/signup", {"next": _project_page(project)},
                                token_from=_project_page(project))
    assert response.status_code == 302 and response.headers["Location"] == _project_page(project)
    page = client.get(_project_page(project)).get_data(as_text=True)
    assert "You are confirmed" in page
    assert "Cancel my sign-up" in page
    assert db.session.scalar(select(ShiftSignup.status).where(ShiftSignup.user_id == volunteer.id)) == CONFIRMED


def test_signing_up_twice_on_the_web_says_so_and_changes_nothing(client, login_as, project, opportunity, volunteer):
    shift = make_shift(opportunity, slots=3)
    make_signup(shift, volunteer, CONFIRMED)
    login_as(volunteer)
    response = client.post_form(f"/shifts/{shift.id}/signup", token_from=_project_page(project),
                                follow_redirects=True)
    assert "You have already signed up for this shift." in response.get_data(as_text=True)
    assert db.session.get(Shift, shift.id).booked_count == 1


def test_signing_up_for_a_past_shift_on_the_web_is_refused(client, login_as, project, opportunity, volunteer):
    shift = make_shift(opportunity, starts_in=-timedelta(hours=2))
    login_as(volunteer)
    response = client.post_form(f"/shifts/{shift.id}/signup", token_from=_project_page(project),
                                follow_redirects=True)
    assert "sign-up is closed" in response.get_data(as_text=True)
    assert db.session.scalar(select(ShiftSignup).where(ShiftSignup.shift_id == shift.id)) is None


def test_only_the_volunteer_can_cancel_their_sign_up(client, login_as, opportunity, volunteer):
    shift = make_shift(opportunity)
    signup = make_signup(shift, volunteer, CONFIRMED)
    login_as(UserFactory())
    response = client.post_form(f"/signups/{signup.id}/cancel", token_from="/volunteer/me")
    assert response.status_code == 404
    assert db.session.get(ShiftSignup, signup.id).status == CONFIRMED


def test_the_volunteer_cancels_from_their_page(client, login_as, opportunity, volunteer):
    shift = make_shift(opportunity)
    signup = make_signup(shift, volunteer, CONFIRMED)
    login_as(volunteer)
    response = client.post_form(f"/signups/{signup.id}/cancel", token_from="/volunteer/me")
    assert response.status_code == 302
    assert db.session.get(ShiftSignup, signup.id).status == CANCELLED
    assert db.session.get(Shift, shift.id).booked_count == 0
