"""The audit filter's static list names every action and object type the code records, and costs no query."""
import ast
import re
from pathlib import Path

from portal.audit.catalogue import ACTIONS, OBJECT_TYPES
from portal.orgs.service import TRANSITIONS as ORGANISATION_STEPS

PORTAL = Path(__file__).resolve().parents[2] / "portal"
ACTION = re.compile(r"[a-z_]+\.[a-z_]+")


def _recorded():
    """(actions, object types, f-string prefixes and suffixes) written by audit.record(...) calls (and needs'
    _move)."""
    actions, object_types, prefixes, suffixes = set(), set(), set(), set()
    for path in PORTAL.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name == "record" and len(node.args) >= 2:
                first, second = node.args[0], node.args[1]
                for part in ([first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        actions.add(part.value)
                    elif isinstance(part, ast.JoinedStr):  # f"donation.{status}" or f"{kind}.payment_held..."
                        first_text, last_text = part.values[0], part.values[-1]
                        if isinstance(first_text, ast.Constant):
                            prefixes.add(first_text.value)
                        elif isinstance(last_text, ast.Constant):
                            suffixes.add(last_text.value)
                if isinstance(second, ast.Constant):
                    object_types.add(second.value)
            elif name == "_move":  # needs pass their audit action to their move function
                actions.update(arg.value for arg in node.args if isinstance(arg, ast.Constant)
                               and isinstance(arg.value, str) and ACTION.fullmatch(arg.value))
    return actions, object_types, prefixes, suffixes


def test_every_recorded_action_and_object_type_is_in_the_catalogue():
    actions, object_types, prefixes, suffixes = _recorded()
    actions |= {action for _sources, _target, action in ORGANISATION_STEPS.values()}
    assert len(actions) > 50  # the reading found the calls
    assert not sorted(actions - set(ACTIONS)), "add these to portal/audit/catalogue.py"
    assert not sorted(object_types - set(OBJECT_TYPES)), "add these to portal/audit/catalogue.py"
    for prefix in prefixes:  # f"donation.{status}": the statuses it is called with are listed by hand
        assert any(action.startswith(prefix) for action in ACTIONS), prefix
    for suffix in suffixes:
        assert any(action.endswith(suffix) for action in ACTIONS), suffix


def test_the_filter_runs_no_distinct_query(client, login_as, count_queries):
    from portal.accounts import roles
    from tests.factories.accounts import UserFactory, grant

    admin = UserFactory()
    grant(admin, roles.PLATFORM_ADMIN)
    login_as(admin)
    with count_queries() as statements:
        response = client.get("/admin/audit/")
    assert response.status_code == 200 and 'value="volunteering.hours_verified"' in response.get_data(as_text=True)
    assert not [statement for statement in statements if "DISTINCT" in statement.upper()]


def test_an_unlisted_action_from_an_old_event_still_filters(client, login_as):
    from portal.accounts import roles
    from tests.audit.test_audit_log import make_event
    from tests.factories.accounts import UserFactory, grant

    admin = UserFactory()
    grant(admin, roles.PLATFORM_ADMIN)
    login_as(admin)
    make_event("org.renamed_long_ago", object_id="77")
    make_event("role.granted", object_type="role_assignment", object_id="78")
    response = client.get("/admin/audit/", query_string={"action": "org.renamed_long_ago"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "#77" in html and "#78" not in html
