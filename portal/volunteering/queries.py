"""What the volunteering pages load: the routes' objects (loaders for object_policy: None is a 404) and the
lists on the project, volunteer, roster and hours pages."""
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.places.models import COMMUNITY, DISTRICT, GRID, STREET, Place
from portal.projects.models import ProjectPlace, ServiceProject
from portal.volunteering.models import RECORDED, HourRecord, Opportunity, Shift, ShiftSignup
from portal.volunteering.service import ROSTER_CLOSES_AFTER, signup_from_token

# --- the routes' objects -----------------------------------------------------------------------------


def load_project(project_id: int) -> ServiceProject | None:
    return db.session.scalar(select(ServiceProject).options(joinedload(ServiceProject.organisation))
                             .where(ServiceProject.id == project_id))


def load_opportunity(opportunity_id: int) -> Opportunity | None:
    return db.session.scalar(select(Opportunity).options(joinedload(Opportunity.project))
                             .where(Opportunity.id == opportunity_id))


def load_shift(shift_id: int) -> Shift | None:
    return db.session.scalar(select(Shift).options(
        joinedload(Shift.opportunity).joinedload(Opportunity.project).joinedload(ServiceProject.organisation),
        joinedload(Shift.place)).where(Shift.id == shift_id))


def load_signup(signup_id: int) -> ShiftSignup | None:
    return db.session.scalar(select(ShiftSignup).options(
        joinedload(ShiftSignup.user),
        joinedload(ShiftSignup.shift).joinedload(Shift.opportunity).joinedload(Opportunity.project))
        .where(ShiftSignup.id == signup_id))


def load_signup_by_token(token: str) -> ShiftSignup | None:
    """The sign-up a volunteer's QR code names (None for a tampered, foreign or expired code)."""
    signup = signup_from_token(token)
    return load_signup(signup.id) if signup is not None else None


def load_hour_record(record_id: int) -> HourRecord | None:
    return db.session.scalar(select(HourRecord).options(joinedload(HourRecord.user))
                             .where(HourRecord.id == record_id))


# --- lists -------------------------------------------------------------------------------------------------

def browse_places() -> list[Place]:
    return list(db.session.scalars(select(Place).where(Place.kind.in_((DISTRICT, STREET, COMMUNITY)))
                                   .order_by(Place.path)))


def shift_places(project: ServiceProject) -> list[Place]:
    """Places a shift of this project may be at: the project's places and everything under them
    (communities and grids), or every community and grid when the project names none."""
    served = list(db.session.scalars(select(Place).join(ProjectPlace, ProjectPlace.place_id == Place.id)
                                     .where(ProjectPlace.project_id == project.id)))
    statement = select(Place).where(Place.kind.in_((COMMUNITY, GRID))).order_by(Place.path)
    if served:
        statement = statement.where(or_(*(Place.path.startswith(place.path, autoescape=True) for place in served)))
    return list(db.session.scalars(statement))


def project_opportunities(project: ServiceProject) -> list[Opportunity]:
    return list(db.session.scalars(
        select(Opportunity).where(Opportunity.project_id == project.id)
        .options(selectinload(Opportunity.shifts).joinedload(Shift.place))
        .order_by(Opportunity.created_at.desc(), Opportunity.id.desc())))


def recent_shifts(opportunities: list[Opportunity], now: datetime) -> dict[int, list[Shift]]:
    """The last weeks' shifts of each opportunity (organisers finish their rosters from them)."""
    since = now - ROSTER_CLOSES_AFTER - timedelta(days=1)
    return {o.id: [s for s in o.shifts if since < s.starts_at <= now] for o in opportunities}


def hours_awaiting_verification(project: ServiceProject) -> int:
    return db.session.scalar(select(func.count()).select_from(HourRecord).where(
        HourRecord.project_id == project.id, HourRecord.status == RECORDED)) or 0


def signups_of_volunteer(user, limit: int = 200) -> list[ShiftSignup]:
    """A volunteer's sign-ups, latest shift first."""
    return list(db.session.scalars(
        select(ShiftSignup).where(ShiftSignup.user_id == user.id)
        .options(joinedload(ShiftSignup.shift).joinedload(Shift.opportunity).joinedload(Opportunity.project),
                 joinedload(ShiftSignup.shift).joinedload(Shift.place))
        .join(ShiftSignup.shift).order_by(Shift.starts_at.desc()).limit(limit)))


def hour_records_of_volunteer(user) -> dict[int, HourRecord]:
    """sign-up id -> its hour record."""
    return {record.signup_id: record for record in db.session.scalars(
        select(HourRecord).where(HourRecord.user_id == user.id))}


def roster_of(shift: Shift) -> tuple[list[ShiftSignup], dict[int, HourRecord]]:
    """A shift's sign-ups in the order they came, and sign-up id -> hour record."""
    signups = list(db.session.scalars(
        select(ShiftSignup).options(joinedload(ShiftSignup.user)).where(ShiftSignup.shift_id == shift.id)
        .order_by(ShiftSignup.created_at, ShiftSignup.id)))
    records = {record.signup_id: record for record in db.session.scalars(
        select(HourRecord).where(HourRecord.signup_id.in_([s.id for s in signups])))} if signups else {}
    return signups, records


def hour_records_query(project: ServiceProject, status: str):
    """A project's hour records of one status, newest first (for paginate())."""
    return (select(HourRecord).where(HourRecord.project_id == project.id, HourRecord.status == status)
            .options(joinedload(HourRecord.user), joinedload(HourRecord.signup).joinedload(ShiftSignup.shift)
                     .joinedload(Shift.opportunity))
            .order_by(HourRecord.recorded_at.desc(), HourRecord.id.desc()))
