"""seed_volunteering(): opportunities on the demo projects, full shifts with waitlists, verified hours for
the demo resident, and nothing added on a second run."""
import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.extensions import db
from portal.projects.models import IN_PROGRESS, PUBLISHED, ServiceProject
from portal.volunteering import hours, service
from portal.volunteering.demo import seed_volunteering
from portal.volunteering.models import CONFIRMED, WAITLISTED, HourPosting, Opportunity, Shift, ShiftSignup


@pytest.fixture
def demo_city(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    from portal.projects.demo import seed_projects

    seed_projects()


def test_without_projects_it_creates_nothing():
    assert seed_volunteering() == {"opportunities": 0, "shifts": 0}


def test_the_demo_has_opportunities_full_shifts_and_verified_hours(demo_city):
    seed_volunteering()  # (`portal demo` may have run it already: then this adds nothing)
    open_projects = db.session.scalar(select(func.count()).select_from(ServiceProject).where(
        ServiceProject.status.in_((PUBLISHED, IN_PROGRESS))))
    assert db.session.scalar(select(func.count(func.distinct(Opportunity.project_id)))) == open_projects > 0
    assert db.session.scalar(select(func.count()).select_from(Shift)) >= 3 * open_projects
    # every slot count matches the confirmed-or-served sign-ups, and some shifts are full with a waitlist
    for shift in db.session.scalars(select(Shift)):
        held = db.session.scalar(select(func.count()).select_from(ShiftSignup).where(
            ShiftSignup.shift_id == shift.id, ShiftSignup.status.in_(service.HOLDS_SLOT)))
        assert held == shift.booked_count <= shift.slots
    assert any(length > 0 for length in service.waitlist_lengths(
        list(db.session.scalars(select(Shift.id)))).values())
    # the hour ledger balances
    assert db.session.scalar(select(func.sum(HourPosting.minutes))) == 0

    resident = db.session.scalar(select(User).where(User.email == "resident@demo.example.org"))
    assert hours.time_bank_minutes(resident.id) > 0 and hours.pending_minutes(resident.id) > 0
    assert len(hours.verified_service(resident.id)) >= 2
    statuses = set(db.session.scalars(select(ShiftSignup.status).where(ShiftSignup.user_id == resident.id)))
    assert {CONFIRMED, WAITLISTED} <= statuses

    counts = (db.session.scalar(select(func.count()).select_from(Opportunity)),
              db.session.scalar(select(func.count()).select_from(ShiftSignup)))
    assert seed_volunteering() == {"opportunities": 0, "shifts": 0}
    assert counts == (db.session.scalar(select(func.count()).select_from(Opportunity)),
                      db.session.scalar(select(func.count()).select_from(ShiftSignup)))
