"""The ratings a person gave and the projects they follow, in their personal-data download."""
from sqlalchemy import select

from portal.accounts.personal_data import PersonalDataPart, register, rows
from portal.projects.models import ProjectFollower, ProjectRating


def export(user) -> dict:
    return {
        "project_ratings": rows(select(ProjectRating).where(ProjectRating.user_id == user.id),
                                "project_id", "score", "comment", "created_at"),
        "projects_followed": rows(select(ProjectFollower).where(ProjectFollower.user_id == user.id),
                                  "project_id", "created_at"),
    }


register(PersonalDataPart("projects", export))
