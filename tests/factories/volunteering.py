"""Volunteering factories: a project run by an organisation, opportunities, shifts (past or future) and sign-ups.

Rows are made with the models directly, so tests can build states the services refuse to create
(a shift that already happened, a checked-in volunteer) without waiting for the clock.
"""
from datetime import timedelta

from portal.accounts import roles
from portal.core.time import utcnow
from portal.extensions import db
from portal.orgs.models import VERIFIED
from portal.projects.models import PUBLISHED, ProjectPlace, ServiceProject
from portal.volunteering.models import CHECKED_IN, CHECKED_OUT, HourRecord, Opportunity, Shift, ShiftSignup
from portal.volunteering.service import HOLDS_SLOT
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation


def make_project(organisation, creator, status: str = PUBLISHED, places=(),
                 title: str = "邻里守望为老服务") -> ServiceProject:
    project = ServiceProject(organisation_id=organisation.id, title=title, summary="为独居老人提供陪伴和探访",
                             category="elderly_care", service_type="care", created_by_id=creator.id, status=status,
                             published_at=utcnow() if status != "draft" else None)
    db.session.add(project)
    db.session.flush()
    for place in places:
        db.session.add(ProjectPlace(project_id=project.id, place_id=place.id))
    db.session.flush()
    return project


def make_organiser_and_project(place, status: str = PUBLISHED):
    """An org admin, their verified organisation and a project of it serving `place`."""
    organiser = UserFactory()
    organisation = make_organisation(organiser, place, status=VERIFIED)
    grant(organiser, roles.ORG_ADMIN, organisation)
    return organiser, make_project(organisation, organiser, status=status, places=[place])


def make_opportunity(project, creator, title: str = "陪老人去社区医院", skills: str = "陪伴, 耐心") -> Opportunity:
    opportunity = Opportunity(project_id=project.id, title=title, description="每周一次，陪同行动不便的老人就医。",
                              skills=skills, created_by_id=creator.id, is_open=True)
    db.session.add(opportunity)
    db.session.flush()
    return opportunity


def make_shift(opportunity, starts_in: timedelta = timedelta(days=3), hours: float = 2, slots: int = 5,
               place=None, location: str = "社区服务中心", skills: str = "") -> Shift:
    starts_at = utcnow().replace(microsecond=0) + starts_in
    shift = Shift(opportunity_id=opportunity.id, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours),
                  slots=slots, place_id=getattr(place, "id", None), location=location, skills=skills, booked_count=0)
    db.session.add(shift)
    db.session.flush()
    return shift


def make_signup(shift, user, status: str, created_at=None) -> ShiftSignup:
    """A sign-up in any state; booked_count follows, as the service keeps it."""
    signup = ShiftSignup(shift_id=shift.id, user_id=user.id, status=status, created_at=created_at or utcnow())
    if status in (CHECKED_IN, CHECKED_OUT):
        signup.checked_in_at = shift.starts_at
    if status == CHECKED_OUT:
        signup.checked_out_at = shift.ends_at
    db.session.add(signup)
    if status in HOLDS_SLOT:
        shift.booked_count += 1
    db.session.flush()
    return signup


def make_hour_record(signup, minutes: int = 120) -> HourRecord:
    """Hours recorded at check-out, awaiting verification."""
    record = HourRecord(signup_id=signup.id, user_id=signup.user_id, project_id=signup.shift.opportunity.project_id,
                        minutes=minutes)
    db.session.add(record)
    db.session.flush()
    return record


def volunteering_world(organiser, resident, organisation, place) -> dict:
    """Rows for the authorization matrix: a published project of `organisation` with an opportunity, a
    future shift `resident` is confirmed on, and yesterday's shift where the resident's hours are verified
    and another volunteer's await verification. Returns the ids the matrix's URLs use."""
    from portal.volunteering.hours import verify_hours
    from portal.volunteering.models import CONFIRMED
    from portal.volunteering.service import check_in_token

    project = make_project(organisation, organiser, places=[place])
    opportunity = make_opportunity(project, organiser)
    shift = make_shift(opportunity, starts_in=timedelta(days=3))
    signup = make_signup(shift, resident, CONFIRMED)
    yesterday = make_shift(opportunity, starts_in=-timedelta(days=1))
    verify_hours(make_hour_record(make_signup(yesterday, resident, CHECKED_OUT)), organiser)
    pending = make_hour_record(make_signup(yesterday, UserFactory(), CHECKED_OUT), minutes=90)
    return {"vol_project": project.id, "vol_opportunity": opportunity.id, "vol_shift": shift.id,
            "vol_signup": signup.id, "vol_token": check_in_token(signup), "vol_hours": pending.id}
