"""The personal-data download and erasure (PIPL), with each domain contributing its own part.

Accounts sit below the domains that hold a person's gifts, needs, ratings and hours, so they cannot import
them. Each of those domains registers a part here from its `personal_data` module, which create_app
imports when it wires the domains (portal/__init__.py); accounts/service.py asks the registered parts.
"""
from collections.abc import Callable
from dataclasses import dataclass

from portal.extensions import db


@dataclass(frozen=True)
class PersonalDataPart:
    domain: str
    export: Callable  # user -> {section name: [row, ...]} for the download
    erase: Callable | None = None  # user -> None: pseudonymise what must stay; raise DomainError to refuse


_parts: dict[str, PersonalDataPart] = {}


def register(part: PersonalDataPart) -> None:
    _parts[part.domain] = part  # by domain, so importing a module twice registers it once


def registered_parts() -> list[PersonalDataPart]:
    return list(_parts.values())


def plain(value):
    """A value as JSON shows it: dates and times in ISO 8601."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def rows(statement, *fields) -> list[dict]:
    """The rows of `statement` as plain dicts of `fields`, for a download."""
    return [{name: plain(getattr(row, name)) for name in fields} for row in db.session.scalars(statement)]
