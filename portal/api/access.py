"""How the API's routes are protected: a one-object read loads only a public object (`public_object`), and a write
needs a key issued by the portal's administrators (portal/cases/api_keys.py, shared with Open311), sent as
`Authorization: Bearer <key>` or `X-API-Key: <key>`, never in the address (`api_key_required`).

Both read their check from the view Flask registered, at call time: flask-smorest wraps a view in its own
function (copying its attributes), so the authorization matrix swaps the check there (route_check), and these
decorators must enforce what it swapped. portal/core/policy.py's object_policy reads it from its own wrapper.
"""
import inspect
from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.api.errors import ApiError

AUTH_FIELD = "Authorization"


def _enforced(fallback):
    return getattr(current_app.view_functions.get(request.endpoint), "route_check", fallback)


def public_object(check, load):
    """Like object_policy (login=False): `load` with the URL's ids, then `check(user, obj)`, a JSON 404 when
    either refuses, the object handed to the view."""
    load_parameters = tuple(inspect.signature(load).parameters)

    def decorator(view):
        @wraps(view)
        def guarded(**values):
            keys = {name: values.pop(name) for name in load_parameters if name in values}
            obj = load(**keys)
            if obj is None or not _enforced(check)(current_user, obj):
                raise ApiError(404, _("There is no such object, or it is not public."))
            return view(obj, **values)

        guarded.route_policy = check.__name__
        guarded.route_check = check
        return guarded

    return decorator


def presented_key() -> str | None:
    """The key the request carries, or None."""
    scheme, _space, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("X-API-Key", "").strip() or None


def api_key_required(check):
    """A write: any caller (no account, so "public" to the matrix's roles) holding a live key. Missing: 401;
    forged or revoked: 403. The check (`key_for(raw)`: the live key or None) is the view's `route_check`, read
    from the registered view at call time, so the authorization matrix proves that it is the check enforced.
    The key found is `g.api_key`."""

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            raw = presented_key()
            if raw is None:
                raise ApiError(401, _("An API key is required: send it as Authorization: Bearer <key> or as "
                                      "X-API-Key. The portal's administrators issue keys."), field=AUTH_FIELD,
                               headers={"WWW-Authenticate": 'Bearer realm="api"'})
            key = _enforced(check)(raw)
            if not key:
                raise ApiError(403, _("This API key is not valid or has been revoked."), field=AUTH_FIELD)
            g.api_key = key
            return view(*args, **kwargs)

        guarded.route_policy = "public"
        guarded.route_check = check
        return guarded

    return decorator
