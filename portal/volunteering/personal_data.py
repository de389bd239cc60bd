"""A person's volunteer sign-ups and hours, in their personal-data download."""
from sqlalchemy import select

from portal.accounts.personal_data import PersonalDataPart, register, rows
from portal.volunteering.models import HourRecord, ShiftSignup


def export(user) -> dict:
    return {
        "volunteer_signups": rows(select(ShiftSignup).where(ShiftSignup.user_id == user.id),
                                  "shift_id", "status", "created_at", "checked_in_at", "checked_out_at"),
        "volunteer_hours": rows(select(HourRecord).where(HourRecord.user_id == user.id),
                                "project_id", "minutes", "status", "recorded_at", "verified_at"),
    }


register(PersonalDataPart("volunteering", export))
