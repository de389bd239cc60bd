"""Loaders for object_policy: the object named by the URL's ids, or None (404)."""
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.cases.models import ApiKey, Case, CaseCategory, CasePhoto
from portal.extensions import db


def load_case(case_id: int) -> Case | None:
    return db.session.scalar(select(Case).options(
        joinedload(Case.category), joinedload(Case.place), joinedload(Case.department),
        selectinload(Case.photos), selectinload(Case.events)).where(Case.id == case_id))


def load_photo(case_id: int, photo_id: int) -> CasePhoto | None:
    photo = db.session.get(CasePhoto, photo_id)
    return photo if photo is not None and photo.case_id == case_id else None


def load_category(category_id: int) -> CaseCategory | None:
    return db.session.get(CaseCategory, category_id)


def load_api_key(key_id: int) -> ApiKey | None:
    return db.session.get(ApiKey, key_id)
