"""Writing through the API needs a key issued by the portal's administrators (portal/cases/api_keys.py, shared
with Open311), sent as `Authorization: Bearer <key>` or `X-API-Key: <key>`, never in the address."""
from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext as _

from portal.api.errors import ApiError

AUTH_FIELD = "Authorization"


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
            enforced = getattr(current_app.view_functions.get(request.endpoint), "route_check", guarded.route_check)
            key = enforced(raw)
            if not key:
                raise ApiError(403, _("This API key is not valid or has been revoked."), field=AUTH_FIELD)
            g.api_key = key
            return view(*args, **kwargs)

        guarded.route_policy = "public"
        guarded.route_check = check
        return guarded

    return decorator
