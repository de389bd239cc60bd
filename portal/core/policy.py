"""Policy building blocks: the current user's role assignments, scope checks and route declarations.

Each domain's policy.py answers "may this user do this action on this object" with one function per
action, built from the helpers here. Every view declares how it is protected with one of the
decorators at the bottom; tests/test_authorization_matrix.py fails on a route that declares nothing.
"""
import inspect
from functools import wraps

from flask import abort, g, request
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
            if not wrapped.route_check(current_user):
                abort(403)
            return view(*args, **kwargs)

        wrapped = login_required(guarded)
        _declare(wrapped, check)
        return wrapped

    return decorator


def object_policy(check, load, *, login: bool = True, on_post=None):
    """Load the route's object, enforce `check(current_user, obj)` and hand the object to the view.

    `load` is called with the URL values named by its parameters (e.g. `load_need(need_id)`) and returns
    the object or None; the view receives the object as its first argument and the remaining URL values
    as keyword arguments. A missing object and a refused check both answer 404, so a page never confirms
    that something outside the user's scope exists. `on_post` is a further check for POST requests (a
    page anyone in scope may read but only some may change). The check is looked up on the view at call
    time (`route_check`), so the declared policy is always the one enforced: tests swap it to prove it.
    """
    load_parameters = tuple(inspect.signature(load).parameters)

    def decorator(view):
        @wraps(view)
        def guarded(**values):
            keys = {name: values.pop(name) for name in load_parameters if name in values}
            obj = load(**keys)
            if obj is None or not wrapped.route_check(current_user, obj):
                abort(404)
            if on_post is not None and request.method == "POST" and not wrapped.route_post_check(current_user, obj):
                abort(404)
            return view(obj, **values)

        wrapped = login_required(guarded) if login else guarded
        _declare(wrapped, check)
        wrapped.route_post_check = on_post
        return wrapped

    return decorator


def _declare(view, check) -> None:
    view.route_policy = check.__name__
    view.route_check = check
