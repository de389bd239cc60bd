"""Check-in by the QR code's signed link or on the roster, check-out with recorded minutes, no-shows."""
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.accounts import roles
from portal.core.errors import DomainError, ValidationFailed
from portal.core.time import utcnow
from portal.extensions import db
from portal.orgs.models import VERIFIED
from portal.volunteering import hours, service
from portal.volunteering.models import CHECKED_IN, CHECKED_OUT, CONFIRMED, NO_SHOW, RECORDED, HourRecord, ShiftSignup
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation
from tests.factories.volunteering import make_hour_record, make_shift, make_signup


@pytest.fixture
def todays_shift(opportunity):
    """A two-hour shift that started half an hour ago."""
    return make_shift(opportunity, starts_in=-timedelta(minutes=30), hours=2, slots=3)


def _stranger(tree):
    """A member of another organisation."""
    stranger = UserFactory()
    grant(stranger, roles.ORG_MEMBER, make_organisation(stranger, tree["community"], status=VERIFIED))
    return stranger


def test_the_volunteers_page_shows_a_qr_code_with_a_signed_check_in_link(client, login_as, opportunity, volunteer):
    confirmed = make_signup(make_shift(opportunity), volunteer, CONFIRMED)
    full = make_shift(opportunity, starts_in=timedelta(days=4), slots=1)
    make_signup(full, UserFactory(), CONFIRMED)
    assert service.sign_up(full, volunteer).status == "waitlisted"
    login_as(volunteer)
    html = client.get("/volunteer/me").get_data(as_text=True)
    assert html.count("<svg") == 1 and 'class="qr-code"' in html  # only the confirmed sign-up has a code
    assert "number 1 on the waitlist" in html
    assert service.signup_from_token(service.check_in_token(confirmed)).id == confirmed.id


def test_an_organiser_scans_the_code_and_checks_the_volunteer_in(client, login_as, organiser, todays_shift,
                                                                 volunteer):
    signup = make_signup(todays_shift, volunteer, CONFIRMED)
    path = f"/volunteer/check-in/{service.check_in_token(signup)}"
    login_as(organiser)
    page = client.get(path)
    assert page.status_code == 200 and volunteer.display_name in page.get_data(as_text=True)
    response = client.post_form(path)
    assert response.status_code == 302
    signup = db.session.get(ShiftSignup, signup.id)
    assert signup.status == CHECKED_IN and signup.checked_in_by_id == organiser.id


def test_a_tampered_or_foreign_token_is_not_found(client, login_as, organiser, todays_shift, volunteer):
    signup = make_signup(todays_shift, volunteer, CONFIRMED)
    token = service.check_in_token(signup)
    login_as(organiser)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/volunteer/check-in/{tampered}").status_code == 404
    assert client.get("/volunteer/check-in/not-a-token").status_code == 404
    from itsdangerous import URLSafeTimedSerializer

    other_salt = URLSafeTimedSerializer(client.application.config["SECRET_KEY"], salt="something-else")
    assert client.get(f"/volunteer/check-in/{other_salt.dumps({'signup': signup.id})}").status_code == 404
    assert db.session.get(ShiftSignup, signup.id).status == CONFIRMED


def test_another_organisations_member_cannot_use_the_code_or_the_roster(client, login_as, tree, todays_shift,
                                                                        volunteer):
    signup = make_signup(todays_shift, volunteer, CONFIRMED)
    login_as(_stranger(tree))
    path = f"/volunteer/check-in/{service.check_in_token(signup)}"
    assert client.get(path).status_code == 404
    assert client.get(f"/shifts/{todays_shift.id}/roster").status_code == 404
    assert client.post_form(f"/signups/{signup.id}/check-in", token_from="/").status_code == 404
    assert db.session.get(ShiftSignup, signup.id).status == CONFIRMED


def test_the_roster_lists_volunteers_and_checks_them_in_and_out(client, login_as, organiser, todays_shift):
    people = [UserFactory() for _ in range(2)]
    arriving, absent = (make_signup(todays_shift, person, CONFIRMED) for person in people)
    roster = f"/shifts/{todays_shift.id}/roster"
    login_as(organiser)
    html = client.get(roster).get_data(as_text=True)
    assert all(person.display_name in html for person in people)
    assert client.post_form(f"/signups/{arriving.id}/check-in", {"next": roster}, token_from=roster).status_code == 302
    assert client.post_form(f"/signups/{absent.id}/no-show", token_from=roster).status_code == 302
    response = client.post_form(f"/signups/{arriving.id}/check-out", {"minutes": "110"}, token_from=roster)
    assert response.status_code == 302
    assert db.session.get(ShiftSignup, absent.id).status == NO_SHOW
    assert db.session.get(ShiftSignup, arriving.id).status == CHECKED_OUT
    record = db.session.scalar(select(HourRecord).where(HourRecord.signup_id == arriving.id))
    assert (record.minutes, record.status, record.user_id) == (110, RECORDED, people[0].id)


def test_check_out_counts_the_minutes_since_check_in_capped_at_the_shift_length(todays_shift, organiser, volunteer):
    signup = make_signup(todays_shift, volunteer, CHECKED_IN)
    signup.checked_in_at = utcnow() - timedelta(minutes=45)
    record = hours.check_out(signup, organiser)
    assert record.minutes == 45
    forgotten = make_signup(todays_shift, UserFactory(), CHECKED_IN)
    forgotten.checked_in_at = utcnow() - timedelta(hours=9)  # nobody checked them out on the day
    assert hours.check_out(forgotten, organiser).minutes == hours.max_minutes(todays_shift) == 180


@pytest.mark.parametrize("minutes", [0, -30, 181])
def test_check_out_refuses_zero_negative_or_too_many_minutes(todays_shift, organiser, volunteer, minutes):
    signup = make_signup(todays_shift, volunteer, CHECKED_IN)
    with pytest.raises(ValidationFailed) as refused:
        hours.check_out(signup, organiser, minutes)
    assert refused.value.field == "minutes"
    assert db.session.scalar(select(HourRecord).where(HourRecord.signup_id == signup.id)) is None


def test_check_out_on_the_web_with_bad_minutes_says_so(client, login_as, organiser, todays_shift):
    volunteer = UserFactory()
    signup = make_signup(todays_shift, volunteer, CHECKED_IN)
    roster = f"/shifts/{todays_shift.id}/roster"
    organiser.locale = "en"
    login_as(organiser)
    response = client.post_form(f"/signups/{signup.id}/check-out", {"minutes": "-5"}, token_from=roster,
                                follow_redirects=True)
    assert "Enter a number of minutes above zero." in response.get_data(as_text=True)
    assert db.session.get(ShiftSignup, signup.id).status == CHECKED_IN


def test_check_in_opens_two_hours_before_the_shift(opportunity, organiser, volunteer):
    later = make_shift(opportunity, starts_in=timedelta(hours=3))
    signup = make_signup(later, volunteer, CONFIRMED)
    with pytest.raises(DomainError) as refused:
        service.check_in(signup, organiser)
    assert refused.value.code == "too_early"
    soon = make_shift(opportunity, starts_in=timedelta(hours=1))
    assert service.check_in(make_signup(soon, UserFactory(), CONFIRMED), organiser).status == CHECKED_IN


def test_only_confirmed_volunteers_are_checked_in(todays_shift, organiser, volunteer):
    signup = make_signup(todays_shift, volunteer, CHECKED_IN)
    with force_locale("en"), pytest.raises(DomainError, match="already checked in"):
        service.check_in(signup, organiser)
    waiting = make_signup(todays_shift, UserFactory(), "waitlisted")
    with force_locale("en"), pytest.raises(DomainError, match="Only confirmed"):
        service.check_in(waiting, organiser)


# --- the unit of time, short records, the check-in window -----------------------------------------------

def test_check_out_takes_hours_and_minutes_in_labelled_boxes(client, login_as, organiser, todays_shift):
    signup = make_signup(todays_shift, UserFactory(), CHECKED_IN)
    roster = f"/shifts/{todays_shift.id}/roster"
    organiser.locale = "en"
    login_as(organiser)
    html = client.get(roster).get_data(as_text=True)
    assert f'<label for="hours-{signup.id}">hours</label>' in html
    assert f'<label for="minutes-{signup.id}">minutes</label>' in html and "Time served" in html
    response = client.post_form(f"/signups/{signup.id}/check-out", {"hours": "2", "minutes": ""}, token_from=roster)
    assert response.status_code == 302
    record = db.session.scalar(select(HourRecord).where(HourRecord.signup_id == signup.id))
    assert record.minutes == 120  # "2" in the hours box is two hours, not two minutes


def test_check_out_with_zero_hours_and_minutes_is_refused(client, login_as, organiser, todays_shift):
    signup = make_signup(todays_shift, UserFactory(), CHECKED_IN)
    roster = f"/shifts/{todays_shift.id}/roster"
    organiser.locale = "en"
    login_as(organiser)
    response = client.post_form(f"/signups/{signup.id}/check-out", {"hours": "0", "minutes": "0"}, token_from=roster,
                                follow_redirects=True)
    assert "above zero" in response.get_data(as_text=True)
    assert db.session.get(ShiftSignup, signup.id).status == CHECKED_IN


def test_verifying_a_very_short_record_warns_first(client, login_as, organiser, todays_shift):
    short = make_hour_record(make_signup(todays_shift, UserFactory(), CHECKED_OUT), minutes=2)
    normal = make_hour_record(make_signup(todays_shift, UserFactory(), CHECKED_OUT), minutes=120)
    organiser.locale = "en"
    login_as(organiser)
    html = client.get(f"/projects/{todays_shift.opportunity.project_id}/volunteer/hours").get_data(as_text=True)
    short_row = html[html.index(f'id="record-{short.id}"'):]
    short_row = short_row[:short_row.index("</li>")]
    normal_row = html[html.index(f'id="record-{normal.id}"'):]
    normal_row = normal_row[:normal_row.index("</li>")]
    assert "Only 2 minutes were recorded. Check them before verifying." in short_row
    assert 'data-confirm="Only 2 minutes were recorded. Verify them anyway?"' in short_row
    assert "data-confirm" not in normal_row and "were recorded" not in normal_row


def test_the_roster_shows_when_check_in_opens_before_it_does(client, login_as, organiser, opportunity):
    from flask_babel import format_datetime

    later = make_shift(opportunity, starts_in=timedelta(hours=5), hours=2)
    organiser.locale = "en"
    login_as(organiser)
    html = client.get(f"/shifts/{later.id}/roster").get_data(as_text=True)
    assert "Check-in opens at" in html and "two hours before the shift starts" in html
    with client.application.test_request_context(), force_locale("en"):
        assert format_datetime(later.starts_at - timedelta(hours=2), "short") in html
