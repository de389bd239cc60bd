"""Route declarations: how every view is protected, and the decorators that enforce it.

Each domain's policy.py answers "may this user do this action on this object" with one function per
action (built on portal/accounts/scopes.py); every view declares one of the decorators here, which
calls that function. tests/test_authorization_matrix.py fails on a route that declares nothing.
"""
import inspect
from functools import wraps

from flask import abort, request
from flask_login import current_user, login_required

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
