"""Account factories and role helpers."""
import factory

from portal.accounts import roles
from portal.accounts.models import RoleAssignment, User
from portal.accounts.passwords import _fast_hasher
from tests.conftest import TEST_PASSWORD
from tests.factories.base import ModelFactory

_TEST_HASH = _fast_hasher.hash(TEST_PASSWORD)


class UserFactory(ModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    display_name = factory.Sequence(lambda n: f"居民{n}")
    password_hash = _TEST_HASH
    locale = "zh_CN"


def grant(user, role, scope=None):
    """Give `user` a role on a scope object (Place, Organisation, Fund) or on the platform."""
    if scope is None:
        scope_type, scope_id = roles.SCOPE_PLATFORM, None
    else:
        scope_type = {"Place": roles.SCOPE_PLACE, "Organisation": roles.SCOPE_ORGANISATION,
                      "Fund": roles.SCOPE_FUND}[type(scope).__name__]
        scope_id = scope.id
    assignment = RoleAssignment(user_id=user.id, role=role, scope_type=scope_type, scope_id=scope_id)
    from portal.extensions import db

    db.session.add(assignment)
    db.session.flush()
    return assignment
