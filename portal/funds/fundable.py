"""Service projects a fund may pay for. Projects sit in a higher layer than funds (DESIGN.md §1), so the
projects package registers how to list them here; funds never import projects."""
from collections.abc import Callable

# fund -> [(project id, label)], registered by portal.projects.service at import
_lister: Callable | None = None


def register_project_lister(lister: Callable) -> None:
    global _lister
    _lister = lister


def fundable_projects(fund) -> list[tuple[int, str]]:
    """Projects serving the fund's place (or a place above or under it) that are not drafts or cancelled."""
    return _lister(fund) if _lister is not None else []


def is_fundable_project(fund, project_id: int) -> bool:
    return any(project_id == candidate for candidate, _label in fundable_projects(fund))
