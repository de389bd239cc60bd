"""The before/after snapshots of an audit event shown as a short list of changes."""
from portal.audit.changes import ADDED, CHANGED, REMOVED, Change, changes, changes_as_text, show_value


def test_only_changed_keys_are_listed_with_old_and_new_value():
    before = {"status": "pending", "name": "阳光社工", "reason": None}
    after = {"status": "verified", "name": "阳光社工", "reason": None}
    assert changes(before, after) == [Change("status", CHANGED, "pending", "verified")]


def test_a_creation_lists_every_value_as_added():
    result = changes(None, {"email": "li@example.org", "role": "official"})
    assert result == [Change("email", ADDED, None, "li@example.org"), Change("role", ADDED, None, "official")]


def test_a_removal_lists_every_value_as_removed():
    assert changes({"role": "org_admin"}, None) == [Change("role", REMOVED, "org_admin", None)]


def test_keys_only_in_before_come_after_the_keys_of_after():
    result = changes({"a": 1, "gone": True}, {"a": 2, "new": "x"})
    assert [(c.key, c.kind) for c in result] == [("a", CHANGED), ("new", ADDED), ("gone", REMOVED)]


def test_nested_values_are_compact_json_and_long_ones_are_cut():
    assert show_value({"b": [1, 2], "a": None}) == '{"a":null,"b":[1,2]}'
    assert show_value(True) == "true"
    assert show_value(None) == "—"
    assert show_value("长" * 500).endswith("…")
    assert len(show_value("x" * 500)) == 120


def test_nothing_changed_gives_an_empty_list():
    assert changes({"a": 1}, {"a": 1}) == []
    assert changes(None, None) == []


def test_text_form_for_exports():
    text = changes_as_text({"status": "verified", "note": "x"}, {"status": "suspended", "reason": "年检未通过"})
    assert text == "status: verified -> suspended; reason: + 年检未通过; note: - x"
