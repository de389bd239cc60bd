"""Policy building blocks: the current user's role assignments, scope checks and route declarations.

Each domain's policy.py answers "may this user do this action on this object" with one function per
action, built from the helpers here. Every view declares how it is protected with one of the
decorators at the bottom; tests/test_authorization_matrix.py fails on a route that declares nothing.
"""
from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.accounts import roles
from portal.extensions import db


def assignments_of(user) -> list:
    """All role assignments of `user`, loaded once per request."""
    if user is None or not user.is_authenticated:
        return []
    cache = g.setdefault("_role_assignments", {})
    if user.id not in cache:
        from portal.accounts.models import RoleAssignment

        cache[user.id] = list(db.session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id)))
    return cache[user.id]


def forget_assignments() -> None:
    g.pop("_role_assignments", None)
    g.pop("_role_places", None)


def has_platform_role(user, *role_names: str) -> bool:
    return any(a.role in role_names and a.scope_type == roles.SCOPE_PLATFORM for a in assignments_of(user))


def is_platform_admin(user) -> bool:
    return has_platform_role(user, roles.PLATFORM_ADMIN)


def places_with_role(user, *role_names: str) -> list:
    """The places on which `user` holds one of `role_names` (loaded in one query, cached per request)."""
    from portal.places.models import Place

    ids = {a.scope_id for a in assignments_of(user) if a.role in role_names and a.scope_type == roles.SCOPE_PLACE}
    if not ids:
        return []
    cache = g.setdefault("_role_places", {})
    key = (user.id, frozenset(ids))
    if key not in cache:
        cache[key] = list(db.session.scalars(select(Place).where(Place.id.in_(ids))))
    return cache[key]


def has_place_role(user, place, *role_names: str, platform_counts: bool = True) -> bool:
    """True when `user` holds a role on `place` or on a place above it (or on the whole platform)."""
    if place is None:
        return False
    if platform_counts and has_platform_role(user, *role_names):
        return True
    return any(place.is_within(scope) for scope in places_with_role(user, *role_names))


def has_scope_role(user, scope_type: str, scope_id: int, *role_names: str) -> bool:
    return any(a.role in role_names and a.scope_type == scope_type and a.scope_id == scope_id
               for a in assignments_of(user))


def authorize(allowed: bool) -> None:
    """Out-of-scope objects answer 404, not a 403 that would confirm they exist."""
    if not allowed:
        abort(404)


# --- route declarations -------------------------------------------------------------------------

def public(view):
    """Anyone may open this page."""
    view.route_policy = "public"
    return view


def signed_in(view):
    """Any signed-in user may open this page."""
    wrapped = login_required(view)
    wrapped.route_policy = "signed_in"
    return wrapped


def allowed_if(check):
    """A platform-level action: sign-in required, then `check(user)` or 403."""

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        wrapped = login_required(guarded)
        wrapped.route_policy = check.__name__
        return wrapped

    return decorator


def object_policy(check, login: bool = True):
    """The view loads its object and calls authorize(check(current_user, obj)) itself (404 when refused)."""

    def decorator(view):
        wrapped = login_required(view) if login else view
        wrapped.route_policy = check.__name__
        return wrapped

    return decorator
