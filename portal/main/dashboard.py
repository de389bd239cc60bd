"""Figures and highlights for the home page: a few aggregate queries, a fixed number whatever the data."""
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.funds.models import LIVE, Campaign, Fund
from portal.needs.models import ACCEPTED, OPEN, Need
from portal.orgs.models import VERIFIED, Organisation
from portal.places.models import COMMUNITY, Place
from portal.projects.models import COMPLETED, IN_PROGRESS, PUBLISHED, ServiceProject
from portal.volunteering.models import HourPosting, volunteer_hours_account


def _count(model, *conditions):
    return select(func.count()).select_from(model).where(*conditions).scalar_subquery()


def home_summary() -> dict:
    """The portal in figures, in one query."""
    volunteer_minutes = (select(func.coalesce(func.sum(HourPosting.minutes), 0))
                         .where(HourPosting.account.like(volunteer_hours_account(0).replace(":0:", ":%:")))
                         .scalar_subquery())
    row = db.session.execute(select(
        _count(Organisation, Organisation.status == VERIFIED),
        _count(Place, Place.kind == COMMUNITY),
        _count(Campaign, Campaign.status == LIVE),
        select(func.coalesce(func.sum(Fund.raised_minor), 0)).scalar_subquery(),
        _count(ServiceProject, ServiceProject.status.in_((PUBLISHED, IN_PROGRESS, COMPLETED))),
        _count(Need, Need.status.in_((OPEN, ACCEPTED))),
        volunteer_minutes,
    )).one()
    return {"verified_organisations": row[0], "communities": row[1], "live_campaigns": row[2],
            "raised_minor": int(row[3]), "projects": row[4], "open_needs": row[5],
            "volunteer_hours": int(row[6]) // 60}


def home_highlights() -> dict:
    """Live campaigns ending soonest, the most backed open needs, projects under way."""
    campaigns = db.session.scalars(
        select(Campaign).options(joinedload(Campaign.fund)).where(Campaign.status == LIVE)
        .order_by(Campaign.ends_at, Campaign.id).limit(3)).all()
    needs = db.session.scalars(
        select(Need).options(joinedload(Need.place)).where(Need.status.in_((OPEN, ACCEPTED)))
        .order_by(Need.backing_count.desc(), Need.created_at).limit(5)).all()
    projects = db.session.scalars(
        select(ServiceProject).options(joinedload(ServiceProject.organisation))
        .where(ServiceProject.status == IN_PROGRESS)
        .order_by(ServiceProject.published_at.desc(), ServiceProject.id.desc()).limit(4)).all()
    return {"campaigns": campaigns, "needs": needs, "projects": projects}
