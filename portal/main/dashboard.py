"""Figures for the home page, computed in SQL."""
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.extensions import db
from portal.orgs.models import VERIFIED, Organisation
from portal.places.models import COMMUNITY, GRID, Place


def home_summary() -> dict:
    verified = select(func.count()).select_from(Organisation).where(Organisation.status == VERIFIED)
    communities = select(func.count()).select_from(Place).where(Place.kind == COMMUNITY)
    grids = select(func.count()).select_from(Place).where(Place.kind == GRID)
    users = select(func.count()).select_from(User)
    row = db.session.execute(select(verified.scalar_subquery(), communities.scalar_subquery(),
                                    grids.scalar_subquery(), users.scalar_subquery())).one()
    return {"verified_organisations": row[0], "communities": row[1], "grids": row[2], "users": row[3]}
