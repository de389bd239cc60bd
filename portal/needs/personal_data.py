"""The needs a person posted and backed, in their personal-data download."""
from sqlalchemy import select

from portal.accounts.personal_data import PersonalDataPart, register, rows
from portal.needs.models import Need, NeedBacking


def export(user) -> dict:
    return {
        "needs_posted": rows(select(Need).where(Need.posted_by_id == user.id),
                             "id", "place_id", "title", "description", "status", "created_at"),
        "needs_backed": rows(select(NeedBacking).where(NeedBacking.user_id == user.id), "need_id", "created_at"),
    }


register(PersonalDataPart("needs", export))
