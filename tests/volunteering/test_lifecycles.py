"""The volunteering lifecycles are tables: every step not in a table is one IllegalTransition (409), whoever
calls it, and closing an opportunity is a page for the organisation's administrators."""
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.accounts import roles
from portal.audit.models import AuditEvent
from portal.core.errors import IllegalTransition
from portal.extensions import db
from portal.volunteering import hours, service
from portal.volunteering.models import (
    CANCELLED,
    CHECKED_IN,
    CHECKED_OUT,
    CONFIRMED,
    NO_SHOW,
    OPPORTUNITY_CLOSED,
    RECORDED,
    REJECTED,
    SIGNUP_STATUSES,
    VERIFIED,
    WAITLISTED,
)
from tests.factories.accounts import UserFactory, grant
from tests.factories.volunteering import make_hour_record, make_shift, make_signup

ILLEGAL_SIGNUP_STEPS = [(step, status) for step, (sources, _target) in service.SIGNUP_STEPS.items()
                        for status in SIGNUP_STATUSES if status not in sources]
ILLEGAL_HOUR_STEPS = [(step, status) for step, (sources, _target) in hours.HOUR_STEPS.items()
                      for status in (RECORDED, VERIFIED, REJECTED) if status not in sources]


def test_the_tables_name_every_status_they_lead_to():
    assert {target for _sources, target in service.SIGNUP_STEPS.values()} <= set(SIGNUP_STATUSES)
    assert {"verify", "reject", "reverse"} == set(hours.HOUR_STEPS) == set(hours.HOUR_REFUSALS)
    assert set(service.SIGNUP_STEPS) == set(service.SIGNUP_REFUSALS)


@pytest.mark.parametrize(("step", "status"), ILLEGAL_SIGNUP_STEPS)
def test_a_sign_up_step_from_a_status_outside_the_table_is_a_409(opportunity, volunteer, step, status):
    signup = make_signup(make_shift(opportunity, starts_in=timedelta(minutes=30)), volunteer, status)
    with pytest.raises(IllegalTransition) as refused:
        service._move_signup(signup, step)
    assert refused.value.status_code == 409 and refused.value.code == "illegal_transition"
    db.session.refresh(signup)
    assert signup.status == status


@pytest.mark.parametrize(("step", "status"), ILLEGAL_HOUR_STEPS)
def test_an_hours_step_from_a_status_outside_the_table_is_a_409(opportunity, volunteer, step, status):
    signup = make_signup(make_shift(opportunity, starts_in=-timedelta(days=1)), volunteer, CHECKED_OUT)
    record = make_hour_record(signup)
    record.status = status
    db.session.flush()
    with pytest.raises(IllegalTransition) as refused:
        hours._move_hours(record, step)
    assert refused.value.status_code == 409
    db.session.refresh(record)
    assert record.status == status


@pytest.mark.parametrize("status", [CANCELLED, WAITLISTED, CHECKED_OUT, NO_SHOW])
def test_check_in_of_a_sign_up_that_is_not_confirmed_is_refused_by_the_table(opportunity, volunteer, organiser,
                                                                             status):
    signup = make_signup(make_shift(opportunity, starts_in=timedelta(minutes=30)), volunteer, status)
    with force_locale("en"), pytest.raises(IllegalTransition, match="Only confirmed volunteers"):
        service.check_in(signup, organiser)


def test_checked_in_twice_names_the_volunteer(opportunity, organiser):
    volunteer = UserFactory(display_name="李四")
    signup = make_signup(make_shift(opportunity, starts_in=timedelta(minutes=30)), volunteer, CHECKED_IN)
    with force_locale("en"), pytest.raises(IllegalTransition, match="李四 is already checked in"):
        service.check_in(signup, organiser)


def test_rejecting_verified_hours_is_refused_they_are_reversed_instead(opportunity, volunteer, organiser):
    """Both steps end "rejected"; only reversal posts the entry that takes the minutes back out."""
    signup = make_signup(make_shift(opportunity, starts_in=-timedelta(days=1)), volunteer, CHECKED_OUT)
    record = make_hour_record(signup)
    hours.verify_hours(record, organiser)
    with force_locale("en"), pytest.raises(IllegalTransition, match="Only hours awaiting verification"):
        hours.reject_hours(record, organiser, "不对")
    assert record.status == VERIFIED and hours.time_bank_minutes(volunteer.id) == 120
    hours.reverse_hours(record, organiser, "记错了")
    assert record.status == REJECTED and hours.time_bank_minutes(volunteer.id) == 0


def test_a_cancelled_volunteer_signs_up_again_through_the_reopen_step(opportunity, volunteer):
    signup = make_signup(make_shift(opportunity), volunteer, CANCELLED)
    again = service.sign_up(signup.shift, volunteer)
    assert again.id == signup.id and again.status == CONFIRMED and again.cancelled_at is None


# --- closing an opportunity --------------------------------------------------------------------------

def test_closing_an_opportunity_stops_sign_ups_and_is_audited(opportunity, organiser, volunteer):
    shift = make_shift(opportunity)
    service.close_opportunity(opportunity, organiser)
    assert opportunity.status == OPPORTUNITY_CLOSED and opportunity.is_open is False
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "volunteering.opportunity_closed"))
    assert event.actor_id == organiser.id and event.object_id == str(opportunity.id)
    assert event.before == {"status": "open"} and event.after == {"status": "closed"}
    with force_locale("en"), pytest.raises(IllegalTransition, match="no longer takes volunteers"):
        service.sign_up(shift, volunteer)


def test_closing_a_closed_opportunity_is_a_409(opportunity, organiser):
    service.close_opportunity(opportunity, organiser)
    with force_locale("en"), pytest.raises(IllegalTransition, match="already closed") as refused:
        service.close_opportunity(opportunity, organiser)
    assert refused.value.status_code == 409


def test_the_close_page_asks_then_closes(client, login_as, opportunity, organiser):
    organiser.locale = "en"  # the person's language wins over the browser's
    db.session.flush()
    login_as(organiser)
    url = f"/opportunities/{opportunity.id}/close"
    page = client.get(url, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Close the opportunity" in page.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": client.csrf_token("/")})
    assert response.status_code == 302
    db.session.refresh(opportunity)
    assert opportunity.is_open is False
    again = client.post(url, data={"csrf_token": client.csrf_token("/")}, headers={"Accept-Language": "en"})
    assert again.status_code == 409 and "already closed" in again.get_data(as_text=True)


def test_an_org_member_who_is_not_an_administrator_cannot_close(client, login_as, opportunity, project):
    member = UserFactory()
    grant(member, roles.ORG_MEMBER, project.organisation)
    login_as(member)
    url = f"/opportunities/{opportunity.id}/close"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"csrf_token": client.csrf_token("/")}).status_code == 404
    db.session.refresh(opportunity)
    assert opportunity.is_open is True
