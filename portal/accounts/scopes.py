"""Who holds which role where: the current user's role assignments (read once per request) and scope checks.

Every domain's policy.py builds its `can_...` functions from these. A role is held on the platform, a place
(and counts for every place under it), an organisation or a fund.
"""
from functools import lru_cache

from sqlalchemy import bindparam, select

from portal.accounts import roles
from portal.accounts.models import RoleAssignment, User
from portal.core.request_cache import clear_request_cache, request_cache
from portal.extensions import db
from portal.places.models import Place


def assignments_of(user) -> list:
    """All role assignments of `user`, loaded once per request."""
    if user is None or not user.is_authenticated:
        return []
    cache = request_cache("role_assignments")
    if user.id not in cache:
        cache[user.id] = list(db.session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id)))
    return cache[user.id]


def load_with_assignments(user_id: int, figures: dict | None = None) -> User | None:
    """A signed-in person and their role assignments in one statement, the assignments kept as this request's
    (`assignments_of`): every signed-in page needs both, and this saves each page a round trip. `figures`
    names scalar subqueries of the person's own figures every page shows (the unread count, which a higher
    domain passes in: accounts imports no domain), read in the same statement (`person_figure`)."""
    figures = figures or {}
    rows = db.session.execute(_sign_in_statement(tuple(figures.items())), {"user_id": user_id}).all()
    if not rows:
        return None
    user = rows[0][0]
    request_cache("role_assignments")[user.id] = [row[1] for row in rows if row[1] is not None]
    request_cache("person_figures")[user.id] = {name: rows[0][2 + n] for n, name in enumerate(figures)}
    return user


@lru_cache(maxsize=8)
def _sign_in_statement(figures: tuple):
    """Built once per set of figures: building a select with its subqueries cost more Python than running it."""
    columns = [build(User.id).label(name) for name, build in figures]
    return (select(User, RoleAssignment, *columns).outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(User.id == bindparam("user_id")).execution_options(populate_existing=True))


def person_figure(user, name: str):
    """A figure `load_with_assignments` read with the person this request (None when it did not)."""
    return request_cache("person_figures").get(getattr(user, "id", None), {}).get(name)


def forget_assignments() -> None:
    """After a rollback or a role change within the request: read the assignments again."""
    clear_request_cache()


def has_platform_role(user, *role_names: str) -> bool:
    return any(a.role in role_names and a.scope_type == roles.SCOPE_PLATFORM for a in assignments_of(user))


def is_platform_admin(user) -> bool:
    return has_platform_role(user, roles.PLATFORM_ADMIN)


def places_with_role(user, *role_names: str) -> list:
    """The places on which `user` holds one of `role_names` (loaded in one query, cached per request)."""
    ids = {a.scope_id for a in assignments_of(user) if a.role in role_names and a.scope_type == roles.SCOPE_PLACE}
    if not ids:
        return []
    cache = request_cache("role_places")
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


# --- what a scope id points at ------------------------------------------------------------------------
# Places, organisations and funds register their model (in their service modules) so accounts can name a
# scope and check it exists without importing the domains built on it.
_scope_models: dict[str, type] = {}


def register_scope_model(scope_type: str, model) -> None:
    _scope_models[scope_type] = model


def scope_model(scope_type: str):
    """The model a scope id of `scope_type` points at (None for the platform or an unregistered kind)."""
    return _scope_models.get(scope_type)


register_scope_model(roles.SCOPE_PLACE, Place)
