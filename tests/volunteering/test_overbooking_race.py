"""Twenty people press "Sign up" at the same moment for a five-place shift: exactly five get a place.

Runs on PostgreSQL only (SQLite lets one writer in at a time, so there is no race to lose there) and
outside the per-test rolled-back transaction: each thread has its own connection and commits, as real
requests do. The rows it made are deleted afterwards.
"""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from portal.accounts import roles
from portal.accounts.models import RoleAssignment, User
from portal.audit.models import AuditEvent
from portal.core.time import utcnow
from portal.extensions import db
from portal.orgs.models import VERIFIED, Organisation
from portal.places.models import Place
from portal.projects.models import PUBLISHED, ServiceProject
from portal.volunteering import service
from portal.volunteering.models import CONFIRMED, WAITLISTED, Opportunity, Shift, ShiftSignup
from tests.factories.orgs import credit_code

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db_session]
PEOPLE, SLOTS = 20, 5


@pytest.fixture
def race_shift(app):
    """A five-slot shift and twenty volunteers, committed; everything removed afterwards."""
    stamp = utcnow().strftime("%H%M%S%f")
    made = {}
    place = Place(kind="community", name="竞争测试社区", code=f"RACE{stamp}", path="")
    db.session.add(place)
    db.session.flush()
    place.path = f"/{place.id}/"
    organiser = User(email=f"race-organiser-{stamp}@example.org", password_hash="x", display_name="组织者")
    db.session.add(organiser)
    db.session.flush()
    organisation = Organisation(name=f"竞争测试社工中心{stamp}", legal_form="private_non_enterprise",
                                credit_code=credit_code("2"), home_place_id=place.id, contact_name="张",
                                contact_phone="0717-6000000", contact_email="race@example.org", status=VERIFIED,
                                created_by_id=organiser.id)
    db.session.add(organisation)
    db.session.flush()
    project = ServiceProject(organisation_id=organisation.id, title="竞争测试项目", category="elderly_care",
                             service_type="care", created_by_id=organiser.id, status=PUBLISHED)
    db.session.add(project)
    db.session.flush()
    opportunity = Opportunity(project_id=project.id, title="抢名额", created_by_id=organiser.id)
    db.session.add(opportunity)
    db.session.flush()
    starts = utcnow() + timedelta(days=2)
    shift = Shift(opportunity_id=opportunity.id, starts_at=starts, ends_at=starts + timedelta(hours=2), slots=SLOTS,
                  location="门口", booked_count=0)
    people = [User(email=f"race-{n}-{stamp}@example.org", password_hash="x", display_name=f"志愿者{n}")
              for n in range(PEOPLE)]
    db.session.add_all([shift, *people])
    db.session.commit()
    made.update(place=place.id, organiser=organiser.id, organisation=organisation.id, project=project.id,
                opportunity=opportunity.id, shift=shift.id, people=[person.id for person in people])
    yield made
    db.session.rollback()
    user_ids = [made["organiser"], *made["people"]]
    db.session.execute(delete(ShiftSignup).where(ShiftSignup.shift_id == made["shift"]))
    db.session.execute(delete(Shift).where(Shift.id == made["shift"]))
    db.session.execute(delete(Opportunity).where(Opportunity.id == made["opportunity"]))
    db.session.execute(delete(ServiceProject).where(ServiceProject.id == made["project"]))
    db.session.execute(delete(RoleAssignment).where(RoleAssignment.user_id.in_(user_ids),
                                                    RoleAssignment.scope_type == roles.SCOPE_ORGANISATION))
    db.session.execute(delete(Organisation).where(Organisation.id == made["organisation"]))
    assert not db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.actor_id.in_(user_ids))), "sign-ups write no audit rows, so the users can be removed"
    db.session.execute(delete(User).where(User.id.in_(user_ids)))
    db.session.execute(delete(Place).where(Place.id == made["place"]))
    db.session.commit()


def test_simultaneous_sign_ups_never_overbook(app, race_shift):
    barrier = threading.Barrier(PEOPLE)
    outcomes, errors = [], []

    def press_sign_up(user_id):
        with app.app_context():
            try:
                shift = db.session.get(Shift, race_shift["shift"])
                user = db.session.get(User, user_id)
                shift.opportunity.project  # noqa: B018  (load before the start line, like a request does)
                # hand the connection back while waiting: the pool has fewer connections than threads
                db.session.commit()
                barrier.wait(timeout=30)
                signup = service.sign_up(shift, user)
                db.session.commit()
                outcomes.append(signup.status)
            except Exception as error:  # noqa: BLE001  (collected and reported by the test)
                db.session.rollback()
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=press_sign_up, args=(user_id,)) for user_id in race_shift["people"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert sorted(outcomes).count(CONFIRMED) == SLOTS
    assert sorted(outcomes).count(WAITLISTED) == PEOPLE - SLOTS
    db.session.expire_all()
    assert db.session.get(Shift, race_shift["shift"]).booked_count == SLOTS
    statuses = db.session.scalars(select(ShiftSignup.status).where(ShiftSignup.shift_id == race_shift["shift"])).all()
    assert statuses.count(CONFIRMED) == SLOTS and statuses.count(WAITLISTED) == PEOPLE - SLOTS
