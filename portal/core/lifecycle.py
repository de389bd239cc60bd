"""Lifecycles as tables (DESIGN.md section 5): `{current status: {statuses it may move to}}`, one per kind of
object, kept at the top of the module that moves it, and one move function that every step goes through.

An illegal step is an IllegalTransition, which views show as a 409 with the message below. Where two steps
end in the same status with different effects (volunteer hours: reject vs reverse), the domain keeps a table
of named steps instead (portal/volunteering/hours.py); everything else uses this.
"""
from flask_babel import gettext as _

from portal.core.errors import IllegalTransition


def can_move(obj, transitions: dict, target: str) -> bool:
    return target in transitions.get(obj.status, set())


def check_step(obj, transitions: dict, labels: dict, target: str, what: str) -> None:
    """Refuse a step its table does not allow; `what` names the object for the message ("A campaign")."""
    if not can_move(obj, transitions, target):
        raise IllegalTransition(_("%(what)s that is “%(current)s” cannot become “%(target)s”.", what=what,
                                  current=labels.get(obj.status, obj.status), target=labels.get(target, target)))


def move_status(obj, transitions: dict, labels: dict, target: str, what: str) -> str:
    """Take a step allowed by its table (or raise IllegalTransition); return the status before."""
    check_step(obj, transitions, labels, target, what)
    before = obj.status
    obj.status = target
    return before
