"""Values worked out once per request (the user's role assignments, their places), kept on flask.g.

They are dropped together when a failed action is rolled back (core.web.undo), so the page shown after
it reads them again.
"""
from flask import g

_KEY = "_portal_request_cache"


def request_cache(name: str) -> dict:
    """The request's dict for `name` (created empty on first use)."""
    return g.setdefault(_KEY, {}).setdefault(name, {})


def clear_request_cache() -> None:
    g.pop(_KEY, None)
