"""Turn an audit event's before/after snapshots into a short list of changes a person can read."""
import json
from dataclasses import dataclass

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
_MAX_VALUE_CHARS = 120


@dataclass(frozen=True)
class Change:
    key: str
    kind: str  # added | removed | changed
    old: str | None
    new: str | None


def show_value(value) -> str:
    """A snapshot value as short text: strings as they are, nothing as a dash, the rest as compact JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
    return text if len(text) <= _MAX_VALUE_CHARS else text[:_MAX_VALUE_CHARS - 1] + "…"


def _as_dict(snapshot) -> dict:
    if snapshot is None:
        return {}
    if isinstance(snapshot, dict):
        return snapshot
    return {"value": snapshot}  # a scalar or list snapshot still shows up, under one key


def changes(before, after) -> list[Change]:
    """The keys whose value differs, in snapshot order (after's keys first, then keys only in before).

    A creation (no before) lists every value as added, a removal (no after) lists every value as removed;
    keys whose value is the same on both sides are left out.
    """
    old, new = _as_dict(before), _as_dict(after)
    result = []
    for key in [*new, *(key for key in old if key not in new)]:
        if key in old and key in new:
            if old[key] != new[key]:
                result.append(Change(str(key), CHANGED, show_value(old[key]), show_value(new[key])))
        elif key in new:
            result.append(Change(str(key), ADDED, None, show_value(new[key])))
        else:
            result.append(Change(str(key), REMOVED, show_value(old[key]), None))
    return result


def changes_as_text(before, after) -> str:
    """One line for exports: `status: pending -> verified; reason: + too late`."""
    parts = []
    for change in changes(before, after):
        if change.kind == CHANGED:
            parts.append(f"{change.key}: {change.old} -> {change.new}")
        elif change.kind == ADDED:
            parts.append(f"{change.key}: + {change.new}")
        else:
            parts.append(f"{change.key}: - {change.old}")
    return "; ".join(parts)
